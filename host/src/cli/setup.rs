use super::Cli;
use crate::transport::http::{HttpAccess, generate_token};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use wharf_core::config::Config;
use wharf_core::engine::Engines;
use wharf_core::policy::{AuditLog, Mode};
use wharf_core::registry::Registry;
use wharf_core::runtime::{ArtifactCache, HostServices, Runtime};
use wharf_docker::endpoint::ProcessEnv;

/// What start-up produced: the merged config, where it came from, the engine, the plugins.
pub struct Loaded {
    pub config: Config,
    /// The config file read, or the default path that did not exist.
    pub config_file: Option<(PathBuf, bool)>,
    pub engines: Arc<Engines>,
    pub registry: Arc<Registry>,
}

/// Config file and flags merged, plugins loaded.
pub async fn load(cli: &Cli) -> anyhow::Result<Loaded> {
    let (config, config_file) = config(cli)?;
    let cache = if cli.no_cache { None } else { cache(&config) };
    let (engines, runtime) = runtime(&config, cache)?;
    // Opened before any plugin loads: a wharf asked to audit must not serve unaudited.
    let audit = config
        .audit_log
        .as_deref()
        .map(AuditLog::open)
        .transpose()?;
    let mut registry = Registry::load(&runtime, &config, crate::plugins::BUILTIN).await;
    if let Some(audit) = audit {
        registry.set_audit(audit);
    }
    if config.mode != Mode::Full {
        tracing::info!(mode = %config.mode, withheld = registry.withheld().count(), "tools withheld by the mode");
    }
    Ok(Loaded {
        config,
        config_file,
        engines,
        registry: Arc::new(registry),
    })
}

/// The configured plugin cache: the config's `cache_dir`, else the default.
pub fn cache(config: &Config) -> Option<ArtifactCache> {
    config
        .cache_dir
        .clone()
        .or_else(ArtifactCache::default_dir)
        .map(ArtifactCache::new)
}

/// The engines and the plugin runtime that routes to them; no engine is contacted.
pub fn runtime(
    config: &Config,
    cache: Option<ArtifactCache>,
) -> anyhow::Result<(Arc<Engines>, Runtime)> {
    let engines = Arc::new(wharf_docker::engines(
        &config.engines,
        config.default_engine.as_deref(),
        config.mode == Mode::ReadOnly,
        &ProcessEnv,
    )?);
    let services = HostServices::configured(engines.clone(), config)
        .network(Arc::new(crate::network::Internet));
    let runtime = Runtime::new(services, cache)
        .map_err(|e| anyhow::anyhow!("cannot start the plugin runtime: {e}"))?;
    Ok((engines, runtime))
}

/// The config file and the flags, merged: what was read, and from where.
pub fn config(cli: &Cli) -> anyhow::Result<(Config, Option<(PathBuf, bool)>)> {
    let config_file = match &cli.config {
        Some(path) => Some((path.clone(), true)),
        None => Config::default_path().map(|p| {
            let found = p.exists();
            (p, found)
        }),
    };
    let mut config = match &cli.config {
        Some(path) => Config::load(path, true)?,
        None => match &config_file {
            Some((path, _)) => Config::load(path, false)?,
            None => Config::default(),
        },
    };
    config.plugin_dirs.extend(cli.plugin_dirs.iter().cloned());
    if !cli.allowed_roots.is_empty() {
        config.allowed_roots = cli.allowed_roots.clone();
    }
    // Checked here, not by clap: WHARF_READ_ONLY=false beside --no-destructive is no
    // conflict.
    if cli.read_only && cli.no_destructive {
        anyhow::bail!("--read-only and --no-destructive exclude each other");
    }
    if cli.read_only {
        config.mode = Mode::ReadOnly;
    } else if cli.no_destructive {
        config.mode = Mode::NoDestructive;
    }
    config
        .disabled_tools
        .extend(cli.disabled_tools.iter().cloned());
    if let Some(scope) = &cli.scope_label {
        config.scope_label = Some(scope.clone());
    }
    if let Some(path) = &cli.audit_log {
        config.audit_log = Some(path.clone());
    }
    if config.allowed_roots.is_empty() {
        config.allowed_roots =
            vec![std::env::current_dir().context("cannot read the current directory")?];
    }
    Ok((config, config_file))
}

/// Who may use `serve --http`: the token from `WHARF_HTTP_TOKEN`, else the config, else a
/// new one, printed once (to stderr, never to a log file) for the person starting wharf.
pub fn http_access(config: &Config) -> anyhow::Result<HttpAccess> {
    let configured = std::env::var("WHARF_HTTP_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| config.http.token.clone());
    let token = match configured {
        Some(t) => t.trim().to_owned(),
        None => {
            let t =
                generate_token().map_err(|e| anyhow::anyhow!("cannot generate a token: {e}"))?;
            eprintln!(
                "wharf: no HTTP token configured (WHARF_HTTP_TOKEN or [http] token); clients \
                 must send this one, valid until wharf stops:\nAuthorization: Bearer {t}"
            );
            t
        }
    };
    Ok(HttpAccess {
        token,
        allowed_hosts: config.http.allowed_hosts.clone(),
        allowed_origins: config.http.allowed_origins.clone(),
    })
}

use super::Cli;
use crate::transport::http::{HttpAccess, generate_token};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use wharf_core::config::Config;
use wharf_core::engine::Engines;
use wharf_core::policy::toolsets::{ALL, DEFAULT};
use wharf_core::policy::{AuditLog, Mode};
use wharf_core::registry::{Registry, plugin_files};
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

/// Every toolset named is a plugin wharf has (built in, or in a plugin directory), `all`
/// or `default`: a misspelt one would serve nothing and say nothing.
fn known_toolsets(config: &Config) -> anyhow::Result<()> {
    let toolsets = config.tool_policy().toolsets;
    if toolsets.serves_nothing() {
        anyhow::bail!(
            "toolsets is empty and tools names none: nothing would be served (name groups, \
             `{DEFAULT}` or `{ALL}`)"
        );
    }
    if toolsets.named().is_empty() {
        return Ok(());
    }
    let mut known: Vec<String> = crate::plugins::BUILTIN
        .iter()
        .map(|b| b.name.to_owned())
        .collect();
    for dir in &config.plugin_dirs {
        // An unreadable directory is reported by the load itself.
        if let Ok(files) = plugin_files(dir) {
            known.extend(files.into_iter().map(|(name, _)| name));
        }
    }
    for name in toolsets.named() {
        if !known.contains(name) {
            anyhow::bail!(
                "unknown toolset `{name}` (known: {}, {ALL}, {DEFAULT})",
                known.join(", ")
            );
        }
        if config.plugin(name).enabled == Some(false) {
            tracing::warn!(toolset = %name, "named in toolsets but disabled in the config ([plugin.{name}] enabled = false)");
        }
    }
    Ok(())
}

/// Every single tool named is one a loaded plugin has, served or withheld by the mode.
fn known_tools(config: &Config, registry: &Registry) -> anyhow::Result<()> {
    for tool in config.tool_policy().toolsets.tools() {
        if registry.find(tool).is_none() && !registry.withheld().any(|(t, _)| t == tool) {
            let failed: Vec<&str> = registry.failed().iter().map(|f| f.name.as_str()).collect();
            let hint = if failed.is_empty() {
                String::new()
            } else {
                format!("; these plugins did not load: {}", failed.join(", "))
            };
            anyhow::bail!("unknown tool `{tool}` in tools: no loaded plugin has it{hint}");
        }
    }
    Ok(())
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
    known_toolsets(&config)?;
    let mut registry = Registry::load(
        &runtime,
        &config,
        crate::plugins::BUILTIN,
        Some(&crate::plugins::PROJECTOR),
    )
    .await;
    known_tools(&config, &registry)?;
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
    // `containers, compose` as people type it; `--toolsets ""` (an empty WHARF_TOOLSETS,
    // which launchers set for an unanswered setting) says nothing, so the config decides.
    let names = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    if let Some(sets) = &cli.toolsets {
        let sets = names(sets);
        if !sets.is_empty() {
            config.toolsets = Some(sets);
        }
    }
    config.tools.extend(names(&cli.tools));
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

use super::Cli;
use crate::config::Config;
use crate::docker::{CredentialStore, Engine};
use crate::policy::{AllowedRoots, AuditLog, Mode};
use crate::registry::Registry;
use crate::runtime::{ArtifactCache, HostServices, Runtime};
use anyhow::Context;
use std::sync::Arc;

/// Config file and flags merged, plugins loaded.
pub async fn registry(cli: &Cli) -> anyhow::Result<Arc<Registry>> {
    let mut config = match &cli.config {
        Some(path) => Config::load(path, true)?,
        None => match Config::default_path() {
            Some(path) => Config::load(&path, false)?,
            None => Config::default(),
        },
    };
    config.plugin_dirs.extend(cli.plugin_dirs.iter().cloned());
    if !cli.allowed_roots.is_empty() {
        config.allowed_roots = cli.allowed_roots.clone();
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
    let cache = if cli.no_cache {
        None
    } else {
        config
            .cache_dir
            .clone()
            .or_else(ArtifactCache::default_dir)
            .map(ArtifactCache::new)
    };
    let services = HostServices {
        docker: Arc::new(Engine::from_env()),
        roots: Arc::new(AllowedRoots::new(config.allowed_roots.clone())),
        credentials: Arc::new(CredentialStore::new(config.registries.clone())),
        read_only: config.mode == Mode::ReadOnly,
        scope: config.scope_label.clone(),
        allow: config.allow.clone(),
    };
    let runtime = Runtime::new(services, cache)
        .map_err(|e| anyhow::anyhow!("cannot start the plugin runtime: {e}"))?;
    // Opened before any plugin loads: a wharf asked to audit must not serve unaudited.
    let audit = config
        .audit_log
        .as_deref()
        .map(AuditLog::open)
        .transpose()?;
    let mut registry = Registry::load(&runtime, &config).await;
    if let Some(audit) = audit {
        registry.set_audit(audit);
    }
    if config.mode != Mode::Full {
        tracing::info!(mode = %config.mode, withheld = registry.withheld().count(), "tools withheld by the mode");
    }
    Ok(Arc::new(registry))
}

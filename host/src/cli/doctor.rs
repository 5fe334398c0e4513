//! `wharf doctor`: the first thing to run when something is wrong. Each line is one check,
//! `ok`, `warn` or `FAIL`, with what was found; the exit code is non-zero on any FAIL.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use wharf_core::config::Config;
use wharf_core::engine::{DockerEngine, Engines, Product};
use wharf_core::registry::Registry;

/// How long the engine gets to answer before it counts as unreachable.
const ENGINE_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(
    config: &Config,
    config_file: Option<&(PathBuf, bool)>,
    engines: &Engines,
    registry: &Registry,
) -> ExitCode {
    let mut failed = false;
    let mut check = |status: &str, what: &str, detail: String| {
        failed |= status == "FAIL";
        println!("{status:<5} {what:<8} {detail}");
    };
    println!("wharf {}", env!("CARGO_PKG_VERSION"));

    check(
        "ok",
        "config",
        match config_file {
            Some((path, true)) => format!("{} (loaded)", path.display()),
            Some((path, false)) => format!("{} (not found: defaults apply)", path.display()),
            None => {
                "no config path (neither $WHARF_CONFIG nor $HOME is set): defaults apply".into()
            }
        },
    );
    let roots: Vec<_> = config
        .allowed_roots
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    let mut policy = format!("mode {}; allowed roots {}", config.mode, roots.join(", "));
    if let Some(scope) = &config.scope_label {
        policy.push_str(&format!("; scope label {scope}"));
    }
    if let Some(audit) = &config.audit_log {
        policy.push_str(&format!("; audit log {}", audit.display()));
    }
    check("ok", "policy", policy);

    // Engines are asked at once: one that does not answer costs its timeout, not the
    // others' too.
    let answers =
        futures::future::join_all(engines.iter().map(|e| engine_line(&**e, engines.len()))).await;
    for (status, detail) in answers {
        check(status, "engine", detail);
    }

    let served = registry.tools().count();
    let withheld = registry.withheld().count();
    check(
        "ok",
        "plugins",
        format!(
            "{} loaded, {served} tools served, {withheld} withheld by policy",
            registry.plugins().len()
        ),
    );
    let budget = super::tools::summary(registry);
    check("ok", "tools", budget);
    for plugin in registry.plugins() {
        let info = plugin.info();
        let caps: Vec<_> = plugin.capabilities().iter().map(|c| c.name()).collect();
        let bytes: usize = registry
            .tools_of(plugin)
            .map(super::tools::context_bytes)
            .sum();
        println!(
            "               {} {}: {} tools ({}); grants {}",
            info.name,
            info.version,
            registry.tools_of(plugin).count(),
            super::tools::size(bytes),
            if caps.is_empty() {
                "none".into()
            } else {
                caps.join(", ")
            }
        );
    }
    let loaded: Vec<&str> = registry
        .plugins()
        .iter()
        .map(|p| p.info().name.as_str())
        .collect();
    for off in crate::plugins::BUILTIN
        .iter()
        .filter(|b| !b.enabled_by_default && !loaded.contains(&b.name))
    {
        println!(
            "               {}: built in, off (enable with [plugin.{}] enabled = true)",
            off.name, off.name
        );
    }
    for f in registry.failed() {
        check(
            "FAIL",
            "plugin",
            format!("{} not loaded: {}", f.name, f.error),
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// One engine's check: reachable, and what it runs.
async fn engine_line(engine: &dyn DockerEngine, count: usize) -> (&'static str, String) {
    let mut name = String::new();
    if count > 1 {
        name = format!("{} ", engine.name());
    }
    let access = if engine.is_read_only() {
        ", read-only"
    } else {
        ""
    };
    match tokio::time::timeout(ENGINE_TIMEOUT, engine.version()).await {
        Ok(Ok(v)) => {
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            let api = match Product::from_version(&v) {
                // Podman names the Docker API version it speaks itself.
                p @ Product::Podman { .. } => p.to_string(),
                p @ Product::Docker { .. } => format!("{p}, API {}", field("ApiVersion")),
            };
            (
                "ok",
                format!(
                    "{name}{}: {api}, {}/{}{access}",
                    engine.describe(),
                    field("Os"),
                    field("Arch")
                ),
            )
        }
        Ok(Err(e)) => ("FAIL", format!("{name}{e} ({})", engine.describe())),
        Err(_) => (
            "FAIL",
            format!(
                "{name}{} did not answer within {} s",
                engine.describe(),
                ENGINE_TIMEOUT.as_secs()
            ),
        ),
    }
}

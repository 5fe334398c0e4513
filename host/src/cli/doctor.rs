//! `wharf doctor`: the first thing to run when something is wrong. Each line is one check,
//! `ok`, `warn` or `FAIL`, with what was found; the exit code is non-zero on any FAIL.

use crate::config::Config;
use crate::docker::Engine;
use crate::registry::Registry;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How long the engine gets to answer before it counts as unreachable.
const ENGINE_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(
    config: &Config,
    config_file: Option<&(PathBuf, bool)>,
    engine: &Engine,
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

    let version = tokio::time::timeout(
        ENGINE_TIMEOUT,
        engine.request(|d| async move { d.version().await }),
    )
    .await;
    match version {
        Ok(Ok(v)) => check(
            "ok",
            "engine",
            format!(
                "{}: Docker {}, API {}, {}/{}",
                engine.endpoint(),
                v.version.unwrap_or_default(),
                v.api_version.unwrap_or_default(),
                v.os.unwrap_or_default(),
                v.arch.unwrap_or_default()
            ),
        ),
        Ok(Err(e)) => check("FAIL", "engine", e.to_string()),
        Err(_) => check(
            "FAIL",
            "engine",
            format!(
                "{} did not answer within {} s",
                engine.endpoint(),
                ENGINE_TIMEOUT.as_secs()
            ),
        ),
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
    for plugin in registry.plugins() {
        let info = plugin.info();
        let caps: Vec<_> = plugin.capabilities().iter().map(|c| c.name()).collect();
        println!(
            "               {} {}: {} tools; grants {}",
            info.name,
            info.version,
            registry.tools_of(plugin).count(),
            if caps.is_empty() {
                "none".into()
            } else {
                caps.join(", ")
            }
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

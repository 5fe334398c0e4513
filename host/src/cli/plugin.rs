//! `wharf plugin check FILE.wasm`: what a plugin author (or a CI job) runs before shipping
//! a component. It loads the file exactly as a plugin directory would, with every
//! capability it asks for granted, and reports each check on its own line; the exit code
//! is non-zero when wharf would refuse the plugin.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use wharf_core::engine::Engines;
use wharf_core::policy::{Capability, Grants, Import};
use wharf_core::registry::check_plugin_tools;
use wharf_core::runtime::{HostServices, Limits, Runtime};
use wharf_docker::Engine;

pub async fn run(command: &super::PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        super::PluginCommand::Check { file } => check(file).await,
        super::PluginCommand::New {
            name,
            dir,
            wharf_source,
        } => super::scaffold::run(name, dir, wharf_source.as_deref()),
    }
}

async fn check(file: &Path) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut line = |ok: bool, what: &str, detail: String| {
        failed |= !ok;
        println!("{:<5} {what:<8} {detail}", if ok { "ok" } else { "FAIL" });
    };
    let name = match file.file_stem().and_then(|s| s.to_str()) {
        Some(n) if file.extension().is_some_and(|e| e == "wasm") => n.to_owned(),
        _ => {
            line(
                false,
                "file",
                format!("{}: not a NAME.wasm file", file.display()),
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let wasm = match std::fs::read(file) {
        Ok(w) => w,
        Err(e) => {
            line(
                false,
                "file",
                format!("cannot read {}: {e}", file.display()),
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    line(
        true,
        "file",
        format!("{} ({} bytes)", file.display(), wasm.len()),
    );

    // Nothing is run against Docker: the engine is never contacted.
    // Only the plugin's own description is asked for: no Docker request is made, and the
    // engine's address is never dialled.
    let engine = Engine::at("unix:///nonexistent/wharf-plugin-check.sock")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let services = HostServices::new(Arc::new(Engines::single(engine))).read_only(true);
    let runtime = Runtime::new(services, None)
        .map_err(|e| anyhow::anyhow!("cannot start the plugin runtime: {e}"))?;
    let grants = Grants {
        allowed: Capability::ALL.into_iter().collect(),
        narrowed: false,
        http_hosts: Vec::new(),
    };
    let plugin = match runtime.load(&name, &wasm, &grants, Limits::default()).await {
        Ok(p) => p,
        Err(e) => {
            // One line per check: wasmtime's parse errors span several.
            let e = e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            line(false, "load", e);
            return Ok(ExitCode::FAILURE);
        }
    };
    let info = plugin.info();
    line(
        true,
        "plugin",
        format!("{} {}: {}", info.name, info.version, info.description),
    );
    let interfaces: Vec<&str> = plugin
        .imports()
        .iter()
        .map(String::as_str)
        .filter(|i| !matches!(Import::classify(i), Import::Wasi))
        .collect();
    line(true, "imports", interfaces.join(", "));
    let caps: Vec<&str> = plugin.capabilities().iter().map(|c| c.name()).collect();
    line(
        true,
        "grants",
        if caps.is_empty() {
            "none needed".into()
        } else {
            format!(
                "needs [plugin.{name}] grants = [{}]{} in wharf.toml",
                caps.iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                if plugin.capabilities().contains(&Capability::Http) {
                    " and http_hosts = [\"host:port\", ...]"
                } else {
                    ""
                }
            )
        },
    );
    match check_plugin_tools(&plugin, runtime.engines()) {
        Ok(()) => {
            let names: Vec<&str> = plugin.tools().iter().map(|t| t.name.as_str()).collect();
            line(
                true,
                "tools",
                format!("{}: {}", names.len(), names.join(", ")),
            );
        }
        Err(e) => line(false, "tools", e),
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

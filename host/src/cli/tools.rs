use crate::transport::result::to_mcp_tool;
use std::process::ExitCode;
use wharf_core::registry::Registry;

pub fn print(registry: &Registry, verbose: bool, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        let tools: Vec<_> = registry.tools().map(|(_, t)| to_mcp_tool(t)).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "tools": tools }))?
        );
        return Ok(exit(registry));
    }
    for plugin in registry.plugins() {
        let info = plugin.info();
        println!("{} {}: {}", info.name, info.version, info.description);
        if verbose {
            let caps: Vec<_> = plugin.capabilities().iter().map(|c| c.name()).collect();
            println!(
                "  capabilities: {}",
                if caps.is_empty() {
                    "none".into()
                } else {
                    caps.join(", ")
                }
            );
            for c in plugin.capabilities() {
                println!("    {}: {}", c.name(), c.describe());
            }
            let l = plugin.limits();
            println!(
                "  limits: memory {} MiB, call {} s, compute {} s",
                l.memory_bytes >> 20,
                l.call_timeout.as_secs(),
                l.compute.as_secs()
            );
        }
        for t in registry.tools_of(plugin) {
            let a = t.annotations;
            let mut hints = vec![if a.read_only {
                "read-only"
            } else if a.destructive {
                "destructive"
            } else {
                "write"
            }];
            if a.idempotent && !a.read_only {
                hints.push("idempotent");
            }
            if a.open_world {
                hints.push("open-world");
            }
            println!("  {:<22} [{}] {}", t.name, hints.join(", "), t.title);
            if verbose {
                println!("      {}", t.description);
            }
        }
    }
    let withheld: Vec<_> = registry.withheld().collect();
    if verbose {
        for (name, reason) in &withheld {
            println!("withheld {name}: {reason}");
        }
    } else if !withheld.is_empty() {
        let names: Vec<_> = withheld.iter().map(|(n, _)| *n).collect();
        println!("withheld by policy: {}", names.join(", "));
    }
    for f in registry.failed() {
        println!("{} (not loaded): {}", f.name, f.error);
    }
    Ok(exit(registry))
}

/// Non-zero when a plugin failed to load, so scripts notice.
fn exit(registry: &Registry) -> ExitCode {
    if registry.failed().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

use crate::transport::result::to_mcp_tool;
use std::process::ExitCode;
use wharf_core::registry::Registry;
use wharf_core::runtime::ToolDef;

/// What a tool costs a model's context before any call: its name, description and input
/// schema as the tools/list JSON carries them (keys, quotes and escapes included).
pub fn context_bytes(t: &ToolDef) -> usize {
    serde_json::json!({
        "name": t.name,
        "description": t.description,
        "inputSchema": t.input_schema,
    })
    .to_string()
    .len()
}

/// `bytes` as KB and estimated tokens (a token is about 4 bytes of English and JSON).
pub fn size(bytes: usize) -> String {
    format!(
        "{:.1} KB, about {:.1}k tokens",
        bytes as f64 / 1024.0,
        bytes as f64 / 4000.0
    )
}

/// The served tools' count and their cost to a model's context.
pub fn summary(registry: &Registry) -> String {
    let (count, bytes) = registry
        .tools()
        .fold((0, 0), |(n, b), (_, t)| (n + 1, b + context_bytes(t)));
    format!(
        "{count} tools served: {} (names, descriptions and input schemas)",
        size(bytes)
    )
}

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
        let tools: Vec<&ToolDef> = registry.tools_of(plugin).collect();
        let bytes: usize = tools.iter().map(|t| context_bytes(t)).sum();
        println!(
            "{} {}: {} ({} tools, {})",
            info.name,
            info.version,
            info.description,
            tools.len(),
            size(bytes)
        );
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
    println!("{}", summary(registry));
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

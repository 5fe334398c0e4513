//! MCP resources: read-only views of the engine a client can attach without a tool call.
//!
//! Every resource is served by calling a plugin's tool, so the plugins' capability grants and
//! output caps apply to resources too, and a resource whose tool is not served is simply
//! unavailable:
//!
//! | URI | tool |
//! |---|---|
//! | `docker://system/info` | `system_info` |
//! | `docker://containers/{id}/inspect` | `inspect_container` |
//! | `docker://containers/{id}/logs` | `get_container_logs`, last 100 lines |
//! | `docker://containers/{id}/stats` | `container_stats`, one reading |

use super::result::to_text;
use rmcp::ErrorData as McpError;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use wharf_core::policy::Unattended;
use wharf_core::registry::Registry;
use wharf_core::runtime::CallHooks;

const SYSTEM_INFO: &str = "docker://system/info";
const CONTAINERS: &str = "docker://containers/";
/// Running containers listed as resources; more are reachable through the templates.
const LISTED: u32 = 100;

/// What a container resource shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Inspect,
    Logs,
    Stats,
}

#[derive(Debug, PartialEq, Eq)]
enum Target {
    SystemInfo,
    Container(String, View),
}

fn parse(uri: &str) -> Option<Target> {
    if uri == SYSTEM_INFO {
        return Some(Target::SystemInfo);
    }
    let (id, view) = uri.strip_prefix(CONTAINERS)?.split_once('/')?;
    let view = match view {
        "inspect" => View::Inspect,
        "logs" => View::Logs,
        "stats" => View::Stats,
        _ => return None,
    };
    let valid = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    valid.then(|| Target::Container(id.to_owned(), view))
}

pub fn templates() -> Vec<ResourceTemplate> {
    let t = |view: &str, title: &str, about: &str| {
        ResourceTemplate::new(
            format!("{CONTAINERS}{{id}}/{view}"),
            format!("container-{view}"),
        )
        .with_title(title)
        .with_description(about)
        .with_mime_type("text/plain")
    };
    vec![
        t(
            "inspect",
            "Container summary",
            "Configuration and state of a container (name or id), env values redacted.",
        ),
        t(
            "logs",
            "Container logs",
            "The last 100 lines of a container's logs.",
        ),
        t(
            "stats",
            "Container stats",
            "One reading of a container's CPU, memory, network and block I/O, PIDs.",
        ),
    ]
}

fn hooks(cancel: &CancellationToken) -> CallHooks {
    CallHooks {
        cancel: cancel.clone(),
        ..Default::default()
    }
}

/// The engine's info, and each running container (its summary).
pub async fn list(
    registry: &Registry,
    cancel: &CancellationToken,
) -> Result<Vec<Resource>, McpError> {
    let mut resources = Vec::new();
    if registry.find("system_info").is_some() {
        resources.push(
            Resource::new(SYSTEM_INFO, "system-info")
                .with_title("Docker engine")
                .with_description("Engine version, host, CPUs, memory, storage, counts.")
                .with_mime_type("text/plain"),
        );
    }
    if registry.find("list_containers").is_none() || registry.find("inspect_container").is_none() {
        return Ok(resources);
    }
    let args = json!({"limit": LISTED});
    let listed = registry
        .call(
            "list_containers",
            args.as_object(),
            hooks(cancel),
            &Unattended,
        )
        .await;
    // An engine that is down lists no containers rather than failing the whole list.
    let rows = match listed {
        Ok(out) => out
            .structured
            .and_then(|s| s.get("containers").cloned())
            .and_then(|c| c.as_array().cloned())
            .unwrap_or_default(),
        Err(e) => {
            tracing::warn!("resources/list: cannot list containers: {e}");
            Vec::new()
        }
    };
    for row in rows {
        let (Some(name), Some(image)) = (row["name"].as_str(), row["image"].as_str()) else {
            continue;
        };
        resources.push(
            Resource::new(format!("{CONTAINERS}{name}/inspect"), name)
                .with_title(format!("Container {name}"))
                .with_description(format!(
                    "{image}, {}",
                    row["status"].as_str().unwrap_or("running")
                ))
                .with_mime_type("text/plain"),
        );
    }
    Ok(resources)
}

pub async fn read(
    registry: &Registry,
    uri: &str,
    cancel: &CancellationToken,
) -> Result<ReadResourceResult, McpError> {
    let not_found = || {
        McpError::resource_not_found(
            format!(
                "no such resource `{uri}`: wharf serves {SYSTEM_INFO} and \
                 {CONTAINERS}{{id}}/inspect, /logs and /stats"
            ),
            None,
        )
    };
    let (tool, args): (&str, Value) = match parse(uri).ok_or_else(not_found)? {
        Target::SystemInfo => ("system_info", json!({})),
        Target::Container(id, View::Inspect) => ("inspect_container", json!({"container": id})),
        Target::Container(id, View::Logs) => {
            ("get_container_logs", json!({"container": id, "tail": 100}))
        }
        Target::Container(id, View::Stats) => ("container_stats", json!({"containers": [id]})),
    };
    if let Some(reason) = registry.unserved(tool) {
        return Err(McpError::resource_not_found(
            format!("`{uri}` needs the `{tool}` tool: {reason}"),
            None,
        ));
    }
    let text = to_text(
        registry
            .call(tool, args.as_object(), hooks(cancel), &Unattended)
            .await,
    )
    .map_err(|e| McpError::resource_not_found(format!("`{uri}`: {e}"), None))?;
    Ok(ReadResourceResult::new(vec![ResourceContents::text(
        text, uri,
    )]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse_and_reject_the_rest() {
        assert_eq!(parse(SYSTEM_INFO), Some(Target::SystemInfo));
        assert_eq!(
            parse("docker://containers/web-1/logs"),
            Some(Target::Container("web-1".into(), View::Logs))
        );
        for bad in [
            "docker://containers//logs",
            "docker://containers/web/files",
            "docker://containers/../x/logs",
            "docker://containers/a/b/logs",
            "file:///etc/passwd",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

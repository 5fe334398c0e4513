//! `compose_ps`: a project's containers, found by label.

use crate::state;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PsArgs {
    #[serde(rename = "project_name")]
    project: String,
    /// Only these services.
    #[serde(default)]
    services: Vec<String>,
    /// compose_run's containers too.
    #[serde(default)]
    oneoff: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PsRow {
    name: String,
    service: String,
    state: String,
    status: String,
    /// `host:port->port/proto`, or `port/proto` when not published.
    ports: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PsOutput {
    containers: Vec<PsRow>,
}

pub fn compose_ps(a: PsArgs, _: &Context) -> ToolResult<Output> {
    let rows: Vec<PsRow> = state::containers(&a.project, a.oneoff)?
        .into_iter()
        .filter(|m| a.services.is_empty() || a.services.contains(&m.service))
        .map(|m| {
            let mut ports: Vec<String> = m
                .summary
                .ports
                .iter()
                .map(|p| match p.public_port {
                    Some(pub_) => format!(
                        "{}:{pub_}->{}/{}",
                        p.ip.as_deref().unwrap_or("0.0.0.0"),
                        p.private_port,
                        p.protocol
                    ),
                    None => format!("{}/{}", p.private_port, p.protocol),
                })
                .collect();
            ports.dedup();
            PsRow {
                name: m.name,
                service: if m.oneoff {
                    format!("{} (one-off)", m.service)
                } else {
                    m.service
                },
                state: m.summary.state,
                status: m.summary.status,
                ports,
            }
        })
        .collect();
    let mut text = if rows.is_empty() {
        format!("project {}: no containers\n", a.project)
    } else {
        format!("project {}: {} containers\n", a.project, rows.len())
    };
    for r in &rows {
        text.push_str(&format!(
            "{}  {}  {}  {}",
            r.name, r.service, r.state, r.status
        ));
        if !r.ports.is_empty() {
            text.push_str(&format!("  {}", r.ports.join(", ")));
        }
        text.push('\n');
    }
    Ok(Output::structured(text, &PsOutput { containers: rows }))
}

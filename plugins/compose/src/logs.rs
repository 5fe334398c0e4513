//! `compose_logs`: the logs of a project's containers merged in time order, each line
//! prefixed with its container's service and number, as `docker compose logs` shows them.

use crate::state;
use wharf_plugin_sdk::docker::containers_read::{self, LogOptions};
use wharf_plugin_sdk::logs::{LogLines, read_timed};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

wharf_plugin_sdk::log_args! {
    pub struct LogsArgs {
        #[serde(rename = "project_name")]
        project: String,
        /// Default: all.
        #[serde(default)]
        services: Vec<String>,
    }
    tail = "Last N lines per container (default 100; 0: all).";
}

pub fn compose_logs(a: LogsArgs, ctx: &Context) -> ToolResult<Output> {
    let q = a.log_query()?;
    let members: Vec<_> = state::containers(&a.project, false)?
        .into_iter()
        .filter(|m| a.services.is_empty() || a.services.contains(&m.service))
        .collect();
    if members.is_empty() {
        return Err(ToolError::not_found(format!(
            "project {} has no containers{}",
            a.project,
            if a.services.is_empty() {
                String::new()
            } else {
                format!(" of {}", a.services.join(", "))
            }
        )));
    }
    let width = members
        .iter()
        .map(|m| m.service.len() + m.number.to_string().len() + 1)
        .max()
        .unwrap_or(0);
    let mut parts = Vec::new();
    for m in &members {
        let stream = containers_read::logs(
            &m.id,
            LogOptions {
                stdout: true,
                stderr: true,
                since: q.since,
                until: None,
                tail: q.tail,
                // Always asked for: they order the merge; shown only if the call wants them.
                timestamps: true,
            },
        )
        .map_err(|e| ToolError::from(e).context(format!("logs of {}", m.name)))?;
        let prefix = format!("{:<width$} | ", format!("{}-{}", m.service, m.number));
        let mut lines = LogLines::new(&q, true);
        read_timed(&stream, ctx, &mut lines, &prefix, a.timestamps)?;
        parts.push(lines);
    }
    let merged = LogLines::merge(parts, &q);
    Ok(Output::text(
        merged.render(&format!("project {}", a.project)),
    ))
}

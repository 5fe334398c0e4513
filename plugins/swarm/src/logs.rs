//! `service_logs`: the logs of a service's tasks, fetched by the swarm from whichever node
//! each ran on, merged in time order with each line prefixed by its task (`web.2 | `), as
//! `docker service logs` shows them.

use crate::rows::{self, text};
use crate::services::service_json;
use serde_json::Value;
use wharf_plugin_sdk::docker::swarm_read::{self, TaskLogOptions};
use wharf_plugin_sdk::logs::{LogLines, read_timed};
use wharf_plugin_sdk::{
    Context, ErrorKind, Filters, Hints, Output, ToolError, ToolResult, Toolbox,
};

pub fn tools(t: Toolbox) -> Toolbox {
    t.tool(
        "service_logs",
        "Swarm service logs",
        "A service's logs from all its tasks, on every node, merged in time order and \
         prefixed with the task (web.2 |); tail per task, since, grep, timestamps, capped by \
         max_bytes.",
        Hints::read_only(),
        service_logs,
    )
}

wharf_plugin_sdk::log_args! {
    pub struct LogsArgs {
        /// Service name or id.
        service: String,
        /// Also the tasks that ended (replaced, failed); by default the running ones.
        #[serde(default)]
        all_tasks: bool,
    }
    tail = "Last N lines per task (default 100; 0: all).";
}

/// A task that ran a container: one that never started has no log.
fn started(task: &Value) -> bool {
    !text(&task["Status"]["ContainerStatus"]["ContainerID"]).is_empty()
}

pub fn service_logs(a: LogsArgs, ctx: &Context) -> ToolResult<Output> {
    let q = a.log_query()?;
    let svc = service_json(&a.service)?;
    let name = text(&svc["Spec"]["Name"]).to_owned();
    let mut filters = Filters::new().opt("service", Some(text(&svc["ID"])));
    if !a.all_tasks {
        filters = filters.opt("desired-state", Some("running"));
    }
    let tasks: Vec<Value> = rows::array(&swarm_read::list_tasks(filters.as_slice())?)?
        .into_iter()
        .filter(started)
        .collect();
    if tasks.is_empty() {
        return Err(ToolError::not_found(format!(
            "service {name} has no {}tasks that started; service_tasks shows why",
            if a.all_tasks { "" } else { "running " }
        )));
    }
    let names: Vec<String> = tasks.iter().map(|t| rows::task_name(t, &name)).collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let mut parts = Vec::new();
    let mut missing = Vec::new();
    for (task, task_name) in tasks.iter().zip(&names) {
        let prefix = format!("{task_name:<width$} | ");
        let mut lines = LogLines::new(&q, true);
        let read = swarm_read::task_logs(
            text(&task["ID"]),
            TaskLogOptions {
                stdout: true,
                stderr: true,
                since: q.since,
                tail: q.tail,
                // Always asked for: they order the merge; shown only if the call wants them.
                timestamps: true,
            },
        )
        .map_err(ToolError::from)
        .and_then(|stream| read_timed(&stream, ctx, &mut lines, &prefix, a.timestamps));
        match read {
            Ok(()) => parts.push(lines),
            Err(e) if e.kind == ErrorKind::Cancelled => return Err(e),
            // One node that cannot be reached costs its tasks' lines, not the others'.
            Err(e) => {
                missing.push(format!("{task_name}: {}", e.message));
                parts.push(lines);
            }
        }
    }
    let merged = LogLines::merge(parts, &q);
    let mut out = merged.render(&format!("service {name}"));
    for m in missing {
        out.push_str(&format!("\n(no log from {m})"));
    }
    Ok(Output::text(out))
}

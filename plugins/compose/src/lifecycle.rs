//! `compose_start`, `compose_stop`, `compose_restart`: a project's existing containers, all
//! of them or some services', found by label.

use crate::state::{self, Member};
use crate::up::STOP_TIMEOUT;
use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::docker::containers_write;
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleArgs {
    #[serde(rename = "project_name")]
    project: String,
    /// Default: all.
    #[serde(default)]
    services: Vec<String>,
    /// Before SIGKILL (default 10).
    #[serde(default)]
    timeout_secs: Option<u32>,
}

#[derive(Clone, Copy, PartialEq)]
enum Verb {
    Start,
    Stop,
    Restart,
}

fn targets(a: &LifecycleArgs) -> ToolResult<Vec<Member>> {
    let all = state::containers(&a.project, false)?;
    if all.is_empty() {
        return Err(ToolError::not_found(format!(
            "project {} has no containers; compose_up creates them",
            a.project
        )));
    }
    for s in &a.services {
        if !all.iter().any(|m| &m.service == s) {
            return Err(ToolError::not_found(format!(
                "project {} has no containers of service {s}",
                a.project
            )));
        }
    }
    Ok(all
        .into_iter()
        .filter(|m| a.services.is_empty() || a.services.contains(&m.service))
        .collect())
}

fn run(a: LifecycleArgs, verb: Verb, ctx: &Context) -> ToolResult<Output> {
    let timeout = Some(a.timeout_secs.unwrap_or(STOP_TIMEOUT));
    let members = targets(&a)?;
    let mut lines = Vec::new();
    for (i, m) in members.iter().enumerate() {
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        let done = match verb {
            Verb::Start if m.running() => "already running",
            Verb::Start => { containers_write::start(&m.id).map(|_| "started") }
                .map_err(|e| ToolError::from(e).context(format!("start {}", m.name)))?,
            Verb::Stop if !m.running() => "already stopped",
            Verb::Stop => containers_write::stop(&m.id, timeout)
                .map(|_| "stopped")
                .map_err(|e| ToolError::from(e).context(format!("stop {}", m.name)))?,
            Verb::Restart => containers_write::restart(&m.id, timeout)
                .map(|_| "restarted")
                .map_err(|e| ToolError::from(e).context(format!("restart {}", m.name)))?,
        };
        ctx.progress(
            i as u64 + 1,
            Some(members.len() as u64),
            &format!("{}: {done}", m.name),
        );
        lines.push(format!("{}: {done}", m.name));
    }
    Ok(Output::text(format!(
        "project {}\n{}\n",
        a.project,
        lines.join("\n")
    )))
}

pub fn compose_start(a: LifecycleArgs, ctx: &Context) -> ToolResult<Output> {
    run(a, Verb::Start, ctx)
}

pub fn compose_stop(a: LifecycleArgs, ctx: &Context) -> ToolResult<Output> {
    run(a, Verb::Stop, ctx)
}

pub fn compose_restart(a: LifecycleArgs, ctx: &Context) -> ToolResult<Output> {
    run(a, Verb::Restart, ctx)
}

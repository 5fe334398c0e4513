//! `compose_exec`: a command in one of a service's running containers.

use crate::state;
use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::exec::{self, Command, Options};
use wharf_plugin_sdk::{Context, ErrorKind, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecArgs {
    #[serde(rename = "project_name")]
    project: String,
    service: String,
    /// Default 1.
    #[serde(default)]
    index: Option<u32>,
    /// An argv list, or a string for /bin/sh -c.
    command: Command,
    /// Name or uid[:gid].
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    workdir: Option<String>,
    /// Default 30, at most 600.
    #[serde(default)]
    timeout_secs: Option<u32>,
}

pub fn compose_exec(a: ExecArgs, _: &Context) -> ToolResult<Output> {
    let index = a.index.unwrap_or(1);
    let members = state::containers(&a.project, false)?;
    let Some(m) = members
        .iter()
        .find(|m| m.service == a.service && m.number == index)
    else {
        return Err(ToolError::not_found(format!(
            "project {} has no container {index} of service {}",
            a.project, a.service
        )));
    };
    if !m.running() {
        return Err(ToolError::new(
            ErrorKind::Conflict,
            format!("{} is {}; compose_start starts it", m.name, m.summary.state),
        ));
    }
    let text = exec::run(
        &m.id,
        a.command,
        Options {
            user: a.user,
            workdir: a.workdir,
            timeout_secs: a.timeout_secs,
            ..Default::default()
        },
    )?;
    Ok(Output::text(format!("{}: {text}", m.name)))
}

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use wharf_plugin_sdk::exec::{self, Command, Options};
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecArgs {
    container: String,
    /// `["ls", "-l", "/"]`, or a string run with /bin/sh -c.
    command: Command,
    /// Extra environment variables.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Working directory for the command.
    #[serde(default)]
    workdir: Option<String>,
    /// User (name or uid[:gid]) to run as.
    #[serde(default)]
    user: Option<String>,
    /// Stop waiting after this many seconds (default 30, at most 600).
    #[serde(default)]
    timeout_secs: Option<u32>,
    /// Cap on the bytes kept of each of stdout and stderr (default 16384, at most 262144).
    #[serde(default)]
    max_bytes: Option<u32>,
}

pub fn exec_container(a: ExecArgs, _ctx: &Context) -> ToolResult<Output> {
    let text = exec::run(
        &a.container,
        a.command,
        Options {
            env: a.env,
            workdir: a.workdir,
            user: a.user,
            timeout_secs: a.timeout_secs,
            max_bytes: a.max_bytes,
        },
    )?;
    Ok(Output::text(text))
}

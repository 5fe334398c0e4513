use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use wharf_plugin_sdk::exec::{self, Command, Options};
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecArgs {
    container: String,
    /// An argv list, or a string for /bin/sh -c.
    command: Command,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    workdir: Option<String>,
    /// Name or uid[:gid].
    #[serde(default)]
    user: Option<String>,
    /// Default 30, at most 600.
    #[serde(default)]
    timeout_secs: Option<u32>,
    /// Of stdout and of stderr each (default 16384, at most 262144).
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

//! Start, stop, restart, pause, unpause, kill, remove and rename: one Docker call each.

use crate::args::ContainerArg;
use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::docker::{containers_read, containers_write};
use wharf_plugin_sdk::plan::{self, Planned, Removal};
use wharf_plugin_sdk::{Context, Hints, Output, ToolResult, Toolbox};

pub fn register(t: Toolbox) -> Toolbox {
    t.tool(
        "start_container",
        "Start a container",
        "Start a created or stopped container.",
        Hints::write().idempotent(),
        start,
    )
    .tool(
        "stop_container",
        "Stop a container",
        "Stop a running container: SIGTERM, then SIGKILL after timeout_secs.",
        Hints::write().idempotent(),
        stop,
    )
    .tool(
        "restart_container",
        "Restart a container",
        "Stop (SIGTERM, SIGKILL after timeout_secs) and start a container again.",
        Hints::write(),
        restart,
    )
    .tool(
        "pause_container",
        "Pause a container",
        "Freeze all processes of a running container.",
        Hints::write().idempotent(),
        pause,
    )
    .tool(
        "unpause_container",
        "Unpause a container",
        "Resume a paused container.",
        Hints::write().idempotent(),
        unpause,
    )
    .tool(
        "kill_container",
        "Kill a container",
        "Send a signal to a running container's main process.",
        Hints::destructive(),
        kill,
    )
    .tool(
        "remove_container",
        "Remove a container",
        "Delete a container (a running one needs force).",
        Hints::destructive(),
        remove,
    )
    .tool(
        "rename_container",
        "Rename a container",
        "Give a container a new name.",
        Hints::write(),
        rename,
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopArgs {
    container: String,
    /// Before SIGKILL (default 10).
    #[serde(default)]
    timeout_secs: Option<u32>,
    /// Change nothing; under `plan`, the container if stopping removes it.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartArgs {
    container: String,
    /// Before SIGKILL (default 10).
    #[serde(default)]
    timeout_secs: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KillArgs {
    container: String,
    /// e.g. SIGTERM, HUP, 9 (default SIGKILL).
    #[serde(default)]
    signal: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveArgs {
    container: String,
    /// Also a running one.
    #[serde(default)]
    force: bool,
    /// Also its anonymous volumes.
    #[serde(default)]
    volumes: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameArgs {
    container: String,
    new_name: String,
}

fn done(what: &str, container: &str) -> ToolResult<Output> {
    Ok(Output::text(format!("{what} {container}")))
}

fn start(a: ContainerArg, _: &Context) -> ToolResult<Output> {
    containers_write::start(&a.container)?;
    done("started", &a.container)
}

fn stop(a: StopArgs, _: &Context) -> ToolResult<Output> {
    if a.dry_run {
        return stop_plan(&a.container);
    }
    containers_write::stop(&a.container, a.timeout_secs)?;
    done("stopped", &a.container)
}

/// A stop's dry run: the engine removes a container started with auto-remove once it
/// stops, so that stop is planned as its removal.
fn stop_plan(container: &str) -> ToolResult<Output> {
    let found: serde_json::Value = serde_json::from_str(&containers_read::inspect(container)?)?;
    let name = found["Name"].as_str().unwrap_or(container);
    let name = name.trim_start_matches('/');
    // As the host judges it: a container started with auto-remove counts as removed by a
    // stop, running or not.
    let removes = found["HostConfig"]["AutoRemove"].as_bool() == Some(true);
    let (text, plan) = match removes {
        false => (format!("stopping {name} keeps it"), vec![]),
        true => (
            format!("stopping {name} would remove it: it was started with auto-remove"),
            vec![Planned::new(
                Removal::Remove,
                "container",
                name,
                found["Id"].as_str(),
            )],
        ),
    };
    Ok(plan::dry_run(text, plan))
}

fn restart(a: RestartArgs, _: &Context) -> ToolResult<Output> {
    containers_write::restart(&a.container, a.timeout_secs)?;
    done("restarted", &a.container)
}

fn pause(a: ContainerArg, _: &Context) -> ToolResult<Output> {
    containers_write::pause(&a.container)?;
    done("paused", &a.container)
}

fn unpause(a: ContainerArg, _: &Context) -> ToolResult<Output> {
    containers_write::unpause(&a.container)?;
    done("unpaused", &a.container)
}

fn kill(a: KillArgs, _: &Context) -> ToolResult<Output> {
    containers_write::kill(&a.container, a.signal.as_deref())?;
    done(
        &format!("sent {} to", a.signal.as_deref().unwrap_or("SIGKILL")),
        &a.container,
    )
}

fn remove(a: RemoveArgs, _: &Context) -> ToolResult<Output> {
    containers_write::remove(&a.container, a.force, a.volumes)?;
    done("removed", &a.container)
}

fn rename(a: RenameArgs, _: &Context) -> ToolResult<Output> {
    containers_write::rename(&a.container, &a.new_name)?;
    Ok(Output::text(format!(
        "renamed {} to {}",
        a.container, a.new_name
    )))
}

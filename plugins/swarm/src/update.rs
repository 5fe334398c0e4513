//! Changing a running service: update (a rolling update of its tasks), scale, rollback.
//! Each reads the service's spec and version, changes what was asked, sends it back, and
//! waits until the swarm has converged on it.

use crate::converge::{self, Goal};
use crate::rows::text;
use crate::services::service_json;
use crate::spec::{UpdatePolicy, env_list};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::swarm_write;
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Context, Hints, Output, ToolError, ToolResult, Toolbox};

pub fn tools(t: Toolbox) -> Toolbox {
    t.tool(
        "update_service",
        "Update a swarm service",
        "Change a service's image, command, env, replicas or update policy, or force its \
         tasks to restart; the swarm replaces tasks as the update policy says. Waits until \
         the update converges, with progress.",
        Hints::write(),
        update_service,
    )
    .tool(
        "scale_service",
        "Scale a swarm service",
        "Set a replicated service's replica count and wait until that many tasks run.",
        Hints::write().idempotent(),
        scale_service,
    )
    .tool(
        "rollback_service",
        "Roll back a swarm service",
        "Return a service to the spec it had before its last update, and wait until the \
         rollback converges.",
        Hints::write(),
        rollback_service,
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// Service name or id.
    service: String,
    /// A new image reference.
    #[serde(default)]
    image: Option<String>,
    /// A new command and arguments (an empty list goes back to the image's CMD).
    #[serde(default)]
    command: Option<Vec<String>>,
    /// Environment variables to add or change.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Environment variables to remove.
    #[serde(default)]
    env_remove: Vec<String>,
    /// A new replica count (replicated services).
    #[serde(default)]
    replicas: Option<u64>,
    /// Replace the tasks even if nothing else changes.
    #[serde(default)]
    force: bool,
    /// Change how this and later updates roll out.
    #[serde(default)]
    update_config: Option<UpdatePolicy>,
    /// Wait until the update converges (default true).
    #[serde(default = "yes")]
    wait: bool,
    /// How long to wait (default 60, at most 600).
    #[serde(default)]
    wait_secs: Option<u32>,
}

fn yes() -> bool {
    true
}

/// The service's spec and version, read for a change.
struct Current {
    id: String,
    name: String,
    version: u64,
    spec: Value,
    update_started: Option<String>,
    has_previous: bool,
}

fn current(service: &str) -> ToolResult<Current> {
    let s = service_json(service)?;
    Ok(Current {
        id: text(&s["ID"]).to_owned(),
        name: text(&s["Spec"]["Name"]).to_owned(),
        version: s["Version"]["Index"]
            .as_u64()
            .ok_or_else(|| ToolError::failed("the engine gave the service no version"))?,
        update_started: s["UpdateStatus"]["StartedAt"].as_str().map(str::to_owned),
        has_previous: !s["PreviousSpec"].is_null(),
        spec: s["Spec"].clone(),
    })
}

/// Set the replica count of a replicated service's spec.
fn set_replicas(spec: &mut Value, n: u64) -> ToolResult<()> {
    if spec["Mode"].get("Replicated").is_none() {
        return Err(ToolError::invalid(
            "the service is global (one task per node): it has no replica count",
        ));
    }
    spec["Mode"]["Replicated"]["Replicas"] = json!(n);
    Ok(())
}

/// `env` set and `remove` removed, keeping the order of what stays.
fn edit_env(current: &Value, env: &BTreeMap<String, String>, remove: &[String]) -> Vec<String> {
    let mut out: Vec<String> = current
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|e| {
            let key = e.split('=').next().unwrap_or(e);
            !env.contains_key(key) && !remove.iter().any(|r| r == key)
        })
        .map(str::to_owned)
        .collect();
    out.extend(env_list(env));
    out
}

/// Send the changed spec, then wait as asked.
fn apply(
    c: &Current,
    spec: &Value,
    rollback: bool,
    wait: Option<u32>,
    ctx: &Context,
) -> ToolResult<String> {
    let template_changed = rollback || spec["TaskTemplate"] != c.spec["TaskTemplate"];
    let warnings = swarm_write::update_service(&c.id, c.version, &spec.to_string(), rollback)
        .map_err(|e| ToolError::from(e).context(format!("service {}", c.name)))?;
    let mut text = format!("service {} ({})", c.name, short_id(&c.id));
    text.push_str(if rollback {
        ": rollback started"
    } else {
        ": updated"
    });
    for w in warnings {
        text.push_str(&format!("\nwarning: {w}"));
    }
    if let Some(secs) = wait {
        let goal = Goal {
            service: c.id.clone(),
            update_from: template_changed.then(|| c.update_started.clone()),
            rollback,
        };
        text.push_str(&format!("; {}", converge::wait(&goal, secs, ctx)?));
    }
    Ok(text)
}

fn wait_for(wait: bool, secs: Option<u32>) -> Option<u32> {
    wait.then(|| secs.unwrap_or(converge::DEFAULT_WAIT_SECS))
}

pub fn update_service(a: UpdateArgs, ctx: &Context) -> ToolResult<Output> {
    let c = current(&a.service)?;
    let mut spec = c.spec.clone();
    let container = &mut spec["TaskTemplate"]["ContainerSpec"];
    if let Some(image) = &a.image {
        container["Image"] = json!(image);
    }
    if let Some(command) = &a.command {
        match command.is_empty() {
            true => {
                if let Some(o) = container.as_object_mut() {
                    o.remove("Args");
                }
            }
            false => container["Args"] = json!(command),
        }
    }
    if !a.env.is_empty() || !a.env_remove.is_empty() {
        container["Env"] = json!(edit_env(&container["Env"], &a.env, &a.env_remove));
    }
    if let Some(n) = a.replicas {
        set_replicas(&mut spec, n)?;
    }
    if a.force {
        let n = spec["TaskTemplate"]["ForceUpdate"].as_u64().unwrap_or(0);
        spec["TaskTemplate"]["ForceUpdate"] = json!(n + 1);
    }
    if let Some(u) = &a.update_config {
        spec["UpdateConfig"] = u.apply(&spec["UpdateConfig"], "update_config")?;
    }
    if spec == c.spec {
        return Err(ToolError::invalid(
            "nothing to change: give image, command, env, env_remove, replicas, force or \
             update_config",
        ));
    }
    let text = apply(&c, &spec, false, wait_for(a.wait, a.wait_secs), ctx)?;
    Ok(Output::text(text))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleArgs {
    /// Service name or id.
    service: String,
    /// Tasks to run (0 stops them all, keeping the service).
    replicas: u64,
    /// Wait until that many run (default true).
    #[serde(default = "yes")]
    wait: bool,
    /// How long to wait (default 60, at most 600).
    #[serde(default)]
    wait_secs: Option<u32>,
}

pub fn scale_service(a: ScaleArgs, ctx: &Context) -> ToolResult<Output> {
    let c = current(&a.service)?;
    let mut spec = c.spec.clone();
    set_replicas(&mut spec, a.replicas)?;
    if spec == c.spec {
        return Ok(Output::text(format!(
            "service {} already has {} replicas",
            c.name, a.replicas
        )));
    }
    let text = apply(&c, &spec, false, wait_for(a.wait, a.wait_secs), ctx)?;
    Ok(Output::text(text))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackArgs {
    /// Service name or id.
    service: String,
    /// Wait until the rollback converges (default true).
    #[serde(default = "yes")]
    wait: bool,
    /// How long to wait (default 60, at most 600).
    #[serde(default)]
    wait_secs: Option<u32>,
}

pub fn rollback_service(a: RollbackArgs, ctx: &Context) -> ToolResult<Output> {
    let c = current(&a.service)?;
    if !c.has_previous {
        return Err(ToolError::invalid(format!(
            "service {} has not been updated, so there is no earlier spec to go back to",
            c.name
        )));
    }
    let text = apply(&c, &c.spec, true, wait_for(a.wait, a.wait_secs), ctx)?;
    Ok(Output::text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_edits_keep_the_rest_in_order() {
        let current = json!(["A=1", "B=2", "C=3"]);
        let set = BTreeMap::from([
            ("B".to_owned(), "20".to_owned()),
            ("D".to_owned(), "4".to_owned()),
        ]);
        assert_eq!(
            edit_env(&current, &set, &["C".to_owned()]),
            ["A=1", "B=20", "D=4"]
        );
        assert_eq!(edit_env(&Value::Null, &set, &[]), ["B=20", "D=4"]);
    }

    #[test]
    fn only_replicated_services_scale() {
        let mut replicated = json!({"Mode": {"Replicated": {"Replicas": 1}}});
        set_replicas(&mut replicated, 3).unwrap();
        assert_eq!(replicated["Mode"]["Replicated"]["Replicas"], 3);
        let mut global = json!({"Mode": {"Global": {}}});
        assert!(
            set_replicas(&mut global, 3)
                .unwrap_err()
                .message
                .contains("global")
        );
    }
}

//! Services: list, inspect, create, remove, and their tasks. Updates live in `update`,
//! logs in `logs`.

use crate::converge::{self, Goal};
use crate::rows::{self, ListArgs, text};
use crate::spec::{self, CreateArgs};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::{swarm_read, swarm_write};
use wharf_plugin_sdk::redact;
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Context, Filters, Hints, Output, ToolError, ToolResult, Toolbox};

pub fn tools(t: Toolbox) -> Toolbox {
    let t = t
        .tool(
            "list_services",
            "List swarm services",
            "Services as compact rows: name, mode, replicas running/desired, image, ports; \
             filter by name or label.",
            Hints::read_only(),
            list_services,
        )
        .output::<ListOutput>()
        .tool(
            "inspect_service",
            "Inspect a swarm service",
            "A service's image, command, env names (values redacted), mode and replicas, \
             ports, networks, mounts, secrets, configs, constraints, resources, update \
             policy and status; full=true gives Docker's JSON (env values redacted).",
            Hints::read_only(),
            inspect_service,
        )
        .tool(
            "service_tasks",
            "Swarm service tasks",
            "Where each of a service's tasks runs, its desired and current state, and its \
             error (docker service ps); `all` adds the tasks that ended.",
            Hints::read_only(),
            service_tasks,
        )
        .tool(
            "create_service",
            "Create a swarm service",
            "Run an image as a service: replicas or global, command, env, ports (ingress or \
             host), networks, mounts, secrets, configs, constraints, resources, restart and \
             update policy, labels. Waits until the tasks run, with progress.",
            Hints::write(),
            create_service,
        );
    let t = crate::update::tools(t);
    let t = crate::logs::tools(t);
    t.tool(
        "remove_service",
        "Remove a swarm service",
        "Delete a service: its tasks stop on every node.",
        Hints::destructive(),
        remove_service,
    )
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Row {
    id: String,
    name: String,
    mode: String,
    /// Running tasks out of desired, e.g. 2/3.
    replicas: String,
    image: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ListOutput {
    services: Vec<Row>,
}

fn row(s: &Value) -> Row {
    let status = &s["ServiceStatus"];
    let desired = status["DesiredTasks"]
        .as_u64()
        .or_else(|| rows::replicas(&s["Spec"]))
        .unwrap_or(0);
    let running = status["RunningTasks"]
        .as_u64()
        .map_or_else(|| "?".to_owned(), |n| n.to_string());
    Row {
        id: short_id(text(&s["ID"])).to_owned(),
        name: text(&s["Spec"]["Name"]).to_owned(),
        mode: rows::mode(&s["Spec"]).to_owned(),
        replicas: format!("{running}/{desired}"),
        image: rows::image(&s["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]).to_owned(),
        ports: rows::ports(s),
    }
}

pub fn list_services(a: ListArgs, _: &Context) -> ToolResult<Output> {
    services_output(&a.filters())
}

/// The services `filters` select, as rows.
pub(crate) fn services_output(filters: &Filters) -> ToolResult<Output> {
    let mut services: Vec<Row> = rows::array(&swarm_read::list_services(filters.as_slice())?)?
        .iter()
        .map(row)
        .collect();
    services.sort_by(|x, y| x.name.cmp(&y.name));
    let mut text = if services.is_empty() {
        "No services.".to_owned()
    } else {
        "ID | NAME | MODE | REPLICAS | IMAGE | PORTS\n".to_owned()
    };
    for s in &services {
        text.push_str(&format!(
            "{} | {} | {} | {} | {} | {}\n",
            s.id,
            s.name,
            s.mode,
            s.replicas,
            s.image,
            s.ports.join(", ")
        ));
    }
    Ok(Output::structured(text, &ListOutput { services }))
}

/// A service's JSON, by id or name.
pub fn service_json(service: &str) -> ToolResult<Value> {
    Ok(serde_json::from_str(&swarm_read::inspect_service(
        service,
    )?)?)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectArgs {
    /// Service name or id.
    service: String,
    /// Return Docker's whole JSON (env values redacted) instead of the summary.
    #[serde(default)]
    full: bool,
}

const ENV_POINTERS: [&str; 2] = [
    "/Spec/TaskTemplate/ContainerSpec/Env",
    "/PreviousSpec/TaskTemplate/ContainerSpec/Env",
];

pub fn inspect_service(a: InspectArgs, _: &Context) -> ToolResult<Output> {
    let mut s = service_json(&a.service)?;
    redact::env_at(&mut s, &ENV_POINTERS);
    let shown = if a.full { s } else { summarize(&s) };
    Ok(Output {
        text: serde_json::to_string_pretty(&shown)?,
        structured: Some(shown),
    })
}

fn summarize(s: &Value) -> Value {
    let spec = &s["Spec"];
    let task = &spec["TaskTemplate"];
    let c = &task["ContainerSpec"];
    let r = row(s);
    let names = |items: &Value, key: &str| -> Vec<String> {
        items
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| text(&i[key]).to_owned())
            .collect()
    };
    let mounts: Vec<String> = c["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let ro = if m["ReadOnly"] == true { ":ro" } else { "" };
            match text(&m["Type"]) {
                "tmpfs" => format!("tmpfs:{}", text(&m["Target"])),
                kind => format!("{kind} {}:{}{ro}", text(&m["Source"]), text(&m["Target"])),
            }
        })
        .collect();
    let mut out = json!({
        "id": text(&s["ID"]),
        "name": r.name,
        "image": text(&c["Image"]),
        "mode": r.mode,
        "replicas": r.replicas,
        "created": text(&s["CreatedAt"]),
        "updated": text(&s["UpdatedAt"]),
    });
    let o = out.as_object_mut().expect("an object");
    let mut put = |k: &str, v: Value| {
        let empty = v.is_null()
            || v.as_array().is_some_and(Vec::is_empty)
            || v.as_object().is_some_and(serde_json::Map::is_empty)
            || v.as_str().is_some_and(str::is_empty);
        if !empty {
            o.insert(k.to_owned(), v);
        }
    };
    put("entrypoint", c["Command"].clone());
    put("command", c["Args"].clone());
    put("env", c["Env"].clone());
    put("ports", json!(r.ports));
    put("networks", json!(names(&task["Networks"], "Target")));
    put("mounts", json!(mounts));
    put("secrets", json!(names(&c["Secrets"], "SecretName")));
    put("configs", json!(names(&c["Configs"], "ConfigName")));
    put("constraints", task["Placement"]["Constraints"].clone());
    put("limits", task["Resources"]["Limits"].clone());
    put("reservations", task["Resources"]["Reservations"].clone());
    put("restart_policy", task["RestartPolicy"].clone());
    put("update_config", spec["UpdateConfig"].clone());
    put("update_status", s["UpdateStatus"].clone());
    put("labels", json!(rows::labels(spec)));
    put("virtual_ips", s["Endpoint"]["VirtualIPs"].clone());
    out
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TasksArgs {
    /// Service name or id.
    service: String,
    /// Also the tasks that ended (shut down, failed, completed), newest first.
    #[serde(default)]
    all: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskRow {
    id: String,
    name: String,
    node: String,
    desired: String,
    state: String,
    since: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    error: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TasksOutput {
    tasks: Vec<TaskRow>,
}

/// Node id -> hostname, for showing where tasks run.
fn hostnames() -> BTreeMap<String, String> {
    swarm_read::list_nodes(&[])
        .ok()
        .and_then(|json| rows::array(&json).ok())
        .unwrap_or_default()
        .iter()
        .map(|n| {
            (
                text(&n["ID"]).to_owned(),
                text(&n["Description"]["Hostname"]).to_owned(),
            )
        })
        .collect()
}

pub fn service_tasks(a: TasksArgs, _: &Context) -> ToolResult<Output> {
    let svc = service_json(&a.service)?;
    let name = text(&svc["Spec"]["Name"]).to_owned();
    let names = BTreeMap::from([(text(&svc["ID"]).to_owned(), name.clone())]);
    tasks_output(&names, a.all, &format!("Service {name} has no tasks."))
}

/// The tasks of the services in `names` (id -> name), the running ones or `all`.
pub(crate) fn tasks_output(
    names: &BTreeMap<String, String>,
    all: bool,
    none: &str,
) -> ToolResult<Output> {
    let mut filters = Filters::new().any("service", names.keys().cloned().collect());
    if !all {
        filters = filters.opt("desired-state", Some("running"));
    }
    let mut tasks = if names.is_empty() {
        Vec::new()
    } else {
        rows::array(&swarm_read::list_tasks(filters.as_slice())?)?
    };
    let service_of = |t: &Value| {
        names
            .get(text(&t["ServiceID"]))
            .cloned()
            .unwrap_or_default()
    };
    tasks.sort_by(|x, y| {
        (
            service_of(x),
            x["Slot"].as_u64(),
            text(&y["Status"]["Timestamp"]),
        )
            .cmp(&(
                service_of(y),
                y["Slot"].as_u64(),
                text(&x["Status"]["Timestamp"]),
            ))
    });
    let hosts = hostnames();
    let rows: Vec<TaskRow> = tasks
        .iter()
        .map(|t| {
            let node = text(&t["NodeID"]);
            TaskRow {
                id: short_id(text(&t["ID"])).to_owned(),
                name: rows::task_name(t, &service_of(t)),
                node: hosts
                    .get(node)
                    .cloned()
                    .unwrap_or_else(|| short_id(node).to_owned()),
                desired: text(&t["DesiredState"]).to_owned(),
                state: text(&t["Status"]["State"]).to_owned(),
                since: rows::ago(text(&t["Status"]["Timestamp"])),
                error: text(&t["Status"]["Err"]).to_owned(),
            }
        })
        .collect();
    let mut text = if rows.is_empty() {
        none.to_owned()
    } else {
        "ID | NAME | NODE | DESIRED | STATE | SINCE | ERROR\n".to_owned()
    };
    for r in &rows {
        text.push_str(&format!(
            "{} | {} | {} | {} | {} | {} | {}\n",
            r.id, r.name, r.node, r.desired, r.state, r.since, r.error
        ));
    }
    Ok(Output::structured(text, &TasksOutput { tasks: rows }))
}

pub fn create_service(a: CreateArgs, ctx: &Context) -> ToolResult<Output> {
    let body = spec::service_spec(&a, spec::resolve)?;
    let created = swarm_write::create_service(&body.to_string())
        .map_err(|e| ToolError::from(e).context(format!("service {}", a.name)))?;
    let mut text = format!("service {} created ({})", a.name, short_id(&created.id));
    for w in &created.warnings {
        text.push_str(&format!("\nwarning: {w}"));
    }
    if a.wait {
        let goal = Goal {
            service: created.id.clone(),
            update_from: None,
            rollback: false,
        };
        let waited = converge::wait(
            &goal,
            a.wait_secs.unwrap_or(converge::DEFAULT_WAIT_SECS),
            ctx,
        )
        .map_err(|e| e.context(format!("service {} was created, but", a.name)))?;
        text.push_str(&format!("; {waited}"));
    }
    Ok(Output::structured(
        text,
        &json!({ "id": created.id, "name": a.name, "warnings": created.warnings }),
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveArgs {
    /// Service name or id.
    service: String,
}

pub fn remove_service(a: RemoveArgs, _: &Context) -> ToolResult<Output> {
    swarm_write::remove_service(&a.service)
        .map_err(|e| ToolError::from(e).context(format!("service {}", a.service)))?;
    Ok(Output::text(format!(
        "service {} removed; its tasks are stopping",
        a.service
    )))
}

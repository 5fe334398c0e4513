//! Nodes: list, inspect, and change availability, role and labels.

use crate::cluster::Role;
use crate::rows::{self, text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::{swarm_read, swarm_write};
use wharf_plugin_sdk::text::{human_bytes, short_id};
use wharf_plugin_sdk::{Context, Filters, Hints, Output, ToolError, ToolResult, Toolbox};

pub fn tools(t: Toolbox) -> Toolbox {
    t.tool(
        "list_nodes",
        "List swarm nodes",
        "The swarm's nodes: id, hostname, role, availability, status, manager status (leader, \
         reachable), engine version; filter by role or label.",
        Hints::read_only(),
        list_nodes,
    )
    .output::<ListOutput>()
    .tool(
        "inspect_node",
        "Inspect a swarm node",
        "A node's role, availability, status and address, platform, CPUs and memory, engine \
         version and labels; full=true gives Docker's JSON.",
        Hints::read_only(),
        inspect_node,
    )
    .tool(
        "update_node",
        "Update a swarm node",
        "Set a node's availability (active, pause, drain: drain stops its tasks, which the \
         swarm moves to other nodes if it can), its role (worker or manager), or its labels.",
        Hints::destructive(),
        update_node,
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Only nodes of this role: worker or manager.
    #[serde(default)]
    role: Option<String>,
    /// Only nodes with these node labels, each `key` or `key=value`.
    #[serde(default)]
    label: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Row {
    id: String,
    hostname: String,
    role: String,
    availability: String,
    status: String,
    /// leader, reachable or unreachable, for managers.
    #[serde(skip_serializing_if = "String::is_empty")]
    manager: String,
    engine: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ListOutput {
    nodes: Vec<Row>,
}

fn row(n: &Value) -> Row {
    let manager = if n["ManagerStatus"]["Leader"].as_bool() == Some(true) {
        "leader".to_owned()
    } else {
        text(&n["ManagerStatus"]["Reachability"]).to_owned()
    };
    Row {
        id: short_id(text(&n["ID"])).to_owned(),
        hostname: text(&n["Description"]["Hostname"]).to_owned(),
        role: text(&n["Spec"]["Role"]).to_owned(),
        availability: text(&n["Spec"]["Availability"]).to_owned(),
        status: text(&n["Status"]["State"]).to_owned(),
        manager,
        engine: text(&n["Description"]["Engine"]["EngineVersion"]).to_owned(),
    }
}

pub fn list_nodes(a: ListArgs, _: &Context) -> ToolResult<Output> {
    let filters = Filters::new()
        .opt("role", a.role)
        .any("node.label", a.label);
    let mut nodes: Vec<Row> = rows::array(&swarm_read::list_nodes(filters.as_slice())?)?
        .iter()
        .map(row)
        .collect();
    nodes.sort_by(|x, y| x.hostname.cmp(&y.hostname).then(x.id.cmp(&y.id)));
    let mut text = if nodes.is_empty() {
        "No nodes.".to_owned()
    } else {
        "ID | HOSTNAME | ROLE | AVAILABILITY | STATUS | MANAGER | ENGINE\n".to_owned()
    };
    for n in &nodes {
        text.push_str(&format!(
            "{} | {} | {} | {} | {} | {} | {}\n",
            n.id, n.hostname, n.role, n.availability, n.status, n.manager, n.engine
        ));
    }
    Ok(Output::structured(text, &ListOutput { nodes }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectArgs {
    /// Node id, hostname, or `self` for this engine's node.
    node: String,
    /// Return Docker's whole JSON instead of the summary.
    #[serde(default)]
    full: bool,
}

/// `self` is this engine's node, as in the docker CLI.
fn node_json(node: &str) -> ToolResult<Value> {
    let id = if node == "self" {
        crate::cluster::status()?
            .node_id
            .ok_or_else(|| ToolError::invalid("this engine is not in a swarm, so it has no node"))?
    } else {
        node.to_owned()
    };
    Ok(serde_json::from_str(&swarm_read::inspect_node(&id)?)?)
}

pub fn inspect_node(a: InspectArgs, _: &Context) -> ToolResult<Output> {
    let n = node_json(&a.node)?;
    let shown = if a.full {
        n
    } else {
        let r = row(&n);
        let d = &n["Description"];
        json!({
            "id": text(&n["ID"]),
            "hostname": r.hostname,
            "role": r.role,
            "availability": r.availability,
            "status": r.status,
            "status_message": text(&n["Status"]["Message"]),
            "addr": text(&n["Status"]["Addr"]),
            "manager": r.manager,
            "manager_addr": text(&n["ManagerStatus"]["Addr"]),
            "platform": format!("{}/{}", text(&d["Platform"]["OS"]), text(&d["Platform"]["Architecture"])),
            "cpus": d["Resources"]["NanoCPUs"].as_u64().map(|c| c as f64 / 1e9),
            "memory": d["Resources"]["MemoryBytes"].as_u64().map(human_bytes),
            "engine": r.engine,
            "labels": rows::labels(&n["Spec"]),
            "engine_labels": d["Engine"]["Labels"],
        })
    };
    Ok(Output {
        text: serde_json::to_string_pretty(&shown)?,
        structured: Some(shown),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    Active,
    Pause,
    Drain,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// Node id, hostname, or `self`.
    node: String,
    /// active: takes tasks; pause: keeps its tasks, takes no new ones; drain: its tasks stop
    /// and move to other nodes.
    #[serde(default)]
    availability: Option<Availability>,
    /// Promote to manager or demote to worker.
    #[serde(default)]
    role: Option<Role>,
    /// Node labels to add or change (placement constraints read them as node.labels.KEY).
    #[serde(default)]
    labels_add: BTreeMap<String, String>,
    /// Node labels to remove.
    #[serde(default)]
    labels_remove: Vec<String>,
}

pub fn update_node(a: UpdateArgs, _: &Context) -> ToolResult<Output> {
    if a.availability.is_none()
        && a.role.is_none()
        && a.labels_add.is_empty()
        && a.labels_remove.is_empty()
    {
        return Err(ToolError::invalid(
            "nothing to change: give availability, role, labels_add or labels_remove",
        ));
    }
    let n = node_json(&a.node)?;
    let id = text(&n["ID"]).to_owned();
    let version = n["Version"]["Index"]
        .as_u64()
        .ok_or_else(|| ToolError::failed("the engine gave the node no version"))?;
    let mut spec = n["Spec"].clone();
    let mut changes = Vec::new();
    if let Some(av) = a.availability {
        let av = match av {
            Availability::Active => "active",
            Availability::Pause => "pause",
            Availability::Drain => "drain",
        };
        spec["Availability"] = json!(av);
        changes.push(format!("availability {av}"));
    }
    if let Some(role) = a.role {
        let role = role.name();
        spec["Role"] = json!(role);
        changes.push(format!("role {role}"));
    }
    if !a.labels_add.is_empty() || !a.labels_remove.is_empty() {
        let labels = spec["Labels"]
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !a.labels_remove.contains(k))
            .chain(a.labels_add.iter().map(|(k, v)| (k.clone(), json!(v))))
            .collect::<serde_json::Map<String, Value>>();
        spec["Labels"] = Value::Object(labels);
        changes.push("labels".to_owned());
    }
    swarm_write::update_node(&id, version, &spec.to_string())
        .map_err(|e| ToolError::from(e).context(format!("node {}", a.node)))?;
    Ok(Output::text(format!(
        "node {} ({}): {} updated",
        text(&n["Description"]["Hostname"]),
        short_id(&id),
        changes.join(", ")
    )))
}

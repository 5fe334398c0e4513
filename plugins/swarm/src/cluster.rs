//! The swarm as a whole: status, init, leave, join tokens.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wharf_plugin_sdk::docker::{swarm_read, swarm_write};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusArgs {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Status {
    /// inactive, pending, active, error or locked.
    state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) node_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_addr: Option<String>,
    manager: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nodes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    managers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Where other machines join this manager (`addr:port`).
    #[serde(skip_serializing_if = "Option::is_none")]
    join_addr: Option<String>,
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

pub(crate) fn status() -> ToolResult<Status> {
    let v: Value = serde_json::from_str(&swarm_read::status()?)?;
    let s = &v["Swarm"];
    let manager = s["ControlAvailable"].as_bool().unwrap_or(false);
    Ok(Status {
        state: text_of(&s["LocalNodeState"]).unwrap_or_else(|| "inactive".into()),
        node_id: text_of(&s["NodeID"]),
        node_addr: text_of(&s["NodeAddr"]),
        manager,
        cluster_id: text_of(&s["Cluster"]["ID"]),
        nodes: s["Nodes"].as_u64().filter(|_| manager),
        managers: s["Managers"].as_u64().filter(|_| manager),
        error: text_of(&s["Error"]),
        join_addr: s["RemoteManagers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["NodeID"] == s["NodeID"])
            .and_then(|m| text_of(&m["Addr"])),
    })
}

pub fn swarm_status(_: StatusArgs, _: &Context) -> ToolResult<Output> {
    let s = status()?;
    let text = match s.state.as_str() {
        "inactive" => "This engine is not in a swarm; swarm_init creates one.".to_owned(),
        "active" if s.manager => format!(
            "Swarm {}: this engine is a manager (node {} at {}); {} nodes, {} managers.",
            s.cluster_id.as_deref().unwrap_or("?"),
            s.node_id.as_deref().unwrap_or("?"),
            s.node_addr.as_deref().unwrap_or("?"),
            s.nodes.unwrap_or(0),
            s.managers.unwrap_or(0)
        ),
        "active" => format!(
            "This engine is a worker in a swarm (node {}); manage the swarm from a manager.",
            s.node_id.as_deref().unwrap_or("?")
        ),
        other => format!(
            "Swarm state {other}{}",
            s.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ),
    };
    Ok(Output::structured(text, &s))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitArgs {
    /// The address other nodes reach this one at (`192.168.1.10`, `eth0`, with an optional
    /// `:port`, default 2377). Needed when the machine has several addresses.
    #[serde(default)]
    advertise_addr: Option<String>,
    /// Where the swarm listens (default `0.0.0.0:2377`).
    #[serde(default)]
    listen_addr: Option<String>,
    /// Address pools overlay networks take subnets from, in CIDR (`10.20.0.0/16`).
    #[serde(default)]
    default_addr_pool: Vec<String>,
}

pub fn swarm_init(a: InitArgs, _: &Context) -> ToolResult<Output> {
    let mut body = json!({
        "ListenAddr": a.listen_addr.unwrap_or_else(|| "0.0.0.0:2377".into()),
    });
    if let Some(addr) = a.advertise_addr {
        body["AdvertiseAddr"] = json!(addr);
    }
    if !a.default_addr_pool.is_empty() {
        body["DefaultAddrPool"] = json!(a.default_addr_pool);
    }
    let node = swarm_write::init(&body.to_string())
        .map_err(|e| ToolError::from(e).context("swarm init"))?;
    Ok(Output::structured(
        format!(
            "Swarm created; this engine is its manager (node {node}). swarm_join_token gives \
             the token other machines join with."
        ),
        &json!({ "node_id": node }),
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveArgs {
    /// Needed for a manager: a manager leaving can cost the swarm its quorum, and the last
    /// one leaving ends the swarm with its services, secrets and configs.
    #[serde(default)]
    force: bool,
}

pub fn swarm_leave(a: LeaveArgs, _: &Context) -> ToolResult<Output> {
    swarm_write::leave(a.force).map_err(|e| ToolError::from(e).context("swarm leave"))?;
    Ok(Output::text("This engine left the swarm."))
}

/// A node's role in the swarm.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Worker,
    Manager,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Manager => "manager",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinTokenArgs {
    /// The role the joining machine gets.
    role: Role,
}

pub fn swarm_join_token(a: JoinTokenArgs, _: &Context) -> ToolResult<Output> {
    let name = a.role.name();
    let role = match a.role {
        Role::Worker => swarm_write::NodeRole::Worker,
        Role::Manager => swarm_write::NodeRole::Manager,
    };
    let token = swarm_write::join_token(role)?;
    let addr = status()?
        .join_addr
        .unwrap_or_else(|| "MANAGER-ADDR:2377".into());
    Ok(Output::structured(
        format!(
            "To add a {name}, run on it:\n  docker swarm join --token {token} {addr}\n\
             Anyone holding this token can join the swarm as a {name}."
        ),
        &json!({ "role": name, "token": token, "manager_addr": addr }),
    ))
}

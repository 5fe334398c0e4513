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
    /// Where the swarm listens (default: the advertise address, port 2377). Every
    /// interface (`0.0.0.0:2377`) only when asked.
    #[serde(default)]
    listen_addr: Option<String>,
    /// Address pools overlay networks take subnets from, in CIDR (`10.20.0.0/16`).
    #[serde(default)]
    default_addr_pool: Vec<String>,
}

pub fn swarm_init(a: InitArgs, _: &Context) -> ToolResult<Output> {
    // Docker's CLI listens on every interface by default; a swarm's control port is not
    // opened wider than the address the nodes are told to use unless the caller says so.
    let listen = match (a.listen_addr, &a.advertise_addr) {
        (Some(listen), _) => listen,
        (None, Some(advertise)) => with_port(advertise, 2377),
        (None, None) => {
            return Err(ToolError::invalid(
                "say where the swarm is reached: advertise_addr (the address other nodes use, \
                 also where it listens), or listen_addr (\"0.0.0.0:2377\" for every interface)",
            ));
        }
    };
    let mut body = json!({ "ListenAddr": listen });
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

/// `addr` with `port` unless it names one (`10.0.0.1`, `eth0`, `[::1]`; not `10.0.0.1:4000`).
fn with_port(addr: &str, port: u16) -> String {
    let has_port = addr.rsplit_once(':').is_some_and(|(host, p)| {
        p.parse::<u16>().is_ok() && (!host.contains(':') || host.ends_with(']'))
    });
    if has_port {
        addr.to_owned()
    } else if addr.contains(':') && !addr.starts_with('[') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    }
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

#[cfg(test)]
mod tests {
    use super::with_port;

    #[test]
    fn the_listen_address_defaults_to_the_advertise_address() {
        assert_eq!(with_port("10.0.0.1", 2377), "10.0.0.1:2377");
        assert_eq!(with_port("10.0.0.1:4000", 2377), "10.0.0.1:4000");
        assert_eq!(with_port("eth0", 2377), "eth0:2377");
        assert_eq!(with_port("[::1]:4000", 2377), "[::1]:4000");
        assert_eq!(with_port("[::1]", 2377), "[::1]:2377");
        assert_eq!(with_port("::1", 2377), "[::1]:2377");
    }
}

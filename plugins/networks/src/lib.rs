//! The networks tool group: list, inspect, create, remove, connect, disconnect, prune.
//! It imports only the `networks` capability.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::networks::{self, NetworkSummary};
use wharf_plugin_sdk::plan::{self, Planned, Removal};
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{
    Context, Filters, Hints, Output, Plugin, PluginInfo, ToolError, ToolResult, Toolbox,
};

struct Networks;

impl Plugin for Networks {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "networks",
            env!("CARGO_PKG_VERSION"),
            "Docker networks: list, inspect, create, remove, connect, disconnect, prune",
        )
    }

    fn toolbox() -> Toolbox {
        Toolbox::new()
            .tool(
                "list_networks",
                "List networks",
                "Networks as compact rows (id, name, driver, scope, subnets, flags).",
                Hints::read_only(),
                list_networks,
            )
            .output::<ListOutput>()
            .tool(
                "inspect_network",
                "Inspect a network",
                "A network's driver, IPAM, flags, options, labels and attached containers with \
                 their addresses.",
                Hints::read_only(),
                inspect_network,
            )
            .output_object()
            .tool(
                "create_network",
                "Create a network",
                "Create a network, optionally with a subnet, internal or attachable.",
                Hints::write(),
                create_network,
            )
            .tool(
                "remove_network",
                "Remove a network",
                "Delete a network; the engine refuses while containers are attached.",
                Hints::destructive(),
                remove_network,
            )
            .tool(
                "connect_network",
                "Connect a container to a network",
                "Attach a container to a network, optionally with aliases and a fixed IPv4 \
                 address.",
                Hints::write(),
                connect_network,
            )
            .tool(
                "disconnect_network",
                "Disconnect a container from a network",
                "Detach a container from a network.",
                Hints::write(),
                disconnect_network,
            )
            .tool(
                "prune_networks",
                "Prune networks",
                "Delete every network no container uses (or only those with labels); returns \
                 the names.",
                Hints::destructive(),
                prune_networks,
            )
    }
}

wharf_plugin_sdk::export!(Networks);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    /// Part of the name.
    #[serde(default)]
    name: Option<String>,
    /// bridge, overlay, macvlan...
    #[serde(default)]
    driver: Option<String>,
    /// `key` or `key=value` each.
    #[serde(default)]
    label: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Row {
    id: String,
    name: String,
    driver: String,
    scope: String,
    subnets: Vec<String>,
    internal: bool,
    attachable: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
struct ListOutput {
    networks: Vec<Row>,
}

fn filters(name: Option<String>, driver: Option<String>, label: Vec<String>) -> Filters {
    Filters::new()
        .opt("name", name)
        .opt("driver", driver)
        .any("label", label)
}

fn row(n: NetworkSummary) -> Row {
    Row {
        id: short_id(&n.id).to_owned(),
        name: n.name,
        driver: n.driver,
        scope: n.scope,
        subnets: n.subnets,
        internal: n.internal,
        attachable: n.attachable,
    }
}

fn list_networks(a: ListArgs, _: &Context) -> ToolResult<Output> {
    let mut rows: Vec<Row> = networks::list(filters(a.name, a.driver, a.label).as_slice())?
        .into_iter()
        .map(row)
        .collect();
    rows.sort_by(|x, y| x.name.cmp(&y.name));
    let mut text = if rows.is_empty() {
        "No networks.".to_owned()
    } else {
        String::from("ID | NAME | DRIVER | SCOPE | SUBNETS | FLAGS\n")
    };
    for r in &rows {
        let flags: Vec<&str> = [(r.internal, "internal"), (r.attachable, "attachable")]
            .into_iter()
            .filter_map(|(on, f)| on.then_some(f))
            .collect();
        text.push_str(&format!(
            "{} | {} | {} | {} | {} | {}\n",
            r.id,
            r.name,
            r.driver,
            r.scope,
            r.subnets.join(", "),
            flags.join(", ")
        ));
    }
    Ok(Output::structured(text, &ListOutput { networks: rows }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InspectArgs {
    network: String,
    /// Docker's whole inspect JSON.
    #[serde(default)]
    full: bool,
}

fn inspect_network(a: InspectArgs, _: &Context) -> ToolResult<Output> {
    let v: Value = serde_json::from_str(&networks::inspect(&a.network)?)?;
    let shown = if a.full { v } else { summarize(&v) };
    Ok(Output {
        text: serde_json::to_string_pretty(&shown)?,
        structured: Some(shown),
    })
}

fn summarize(v: &Value) -> Value {
    let ipam: Vec<Value> = v
        .pointer("/IPAM/Config")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let mut m = Map::new();
                    for (k, key) in [
                        ("subnet", "Subnet"),
                        ("gateway", "Gateway"),
                        ("ip_range", "IPRange"),
                    ] {
                        if let Some(x) = c[key].as_str().filter(|x| !x.is_empty()) {
                            m.insert(k.into(), json!(x));
                        }
                    }
                    Value::Object(m)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut containers: Vec<Value> = v["Containers"]
        .as_object()
        .map(|cs| {
            cs.values()
                .map(|c| json!({"name": c["Name"], "ipv4": c["IPv4Address"]}))
                .collect()
        })
        .unwrap_or_default();
    containers.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    json!({
        "id": short_id(v["Id"].as_str().unwrap_or("")),
        "name": v["Name"],
        "driver": v["Driver"],
        "scope": v["Scope"],
        "internal": v["Internal"],
        "attachable": v["Attachable"],
        "ipam": ipam,
        "options": v["Options"],
        "labels": v["Labels"],
        "containers": containers,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateArgs {
    name: String,
    /// Default bridge.
    #[serde(default)]
    driver: Option<String>,
    /// CIDR, e.g. 172.28.0.0/16.
    #[serde(default)]
    subnet: Option<String>,
    #[serde(default)]
    gateway: Option<String>,
    /// CIDR in the subnet for container addresses.
    #[serde(default)]
    ip_range: Option<String>,
    /// No outside route.
    #[serde(default)]
    internal: bool,
    /// Standalone containers may attach (overlay).
    #[serde(default)]
    attachable: bool,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

fn create_network(a: CreateArgs, _: &Context) -> ToolResult<Output> {
    if a.name.trim().is_empty() {
        return Err(ToolError::invalid("name must not be empty"));
    }
    if a.subnet.is_none() && (a.gateway.is_some() || a.ip_range.is_some()) {
        return Err(ToolError::invalid("gateway and ip_range need a subnet"));
    }
    let mut spec = json!({
        "Name": a.name,
        "Driver": a.driver.as_deref().unwrap_or("bridge"),
        "Internal": a.internal,
        "Attachable": a.attachable,
        "Labels": a.labels,
        "Options": a.options,
    });
    if let Some(subnet) = &a.subnet {
        let mut config = json!({"Subnet": subnet});
        if let Some(g) = &a.gateway {
            config["Gateway"] = json!(g);
        }
        if let Some(r) = &a.ip_range {
            config["IPRange"] = json!(r);
        }
        spec["IPAM"] = json!({"Driver": "default", "Config": [config]});
    }
    let id = networks::create(&spec.to_string())?;
    Ok(Output::text(format!(
        "created network {} ({})",
        a.name,
        short_id(&id)
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NetworkArg {
    network: String,
}

fn remove_network(a: NetworkArg, _: &Context) -> ToolResult<Output> {
    networks::remove(&a.network)?;
    Ok(Output::text(format!("removed network {}", a.network)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ConnectArgs {
    network: String,
    container: String,
    /// Extra names on this network.
    #[serde(default)]
    aliases: Vec<String>,
    /// Fixed address (needs the network's subnet).
    #[serde(default)]
    ipv4: Option<String>,
}

fn connect_network(a: ConnectArgs, _: &Context) -> ToolResult<Output> {
    let mut endpoint = json!({});
    if !a.aliases.is_empty() {
        endpoint["Aliases"] = json!(a.aliases);
    }
    if let Some(ip) = &a.ipv4 {
        endpoint["IPAMConfig"] = json!({"IPv4Address": ip});
    }
    networks::connect(&a.network, &a.container, &endpoint.to_string())?;
    Ok(Output::text(format!(
        "connected {} to {}",
        a.container, a.network
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DisconnectArgs {
    network: String,
    container: String,
    /// Even if the container is gone or stopped.
    #[serde(default)]
    force: bool,
}

fn disconnect_network(a: DisconnectArgs, _: &Context) -> ToolResult<Output> {
    networks::disconnect(&a.network, &a.container, a.force)?;
    Ok(Output::text(format!(
        "disconnected {} from {}",
        a.container, a.network
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PruneArgs {
    /// `key` or `key=value` each.
    #[serde(default)]
    label: Vec<String>,
    /// Change nothing; list under `plan` what would be removed.
    #[serde(default)]
    dry_run: bool,
}

fn prune_networks(a: PruneArgs, _: &Context) -> ToolResult<Output> {
    if a.dry_run {
        // What prune removes: networks no container or service uses, bar the predefined.
        let unused = networks::list(
            filters(None, None, a.label)
                .opt("dangling", Some(true))
                .as_slice(),
        )?;
        let names: Vec<&str> = unused.iter().map(|n| n.name.as_str()).collect();
        let text = match names.is_empty() {
            true => "No unused networks to remove.".to_owned(),
            false => format!(
                "would remove {} networks: {}",
                names.len(),
                names.join(", ")
            ),
        };
        let plan = unused
            .iter()
            .map(|n| Planned::new(Removal::Remove, "network", &n.name, Some(&n.id)))
            .collect();
        return Ok(plan::dry_run(text, plan));
    }
    let removed = networks::prune(filters(None, None, a.label).as_slice())?;
    Ok(Output::text(if removed.is_empty() {
        "No unused networks to remove.".to_owned()
    } else {
        format!("removed {} networks: {}", removed.len(), removed.join(", "))
    }))
}

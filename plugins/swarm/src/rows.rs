//! Reading the engine's swarm JSON into the short forms every tool shows.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use std::time::SystemTime;
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Filters, ToolResult};

/// The filters of the service, secret and config lists.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Only those whose name starts with this.
    #[serde(default)]
    pub name: Option<String>,
    /// Only those with these labels, each `key` or `key=value`.
    #[serde(default)]
    pub label: Vec<String>,
}

impl ListArgs {
    pub fn filters(self) -> Filters {
        Filters::new()
            .opt("name", self.name)
            .any("label", self.label)
    }
}

/// A JSON array from the host.
pub fn array(json: &str) -> ToolResult<Vec<Value>> {
    let v: Value = serde_json::from_str(json)?;
    Ok(match v {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    })
}

pub fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// An image reference without the digest the swarm pins it to (`app:1@sha256:...`).
pub fn image(v: &Value) -> &str {
    let full = text(v);
    full.split('@').next().unwrap_or(full)
}

/// A service's mode: `replicated` or `global` (or `replicated-job`, `global-job`).
pub fn mode(spec: &Value) -> &'static str {
    let m = &spec["Mode"];
    if m.get("Global").is_some() {
        "global"
    } else if m.get("ReplicatedJob").is_some() {
        "replicated-job"
    } else if m.get("GlobalJob").is_some() {
        "global-job"
    } else {
        "replicated"
    }
}

/// The replicas a replicated service asks for.
pub fn replicas(spec: &Value) -> Option<u64> {
    spec["Mode"]["Replicated"]["Replicas"].as_u64()
}

/// Published ports as `*:8080->80/tcp` (ingress) or `8080->80/tcp (host)`.
pub fn ports(service: &Value) -> Vec<String> {
    let from_endpoint = service["Endpoint"]["Ports"].as_array();
    let from_spec = service["Spec"]["EndpointSpec"]["Ports"].as_array();
    from_endpoint
        .or(from_spec)
        .into_iter()
        .flatten()
        .map(|p| {
            let target = p["TargetPort"].as_u64().unwrap_or(0);
            let proto = p["Protocol"].as_str().unwrap_or("tcp");
            let published = p["PublishedPort"].as_u64().unwrap_or(0);
            match p["PublishMode"].as_str() {
                Some("host") => format!("{published}->{target}/{proto} (host)"),
                _ => format!("*:{published}->{target}/{proto}"),
            }
        })
        .collect()
}

/// How a task is named in `docker service ps`: `web.2`, or `web.<node>` for a global
/// service's task.
pub fn task_name(task: &Value, service_name: &str) -> String {
    match task["Slot"].as_u64().filter(|s| *s > 0) {
        Some(slot) => format!("{service_name}.{slot}"),
        None => format!("{service_name}.{}", short_id(text(&task["NodeID"]))),
    }
}

/// `3m ago` from an RFC 3339 time, for state changes.
pub fn ago(rfc3339: &str) -> String {
    let Ok(t) = humantime::parse_rfc3339_weak(rfc3339) else {
        return String::new();
    };
    let secs = SystemTime::now()
        .duration_since(t)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (n, unit) = match secs {
        0..60 => (secs, "s"),
        60..3600 => (secs / 60, "m"),
        3600..86400 => (secs / 3600, "h"),
        _ => (secs / 86400, "d"),
    };
    format!("{n}{unit} ago")
}

/// The labels of a swarm object's spec, `key=value`, sorted.
pub fn labels(spec: &Value) -> Vec<String> {
    let mut out: Vec<String> = spec["Labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", text(v)))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn services_read_as_the_cli_shows_them() {
        let svc = json!({
            "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 3}},
                     "TaskTemplate": {"ContainerSpec": {"Image": "app:1@sha256:abc"}}},
            "Endpoint": {"Ports": [
                {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"},
                {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 5353, "PublishMode": "host"}
            ]}
        });
        assert_eq!(mode(&svc["Spec"]), "replicated");
        assert_eq!(replicas(&svc["Spec"]), Some(3));
        assert_eq!(
            image(&svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]),
            "app:1"
        );
        assert_eq!(ports(&svc), ["*:8080->80/tcp", "5353->53/udp (host)"]);
        assert_eq!(mode(&json!({"Mode": {"Global": {}}})), "global");
    }

    #[test]
    fn tasks_are_named_by_slot_or_node() {
        assert_eq!(task_name(&json!({"Slot": 2}), "web"), "web.2");
        assert_eq!(
            task_name(&json!({"NodeID": "7iyum4ih4v9i0pqg3e81csnjk"}), "agent"),
            "agent.7iyum4ih4v9i"
        );
    }

    #[test]
    fn arrays_come_from_the_host_as_json() {
        assert_eq!(array("[1, 2]").unwrap().len(), 2);
        assert!(array("null").unwrap().is_empty());
        assert!(array("not json").is_err());
    }
}

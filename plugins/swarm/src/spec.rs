//! A service's create arguments as the Engine API's ServiceSpec, the way `docker service
//! create` would write it.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::swarm_read;
use wharf_plugin_sdk::spec::{PortSpec, VolumeSpec, parse_duration};
use wharf_plugin_sdk::text::parse_memory;
use wharf_plugin_sdk::{Filters, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// The service's name.
    pub name: String,
    /// Image reference; every node that runs a task must have it or be able to pull it.
    pub image: String,
    /// Command and arguments, replacing the image's CMD.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Entrypoint, replacing the image's ENTRYPOINT.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Tasks to run (default 1). Not with `global`.
    #[serde(default)]
    pub replicas: Option<u64>,
    /// One task on every node that meets the constraints, instead of a replica count.
    #[serde(default)]
    pub global: bool,
    /// Published ports: `8080:80`, `8080:80/udp`, or `80` (the swarm picks the published
    /// port).
    #[serde(default)]
    pub ports: Vec<String>,
    /// ingress (default): every node answers on the published port through the routing
    /// mesh; host: only the nodes running a task, on their own port.
    #[serde(default)]
    pub publish_mode: Option<PublishMode>,
    /// Networks to attach (overlay networks, by name).
    #[serde(default)]
    pub networks: Vec<String>,
    /// Mounts like `name:/data` (a volume, created on each node as needed),
    /// `/host/dir:/data:ro` (a bind, under the allowed roots; the path must exist on every
    /// node that runs a task).
    #[serde(default)]
    pub mounts: Vec<String>,
    /// Paths inside the container to mount a tmpfs at.
    #[serde(default)]
    pub tmpfs: Vec<String>,
    /// Secrets by name, mounted at /run/secrets/NAME; `name:target` picks the file name.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Configs by name, mounted at /NAME; `name:/path` picks the path.
    #[serde(default)]
    pub configs: Vec<String>,
    /// Placement constraints, e.g. `node.role==manager`, `node.labels.disk==ssd`.
    #[serde(default)]
    pub constraints: Vec<String>,
    /// CPU limit per task, in cores (0.5).
    #[serde(default)]
    pub cpus: Option<f64>,
    /// Memory limit per task: bytes, or 512m, 1g.
    #[serde(default)]
    pub memory: Option<String>,
    /// CPU reserved per task, in cores: only nodes with that much free get a task.
    #[serde(default)]
    pub reserve_cpus: Option<f64>,
    /// Memory reserved per task.
    #[serde(default)]
    pub reserve_memory: Option<String>,
    /// When tasks are restarted: any (default), on-failure or none.
    #[serde(default)]
    pub restart_condition: Option<RestartCondition>,
    /// Restarts before giving up (default: no limit).
    #[serde(default)]
    pub restart_max_attempts: Option<u64>,
    /// How updates roll out.
    #[serde(default)]
    pub update_config: Option<UpdatePolicy>,
    /// How a rollback rolls out.
    #[serde(default)]
    pub rollback_config: Option<UpdatePolicy>,
    /// Service labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Labels of the tasks' containers.
    #[serde(default)]
    pub container_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub working_dir: Option<String>,
    /// User (name or uid[:gid]) the command runs as.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    /// Wait until the tasks run (default true), reporting progress.
    #[serde(default = "yes")]
    pub wait: bool,
    /// How long to wait (default 60, at most 600).
    #[serde(default)]
    pub wait_secs: Option<u32>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PublishMode {
    Ingress,
    Host,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RestartCondition {
    Any,
    OnFailure,
    None,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FailureAction {
    Pause,
    Continue,
    Rollback,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    StopFirst,
    StartFirst,
}

/// How a rolling update (or rollback) proceeds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicy {
    /// Tasks updated at once (0: all at once).
    #[serde(default)]
    pub parallelism: Option<u64>,
    /// Pause between batches: `10s`, `1m`.
    #[serde(default)]
    pub delay: Option<String>,
    /// What happens when a task fails to update.
    #[serde(default)]
    pub failure_action: Option<FailureAction>,
    /// How long each task is watched for failure after it is updated: `5s`.
    #[serde(default)]
    pub monitor: Option<String>,
    /// stop-first (default): stop the old task, then start the new; start-first overlaps.
    #[serde(default)]
    pub order: Option<Order>,
}

/// CPU cores as the API's NanoCPUs.
pub fn cores(c: f64, field: &str) -> ToolResult<i64> {
    if !(c > 0.0 && c <= 1024.0) {
        return Err(ToolError::invalid(format!(
            "{field} must be between 0 and 1024"
        )));
    }
    Ok((c * 1e9).round() as i64)
}

impl UpdatePolicy {
    /// A compose file's `deploy.update_config` (or `rollback_config`), its words checked as
    /// a tool's arguments are.
    pub fn from_compose(
        u: &wharf_compose_spec::UpdateConfig,
        field: &str,
    ) -> ToolResult<UpdatePolicy> {
        let words = json!({
            "parallelism": u.parallelism,
            "delay": u.delay,
            "failure_action": u.failure_action,
            "monitor": u.monitor,
            "order": u.order,
        });
        serde_json::from_value(words).map_err(|e| ToolError::invalid(format!("{field}: {e}")))
    }

    /// The API's UpdateConfig (or RollbackConfig), merged over `current`.
    pub fn apply(&self, current: &Value, field: &str) -> ToolResult<Value> {
        let mut c = current.as_object().cloned().unwrap_or_default();
        if let Some(p) = self.parallelism {
            c.insert("Parallelism".into(), json!(p));
        }
        if let Some(d) = &self.delay {
            c.insert(
                "Delay".into(),
                json!(parse_duration(d, &format!("{field}.delay"))?),
            );
        }
        if let Some(a) = self.failure_action {
            let a = match a {
                FailureAction::Pause => "pause",
                FailureAction::Continue => "continue",
                FailureAction::Rollback => "rollback",
            };
            c.insert("FailureAction".into(), json!(a));
        }
        if let Some(m) = &self.monitor {
            c.insert(
                "Monitor".into(),
                json!(parse_duration(m, &format!("{field}.monitor"))?),
            );
        }
        if let Some(o) = self.order {
            let o = match o {
                Order::StopFirst => "stop-first",
                Order::StartFirst => "start-first",
            };
            c.insert("Order".into(), json!(o));
        }
        Ok(Value::Object(c))
    }
}

/// `[published:]target[/protocol]`, the ports `docker service create -p` takes: the short
/// syntax without a host address (the routing mesh answers on every address), ranges pairing
/// port by port.
fn ports(s: &str, mode: &str) -> ToolResult<Vec<Value>> {
    let p = PortSpec::parse(s).map_err(|e| e.at("ports"))?;
    if p.host_ip.is_some() {
        return Err(ToolError::invalid(format!(
            "ports: `{s}` has a host address; a service publishes on every node's \
             addresses (published:target[/protocol])"
        )));
    }
    p.bindings()
        .into_iter()
        .map(|b| {
            let mut port =
                json!({ "Protocol": p.protocol, "PublishMode": mode, "TargetPort": b.container });
            if let Some(h) = b.host {
                let published = h.parse::<u16>().map_err(|_| {
                    ToolError::invalid(format!(
                        "ports: `{s}`: a service publishes single ports, not a range for one \
                         target"
                    ))
                })?;
                port["PublishedPort"] = json!(published);
            }
            Ok(port)
        })
        .collect()
}

/// `source:target[:ro|rw]`: a volume if the source is a name, a bind if it is a path.
fn mount(s: &str) -> ToolResult<Value> {
    let bad = |why: &str| ToolError::invalid(format!("mounts: `{s}` {why}"));
    let v = VolumeSpec::parse(s).map_err(|e| e.at("mounts"))?;
    // A service mount has no SELinux label, copy or consistency modes to carry the others.
    if v.modes.len() > 1 || v.modes.iter().any(|m| m != "ro" && m != "rw") {
        return Err(bad("has an unknown mode (ro or rw)"));
    }
    let Some(source) = v.source.as_deref() else {
        return Err(bad(
            "is not source:target[:ro]: give a volume name or a host path",
        ));
    };
    let kind = if source.starts_with('/') {
        "bind"
    } else if source.starts_with('.') || source.contains('/') {
        return Err(bad("has a relative source path: write it from /"));
    } else {
        "volume"
    };
    Ok(json!({ "Type": kind, "Source": source, "Target": v.target, "ReadOnly": v.read_only() }))
}

/// `name` or `name:target`.
fn split_ref(s: &str) -> (&str, Option<&str>) {
    match s.split_once(':') {
        Some((n, t)) => (n, Some(t)),
        None => (s, None),
    }
}

/// The id of the secret or config named `name` (the API wants both).
fn object_id(name: &str, secret: bool) -> ToolResult<String> {
    let filters = Filters::new().opt("name", Some(name));
    let list = if secret {
        swarm_read::list_secrets(filters.as_slice())?
    } else {
        swarm_read::list_configs(filters.as_slice())?
    };
    let what = if secret { "secret" } else { "config" };
    crate::rows::array(&list)?
        .iter()
        .find(|o| o["Spec"]["Name"] == name)
        .and_then(|o| o["ID"].as_str().map(str::to_owned))
        .ok_or_else(|| {
            ToolError::not_found(format!("no {what} named `{name}`: create_{what} makes one"))
        })
}

fn file(name: &str) -> Value {
    // Readable by every user of the container, as docker service create mounts them.
    json!({ "Name": name, "UID": "0", "GID": "0", "Mode": 0o444 })
}

fn secret_refs(
    refs: &[String],
    resolve: &impl Fn(&str, bool) -> ToolResult<String>,
) -> ToolResult<Vec<Value>> {
    refs.iter()
        .map(|r| {
            let (name, target) = split_ref(r);
            Ok(json!({
                "SecretID": resolve(name, true)?,
                "SecretName": name,
                "File": file(target.unwrap_or(name)),
            }))
        })
        .collect()
}

fn config_refs(
    refs: &[String],
    resolve: &impl Fn(&str, bool) -> ToolResult<String>,
) -> ToolResult<Vec<Value>> {
    refs.iter()
        .map(|r| {
            let (name, target) = split_ref(r);
            let target = target.map_or_else(|| format!("/{name}"), str::to_owned);
            if !target.starts_with('/') {
                return Err(ToolError::invalid(format!(
                    "configs: `{r}` needs an absolute path after the colon"
                )));
            }
            Ok(json!({
                "ConfigID": resolve(name, false)?,
                "ConfigName": name,
                "File": file(&target),
            }))
        })
        .collect()
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

pub fn env_list(env: &BTreeMap<String, String>) -> Vec<String> {
    env.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// The ServiceSpec for `a`; secret and config names are looked up with `resolve`.
pub fn service_spec(
    a: &CreateArgs,
    resolve: impl Fn(&str, bool) -> ToolResult<String>,
) -> ToolResult<Value> {
    if a.name.trim().is_empty() {
        return Err(ToolError::invalid("name must not be empty"));
    }
    let mut container = Map::new();
    container.insert("Image".into(), json!(a.image));
    if let Some(c) = &a.command {
        container.insert("Args".into(), json!(c));
    }
    if let Some(e) = &a.entrypoint {
        container.insert("Command".into(), json!(e));
    }
    if !a.env.is_empty() {
        container.insert("Env".into(), json!(env_list(&a.env)));
    }
    if !a.container_labels.is_empty() {
        container.insert("Labels".into(), string_map(&a.container_labels));
    }
    for (key, value) in [
        ("Dir", &a.working_dir),
        ("User", &a.user),
        ("Hostname", &a.hostname),
    ] {
        if let Some(v) = value {
            container.insert(key.into(), json!(v));
        }
    }
    let mut mounts: Vec<Value> = a
        .mounts
        .iter()
        .map(|m| mount(m))
        .collect::<ToolResult<_>>()?;
    for t in &a.tmpfs {
        if !t.starts_with('/') {
            return Err(ToolError::invalid(format!(
                "tmpfs: `{t}` must be an absolute path"
            )));
        }
        mounts.push(json!({ "Type": "tmpfs", "Target": t }));
    }
    if !mounts.is_empty() {
        container.insert("Mounts".into(), json!(mounts));
    }
    if !a.secrets.is_empty() {
        container.insert("Secrets".into(), json!(secret_refs(&a.secrets, &resolve)?));
    }
    if !a.configs.is_empty() {
        container.insert("Configs".into(), json!(config_refs(&a.configs, &resolve)?));
    }

    let mut task = Map::new();
    task.insert("ContainerSpec".into(), Value::Object(container));
    let mut resources = Map::new();
    let mut limits = Map::new();
    if let Some(c) = a.cpus {
        limits.insert("NanoCPUs".into(), json!(cores(c, "cpus")?));
    }
    if let Some(m) = &a.memory {
        limits.insert("MemoryBytes".into(), json!(parse_memory(m)?));
    }
    let mut reservations = Map::new();
    if let Some(c) = a.reserve_cpus {
        reservations.insert("NanoCPUs".into(), json!(cores(c, "reserve_cpus")?));
    }
    if let Some(m) = &a.reserve_memory {
        reservations.insert("MemoryBytes".into(), json!(parse_memory(m)?));
    }
    if !limits.is_empty() {
        resources.insert("Limits".into(), Value::Object(limits));
    }
    if !reservations.is_empty() {
        resources.insert("Reservations".into(), Value::Object(reservations));
    }
    if !resources.is_empty() {
        task.insert("Resources".into(), Value::Object(resources));
    }
    if a.restart_condition.is_some() || a.restart_max_attempts.is_some() {
        let condition = match a.restart_condition.unwrap_or(RestartCondition::Any) {
            RestartCondition::Any => "any",
            RestartCondition::OnFailure => "on-failure",
            RestartCondition::None => "none",
        };
        let mut policy = json!({ "Condition": condition });
        if let Some(n) = a.restart_max_attempts {
            policy["MaxAttempts"] = json!(n);
        }
        task.insert("RestartPolicy".into(), policy);
    }
    if !a.constraints.is_empty() {
        task.insert("Placement".into(), json!({ "Constraints": a.constraints }));
    }
    if !a.networks.is_empty() {
        let nets: Vec<Value> = a.networks.iter().map(|n| json!({ "Target": n })).collect();
        task.insert("Networks".into(), json!(nets));
    }

    let mode = match (a.global, a.replicas) {
        (true, Some(_)) => {
            return Err(ToolError::invalid(
                "a global service runs one task per node: give replicas or global, not both",
            ));
        }
        (true, None) => json!({ "Global": {} }),
        (false, n) => json!({ "Replicated": { "Replicas": n.unwrap_or(1) } }),
    };
    let mut spec = json!({
        "Name": a.name,
        "TaskTemplate": Value::Object(task),
        "Mode": mode,
    });
    if !a.labels.is_empty() {
        spec["Labels"] = string_map(&a.labels);
    }
    if !a.ports.is_empty() {
        let mode = match a.publish_mode.unwrap_or(PublishMode::Ingress) {
            PublishMode::Ingress => "ingress",
            PublishMode::Host => "host",
        };
        let mut all = Vec::new();
        for p in &a.ports {
            all.extend(ports(p, mode)?);
        }
        let ports = all;
        spec["EndpointSpec"] = json!({ "Ports": ports });
    }
    if let Some(u) = &a.update_config {
        spec["UpdateConfig"] = u.apply(&Value::Null, "update_config")?;
    }
    if let Some(r) = &a.rollback_config {
        spec["RollbackConfig"] = r.apply(&Value::Null, "rollback_config")?;
    }
    Ok(spec)
}

/// Look secret and config names up on the engine.
pub fn resolve(name: &str, secret: bool) -> ToolResult<String> {
    object_id(name, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: Value) -> CreateArgs {
        let mut v = json!({"name": "web", "image": "app:1"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    fn fake_ids(name: &str, secret: bool) -> ToolResult<String> {
        Ok(format!("{}-{name}", if secret { "s" } else { "c" }))
    }

    #[test]
    fn a_full_service_reads_as_docker_service_create_writes_it() {
        let a = args(json!({
            "command": ["sh", "-c", "serve"],
            "env": {"B": "2", "A": "1"},
            "replicas": 3,
            "ports": ["8080:80", "53/udp"],
            "publish_mode": "host",
            "networks": ["back"],
            "mounts": ["data:/data", "/srv/www:/www:ro"],
            "tmpfs": ["/tmp"],
            "secrets": ["db_pw", "tls:cert.pem"],
            "configs": ["app_conf:/etc/app.conf"],
            "constraints": ["node.role==manager"],
            "cpus": 0.5,
            "memory": "256m",
            "restart_condition": "on-failure",
            "restart_max_attempts": 3,
            "update_config": {"parallelism": 1, "delay": "10s", "order": "start-first", "failure_action": "rollback"},
            "labels": {"team": "web"},
        }));
        let s = service_spec(&a, fake_ids).unwrap();
        let c = &s["TaskTemplate"]["ContainerSpec"];
        assert_eq!(c["Args"], json!(["sh", "-c", "serve"]));
        assert_eq!(c["Env"], json!(["A=1", "B=2"]));
        assert_eq!(s["Mode"]["Replicated"]["Replicas"], 3);
        assert_eq!(
            s["EndpointSpec"]["Ports"],
            json!([
                {"Protocol": "tcp", "PublishMode": "host", "TargetPort": 80, "PublishedPort": 8080},
                {"Protocol": "udp", "PublishMode": "host", "TargetPort": 53}
            ])
        );
        assert_eq!(
            c["Mounts"][0],
            json!({"Type": "volume", "Source": "data", "Target": "/data", "ReadOnly": false})
        );
        assert_eq!(c["Mounts"][1]["Type"], "bind");
        assert_eq!(c["Mounts"][1]["ReadOnly"], true);
        assert_eq!(c["Mounts"][2], json!({"Type": "tmpfs", "Target": "/tmp"}));
        assert_eq!(c["Secrets"][0]["SecretID"], "s-db_pw");
        assert_eq!(c["Secrets"][1]["File"]["Name"], "cert.pem");
        assert_eq!(c["Configs"][0]["ConfigID"], "c-app_conf");
        assert_eq!(c["Configs"][0]["File"]["Name"], "/etc/app.conf");
        let t = &s["TaskTemplate"];
        assert_eq!(t["Resources"]["Limits"]["NanoCPUs"], 500_000_000);
        assert_eq!(t["Resources"]["Limits"]["MemoryBytes"], 256 << 20);
        assert_eq!(
            t["RestartPolicy"],
            json!({"Condition": "on-failure", "MaxAttempts": 3})
        );
        assert_eq!(t["Networks"], json!([{"Target": "back"}]));
        assert_eq!(t["Placement"]["Constraints"], json!(["node.role==manager"]));
        assert_eq!(
            s["UpdateConfig"],
            json!({"Parallelism": 1, "Delay": 10_000_000_000u64, "FailureAction": "rollback", "Order": "start-first"})
        );
        assert_eq!(s["Labels"], json!({"team": "web"}));
    }

    #[test]
    fn a_compose_update_config_reads_as_the_tool_arguments_do() {
        let u = wharf_compose_spec::UpdateConfig {
            parallelism: Some(1),
            delay: Some("10s".into()),
            order: Some("start-first".into()),
            ..Default::default()
        };
        let api = UpdatePolicy::from_compose(&u, "x")
            .unwrap()
            .apply(&Value::Null, "x")
            .unwrap();
        assert_eq!(
            api,
            json!({"Parallelism": 1, "Delay": 10_000_000_000u64, "Order": "start-first"})
        );
        let bad = wharf_compose_spec::UpdateConfig {
            failure_action: Some("panic".into()),
            ..Default::default()
        };
        let e = UpdatePolicy::from_compose(&bad, "services.web.deploy.update_config").unwrap_err();
        assert!(
            e.message
                .starts_with("services.web.deploy.update_config: unknown variant"),
            "{}",
            e.message
        );
    }

    #[test]
    fn port_ranges_publish_port_by_port() {
        let s = service_spec(&args(json!({"ports": ["9000-9001:80-81/UDP"]})), fake_ids).unwrap();
        assert_eq!(
            s["EndpointSpec"]["Ports"],
            json!([
                {"Protocol": "udp", "PublishMode": "ingress", "TargetPort": 80, "PublishedPort": 9000},
                {"Protocol": "udp", "PublishMode": "ingress", "TargetPort": 81, "PublishedPort": 9001}
            ])
        );
    }

    #[test]
    fn defaults_are_one_replica_and_nothing_else() {
        let s = service_spec(&args(json!({})), fake_ids).unwrap();
        assert_eq!(
            s,
            json!({"Name": "web", "TaskTemplate": {"ContainerSpec": {"Image": "app:1"}},
                   "Mode": {"Replicated": {"Replicas": 1}}})
        );
        let g = service_spec(&args(json!({"global": true})), fake_ids).unwrap();
        assert_eq!(g["Mode"], json!({"Global": {}}));
    }

    #[test]
    fn mistakes_name_the_argument() {
        for (extra, want) in [
            (json!({"global": true, "replicas": 2}), "replicas or global"),
            (json!({"ports": ["http"]}), "ports: `http`"),
            (json!({"ports": ["80/icmp"]}), "unknown protocol"),
            (json!({"mounts": ["./data:/data"]}), "relative source"),
            (json!({"mounts": ["data:/data:xx"]}), "unknown mode"),
            (json!({"mounts": ["data"]}), "source:target"),
            (json!({"mounts": ["/data"]}), "source:target"),
            (json!({"mounts": ["data:/data:ro,z"]}), "unknown mode"),
            (json!({"ports": ["127.0.0.1:80:80"]}), "host address"),
            (json!({"ports": ["8000-8010:80"]}), "single ports"),
            (json!({"ports": ["8080:80-81"]}), "different sizes"),
            (json!({"configs": ["c:etc/x"]}), "absolute path"),
            (json!({"memory": "lots"}), "memory: `lots`"),
            (json!({"cpus": 0.0}), "cpus must be"),
            (
                json!({"update_config": {"delay": "soon"}}),
                "update_config.delay",
            ),
        ] {
            let err = service_spec(&args(extra.clone()), fake_ids).unwrap_err();
            assert!(err.message.contains(want), "{extra}: {}", err.message);
        }
    }
}

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::{containers_read, containers_write};
use wharf_plugin_sdk::spec::{PortSpec, VolumeSpec, restart_policy};
use wharf_plugin_sdk::text::{parse_memory, short_id};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Local image, e.g. `nginx:1.27`.
    image: String,
    #[serde(default)]
    name: Option<String>,
    /// Replaces the image's CMD.
    #[serde(default)]
    command: Option<Vec<String>>,
    /// Replaces the image's ENTRYPOINT.
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// `8080:80`, `127.0.0.1:8080:80/tcp`, `53/udp`.
    #[serde(default)]
    ports: Vec<String>,
    /// `name:/data`, `/host/dir:/data:ro` (under the allowed roots), `/data`.
    #[serde(default)]
    volumes: Vec<String>,
    /// Default bridge.
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// no, always, unless-stopped, on-failure[:N].
    #[serde(default)]
    restart: Option<String>,
    /// Bytes, or 512m, 1g.
    #[serde(default)]
    memory: Option<String>,
    /// Cores, e.g. 0.5.
    #[serde(default)]
    cpus: Option<f64>,
    #[serde(default)]
    working_dir: Option<String>,
    /// Name or uid[:gid].
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    auto_remove: bool,
    /// Keeps `sh` alive without a command.
    #[serde(default)]
    tty: bool,
    /// false: only create it.
    #[serde(default = "yes")]
    start: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    id: String,
    name: String,
    /// State after the call: `created` or `running`.
    state: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

pub fn run_container(args: CreateArgs, ctx: &Context) -> ToolResult<Output> {
    let mut created = create(&args)?;
    if !args.start {
        return Ok(render(created));
    }
    if ctx.cancelled() {
        // Created but never started: remove it rather than leave a half-done run behind.
        let _ = containers_write::remove(&created.id, true, false);
        return Err(ToolError::cancelled());
    }
    if let Err(e) = containers_write::start(&created.id) {
        let _ = containers_write::remove(&created.id, true, false);
        return Err(ToolError::from(e).context(format!(
            "container {} was created but failed to start (it has been removed)",
            created.name
        )));
    }
    // A container that exits at once (a bad command) is worth saying so, with its state.
    created.state = match containers_read::inspect(&created.id) {
        Ok(raw) => serde_json::from_str::<Value>(&raw)
            .ok()
            .and_then(|v| v.pointer("/State/Status")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| "running".into()),
        // auto_remove containers may be gone already.
        Err(_) => "exited".into(),
    };
    Ok(render(created))
}

fn create(args: &CreateArgs) -> ToolResult<Created> {
    let spec = spec(args)?;
    let res = containers_write::create(args.name.as_deref(), &spec.to_string())?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => containers_read::inspect(&res.id)
            .ok()
            .and_then(|raw| serde_json::from_str::<Value>(&raw).ok())
            .and_then(|v| {
                v["Name"]
                    .as_str()
                    .map(|n| n.trim_start_matches('/').to_owned())
            })
            .unwrap_or_default(),
    };
    Ok(Created {
        id: res.id,
        name,
        state: "created".into(),
        warnings: res.warnings,
    })
}

fn render(c: Created) -> Output {
    let mut text = format!("{} {} ({})", c.state, c.name, short_id(&c.id));
    for w in &c.warnings {
        text.push_str(&format!("\nwarning: {w}"));
    }
    Output::structured(text, &c)
}

/// The Docker API body of `POST /containers/create`.
fn spec(a: &CreateArgs) -> ToolResult<Value> {
    let mut body = Map::new();
    body.insert("Image".into(), json!(a.image));
    if let Some(cmd) = &a.command {
        body.insert("Cmd".into(), json!(cmd));
    }
    if let Some(ep) = &a.entrypoint {
        body.insert("Entrypoint".into(), json!(ep));
    }
    if !a.env.is_empty() {
        for k in a.env.keys() {
            if k.is_empty() || k.contains('=') {
                return Err(ToolError::invalid(format!(
                    "env: `{k}` is not a valid variable name"
                )));
            }
        }
        let env: Vec<String> = a.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        body.insert("Env".into(), json!(env));
    }
    if !a.labels.is_empty() {
        body.insert("Labels".into(), json!(a.labels));
    }
    if let Some(w) = &a.working_dir {
        body.insert("WorkingDir".into(), json!(w));
    }
    if let Some(u) = &a.user {
        body.insert("User".into(), json!(u));
    }
    if a.tty {
        body.insert("Tty".into(), json!(true));
        body.insert("OpenStdin".into(), json!(true));
    }

    let mut host = Map::new();
    if !a.ports.is_empty() {
        let mut exposed = Map::new();
        let mut bindings: Map<String, Value> = Map::new();
        for p in &a.ports {
            let spec = PortSpec::parse(p).map_err(|e| e.at("ports"))?;
            let publish = spec.host.is_some() || spec.host_ip.is_some();
            for b in spec.bindings() {
                let key = format!("{}/{}", b.container, spec.protocol);
                exposed.insert(key.clone(), json!({}));
                if publish {
                    let entry = bindings.entry(key).or_insert_with(|| json!([]));
                    if let Some(list) = entry.as_array_mut() {
                        list.push(json!({
                            "HostIp": spec.host_ip.clone().unwrap_or_default(),
                            "HostPort": b.host.unwrap_or_default(),
                        }));
                    }
                }
            }
        }
        body.insert("ExposedPorts".into(), Value::Object(exposed));
        if !bindings.is_empty() {
            host.insert("PortBindings".into(), Value::Object(bindings));
        }
    }
    let mut binds = Vec::new();
    let mut anonymous = Map::new();
    for v in &a.volumes {
        match volume(v)? {
            Volume::Anonymous(target) => {
                anonymous.insert(target, json!({}));
            }
            Volume::Bind(b) => binds.push(b),
        }
    }
    if !binds.is_empty() {
        host.insert("Binds".into(), json!(binds));
    }
    if !anonymous.is_empty() {
        body.insert("Volumes".into(), Value::Object(anonymous));
    }
    if let Some(n) = &a.network {
        host.insert("NetworkMode".into(), json!(n));
    }
    if let Some(r) = &a.restart {
        host.insert("RestartPolicy".into(), restart_policy(r, "restart")?);
    }
    if let Some(m) = &a.memory {
        host.insert("Memory".into(), json!(parse_memory(m)?));
    }
    if let Some(c) = a.cpus {
        if !(c > 0.0 && c <= 1024.0) {
            return Err(ToolError::invalid("cpus must be between 0 and 1024"));
        }
        host.insert("NanoCpus".into(), json!((c * 1e9).round() as i64));
    }
    if a.auto_remove {
        host.insert("AutoRemove".into(), json!(true));
    }
    if !host.is_empty() {
        body.insert("HostConfig".into(), Value::Object(host));
    }
    Ok(Value::Object(body))
}

#[derive(Debug, PartialEq)]
enum Volume {
    Anonymous(String),
    /// `source:target[:mode]` as Docker's Binds take it (named volume or host path).
    Bind(String),
}

/// A `-v` volume. Unlike a compose file, `docker run` has no directory to resolve a
/// relative source from (and the sandbox no home for `~`).
fn volume(s: &str) -> ToolResult<Volume> {
    let spec = VolumeSpec::parse(s).map_err(|e| e.at("volumes"))?;
    match spec.source {
        None => Ok(Volume::Anonymous(spec.target)),
        Some(src) if src.starts_with('.') || src.starts_with('~') => Err(ToolError::invalid(
            format!("volumes: `{s}` must use an absolute host path"),
        )),
        Some(_) => Ok(Volume::Bind(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_parse_like_docker_run() {
        assert_eq!(volume("/data").unwrap(), Volume::Anonymous("/data".into()));
        assert_eq!(volume("db:/data").unwrap(), Volume::Bind("db:/data".into()));
        assert_eq!(
            volume("/srv:/data:ro").unwrap(),
            Volume::Bind("/srv:/data:ro".into())
        );
        assert!(volume("./x:/data").is_err());
        assert!(volume("~/x:/data").is_err());
        assert!(volume("db:data").is_err());
        let e = volume("/a:/b:bogus").unwrap_err();
        assert!(
            e.message.starts_with("volumes: `/a:/b:bogus`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn published_ranges_and_restart_no_reach_the_api_body() {
        let a: CreateArgs = serde_json::from_value(json!({
            "image": "busybox", "ports": ["127.0.0.1:9000-9001:8000-8001/udp", "53"],
            "restart": "no"
        }))
        .unwrap();
        let s = spec(&a).unwrap();
        assert_eq!(
            s["ExposedPorts"],
            json!({"8000/udp": {}, "8001/udp": {}, "53/tcp": {}})
        );
        let b = &s["HostConfig"]["PortBindings"];
        assert_eq!(
            b["8001/udp"],
            json!([{"HostIp": "127.0.0.1", "HostPort": "9001"}])
        );
        assert!(
            b.get("53/tcp").is_none(),
            "an unpublished port is only exposed"
        );
        assert_eq!(
            s["HostConfig"]["RestartPolicy"],
            json!({"Name": "no", "MaximumRetryCount": 0})
        );
        let bad: CreateArgs =
            serde_json::from_value(json!({"image": "busybox", "ports": ["80/icmp"]})).unwrap();
        assert!(
            spec(&bad)
                .unwrap_err()
                .message
                .starts_with("ports: `80/icmp`")
        );
        let bad: CreateArgs =
            serde_json::from_value(json!({"image": "busybox", "restart": "sometimes"})).unwrap();
        assert!(
            spec(&bad)
                .unwrap_err()
                .message
                .starts_with("restart: `sometimes`")
        );
    }

    #[test]
    fn spec_maps_arguments_to_the_api_body() {
        let a: CreateArgs = serde_json::from_value(json!({
            "image": "busybox", "command": ["sleep", "60"], "env": {"A": "1"},
            "ports": ["8080:80"], "volumes": ["db:/data", "/tmp2"], "labels": {"x": "y"},
            "restart": "always", "memory": "64m", "cpus": 0.5, "auto_remove": true
        }))
        .unwrap();
        let s = spec(&a).unwrap();
        assert_eq!(s["Cmd"], json!(["sleep", "60"]));
        assert_eq!(s["Env"], json!(["A=1"]));
        assert_eq!(s["ExposedPorts"], json!({"80/tcp": {}}));
        assert_eq!(
            s["HostConfig"]["PortBindings"]["80/tcp"],
            json!([{"HostIp": "", "HostPort": "8080"}])
        );
        assert_eq!(s["HostConfig"]["Binds"], json!(["db:/data"]));
        assert_eq!(s["Volumes"], json!({"/tmp2": {}}));
        assert_eq!(s["HostConfig"]["NanoCpus"], 500_000_000);
        assert_eq!(s["HostConfig"]["Memory"], 64 << 20);
    }
}

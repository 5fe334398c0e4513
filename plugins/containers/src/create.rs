use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::{containers_read, containers_write};
use wharf_plugin_sdk::text::{parse_memory, short_id};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Image reference, e.g. `nginx:1.27`; must be present locally.
    image: String,
    /// Container name (Docker picks one if omitted).
    #[serde(default)]
    name: Option<String>,
    /// Command and arguments, replacing the image's CMD.
    #[serde(default)]
    command: Option<Vec<String>>,
    /// Entrypoint, replacing the image's ENTRYPOINT.
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    /// Environment variables.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Published ports like `docker run -p`: `8080:80`, `127.0.0.1:8080:80/tcp`, `53/udp`.
    #[serde(default)]
    ports: Vec<String>,
    /// Volumes like `docker run -v`: `name:/data`, `/host/dir:/data:ro` (host paths
    /// must lie under the allowed roots), or `/data` for an anonymous volume.
    #[serde(default)]
    volumes: Vec<String>,
    /// Network to connect to (default: bridge).
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// Restart policy: no, always, unless-stopped, on-failure or on-failure:N.
    #[serde(default)]
    restart: Option<String>,
    /// Memory limit: bytes, or with a unit: 512m, 1g.
    #[serde(default)]
    memory: Option<String>,
    /// CPU limit in cores, e.g. 0.5.
    #[serde(default)]
    cpus: Option<f64>,
    /// Working directory inside the container.
    #[serde(default)]
    working_dir: Option<String>,
    /// User (name or uid[:gid]) the command runs as.
    #[serde(default)]
    user: Option<String>,
    /// Remove the container when it exits.
    #[serde(default)]
    auto_remove: bool,
    /// Allocate a TTY (keeps `sh` alive when run without a command).
    #[serde(default)]
    tty: bool,
    /// false: only create it, like docker create.
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
            let spec = PortSpec::parse(p)?;
            let key = format!("{}/{}", spec.container, spec.protocol);
            exposed.insert(key.clone(), json!({}));
            if spec.host_port.is_some() || spec.host_ip.is_some() {
                let entry = bindings.entry(key).or_insert_with(|| json!([]));
                if let Some(list) = entry.as_array_mut() {
                    list.push(json!({
                        "HostIp": spec.host_ip.unwrap_or_default(),
                        "HostPort": spec.host_port.map(|p| p.to_string()).unwrap_or_default(),
                    }));
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
        match VolumeSpec::parse(v)? {
            VolumeSpec::Anonymous(target) => {
                anonymous.insert(target, json!({}));
            }
            VolumeSpec::Bind(b) => binds.push(b),
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
        host.insert("RestartPolicy".into(), restart_policy(r)?);
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
struct PortSpec {
    host_ip: Option<String>,
    host_port: Option<u16>,
    container: u16,
    protocol: String,
}

impl PortSpec {
    /// `[ip:][host_port:]container_port[/protocol]`, the ip possibly `[v6]`.
    fn parse(s: &str) -> ToolResult<PortSpec> {
        let bad = |why: &str| ToolError::invalid(format!("ports: `{s}` {why}"));
        let (rest, protocol) = match s.rsplit_once('/') {
            Some((r, p)) => (r, p.to_ascii_lowercase()),
            None => (s, "tcp".to_owned()),
        };
        if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
            return Err(bad("has an unknown protocol (tcp, udp or sctp)"));
        }
        let (host_ip, rest) = if let Some(r) = rest.strip_prefix('[') {
            let (ip, r) = r
                .split_once("]:")
                .ok_or_else(|| bad("has an unclosed [ipv6]"))?;
            (Some(ip.to_owned()), r)
        } else {
            let parts: Vec<&str> = rest.split(':').collect();
            match parts.len() {
                1 | 2 => (None, rest),
                3 => (Some(parts[0].to_owned()), &rest[parts[0].len() + 1..]),
                _ => return Err(bad("is not [ip:][host_port:]container_port[/protocol]")),
            }
        };
        let port = |p: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad("has a port that is not a number from 1 to 65535"))
        };
        let (host_port, container) = match rest.split_once(':') {
            Some(("", c)) => (None, port(c)?),
            Some((h, c)) => (Some(port(h)?), port(c)?),
            None => (None, port(rest)?),
        };
        Ok(PortSpec {
            host_ip: host_ip.filter(|ip| !ip.is_empty()),
            host_port,
            container,
            protocol,
        })
    }
}

#[derive(Debug, PartialEq)]
enum VolumeSpec {
    Anonymous(String),
    /// `source:target[:mode]` as Docker's Binds take it (named volume or host path).
    Bind(String),
}

impl VolumeSpec {
    fn parse(s: &str) -> ToolResult<VolumeSpec> {
        let bad = |why: &str| ToolError::invalid(format!("volumes: `{s}` {why}"));
        let parts: Vec<&str> = s.split(':').collect();
        let target_ok = |t: &str| t.starts_with('/');
        match parts.as_slice() {
            [target] if target_ok(target) => Ok(VolumeSpec::Anonymous((*target).to_owned())),
            [src, target] | [src, target, _] if !src.is_empty() && target_ok(target) => {
                if let [_, _, mode] = parts.as_slice() {
                    for m in mode.split(',') {
                        if !matches!(
                            m,
                            "ro" | "rw"
                                | "z"
                                | "Z"
                                | "nocopy"
                                | "shared"
                                | "slave"
                                | "private"
                                | "rshared"
                                | "rslave"
                                | "rprivate"
                        ) {
                            return Err(bad("has an unknown mode (ro, rw, ...)"));
                        }
                    }
                }
                if src.starts_with('.') || src.starts_with('~') {
                    return Err(bad("must use an absolute host path"));
                }
                Ok(VolumeSpec::Bind(s.to_owned()))
            }
            _ => Err(bad(
                "is not `name:/path`, `/host/path:/path[:ro]` or `/path`",
            )),
        }
    }
}

fn restart_policy(s: &str) -> ToolResult<Value> {
    let (name, retries) = match s.split_once(':') {
        Some(("on-failure", n)) => (
            "on-failure",
            n.parse::<u32>().map_err(|_| {
                ToolError::invalid(format!("restart: `{s}`: the retry count must be a number"))
            })?,
        ),
        None if matches!(s, "no" | "always" | "unless-stopped" | "on-failure") => (s, 0),
        _ => {
            return Err(ToolError::invalid(format!(
                "restart: `{s}` is not no, always, unless-stopped, on-failure or on-failure:N"
            )));
        }
    };
    Ok(json!({"Name": name, "MaximumRetryCount": retries}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_like_docker_run() {
        let p = PortSpec::parse("8080:80").unwrap();
        assert_eq!(
            (p.host_port, p.container, p.protocol.as_str()),
            (Some(8080), 80, "tcp")
        );
        let p = PortSpec::parse("127.0.0.1:8080:80/udp").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.protocol, "udp");
        let p = PortSpec::parse("[::1]:8080:80").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        let p = PortSpec::parse("80").unwrap();
        assert_eq!((p.host_port, p.container), (None, 80));
        assert!(PortSpec::parse("80/xyz").is_err());
        assert!(PortSpec::parse("0:80").is_err());
        assert!(PortSpec::parse("a:b:c:d").is_err());
        assert!(PortSpec::parse("99999").is_err());
    }

    #[test]
    fn volumes_parse_like_docker_run() {
        assert_eq!(
            VolumeSpec::parse("/data").unwrap(),
            VolumeSpec::Anonymous("/data".into())
        );
        assert_eq!(
            VolumeSpec::parse("db:/data").unwrap(),
            VolumeSpec::Bind("db:/data".into())
        );
        assert_eq!(
            VolumeSpec::parse("/srv:/data:ro").unwrap(),
            VolumeSpec::Bind("/srv:/data:ro".into())
        );
        assert!(VolumeSpec::parse("./x:/data").is_err());
        assert!(VolumeSpec::parse("db:data").is_err());
        assert!(VolumeSpec::parse("/a:/b:bogus").is_err());
    }

    #[test]
    fn restart_policies() {
        assert_eq!(
            restart_policy("on-failure:3").unwrap()["MaximumRetryCount"],
            3
        );
        assert_eq!(restart_policy("always").unwrap()["Name"], "always");
        assert!(restart_policy("sometimes").is_err());
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

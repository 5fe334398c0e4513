//! From a merged, interpolated document to the [`Project`]: short and long syntax alike,
//! type errors naming the key (`services.web.ports[1]`), and a warning for every key wharf
//! does not act on, so nothing that matters is dropped in silence.

use crate::merge::{keyed_map, named_map};
use crate::model::*;
use serde_yaml_ng::{Mapping, Value};
use std::collections::BTreeMap;
use wharf_plugin_sdk::spec::{PortSpec, SyntaxError, VolumeSpec};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {why}")]
pub struct SpecError {
    pub path: String,
    pub why: String,
}

fn err(path: &str, why: impl Into<String>) -> SpecError {
    SpecError {
        path: path.to_owned(),
        why: why.into(),
    }
}

/// Reads one mapping, remembering which keys were used so the rest can be warned about.
struct Obj<'a> {
    map: &'a Mapping,
    path: String,
    used: Vec<&'static str>,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, path: &str) -> Result<Self, SpecError> {
        match v {
            Value::Mapping(map) => Ok(Obj {
                map,
                path: path.to_owned(),
                used: Vec::new(),
            }),
            _ => Err(err(path, "must be a mapping")),
        }
    }

    fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &'static str) -> Result<Option<String>, SpecError> {
        let path = self.child(key);
        self.get(key).map(|v| scalar(v, &path)).transpose()
    }

    fn bool(&mut self, key: &'static str) -> Result<bool, SpecError> {
        let path = self.child(key);
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(err(&path, "must be true or false")),
        }
    }

    /// Keys present but not read: for warnings.
    fn unused(&self, ignored: &[&str]) -> Vec<String> {
        self.map
            .keys()
            .filter_map(|k| k.as_str())
            .filter(|k| !self.used.contains(k) && !ignored.contains(k) && !k.starts_with("x-"))
            .map(|k| self.child(k))
            .collect()
    }
}

fn scalar(v: &Value, path: &str) -> Result<String, SpecError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(err(path, "must be a string")),
    }
}

fn strings(v: &Value, path: &str) -> Result<Vec<String>, SpecError> {
    match v {
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| scalar(item, &format!("{path}[{i}]")))
            .collect(),
        other => Ok(vec![scalar(other, path)?]),
    }
}

/// A command: a list as it is, a string split as a shell would (quotes respected).
fn command(v: &Value, path: &str) -> Result<Vec<String>, SpecError> {
    match v {
        Value::String(s) => split_words(s).ok_or_else(|| err(path, "has an unterminated quote")),
        other => strings(other, path),
    }
}

fn split_words(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

fn string_map(
    v: &Value,
    path: &str,
    sep: char,
) -> Result<BTreeMap<String, Option<String>>, SpecError> {
    let Value::Mapping(m) = keyed_map(v, sep) else {
        return Err(err(path, "must be a mapping or a list of KEY=value"));
    };
    m.iter()
        .map(|(k, v)| {
            let key = scalar(k, path)?;
            let value = if v.is_null() {
                None
            } else {
                Some(scalar(v, &format!("{path}.{key}"))?)
            };
            Ok((key, value))
        })
        .collect()
}

fn labels(v: Option<&Value>, path: &str) -> Result<BTreeMap<String, String>, SpecError> {
    Ok(match v {
        None => BTreeMap::new(),
        Some(v) => string_map(v, path, '=')?
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect(),
    })
}

/// A syntax error from the short syntaxes the SDK parses, at `path`.
fn syntax(path: &str, e: SyntaxError) -> SpecError {
    err(path, e.to_string())
}

/// `[IP:][HOST[-RANGE]:]CONTAINER[-RANGE][/PROTO]`, one entry per container port.
fn short_ports(spec: &str, path: &str) -> Result<Vec<Port>, SpecError> {
    let p = PortSpec::parse(spec).map_err(|e| syntax(path, e))?;
    Ok(p.bindings()
        .into_iter()
        .map(|b| Port {
            mode: None,
            target: b.container,
            published: b.host,
            host_ip: p.host_ip.clone(),
            protocol: p.protocol.clone(),
        })
        .collect())
}

fn ports(v: &Value, path: &str) -> Result<Vec<Port>, SpecError> {
    let Value::Sequence(items) = v else {
        return Err(err(path, "must be a list"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match item {
            Value::Mapping(_) => {
                let mut o = Obj::new(item, &p)?;
                let target = o
                    .string("target")?
                    .ok_or_else(|| err(&p, "needs a target"))?;
                out.push(Port {
                    target: target
                        .parse()
                        .map_err(|_| err(&o.child("target"), "must be a port number"))?,
                    published: o.string("published")?,
                    host_ip: o.string("host_ip")?,
                    protocol: o.string("protocol")?.unwrap_or_else(|| "tcp".into()),
                    mode: o.string("mode")?,
                });
                o.string("name")?;
                o.string("app_protocol")?;
            }
            other => out.extend(short_ports(&scalar(other, &p)?, &p)?),
        }
    }
    Ok(out)
}

fn is_path(source: &str) -> bool {
    source.starts_with(['.', '/', '~']) || source.contains('/')
}

fn mounts(v: &Value, path: &str) -> Result<Vec<Mount>, SpecError> {
    let Value::Sequence(items) = v else {
        return Err(err(path, "must be a list"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let mount = match item {
            Value::Mapping(_) => {
                let mut o = Obj::new(item, &p)?;
                let kind = match o.string("type")?.as_deref() {
                    Some("volume") | None => MountKind::Volume,
                    Some("bind") => MountKind::Bind,
                    Some("tmpfs") => MountKind::Tmpfs,
                    Some(other) => {
                        return Err(err(
                            &o.child("type"),
                            format!("unsupported mount type {other:?}"),
                        ));
                    }
                };
                let target = o
                    .string("target")?
                    .ok_or_else(|| err(&p, "needs a target"))?;
                let m = Mount {
                    kind,
                    source: o.string("source")?,
                    target,
                    read_only: o.bool("read_only")?,
                };
                o.get("bind");
                o.get("volume");
                o.get("tmpfs");
                o.get("consistency");
                m
            }
            other => {
                let v = VolumeSpec::parse(&scalar(other, &p)?).map_err(|e| syntax(&p, e))?;
                Mount {
                    kind: if v.source.as_deref().is_some_and(is_path) {
                        MountKind::Bind
                    } else {
                        MountKind::Volume
                    },
                    read_only: v.read_only(),
                    source: v.source,
                    target: v.target,
                }
            }
        };
        out.push(mount);
    }
    Ok(out)
}

/// `512m`, `1g`, `1024`: bytes.
fn bytes(s: &str, path: &str) -> Result<u64, SpecError> {
    let lower = s.trim().to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &lower[digits.len()..];
    let n: f64 = digits
        .parse()
        .map_err(|_| err(path, format!("invalid size {s:?}")))?;
    let mult = match unit {
        "" | "b" => 1u64,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        _ => return Err(err(path, format!("invalid size {s:?}"))),
    };
    Ok((n * mult as f64) as u64)
}

/// `deploy`: replicas and limits, which Compose acts on too, and what only a swarm does.
fn deploy(
    s: &mut Service,
    d: &Value,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<(), SpecError> {
    let mut dobj = Obj::new(d, path)?;
    if let Some(r) = dobj.string("replicas")? {
        s.replicas = r
            .parse()
            .map_err(|_| err(&dobj.child("replicas"), "must be a number"))?;
    }
    match dobj.string("mode")?.as_deref() {
        None | Some("replicated") => {}
        Some("global") => s.swarm.global = true,
        Some(other) => {
            return Err(err(
                &dobj.child("mode"),
                format!("must be replicated or global, not {other:?}"),
            ));
        }
    }
    if let Some(p) = dobj.get("placement") {
        let mut po = Obj::new(p, &dobj.child("placement"))?;
        if let Some(c) = po.get("constraints") {
            s.swarm.constraints = strings(c, &po.child("constraints"))?;
        }
        warnings.extend(po.unused(&[]));
    }
    s.swarm.labels = labels(dobj.get("labels"), &dobj.child("labels"))?;
    if let Some(r) = dobj.get("restart_policy") {
        let mut ro = Obj::new(r, &dobj.child("restart_policy"))?;
        s.swarm.restart_policy = Some(RestartPolicy {
            condition: ro.string("condition")?,
            delay: ro.string("delay")?,
            max_attempts: number(&mut ro, "max_attempts")?,
            window: ro.string("window")?,
        });
        warnings.extend(ro.unused(&[]));
    }
    if let Some(u) = dobj.get("update_config") {
        s.swarm.update_config = Some(update_config(u, &dobj.child("update_config"), warnings)?);
    }
    if let Some(u) = dobj.get("rollback_config") {
        s.swarm.rollback_config = Some(update_config(u, &dobj.child("rollback_config"), warnings)?);
    }
    if let Some(res) = dobj.get("resources") {
        let mut ro = Obj::new(res, &dobj.child("resources"))?;
        for (key, limits) in [("limits", true), ("reservations", false)] {
            let Some(l) = ro.get(key) else { continue };
            let mut lo = Obj::new(l, &ro.child(key))?;
            let cpus = match lo.string("cpus")? {
                Some(c) => Some(
                    c.parse::<f64>()
                        .map_err(|_| err(&lo.child("cpus"), "must be a number"))?,
                ),
                None => None,
            };
            let memory = match lo.string("memory")? {
                Some(m) => Some(bytes(&m, &lo.child("memory"))?),
                None => None,
            };
            if limits {
                s.cpus = cpus;
                s.memory = memory;
                lo.get("pids");
            } else {
                s.swarm.reserve_cpus = cpus;
                s.swarm.reserve_memory = memory;
            }
            warnings.extend(lo.unused(&[]));
        }
        warnings.extend(ro.unused(&[]));
    }
    warnings.extend(dobj.unused(&[]));
    Ok(())
}

fn number(o: &mut Obj<'_>, key: &'static str) -> Result<Option<u64>, SpecError> {
    let path = o.child(key);
    o.string(key)?
        .map(|n| n.parse().map_err(|_| err(&path, "must be a whole number")))
        .transpose()
}

fn update_config(
    v: &Value,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<UpdateConfig, SpecError> {
    let mut o = Obj::new(v, path)?;
    let u = UpdateConfig {
        parallelism: number(&mut o, "parallelism")?,
        delay: o.string("delay")?,
        failure_action: o.string("failure_action")?,
        monitor: o.string("monitor")?,
        order: o.string("order")?,
    };
    warnings.extend(o.unused(&[]));
    Ok(u)
}

/// A service's `secrets` or `configs`: names, or `{source, target, uid, gid, mode}`.
fn file_refs(v: &Value, path: &str) -> Result<Vec<FileRef>, SpecError> {
    let Value::Sequence(items) = v else {
        return Err(err(path, "must be a list"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let p = format!("{path}[{i}]");
            match item {
                Value::Mapping(_) => {
                    let mut o = Obj::new(item, &p)?;
                    let source = o
                        .string("source")?
                        .ok_or_else(|| err(&p, "needs a source"))?;
                    let mode = match o.string("mode")? {
                        // YAML reads 0444 as the decimal 444 and 0o444 as a string: both
                        // are meant as octal, as Compose takes them.
                        Some(m) => Some(
                            u32::from_str_radix(m.trim_start_matches("0o"), 8)
                                .map_err(|_| err(&o.child("mode"), "must be an octal file mode"))?,
                        ),
                        None => None,
                    };
                    let r = FileRef {
                        source,
                        target: o.string("target")?,
                        uid: o.string("uid")?,
                        gid: o.string("gid")?,
                        mode,
                    };
                    let unused = o.unused(&[]);
                    match unused.first() {
                        Some(k) => Err(err(k, "is not a key of a secret or config reference")),
                        None => Ok(r),
                    }
                }
                other => Ok(FileRef {
                    source: scalar(other, &p)?,
                    ..Default::default()
                }),
            }
        })
        .collect()
}

/// Top-level `secrets` or `configs`: `file` or `external`, optionally `name`.
fn file_objects(
    v: &Value,
    kind: &str,
    project: &str,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, FileObject>, SpecError> {
    let Value::Mapping(map) = v else {
        return Err(err(kind, "must be a mapping"));
    };
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let key = scalar(k, kind)?;
        let path = format!("{kind}.{key}");
        let mut o = Obj::new(v, &path)?;
        let mut f = FileObject {
            name: format!("{project}_{key}"),
            file: o.string("file")?,
            external: o.bool("external")?,
            labels: labels(o.get("labels"), &format!("{path}.labels"))?,
        };
        if let Some(explicit) = o.string("name")? {
            f.name = explicit;
        } else if f.external {
            f.name = key.clone();
        }
        if f.file.is_none() && !f.external {
            return Err(err(&path, "needs a file, or external: true"));
        }
        warnings.extend(o.unused(&[]));
        out.insert(key, f);
    }
    Ok(out)
}

fn service(name: &str, v: &Value, warnings: &mut Vec<String>) -> Result<Service, SpecError> {
    let path = format!("services.{name}");
    let mut o = Obj::new(v, &path)?;
    let mut s = Service {
        replicas: 1,
        ..Default::default()
    };
    s.image = o.string("image")?;
    if let Some(b) = o.get("build") {
        let p = o.child("build");
        s.build = Some(match b {
            Value::Mapping(_) => {
                let mut bo = Obj::new(b, &p)?;
                let build = Build {
                    context: bo.string("context")?.unwrap_or_else(|| ".".into()),
                    dockerfile: bo.string("dockerfile")?,
                    args: match bo.get("args") {
                        Some(a) => string_map(a, &bo.child("args"), '=')?
                            .into_iter()
                            .map(|(k, v)| (k, v.unwrap_or_default()))
                            .collect(),
                        None => BTreeMap::new(),
                    },
                    target: bo.string("target")?,
                };
                warnings.extend(bo.unused(&[]));
                build
            }
            other => Build {
                context: scalar(other, &p)?,
                ..Default::default()
            },
        });
    }
    if s.image.is_none() && s.build.is_none() {
        return Err(err(&path, "has neither an image nor a build"));
    }
    s.command = o
        .get("command")
        .map(|c| command(c, &format!("{path}.command")))
        .transpose()?;
    s.entrypoint = o
        .get("entrypoint")
        .map(|c| command(c, &format!("{path}.entrypoint")))
        .transpose()?;
    if let Some(e) = o.get("environment") {
        s.environment = string_map(e, &o.child("environment"), '=')?;
    }
    if let Some(e) = o.get("env_file") {
        s.env_file = strings(e, &o.child("env_file"))?;
    }
    if let Some(p) = o.get("ports") {
        s.ports = ports(p, &o.child("ports"))?;
    }
    if let Some(e) = o.get("expose") {
        s.expose = strings(e, &o.child("expose"))?;
    }
    if let Some(m) = o.get("volumes") {
        s.volumes = mounts(m, &o.child("volumes"))?;
    }
    match o.get("networks") {
        None => {
            s.networks.insert("default".into(), Attachment::default());
        }
        Some(n) => {
            let p = o.child("networks");
            let Value::Mapping(m) = named_map(n) else {
                return Err(err(&p, "must be a list or a mapping"));
            };
            for (k, v) in &m {
                let key = scalar(k, &p)?;
                let mut a = Attachment::default();
                if !v.is_null() {
                    let mut no = Obj::new(v, &format!("{p}.{key}"))?;
                    if let Some(al) = no.get("aliases") {
                        a.aliases = strings(al, &no.child("aliases"))?;
                    }
                    no.get("ipv4_address");
                    no.get("ipv6_address");
                    no.get("priority");
                    warnings.extend(no.unused(&[]));
                }
                s.networks.insert(key, a);
            }
        }
    }
    if let Some(d) = o.get("depends_on") {
        let p = o.child("depends_on");
        let Value::Mapping(m) = named_map(d) else {
            return Err(err(&p, "must be a list or a mapping"));
        };
        for (k, v) in &m {
            let key = scalar(k, &p)?;
            let condition = if v.is_null() {
                Condition::ServiceStarted
            } else {
                let mut dobj = Obj::new(v, &format!("{p}.{key}"))?;
                let c = match dobj.string("condition")?.as_deref() {
                    None | Some("service_started") => Condition::ServiceStarted,
                    Some("service_healthy") => Condition::ServiceHealthy,
                    Some("service_completed_successfully") => {
                        Condition::ServiceCompletedSuccessfully
                    }
                    Some(other) => {
                        return Err(err(
                            &dobj.child("condition"),
                            format!("unknown condition {other:?}"),
                        ));
                    }
                };
                dobj.get("restart");
                dobj.get("required");
                c
            };
            s.depends_on.insert(key, Dependency { condition });
        }
    }
    if let Some(h) = o.get("healthcheck") {
        let mut ho = Obj::new(h, &o.child("healthcheck"))?;
        let disabled = ho.bool("disable")?;
        let test = match ho.get("test") {
            Some(Value::String(t)) => vec!["CMD-SHELL".to_owned(), t.clone()],
            Some(t) => strings(t, &ho.child("test"))?,
            None => Vec::new(),
        };
        s.healthcheck = Some(Healthcheck {
            test: if disabled { vec!["NONE".into()] } else { test },
            interval: ho.string("interval")?,
            timeout: ho.string("timeout")?,
            retries: ho
                .string("retries")?
                .map(|r| {
                    r.parse()
                        .map_err(|_| err(&ho.child("retries"), "must be a number"))
                })
                .transpose()?,
            start_period: ho.string("start_period")?,
        });
        ho.get("start_interval");
        warnings.extend(ho.unused(&[]));
    }
    s.restart = o.string("restart")?;
    s.labels = labels(o.get("labels"), &format!("{path}.labels"))?;
    s.container_name = o.string("container_name")?;
    s.hostname = o.string("hostname")?;
    s.working_dir = o.string("working_dir")?;
    s.user = o.string("user")?;
    if let Some(h) = o.get("extra_hosts") {
        s.extra_hosts = string_map(h, &o.child("extra_hosts"), ':')?
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect();
    }
    if let Some(d) = o.get("deploy") {
        deploy(&mut s, d, &o.child("deploy"), warnings)?;
    }
    if let Some(v) = o.get("secrets") {
        s.swarm.secrets = file_refs(v, &o.child("secrets"))?;
    }
    if let Some(v) = o.get("configs") {
        s.swarm.configs = file_refs(v, &o.child("configs"))?;
    }
    if let Some(p) = o.get("profiles") {
        s.profiles = strings(p, &o.child("profiles"))?;
    }
    warnings.extend(o.unused(&[]));
    Ok(s)
}

/// The project named `name` from the merged, interpolated document; warnings for keys
/// wharf does not act on.
pub fn project(doc: &Value, name: &str) -> Result<(Project, Vec<String>), SpecError> {
    let mut warnings = Vec::new();
    let mut top = Obj::new(doc, "")?;
    let mut project = Project {
        name: name.to_owned(),
        ..Default::default()
    };
    let services = top
        .get("services")
        .ok_or_else(|| err("services", "the project defines no services"))?;
    let Value::Mapping(services) = services else {
        return Err(err("services", "must be a mapping"));
    };
    for (k, v) in services {
        let key = scalar(k, "services")?;
        project
            .services
            .insert(key.clone(), service(&key, v, &mut warnings)?);
    }
    if let Some(Value::Mapping(nets)) = top.get("networks") {
        for (k, v) in nets {
            let key = scalar(k, "networks")?;
            let path = format!("networks.{key}");
            let mut n = Network {
                name: format!("{name}_{key}"),
                ..Default::default()
            };
            if !v.is_null() {
                let mut no = Obj::new(v, &path)?;
                n.driver = no.string("driver")?;
                n.internal = no.bool("internal")?;
                n.external = no.bool("external")?;
                n.labels = labels(no.get("labels"), &format!("{path}.labels"))?;
                if let Some(explicit) = no.string("name")? {
                    n.name = explicit;
                } else if n.external {
                    n.name = key.clone();
                }
                n.attachable = no.bool("attachable")?;
                no.get("ipam");
                no.get("driver_opts");
                warnings.extend(no.unused(&[]));
            }
            project.networks.insert(key, n);
        }
    }
    let uses_default = project
        .services
        .values()
        .any(|s| s.networks.contains_key("default"));
    if uses_default && !project.networks.contains_key("default") {
        project.networks.insert(
            "default".into(),
            Network {
                name: format!("{name}_default"),
                ..Default::default()
            },
        );
    }
    if let Some(Value::Mapping(vols)) = top.get("volumes") {
        for (k, v) in vols {
            let key = scalar(k, "volumes")?;
            let path = format!("volumes.{key}");
            let mut vol = Volume {
                name: format!("{name}_{key}"),
                ..Default::default()
            };
            if !v.is_null() {
                let mut vo = Obj::new(v, &path)?;
                vol.driver = vo.string("driver")?;
                vol.external = vo.bool("external")?;
                vol.labels = labels(vo.get("labels"), &format!("{path}.labels"))?;
                if let Some(explicit) = vo.string("name")? {
                    vol.name = explicit;
                } else if vol.external {
                    vol.name = key.clone();
                }
                vo.get("driver_opts");
                warnings.extend(vo.unused(&[]));
            }
            project.volumes.insert(key, vol);
        }
    }
    // References must resolve: a typo here is an error now, not a failed `up` later.
    for (sname, s) in &project.services {
        for n in s.networks.keys() {
            if !project.networks.contains_key(n) {
                return Err(err(
                    &format!("services.{sname}.networks"),
                    format!("refers to undefined network {n}"),
                ));
            }
        }
        for d in s.depends_on.keys() {
            if !project.services.contains_key(d) {
                return Err(err(
                    &format!("services.{sname}.depends_on"),
                    format!("refers to undefined service {d}"),
                ));
            }
        }
        for m in &s.volumes {
            if let (MountKind::Volume, Some(src)) = (m.kind, &m.source)
                && !project.volumes.contains_key(src)
            {
                return Err(err(
                    &format!("services.{sname}.volumes"),
                    format!("refers to undefined volume {src}"),
                ));
            }
        }
    }
    if let Some(v) = top.get("secrets") {
        project.secrets = file_objects(v, "secrets", name, &mut warnings)?;
    }
    if let Some(v) = top.get("configs") {
        project.configs = file_objects(v, "configs", name, &mut warnings)?;
    }
    for (sname, s) in &project.services {
        for (refs, defined, kind) in [
            (&s.swarm.secrets, &project.secrets, "secrets"),
            (&s.swarm.configs, &project.configs, "configs"),
        ] {
            if let Some(r) = refs.iter().find(|r| !defined.contains_key(&r.source)) {
                return Err(err(
                    &format!("services.{sname}.{kind}"),
                    format!(
                        "refers to undefined {} {}",
                        &kind[..kind.len() - 1],
                        r.source
                    ),
                ));
            }
        }
    }
    top.get("name");
    top.get("version");
    warnings.extend(top.unused(&["include"]));
    if top.map.contains_key("include") {
        warnings.push("include: not supported by wharf yet; ignored".to_owned());
    }
    let warnings = warnings
        .into_iter()
        .map(|w| {
            if w.contains(": ") {
                w
            } else {
                format!("{w}: unknown or unsupported key; ignored")
            }
        })
        .collect();
    Ok((project, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Result<(Project, Vec<String>), SpecError> {
        project(&serde_yaml_ng::from_str(yaml).unwrap(), "shop")
    }

    #[test]
    fn short_and_long_syntax_normalise_alike() {
        let (p, warnings) = load(
            "services:
  web:
    image: nginx
    command: nginx -g 'daemon off;'
    ports: ['8080:80', '127.0.0.1:9000-9001:9000-9001/udp', {target: 443, published: '8443'}]
    volumes: ['data:/data', './conf:/etc/nginx:ro', '/cache', {type: tmpfs, target: /run}]
    environment: [A=1, B]
    depends_on: {db: {condition: service_healthy}}
    networks: {front: {aliases: [www]}}
    deploy: {replicas: 2, resources: {limits: {cpus: '0.5', memory: 512m}}}
    mystery: 1
  db:
    build: ./db
    healthcheck: {test: pg_isready, retries: 5}
networks: {front: {}}
volumes: {data: {}}
",
        )
        .unwrap();
        let web = &p.services["web"];
        assert_eq!(
            web.command.as_deref().unwrap(),
            ["nginx", "-g", "daemon off;"]
        );
        assert_eq!(web.ports.len(), 4);
        assert_eq!(web.ports[2].published.as_deref(), Some("9001"));
        assert_eq!(web.ports[2].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(web.ports[2].protocol, "udp");
        assert_eq!(web.volumes[1].kind, MountKind::Bind);
        assert!(web.volumes[1].read_only);
        assert_eq!(web.volumes[2].source, None);
        assert_eq!(web.volumes[3].kind, MountKind::Tmpfs);
        assert_eq!(web.environment["B"], None);
        assert_eq!(web.depends_on["db"].condition, Condition::ServiceHealthy);
        assert_eq!(web.networks["front"].aliases, ["www"]);
        assert_eq!(
            (web.replicas, web.cpus, web.memory),
            (2, Some(0.5), Some(512 << 20))
        );
        assert_eq!(
            p.services["db"].healthcheck.as_ref().unwrap().test,
            ["CMD-SHELL", "pg_isready"]
        );
        assert_eq!(p.networks["front"].name, "shop_front");
        assert_eq!(p.networks["default"].name, "shop_default");
        assert_eq!(p.volumes["data"].name, "shop_data");
        assert_eq!(
            warnings,
            ["services.web.mystery: unknown or unsupported key; ignored"]
        );
    }

    #[test]
    fn mistakes_name_their_key() {
        let e = load("services:\n  web:\n    image: x\n    ports: ['80:80:80:80']\n").unwrap_err();
        assert_eq!(e.path, "services.web.ports[0]");
        let e = load("services:\n  web:\n    image: x\n    depends_on: [db]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "services.web.depends_on: refers to undefined service db"
        );
        let e = load("services:\n  web:\n    command: x\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "services.web: has neither an image nor a build"
        );
        let e = load("services:\n  web:\n    image: x\n    volumes: ['data:/d']\n").unwrap_err();
        assert!(e.to_string().contains("undefined volume data"), "{e}");
    }

    #[test]
    fn short_ports_and_volumes_read_as_docker_run_reads_them() {
        let (p, _) = load(
            "services:
  web:
    image: nginx
    ports: ['9000-9010:80', '53:53/UDP', '127.0.0.1::443']
    volumes: ['/srv:/srv:ro,z', 'data:/data:nocopy']
volumes: {data: {}}
",
        )
        .unwrap();
        let web = &p.services["web"];
        assert_eq!(web.ports[0].published.as_deref(), Some("9000-9010"));
        assert_eq!(web.ports[0].target, 80);
        assert_eq!(web.ports[1].protocol, "udp");
        assert_eq!(
            (
                web.ports[2].published.as_deref(),
                web.ports[2].host_ip.as_deref()
            ),
            (None, Some("127.0.0.1"))
        );
        assert_eq!(
            (web.volumes[0].kind, web.volumes[0].read_only),
            (MountKind::Bind, true)
        );
        assert_eq!(web.volumes[1].kind, MountKind::Volume);
        for (yaml, want) in [
            ("ports: ['8080:80-81']", "different sizes"),
            ("ports: ['80/icmp']", "unknown protocol"),
            ("volumes: ['/a:/b:bogus']", "unknown mode `bogus`"),
            ("volumes: ['data:relative']", "absolute"),
        ] {
            let e = load(&format!("services:\n  web:\n    image: x\n    {yaml}\n")).unwrap_err();
            assert!(e.path.starts_with("services.web."), "{e}");
            assert!(e.why.contains(want), "{yaml}: {e}");
        }
    }

    #[test]
    fn what_only_a_swarm_acts_on_is_read_too() {
        let (p, warnings) = load(
            "services:
  web:
    image: nginx
    ports: [{target: 80, published: 8080, mode: host}]
    deploy:
      mode: global
      placement: {constraints: [node.role==manager]}
      labels: {tier: front}
      restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}
      update_config: {parallelism: 1, delay: 10s, order: start-first}
      resources: {reservations: {cpus: '0.25', memory: 64m}}
    secrets: [db_pw, {source: tls, target: cert.pem, mode: 0400}]
    configs: [{source: conf, target: /etc/nginx.conf}]
secrets:
  db_pw: {file: ./pw.txt}
  tls: {external: true}
configs:
  conf: {file: ./nginx.conf, name: nginx-conf}
",
        )
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let w = &p.services["web"];
        assert_eq!(w.ports[0].mode.as_deref(), Some("host"));
        let s = &w.swarm;
        assert!(s.global);
        assert_eq!(s.constraints, ["node.role==manager"]);
        assert_eq!(s.labels["tier"], "front");
        assert_eq!(s.restart_policy.as_ref().unwrap().max_attempts, Some(3));
        assert_eq!(
            s.update_config.as_ref().unwrap().order.as_deref(),
            Some("start-first")
        );
        assert_eq!(
            (s.reserve_cpus, s.reserve_memory),
            (Some(0.25), Some(64 << 20))
        );
        assert_eq!(s.secrets[1].target.as_deref(), Some("cert.pem"));
        assert_eq!(s.secrets[1].mode, Some(0o400));
        assert_eq!(p.secrets["db_pw"].name, "shop_db_pw");
        assert_eq!(p.secrets["tls"].name, "tls");
        assert_eq!(p.configs["conf"].name, "nginx-conf");
        assert_eq!(
            p.swarm_only(),
            [
                "services.web.deploy.mode",
                "services.web.deploy.placement",
                "services.web.deploy.labels",
                "services.web.deploy.restart_policy",
                "services.web.deploy.update_config",
                "services.web.deploy.resources.reservations",
                "services.web.secrets",
                "services.web.configs",
                "secrets",
                "configs"
            ]
        );
        let e = load("services:\n  web:\n    image: x\n    secrets: [nope]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "services.web.secrets: refers to undefined secret nope"
        );
        let e = load("services:\n  web:\n    image: x\nsecrets:\n  s: {}\n").unwrap_err();
        assert_eq!(e.to_string(), "secrets.s: needs a file, or external: true");
        let e =
            load("services:\n  web:\n    image: x\n    deploy: {mode: sometimes}\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("services.web.deploy.mode: must be"),
            "{e}"
        );
    }
}

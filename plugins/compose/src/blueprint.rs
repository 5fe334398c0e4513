//! A service turned into what the engine needs to create its containers: the create body
//! in the Engine API's shape, the networks to connect after creation, and the config hash
//! that tells whether an existing container still matches the files.

use crate::names::{self, label};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use wharf_compose_project::healthcheck;
use wharf_compose_spec::{MountKind, Project, Service};
use wharf_plugin_sdk::spec::{PortSpec, restart_policy};
use wharf_plugin_sdk::{ToolError, ToolResult};

/// Where the project lives, for paths and the labels Compose records.
pub struct Site<'a> {
    /// The project directory, canonical.
    pub dir: &'a str,
    /// The compose files' paths as read, for the config-files label.
    pub config_files: &'a [String],
}

/// Everything needed to create one replica of a service.
#[derive(Debug, Clone)]
pub struct Blueprint {
    pub service: String,
    body: Value,
    /// The networks beyond the first, connected before the container starts (engines
    /// before API 1.44 take one network at creation).
    pub more_networks: Vec<(String, Value)>,
    /// Over everything above plus the image ID: any change means recreate.
    pub hash: String,
    pub container_name: Option<String>,
}

impl Blueprint {
    /// The container's name and create body for replica `number`.
    pub fn replica(&self, project: &str, number: u32) -> (String, Value) {
        let name = self
            .container_name
            .clone()
            .unwrap_or_else(|| names::container(project, &self.service, number));
        let mut body = self.body.clone();
        if let Some(labels) = body["Labels"].as_object_mut() {
            labels.insert(label::NUMBER.into(), number.to_string().into());
            labels.insert(label::CONFIG_HASH.into(), self.hash.clone().into());
        }
        (name, body)
    }
}

/// A bind source as the engine needs it: absolute, relative ones taken from the project
/// directory. `~` is refused: the sandbox has no home directory to expand it to.
fn bind_source(src: &str, dir: &str, service: &str) -> ToolResult<String> {
    if src.starts_with('~') {
        return Err(ToolError::invalid(format!(
            "services.{service}.volumes: `{src}`: `~` cannot be expanded; use an absolute path"
        )));
    }
    if src.starts_with('/') {
        return Ok(src.to_owned());
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in src.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// The ExposedPorts keys of an `expose` entry: `3000`, `8000-8001/udp`, one per port.
fn exposed_keys(spec: &str, field: &str) -> ToolResult<Vec<String>> {
    let p = PortSpec::parse(spec).map_err(|e| e.at(field))?;
    if p.host.is_some() || p.host_ip.is_some() {
        return Err(ToolError::invalid(format!(
            "{field}: `{spec}` publishes a port; expose takes container ports only (publish \
             with ports)"
        )));
    }
    Ok(p.bindings()
        .iter()
        .map(|b| format!("{}/{}", b.container, p.protocol))
        .collect())
}

/// The blueprint of service `name`. `env` is its environment already resolved (env files
/// read, pass-through variables looked up); `image_id` the ID of the image it runs.
pub fn blueprint(
    p: &Project,
    name: &str,
    s: &Service,
    env: &BTreeMap<String, String>,
    image: &str,
    image_id: &str,
    site: &Site,
) -> ToolResult<Blueprint> {
    let mut labels: Map<String, Value> = s
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    for (k, v) in [
        (label::PROJECT, p.name.as_str()),
        (label::SERVICE, name),
        (label::ONEOFF, "False"),
        (label::VERSION, names::COMPOSE_VERSION),
        (label::WORKING_DIR, site.dir),
        (label::IMAGE, image_id),
    ] {
        labels.insert(k.into(), v.into());
    }
    labels.insert(
        label::CONFIG_FILES.into(),
        site.config_files.join(",").into(),
    );

    let mut body = Map::new();
    body.insert("Image".into(), image.into());
    if let Some(c) = &s.command {
        body.insert("Cmd".into(), json!(c));
    }
    if let Some(e) = &s.entrypoint {
        body.insert("Entrypoint".into(), json!(e));
    }
    let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !env.is_empty() {
        body.insert("Env".into(), json!(env));
    }
    for (key, value) in [
        ("Hostname", &s.hostname),
        ("WorkingDir", &s.working_dir),
        ("User", &s.user),
    ] {
        if let Some(v) = value {
            body.insert(key.into(), v.clone().into());
        }
    }
    let mut exposed = Map::new();
    for port in &s.ports {
        exposed.insert(format!("{}/{}", port.target, port.protocol), json!({}));
    }
    for (i, e) in s.expose.iter().enumerate() {
        for key in exposed_keys(e, &format!("services.{name}.expose[{i}]"))? {
            exposed.insert(key, json!({}));
        }
    }
    if !exposed.is_empty() {
        body.insert("ExposedPorts".into(), Value::Object(exposed));
    }
    if let Some(h) = &s.healthcheck {
        body.insert(
            "Healthcheck".into(),
            healthcheck(h, &format!("services.{name}.healthcheck"))?,
        );
    }

    let mut host = Map::new();
    let mut bindings: Map<String, Value> = Map::new();
    for port in &s.ports {
        let entry = bindings
            .entry(format!("{}/{}", port.target, port.protocol))
            .or_insert_with(|| json!([]));
        if let Some(list) = entry.as_array_mut() {
            list.push(json!({
                "HostIp": port.host_ip.clone().unwrap_or_default(),
                "HostPort": port.published.clone().unwrap_or_default(),
            }));
        }
    }
    if !bindings.is_empty() {
        host.insert("PortBindings".into(), Value::Object(bindings));
    }
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    for m in &s.volumes {
        match (m.kind, &m.source) {
            (MountKind::Bind, Some(src)) => {
                let src = bind_source(src, site.dir, name)?;
                let ro = if m.read_only { ":ro" } else { "" };
                // Binds, not Mounts: like `-v`, a missing source directory is created.
                binds.push(format!("{src}:{}{ro}", m.target));
            }
            (MountKind::Bind, None) => {
                return Err(ToolError::invalid(format!(
                    "services.{name}.volumes: the bind mount on {} has no source",
                    m.target
                )));
            }
            (MountKind::Volume, Some(key)) => {
                let volume = p.volumes.get(key).map_or(key.as_str(), |v| v.name.as_str());
                mounts.push(json!({"Type": "volume", "Source": volume, "Target": m.target, "ReadOnly": m.read_only}));
            }
            (MountKind::Volume, None) => {
                mounts.push(json!({"Type": "volume", "Target": m.target, "ReadOnly": m.read_only}));
            }
            (MountKind::Tmpfs, _) => {
                mounts.push(json!({"Type": "tmpfs", "Target": m.target, "ReadOnly": m.read_only}));
            }
        }
    }
    if !binds.is_empty() {
        host.insert("Binds".into(), json!(binds));
    }
    if !mounts.is_empty() {
        host.insert("Mounts".into(), json!(mounts));
    }
    if let Some(r) = &s.restart {
        host.insert(
            "RestartPolicy".into(),
            restart_policy(r, &format!("services.{name}.restart"))?,
        );
    }
    if !s.extra_hosts.is_empty() {
        let hosts: Vec<String> = s
            .extra_hosts
            .iter()
            .map(|(h, a)| format!("{h}:{a}"))
            .collect();
        host.insert("ExtraHosts".into(), json!(hosts));
    }
    if let Some(cpus) = s.cpus {
        host.insert("NanoCpus".into(), json!((cpus * 1e9) as i64));
    }
    if let Some(m) = s.memory {
        host.insert("Memory".into(), json!(m));
    }

    let mut attachments = s.networks.iter().map(|(key, a)| {
        let net = p
            .networks
            .get(key)
            .map_or(key.as_str(), |n| n.name.as_str());
        // Compose makes every service reachable by its name on each of its networks.
        let mut aliases = vec![name.to_owned()];
        aliases.extend(a.aliases.iter().cloned());
        (net.to_owned(), json!({"Aliases": aliases}))
    });
    if let Some((net, endpoint)) = attachments.next() {
        host.insert("NetworkMode".into(), net.clone().into());
        body.insert(
            "NetworkingConfig".into(),
            json!({"EndpointsConfig": {net: endpoint}}),
        );
    }
    let more_networks: Vec<(String, Value)> = attachments.collect();
    body.insert("HostConfig".into(), Value::Object(host));
    body.insert("Labels".into(), Value::Object(labels));

    let mut hasher = Sha256::new();
    hasher.update(Value::Object(body.clone()).to_string());
    hasher.update(json!(more_networks).to_string());
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Blueprint {
        service: name.to_owned(),
        body: Value::Object(body),
        more_networks,
        hash,
        container_name: s.container_name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_compose_spec::{Attachment, Healthcheck, Mount, Port};

    fn site() -> Site<'static> {
        Site {
            dir: "/srv/shop",
            config_files: &[],
        }
    }

    fn project() -> (Project, Service) {
        let mut p = Project {
            name: "shop".into(),
            ..Default::default()
        };
        p.networks.insert(
            "default".into(),
            wharf_compose_spec::Network {
                name: "shop_default".into(),
                ..Default::default()
            },
        );
        p.networks.insert(
            "back".into(),
            wharf_compose_spec::Network {
                name: "shop_back".into(),
                ..Default::default()
            },
        );
        p.volumes.insert(
            "data".into(),
            wharf_compose_spec::Volume {
                name: "shop_data".into(),
                ..Default::default()
            },
        );
        let mut s = Service {
            replicas: 1,
            ..Default::default()
        };
        s.networks.insert("default".into(), Attachment::default());
        s.networks.insert(
            "back".into(),
            Attachment {
                aliases: vec!["database".into()],
            },
        );
        s.volumes = vec![
            Mount {
                kind: MountKind::Volume,
                source: Some("data".into()),
                target: "/data".into(),
                read_only: false,
            },
            Mount {
                kind: MountKind::Bind,
                source: Some("./conf/../etc".into()),
                target: "/etc/app".into(),
                read_only: true,
            },
        ];
        s.ports = vec![Port {
            target: 80,
            published: Some("8080".into()),
            host_ip: None,
            protocol: "tcp".into(),
            mode: None,
        }];
        s.restart = Some("on-failure:3".into());
        s.healthcheck = Some(Healthcheck {
            test: vec!["CMD".into(), "true".into()],
            interval: Some("1m30s".into()),
            ..Default::default()
        });
        (p, s)
    }

    #[test]
    fn a_service_becomes_an_engine_create_body() {
        let (p, s) = project();
        let env = BTreeMap::from([("A".to_owned(), "1".to_owned())]);
        let b = blueprint(&p, "db", &s, &env, "img:1", "sha256:abc", &site()).unwrap();
        let (name, body) = b.replica("shop", 2);
        assert_eq!(name, "shop-db-2");
        assert_eq!(body["Env"], json!(["A=1"]));
        assert_eq!(body["Labels"][label::NUMBER], "2");
        assert_eq!(body["Labels"][label::PROJECT], "shop");
        assert_eq!(body["Labels"][label::ONEOFF], "False");
        assert_eq!(body["Healthcheck"]["Interval"], 90_000_000_000i64);
        let host = &body["HostConfig"];
        assert_eq!(host["Binds"], json!(["/srv/shop/etc:/etc/app:ro"]));
        assert_eq!(host["Mounts"][0]["Source"], "shop_data");
        assert_eq!(host["PortBindings"]["80/tcp"][0]["HostPort"], "8080");
        assert_eq!(host["RestartPolicy"]["MaximumRetryCount"], 3);
        assert_eq!(host["NetworkMode"], "shop_back");
        assert_eq!(
            body["NetworkingConfig"]["EndpointsConfig"]["shop_back"]["Aliases"],
            json!(["db", "database"])
        );
        assert_eq!(b.more_networks[0].0, "shop_default");
    }

    #[test]
    fn the_hash_follows_the_config_and_the_image_but_not_the_replica() {
        let (p, s) = project();
        let env = BTreeMap::new();
        let a = blueprint(&p, "db", &s, &env, "img", "sha256:1", &site()).unwrap();
        let same = blueprint(&p, "db", &s, &env, "img", "sha256:1", &site()).unwrap();
        let new_image = blueprint(&p, "db", &s, &env, "img", "sha256:2", &site()).unwrap();
        let env2 = BTreeMap::from([("X".to_owned(), "y".to_owned())]);
        let new_env = blueprint(&p, "db", &s, &env2, "img", "sha256:1", &site()).unwrap();
        assert_eq!(a.hash, same.hash);
        assert_ne!(a.hash, new_image.hash);
        assert_ne!(a.hash, new_env.hash);
        assert_eq!(
            a.replica("shop", 1).1["Labels"][label::CONFIG_HASH],
            a.replica("shop", 3).1["Labels"][label::CONFIG_HASH]
        );
    }

    #[test]
    fn restart_no_and_expose_ranges_reach_the_create_body() {
        let (p, mut s) = project();
        s.restart = Some("no".into());
        s.expose = vec!["3000".into(), "8000-8001/UDP".into()];
        let b = blueprint(&p, "db", &s, &BTreeMap::new(), "i", "x", &site()).unwrap();
        let (_, body) = b.replica("shop", 1);
        assert_eq!(
            body["HostConfig"]["RestartPolicy"],
            json!({"Name": "no", "MaximumRetryCount": 0})
        );
        assert_eq!(
            body["ExposedPorts"],
            json!({"80/tcp": {}, "3000/tcp": {}, "8000/udp": {}, "8001/udp": {}})
        );
        s.expose = vec!["8080:80".into()];
        let e = blueprint(&p, "db", &s, &BTreeMap::new(), "i", "x", &site()).unwrap_err();
        assert!(
            e.message.starts_with("services.db.expose[0]: `8080:80`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let (p, mut s) = project();
        s.restart = Some("sometimes".into());
        let e = blueprint(&p, "db", &s, &BTreeMap::new(), "i", "x", &site()).unwrap_err();
        assert!(e.message.contains("services.db.restart"), "{}", e.message);
        let (p, mut s) = project();
        s.healthcheck.as_mut().unwrap().timeout = Some("soon".into());
        let e = blueprint(&p, "db", &s, &BTreeMap::new(), "i", "x", &site()).unwrap_err();
        assert!(
            e.message.contains("services.db.healthcheck.timeout"),
            "{}",
            e.message
        );
    }
}

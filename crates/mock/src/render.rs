//! The model's objects in the Docker Engine API's JSON shapes (inspect, info, version,
//! df) and as the WIT records the capability functions return.

use crate::model::{Container, Image, Model, MountSource, Network, RunState, Volume, unix_secs};
use serde_json::{Map, Value, json};
use std::time::SystemTime;

pub(crate) fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_nanos(t).to_string()
}

/// Docker's "Up 2 minutes" wording (go-units HumanDuration).
pub(crate) fn human_duration(since: SystemTime) -> String {
    let secs = SystemTime::now()
        .duration_since(since)
        .map_or(0, |d| d.as_secs());
    let (mins, hours) = (secs / 60, secs / 3600);
    match secs {
        0 => "Less than a second".into(),
        1 => "1 second".into(),
        s if s < 60 => format!("{s} seconds"),
        _ if mins == 1 => "About a minute".into(),
        _ if mins < 60 => format!("{mins} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", hours / 24 / 365),
    }
}

pub(crate) fn status(c: &Container) -> String {
    let health = match c.health.as_deref() {
        Some("starting") => " (health: starting)".to_owned(),
        Some(h) => format!(" ({h})"),
        None => String::new(),
    };
    match c.state {
        RunState::Created => "Created".into(),
        RunState::Running => format!(
            "Up {}{health}",
            human_duration(c.started_at.unwrap_or(c.created))
        ),
        RunState::Paused => format!(
            "Up {} (Paused)",
            human_duration(c.started_at.unwrap_or(c.created))
        ),
        RunState::Exited => format!(
            "Exited ({}) {} ago",
            c.exit_code,
            human_duration(c.finished_at.unwrap_or(c.created))
        ),
    }
}

fn command(c: &Container) -> String {
    c.entrypoint
        .iter()
        .chain(c.cmd.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn container_summary(m: &Model, c: &Container) -> wharf_core::engine::ContainerSummary {
    let _ = m;
    wharf_core::engine::ContainerSummary {
        id: c.id.clone(),
        names: vec![c.name.clone()],
        image: c.image.clone(),
        command: command(c),
        created: unix_secs(c.created),
        state: c.state.as_str().into(),
        status: status(c),
        ports: c
            .ports
            .iter()
            .map(|p| wharf_core::engine::Port {
                private_port: p.private,
                public_port: p.public,
                ip: p
                    .public
                    .map(|_| p.ip.clone().unwrap_or_else(|| "0.0.0.0".into())),
                protocol: p.protocol.clone(),
            })
            .collect(),
        labels: c.labels.clone(),
        volumes: c
            .mounts
            .iter()
            .filter_map(|mnt| match &mnt.source {
                MountSource::Volume { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect(),
    }
}

fn mount_json(m: &crate::model::Mount) -> Value {
    let (kind, name, source, driver) = match &m.source {
        MountSource::Volume { name, .. } => (
            "volume",
            name.clone(),
            format!("/var/lib/docker/volumes/{name}/_data"),
            "local",
        ),
        MountSource::Bind { source } => ("bind", String::new(), source.clone(), ""),
        MountSource::Tmpfs => ("tmpfs", String::new(), String::new(), ""),
    };
    let mut o = json!({
        "Type": kind,
        "Source": source,
        "Destination": m.destination,
        "Mode": if kind == "bind" { if m.read_write { "" } else { "ro" } } else { "z" },
        "RW": m.read_write,
        "Propagation": if kind == "bind" { "rprivate" } else { "" },
    });
    if kind == "volume" {
        o["Name"] = json!(name);
        o["Driver"] = json!(driver);
    }
    o
}

pub(crate) fn container_inspect(m: &Model, c: &Container) -> Value {
    let (path, args) = {
        let mut all = c.entrypoint.iter().chain(c.cmd.iter()).cloned();
        (all.next().unwrap_or_default(), all.collect::<Vec<_>>())
    };
    let mut networks = Map::new();
    for a in &c.attachments {
        if let Some(n) = m.networks.iter().find(|n| n.id == a.network_id) {
            let gateway = n.gateway.clone().unwrap_or_default();
            networks.insert(
                n.name.clone(),
                json!({
                    "Aliases": if a.aliases.is_empty() { Value::Null } else { json!(a.aliases) },
                    "NetworkID": n.id,
                    "EndpointID": if c.state.is_up() { json!(format!("{}{}", &n.id[..32], &c.id[..32])) } else { json!("") },
                    "Gateway": if c.state.is_up() { gateway } else { String::new() },
                    "IPAddress": if c.state.is_up() { a.ip.clone() } else { String::new() },
                    "IPPrefixLen": if c.state.is_up() && !a.ip.is_empty() { 16 } else { 0 },
                    "MacAddress": "",
                }),
            );
        }
    }
    let mut ports = Map::new();
    for p in &c.ports {
        let key = format!("{}/{}", p.private, p.protocol);
        let entry = ports.entry(key).or_insert(Value::Null);
        if let (Some(public), true) = (p.public, c.state.is_up()) {
            let binding = json!({ "HostIp": p.ip.clone().unwrap_or_else(|| "0.0.0.0".into()), "HostPort": public.to_string() });
            match entry {
                Value::Array(a) => a.push(binding),
                e => *e = json!([binding]),
            }
        }
    }
    let health = c.health.as_ref().map(|h| {
        json!({ "Status": h, "FailingStreak": if h == "unhealthy" { 3 } else { 0 }, "Log": [] })
    });
    let mut state = json!({
        "Status": c.state.as_str(),
        "Running": c.state.is_up(),
        "Paused": c.state == RunState::Paused,
        "Restarting": false,
        "OOMKilled": false,
        "Dead": false,
        "Pid": if c.state.is_up() { 4242 } else { 0 },
        "ExitCode": c.exit_code,
        "Error": "",
        "StartedAt": c.started_at.map_or("0001-01-01T00:00:00Z".into(), rfc3339),
        "FinishedAt": c.finished_at.map_or("0001-01-01T00:00:00Z".into(), rfc3339),
    });
    if let Some(h) = health {
        state["Health"] = h;
    }
    let spec_config = serde_json::to_value(&c.spec).unwrap_or_default();
    let mut host_config = spec_config
        .get("HostConfig")
        .cloned()
        .unwrap_or_else(|| json!({}));
    host_config["NetworkMode"] = json!(c.network_mode);
    json!({
        "Id": c.id,
        "Created": rfc3339(c.created),
        "Path": path,
        "Args": args,
        "State": state,
        "Image": c.image_id,
        "Name": format!("/{}", c.name),
        "RestartCount": c.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "HostConfig": host_config,
        "Mounts": c.mounts.iter().map(mount_json).collect::<Vec<_>>(),
        "Config": {
            "Hostname": c.short_id(),
            "User": c.user,
            "ExposedPorts": c.ports.iter().map(|p| (format!("{}/{}", p.private, p.protocol), json!({}))).collect::<Map<_, _>>(),
            "Env": c.env,
            "Cmd": c.cmd,
            "Image": c.image,
            "WorkingDir": c.working_dir,
            "Entrypoint": if c.entrypoint.is_empty() { Value::Null } else { json!(c.entrypoint) },
            "Labels": c.labels,
            "Healthcheck": spec_config.get("Healthcheck").cloned().unwrap_or(Value::Null),
        },
        "NetworkSettings": {
            "Ports": ports,
            "Networks": networks,
            "IPAddress": c.attachments.first().filter(|_| c.state.is_up()).map(|a| a.ip.clone()).unwrap_or_default(),
        },
    })
}

pub(crate) fn image_summary(i: &Image) -> wharf_core::engine::ImageSummary {
    wharf_core::engine::ImageSummary {
        id: i.id.clone(),
        tags: i.tags.clone(),
        created: unix_secs(i.created),
        size: i.size,
        labels: i.config.labels.clone(),
    }
}

pub(crate) fn image_inspect(i: &Image) -> Value {
    let c = &i.config;
    json!({
        "Id": i.id,
        "RepoTags": i.tags,
        "RepoDigests": i.digests,
        "Parent": i.parent.clone().unwrap_or_default(),
        "Comment": "",
        "Created": rfc3339(i.created),
        "DockerVersion": "",
        "Author": "",
        "Config": {
            "User": c.user,
            "ExposedPorts": c.exposed_ports.iter().map(|p| (p.clone(), json!({}))).collect::<Map<_, _>>(),
            "Env": c.env,
            "Cmd": c.cmd,
            "Healthcheck": c.healthcheck.as_ref().map(|t| json!({ "Test": t })),
            "Volumes": c.volumes.iter().map(|p| (p.clone(), json!({}))).collect::<Map<_, _>>(),
            "WorkingDir": c.working_dir,
            "Entrypoint": if c.entrypoint.is_empty() { Value::Null } else { json!(c.entrypoint) },
            "Labels": c.labels,
        },
        "Architecture": c.architecture,
        "Os": c.os,
        "Size": i.size,
        "VirtualSize": i.size,
        "RootFS": { "Type": "layers", "Layers": i.layers },
    })
}

pub(crate) fn history(i: &Image) -> Vec<wharf_core::engine::HistoryEntry> {
    let mut out: Vec<wharf_core::engine::HistoryEntry> = i
        .history
        .iter()
        .rev()
        .enumerate()
        .map(|(n, h)| wharf_core::engine::HistoryEntry {
            id: if n == 0 {
                i.id.clone()
            } else {
                "<missing>".into()
            },
            created: unix_secs(h.created),
            created_by: h.created_by.clone(),
            size: h.size,
            comment: h.comment.clone(),
        })
        .collect();
    if out.is_empty() {
        out.push(wharf_core::engine::HistoryEntry {
            id: i.id.clone(),
            created: unix_secs(i.created),
            created_by: String::new(),
            size: i.size,
            comment: String::new(),
        });
    }
    out
}

pub(crate) fn network_summary(n: &Network) -> wharf_core::engine::NetworkSummary {
    wharf_core::engine::NetworkSummary {
        id: n.id.clone(),
        name: n.name.clone(),
        driver: n.driver.clone(),
        scope: n.scope.clone(),
        internal: n.internal,
        attachable: n.attachable,
        subnets: n.subnets.clone(),
        labels: n.labels.clone(),
        created: rfc3339(n.created),
    }
}

pub(crate) fn network_inspect(m: &Model, n: &Network) -> Value {
    let mut containers = Map::new();
    for c in m.containers.iter().filter(|c| c.state.is_up()) {
        if let Some(a) = c.attachments.iter().find(|a| a.network_id == n.id) {
            containers.insert(
                c.id.clone(),
                json!({
                    "Name": c.name,
                    "EndpointID": format!("{}{}", &n.id[..32], &c.id[..32]),
                    "MacAddress": "",
                    "IPv4Address": if a.ip.is_empty() { String::new() } else { format!("{}/16", a.ip) },
                    "IPv6Address": "",
                }),
            );
        }
    }
    json!({
        "Name": n.name,
        "Id": n.id,
        "Created": rfc3339(n.created),
        "Scope": n.scope,
        "Driver": n.driver,
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": n.subnets.iter().map(|s| json!({ "Subnet": s, "Gateway": n.gateway })).collect::<Vec<_>>(),
        },
        "Internal": n.internal,
        "Attachable": n.attachable,
        "Ingress": false,
        "ConfigFrom": { "Network": "" },
        "ConfigOnly": false,
        "Containers": containers,
        "Options": n.options,
        "Labels": n.labels,
    })
}

pub(crate) fn volume_summary(v: &Volume) -> wharf_core::engine::VolumeSummary {
    wharf_core::engine::VolumeSummary {
        name: v.name.clone(),
        driver: v.driver.clone(),
        mountpoint: format!("/var/lib/docker/volumes/{}/_data", v.name),
        created: Some(humantime::format_rfc3339_seconds(v.created).to_string()),
        labels: v.labels.clone(),
    }
}

pub(crate) fn volume_inspect(v: &Volume) -> Value {
    json!({
        "CreatedAt": humantime::format_rfc3339_seconds(v.created).to_string(),
        "Driver": v.driver,
        "Labels": if v.labels.is_empty() { Value::Null } else { json!(v.labels) },
        "Mountpoint": format!("/var/lib/docker/volumes/{}/_data", v.name),
        "Name": v.name,
        "Options": if v.options.is_empty() { Value::Null } else { json!(v.options) },
        "Scope": "local",
    })
}

pub(crate) fn info(m: &Model) -> Value {
    let count = |s: RunState| m.containers.iter().filter(|c| c.state == s).count();
    json!({
        "ID": "WHARF:MOCK",
        "Containers": m.containers.len(),
        "ContainersRunning": count(RunState::Running),
        "ContainersPaused": count(RunState::Paused),
        "ContainersStopped": count(RunState::Exited) + count(RunState::Created),
        "Images": m.images.len(),
        "Driver": "overlay2",
        "Name": "wharf-mock",
        "ServerVersion": "20.10.0-wharf-mock",
        "OperatingSystem": "wharf mock host (in memory)",
        "OSType": "linux",
        "Architecture": "x86_64",
        "KernelVersion": "0.0.0-mock",
        "NCPU": 2,
        "MemTotal": 2u64 << 30,
        "DockerRootDir": "/var/lib/docker",
        "Swarm": { "LocalNodeState": "inactive" },
        "Warnings": null,
    })
}

pub(crate) fn version() -> Value {
    json!({
        "Platform": { "Name": "wharf mock host" },
        "Version": "20.10.0-wharf-mock",
        "ApiVersion": "1.41",
        "MinAPIVersion": "1.12",
        "Os": "linux",
        "Arch": "amd64",
        "KernelVersion": "0.0.0-mock",
        "GoVersion": "",
        "GitCommit": "",
    })
}

pub(crate) fn disk_usage(m: &Model) -> Value {
    let images: Vec<Value> = m
        .images
        .iter()
        .map(|i| {
            json!({
                "Id": i.id, "ParentId": i.parent.clone().unwrap_or_default(),
                "RepoTags": i.tags, "RepoDigests": i.digests,
                "Created": unix_secs(i.created), "Size": i.size, "SharedSize": 0,
                "VirtualSize": i.size, "Labels": i.config.labels,
                "Containers": m.containers.iter().filter(|c| c.image_id == i.id).count(),
            })
        })
        .collect();
    let containers: Vec<Value> = m
        .containers
        .iter()
        .map(|c| {
            json!({
                "Id": c.id, "Names": [format!("/{}", c.name)], "Image": c.image,
                "ImageID": c.image_id, "Command": command(c), "Created": unix_secs(c.created),
                "State": c.state.as_str(), "Status": status(c), "Labels": c.labels,
                "SizeRw": c.files.bytes(),
                "SizeRootFs": m.images.iter().find(|i| i.id == c.image_id).map_or(0, |i| i.size),
            })
        })
        .collect();
    let volumes: Vec<Value> = m
        .volumes
        .iter()
        .map(|v| {
            let mut o = volume_inspect(v);
            o["UsageData"] = json!({ "Size": v.size, "RefCount": m.volume_users(&v.name).len() });
            o
        })
        .collect();
    json!({
        "LayersSize": m.images.iter().map(|i| i.size).sum::<u64>(),
        "Images": images,
        "Containers": containers,
        "Volumes": volumes,
        "BuildCache": [],
    })
}

/// A stats sample in the engine's JSON, with `precpu_stats` one second earlier, so CPU
/// use computes to the container's configured percentage.
pub(crate) fn stats_sample(c: &Container, seq: u64) -> Value {
    let up = c.state == RunState::Running;
    let cpus = 2u64;
    let system_delta = 1_000_000_000u64 * cpus;
    let percent = if up { c.usage.cpu_percent } else { 0.0 };
    let cpu_delta = (percent / 100.0 * system_delta as f64 / cpus as f64) as u64;
    let base_system = 10_000_000_000u64 + seq * system_delta;
    let base_cpu = 1_000_000_000u64 + seq * cpu_delta;
    let memory = if up { c.usage.memory_bytes } else { 0 };
    json!({
        "read": rfc3339(SystemTime::now()),
        "preread": rfc3339(SystemTime::now() - std::time::Duration::from_secs(1)),
        "id": c.id,
        "name": format!("/{}", c.name),
        "pids_stats": { "current": if up { c.usage.pids } else { 0 } },
        "num_procs": 0,
        "cpu_stats": {
            "cpu_usage": { "total_usage": base_cpu + cpu_delta, "usage_in_kernelmode": 0, "usage_in_usermode": base_cpu + cpu_delta },
            "system_cpu_usage": base_system + system_delta,
            "online_cpus": cpus,
        },
        "precpu_stats": {
            "cpu_usage": { "total_usage": base_cpu, "usage_in_kernelmode": 0, "usage_in_usermode": base_cpu },
            "system_cpu_usage": base_system,
            "online_cpus": cpus,
        },
        "memory_stats": if up { json!({ "usage": memory, "limit": c.usage.memory_limit, "stats": { "inactive_file": 0 } }) } else { json!({}) },
        "networks": if up { json!({ "eth0": { "rx_bytes": 1024 * seq, "tx_bytes": 512 * seq, "rx_packets": seq, "tx_packets": seq, "rx_errors": 0, "tx_errors": 0, "rx_dropped": 0, "tx_dropped": 0 } }) } else { Value::Null },
        "blkio_stats": { "io_service_bytes_recursive": null },
    })
}

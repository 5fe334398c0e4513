//! What a create body may hold: an allowlist of the Engine API fields wharf knows, each
//! with the values it lets through. Anything else is refused by name, with the `[allow]`
//! key that permits it where there is one. A denylist let through every field nobody had
//! thought of (device cgroup rules, `MaskedPaths: []`, an inline seccomp profile...), and
//! a field the API gains later is refused here until wharf knows what it does.
//!
//! The body is read as it will be sent: the Engine API's typed model, serialised, so a
//! field is present exactly when it will reach the engine. Exec and build requests are
//! typed by wharf itself (no privileged exec, no build network), so they have no field
//! to refuse.

use super::CreateAllowances;
use super::create::refused;
use crate::engine::{ContainerCreateBody, NetworkCreateRequest, ServiceSpec};
use serde_json::{Map, Value};
use std::path::Path;

type Checked = Result<(), String>;

fn unknown(field: &str) -> String {
    format!("`{field}` is not a field wharf knows, so it is refused")
}

/// Whether a value asks for nothing: absent, an empty string, list or map.
fn unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn object(value: &Value) -> impl Iterator<Item = (&String, &Value)> {
    value.as_object().into_iter().flat_map(Map::iter)
}

/// The top level of a create body: the container's own configuration, all of which stays
/// inside the container.
const CONFIG: &[&str] = &[
    "Hostname",
    "Domainname",
    "User",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "ExposedPorts",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Env",
    "Cmd",
    "Healthcheck",
    "ArgsEscaped",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "NetworkDisabled",
    "MacAddress",
    "OnBuild",
    "Labels",
    "StopSignal",
    "StopTimeout",
    "Shell",
    // Networks are checked against the scope by the guard.
    "NetworkingConfig",
];

/// Host config fields that limit or shape the container and reach nothing outside it, or
/// that a rule of their own checks (binds and mounts, namespaces, privileges, devices,
/// capabilities, `VolumesFrom`, links).
const HOST_CONFIG: &[&str] = &[
    "CpuShares",
    "Memory",
    "BlkioWeight",
    "CpuPeriod",
    "CpuQuota",
    "CpuRealtimePeriod",
    "CpuRealtimeRuntime",
    "CpusetCpus",
    "CpusetMems",
    "MemoryReservation",
    "MemorySwap",
    "MemorySwappiness",
    "NanoCpus",
    "OomKillDisable",
    "Init",
    "PidsLimit",
    "CpuCount",
    "CpuPercent",
    "IOMaximumIOps",
    "IOMaximumBandwidth",
    "NetworkMode",
    "PortBindings",
    "RestartPolicy",
    "AutoRemove",
    "VolumesFrom",
    "ConsoleSize",
    "CapAdd",
    "CapDrop",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "ExtraHosts",
    "GroupAdd",
    "IpcMode",
    "Links",
    "PidMode",
    "Privileged",
    "PublishAllPorts",
    "ReadonlyRootfs",
    "StorageOpt",
    "Tmpfs",
    "UTSMode",
    "UsernsMode",
    "ShmSize",
    "Devices",
];

/// Fields that hand a container host devices, whatever the device list says.
const DEVICE_FIELDS: &[&str] = &[
    "BlkioWeightDevice",
    "BlkioDeviceReadBps",
    "BlkioDeviceWriteBps",
    "BlkioDeviceReadIOps",
    "BlkioDeviceWriteIOps",
    "DeviceCgroupRules",
    "DeviceRequests",
];

/// Log drivers that write on this machine only; the others (syslog, gelf, fluentd,
/// splunk...) send from the daemon's own network namespace to any address.
const LOCAL_LOG_DRIVERS: &[&str] = &["json-file", "local", "journald", "none"];

/// The fields of a container create body, each against what it may hold.
pub(crate) fn container_fields(body: &ContainerCreateBody, allow: &CreateAllowances) -> Checked {
    let body = serde_json::to_value(body).map_err(|e| format!("the create body: {e}"))?;
    for (key, value) in object(&body) {
        match key.as_str() {
            "HostConfig" => host_config(value, allow)?,
            k if CONFIG.contains(&k) => {}
            k => return Err(unknown(k)),
        }
    }
    Ok(())
}

fn host_config(host: &Value, allow: &CreateAllowances) -> Checked {
    for (key, value) in object(host) {
        let k = key.as_str();
        let field = format!("HostConfig.{k}");
        match k {
            _ if HOST_CONFIG.contains(&k) => {}
            _ if DEVICE_FIELDS.contains(&k) => {
                if !unset(value) && !allow.devices {
                    return Err(refused(
                        &format!("`{field}` (access to host devices) is"),
                        "devices = true",
                    ));
                }
            }
            // Present at all, even empty: `[]` is what `systempaths=unconfined` sends, and
            // unmasks /proc and /sys.
            "MaskedPaths" | "ReadonlyPaths" if !allow.unconfined => {
                return Err(refused(
                    &format!("`{field}` (it replaces what Docker hides from a container) is"),
                    "unconfined = true",
                ));
            }
            "MaskedPaths" | "ReadonlyPaths" => {}
            "SecurityOpt" => {
                for opt in value.as_array().into_iter().flatten() {
                    security_opt(opt.as_str().unwrap_or_default(), allow)?;
                }
            }
            "Mounts" => {
                for mount in value.as_array().into_iter().flatten() {
                    mount_fields(mount, allow)?;
                }
            }
            "CgroupnsMode" => match value.as_str().unwrap_or_default() {
                "" | "private" => {}
                "host" if allow.host_namespaces => {}
                "host" => {
                    return Err(refused(
                        "the host cgroup namespace is",
                        "host_namespaces = true",
                    ));
                }
                other => return Err(format!("`{field}: {other}` is not a mode wharf knows")),
            },
            "Cgroup" if !unset(value) && !allow.host_namespaces => {
                return Err(refused(
                    &format!("`{field}` (another cgroup's namespace) is"),
                    "host_namespaces = true",
                ));
            }
            "Sysctls" if !unset(value) && !allow.sysctls => {
                return Err(refused(
                    &format!("`{field}` (kernel parameters) is"),
                    "sysctls = true",
                ));
            }
            "CgroupParent" if !unset(value) && !allow.cgroup_parent => {
                return Err(refused(
                    &format!("`{field}` (a cgroup outside Docker's own) is"),
                    "cgroup_parent = true",
                ));
            }
            "Annotations" if !unset(value) && !allow.annotations => {
                return Err(refused(
                    &format!("`{field}` (read by the container runtime, which may act on them) is"),
                    "annotations = true",
                ));
            }
            "Runtime" => runtime(value.as_str().unwrap_or_default(), allow)?,
            "LogConfig" => log_driver(value["Type"].as_str().unwrap_or_default(), allow)?,
            "VolumeDriver" => volume_driver(value.as_str().unwrap_or_default())?,
            "Binds" => {
                for bind in value.as_array().into_iter().flatten() {
                    let options = bind.as_str().unwrap_or_default().split(':').nth(2);
                    for option in options.into_iter().flat_map(|o| o.split(',')) {
                        if matches!(option, "shared" | "rshared") {
                            propagation(option, allow)?;
                        }
                    }
                }
            }
            "OomScoreAdj" => host_wide(value, &Value::Null)?,
            "Ulimits" => host_wide(&Value::Null, value)?,
            "Isolation" => match value.as_str().unwrap_or_default() {
                "" | "default" => {}
                other => return Err(format!("isolation `{other}` is refused")),
            },
            "Cgroup" | "Sysctls" | "CgroupParent" | "Annotations" => {}
            // The CLI's file, never the daemon's to write.
            "ContainerIDFile" if unset(value) => {}
            _ => return Err(unknown(&field)),
        }
    }
    Ok(())
}

/// A `SecurityOpt` entry (`key=value` or `key:value`): no-new-privileges and Docker's own
/// AppArmor profile pass; every other confinement setting is a way out of the default one.
fn security_opt(opt: &str, allow: &CreateAllowances) -> Checked {
    let (key, value) = opt.split_once(['=', ':']).unwrap_or((opt, ""));
    match key {
        // Only on: `false` would undo a daemon started with --no-new-privileges.
        "no-new-privileges" if matches!(value, "" | "true") => Ok(()),
        "apparmor" if value == "docker-default" => Ok(()),
        "apparmor" | "seccomp" | "label" | "systempaths" | "writable-cgroups" => {
            if allow.unconfined {
                Ok(())
            } else {
                Err(refused(
                    &format!("security option `{opt}` is"),
                    "unconfined = true",
                ))
            }
        }
        _ => Err(format!(
            "security option `{opt}` is not one wharf knows, so it is refused"
        )),
    }
}

fn runtime(name: &str, allow: &CreateAllowances) -> Checked {
    if name.is_empty()
        || name == "runc"
        || name == "io.containerd.runc.v2"
        || allow.runtimes.contains(name)
    {
        return Ok(());
    }
    Err(refused(
        &format!("container runtime `{name}` is"),
        &format!("runtimes = [\"{name}\"]"),
    ))
}

fn log_driver(name: &str, allow: &CreateAllowances) -> Checked {
    if name.is_empty() || LOCAL_LOG_DRIVERS.contains(&name) || allow.log_drivers.contains(name) {
        return Ok(());
    }
    Err(refused(
        &format!(
            "log driver `{name}` (it sends from the Docker daemon's own network, to any \
             address) is"
        ),
        &format!("log_drivers = [\"{name}\"]"),
    ))
}

/// A mount's type and options; its source is checked by the bind rules.
fn mount_fields(mount: &Value, allow: &CreateAllowances) -> Checked {
    match mount["Type"].as_str().unwrap_or_default() {
        "" | "bind" | "volume" | "tmpfs" | "image" => {}
        other => return Err(format!("mount type `{other}` is refused")),
    }
    volume_driver(
        mount["VolumeOptions"]["DriverConfig"]["Name"]
            .as_str()
            .unwrap_or_default(),
    )?;
    propagation(
        mount["BindOptions"]["Propagation"]
            .as_str()
            .unwrap_or_default(),
        allow,
    )
}

/// Shared propagation hands mounts made in the container back to the host.
fn propagation(mode: &str, allow: &CreateAllowances) -> Checked {
    match mode {
        "" | "private" | "rprivate" | "slave" | "rslave" => Ok(()),
        _ if allow.unconfined => Ok(()),
        other => Err(refused(
            &format!(
                "bind propagation `{other}` (mounts made in the container would reach the \
                 host) is"
            ),
            "unconfined = true",
        )),
    }
}

/// A volume driver other than Docker's own may keep the volume anywhere, the host's `/`
/// included (local-persist's `mountpoint`): a bind that skips the allowed roots.
fn volume_driver(name: &str) -> Checked {
    match name {
        "" | "local" => Ok(()),
        other => Err(format!(
            "volume driver `{other}` is refused: only Docker's own `local` driver is known to \
             keep a volume on this machine"
        )),
    }
}

/// Limits that reach past the container: shielding it from the OOM killer (which then
/// takes the host's processes), or real-time scheduling that starves the host's CPUs.
fn host_wide(oom_score_adj: &Value, ulimits: &Value) -> Checked {
    if oom_score_adj.as_i64().is_some_and(|n| n < 0) {
        return Err(format!(
            "a negative OomScoreAdj ({oom_score_adj}) is refused: the OOM killer would take \
             the host's processes first"
        ));
    }
    for limit in ulimits.as_array().into_iter().flatten() {
        if let Some(name @ ("rtprio" | "rttime")) = limit["Name"].as_str() {
            return Err(format!(
                "the `{name}` ulimit is refused: real-time scheduling can starve the host's CPUs"
            ));
        }
    }
    Ok(())
}

/// The task fields of a service spec: its container's as for a container, its log driver,
/// and its privileges (custom seccomp, any SELinux context, AppArmor off).
pub(crate) fn service_fields(spec: &ServiceSpec, allow: &CreateAllowances) -> Checked {
    let Some(task) = &spec.task_template else {
        return Ok(());
    };
    let task = serde_json::to_value(task).map_err(|e| format!("the task template: {e}"))?;
    log_driver(
        task["LogDriver"]["Name"].as_str().unwrap_or_default(),
        allow,
    )?;
    let container = &task["ContainerSpec"];
    for mount in container["Mounts"].as_array().into_iter().flatten() {
        mount_fields(mount, allow)?;
    }
    host_wide(&container["OomScoreAdj"], &container["Ulimits"])?;
    let resources = &task["Resources"];
    let generic = [&resources["Reservations"], &resources["Limits"]]
        .into_iter()
        .any(|r| !unset(&r["GenericResources"]));
    if generic && !allow.devices {
        return Err(refused(
            "`Resources.GenericResources` (host devices such as GPUs) is",
            "devices = true",
        ));
    }
    if !unset(&container["Sysctls"]) && !allow.sysctls {
        return Err(refused(
            "`ContainerSpec.Sysctls` (kernel parameters) is",
            "sysctls = true",
        ));
    }
    let privileges = &container["Privileges"];
    let selinux = &privileges["SELinuxContext"];
    let what = match privileges["Seccomp"]["Mode"].as_str().unwrap_or_default() {
        "unconfined" => "running without seccomp is",
        "custom" => "a custom seccomp profile is",
        _ if privileges["AppArmor"]["Mode"] == "disabled" => "running without AppArmor is",
        _ if selinux["Disable"] == true => "running without SELinux labelling is",
        _ if !unset(selinux) => "an SELinux context of the spec's own is",
        _ => return Ok(()),
    };
    if allow.unconfined {
        return Ok(());
    }
    Err(refused(what, "unconfined = true"))
}

/// Drivers whose networks stay on Docker's own bridges or overlays; macvlan, ipvlan and
/// plugin drivers put containers on the host's interfaces and their networks.
const OWN_NETWORK_DRIVERS: &[&str] = &["", "bridge", "overlay"];

/// Bridge options that tune Docker's own bridge. Others name host interfaces (a
/// `bridge.name` that exists is joined, not made).
const BRIDGE_OPTIONS: &[&str] = &[
    "com.docker.network.bridge.enable_icc",
    "com.docker.network.bridge.enable_ip_masquerade",
    "com.docker.network.bridge.host_binding_ipv4",
    "com.docker.network.bridge.inhibit_ipv4",
    "com.docker.network.driver.mtu",
    "com.docker.network.container_iface_prefix",
    "com.docker.network.driver.overlay.vxlanid_list",
    "encrypted",
];

/// `bridge.name` makes a bridge of that name, or joins the host's own if one exists (a
/// bridge on the LAN, say), so it passes only for a name no interface here has.
fn new_bridge(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['/', '\0'])
        && name != "."
        && name != ".."
        && !Path::new("/sys/class/net").join(name).exists()
}

/// A network create request: its driver and driver options.
pub(crate) fn network_fields(spec: &NetworkCreateRequest, allow: &CreateAllowances) -> Checked {
    if allow.host_networks {
        return Ok(());
    }
    let driver = spec.driver.as_deref().unwrap_or_default();
    if !OWN_NETWORK_DRIVERS.contains(&driver) {
        return Err(refused(
            &format!("network driver `{driver}` (it reaches the host's own interfaces) is"),
            "host_networks = true",
        ));
    }
    if let Some(option) = spec.options.iter().flatten().find_map(|(k, v)| {
        let fine = BRIDGE_OPTIONS.contains(&k.as_str())
            || (k == "com.docker.network.bridge.name" && new_bridge(v));
        (!fine).then_some(k)
    }) {
        return Err(refused(
            &format!("network driver option `{option}` is"),
            "host_networks = true",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> ContainerCreateBody {
        serde_json::from_value(v).unwrap()
    }

    fn host(h: Value) -> ContainerCreateBody {
        body(json!({ "Image": "x", "HostConfig": h }))
    }

    /// Each body a plugin got created before (issue 18, case 6), refused with the field
    /// and the key that allows it.
    #[test]
    fn what_slipped_past_the_denylist_is_refused_by_name() {
        let none = CreateAllowances::default();
        for (h, says) in [
            (
                json!({"DeviceCgroupRules": ["b *:* rwm"]}),
                "`HostConfig.DeviceCgroupRules` (access to host devices) is refused; to allow it, set devices = true",
            ),
            (
                json!({"DeviceRequests": [{"Count": -1, "Capabilities": [["gpu"]]}]}),
                "`HostConfig.DeviceRequests` (access",
            ),
            (
                json!({"BlkioDeviceReadBps": [{"Path": "/dev/sda", "Rate": 1}]}),
                "devices = true",
            ),
            (
                json!({"MaskedPaths": []}),
                "`HostConfig.MaskedPaths` (it replaces what Docker hides from a container) is refused; to allow it, set unconfined = true",
            ),
            (json!({"ReadonlyPaths": []}), "`HostConfig.ReadonlyPaths`"),
            (
                json!({"SecurityOpt": ["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"]}),
                "security option `seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}` is refused; to allow it, set unconfined = true",
            ),
            (json!({"SecurityOpt": ["label=disable"]}), "`label=disable`"),
            (
                json!({"SecurityOpt": ["label:type:spc_t"]}),
                "`label:type:spc_t`",
            ),
            (
                json!({"SecurityOpt": ["apparmor=my-lax-profile"]}),
                "`apparmor=my-lax-profile`",
            ),
            (
                json!({"SecurityOpt": ["systempaths=unconfined"]}),
                "unconfined = true",
            ),
            (
                json!({"SecurityOpt": ["something-new"]}),
                "security option `something-new` is not one wharf knows",
            ),
            (
                json!({"CgroupnsMode": "host"}),
                "the host cgroup namespace is refused; to allow it, set host_namespaces = true",
            ),
            (
                json!({"LogConfig": {"Type": "syslog", "Config": {"syslog-address": "tcp://10.0.0.1:514"}}}),
                "log driver `syslog` (it sends from the Docker daemon's own network, to any address) is refused; to allow it, set log_drivers = [\"syslog\"]",
            ),
            (
                json!({"Runtime": "kata"}),
                "container runtime `kata` is refused; to allow it, set runtimes = [\"kata\"]",
            ),
            (
                json!({"Sysctls": {"net.ipv4.ip_forward": "1"}}),
                "`HostConfig.Sysctls` (kernel parameters) is refused; to allow it, set sysctls = true",
            ),
            (
                json!({"CgroupParent": "/"}),
                "`HostConfig.CgroupParent` (a cgroup outside Docker's own) is refused; to allow it, set cgroup_parent = true",
            ),
            (
                json!({"Annotations": {"io.kubernetes.cri-o.Devices": "/dev/sda"}}),
                "annotations = true",
            ),
            (
                json!({"VolumeDriver": "sshfs"}),
                "volume driver `sshfs` is refused",
            ),
            (
                json!({"ContainerIDFile": "/etc/cron.d/x"}),
                "`HostConfig.ContainerIDFile` is not a field wharf knows",
            ),
            (
                json!({"Mounts": [{"Type": "bind", "Source": "/tmp", "Target": "/t", "BindOptions": {"Propagation": "rshared"}}]}),
                "bind propagation `rshared`",
            ),
            (
                json!({"Mounts": [{"Type": "cluster", "Source": "x", "Target": "/t"}]}),
                "mount type `cluster` is refused",
            ),
        ] {
            let e = container_fields(&host(h.clone()), &none).unwrap_err();
            assert!(e.starts_with(says) || e.contains(says), "{h}: {e}");
        }
    }

    #[test]
    fn what_stays_inside_the_container_passes_and_allowances_lift_the_rest() {
        let none = CreateAllowances::default();
        let plain = host(json!({
            "Memory": 67108864, "NanoCpus": 500000000, "CapDrop": ["ALL"], "Init": true,
            "SecurityOpt": ["no-new-privileges", "no-new-privileges:true", "apparmor=docker-default"],
            "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}},
            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
            "Tmpfs": {"/run": "size=1m"}, "CgroupnsMode": "private", "Runtime": "runc",
            "Mounts": [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1024}}],
            "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}], "ShmSize": 1024,
        }));
        container_fields(&plain, &none).unwrap();
        let everything = CreateAllowances {
            devices: true,
            unconfined: true,
            host_namespaces: true,
            sysctls: true,
            cgroup_parent: true,
            annotations: true,
            runtimes: ["kata".to_owned()].into(),
            log_drivers: ["syslog".to_owned()].into(),
            ..Default::default()
        };
        let risky = host(json!({
            "DeviceCgroupRules": ["b *:* rwm"], "MaskedPaths": [], "SecurityOpt": ["label=disable"],
            "CgroupnsMode": "host", "Sysctls": {"net.ipv4.ip_forward": "1"}, "CgroupParent": "/x",
            "Annotations": {"a": "b"}, "Runtime": "kata", "LogConfig": {"Type": "syslog"},
        }));
        container_fields(&risky, &everything).unwrap();
    }

    #[test]
    fn services_and_networks_are_held_to_the_same_list() {
        let none = CreateAllowances::default();
        let service = |task: Value| -> ServiceSpec {
            serde_json::from_value(json!({ "Name": "s", "TaskTemplate": task })).unwrap()
        };
        for (task, says) in [
            (
                json!({"ContainerSpec": {"Image": "x", "Privileges": {"Seccomp": {"Mode": "custom", "Profile": "{}"}}}}),
                "a custom seccomp profile is refused",
            ),
            (
                json!({"ContainerSpec": {"Image": "x", "Privileges": {"SELinuxContext": {"Type": "spc_t"}}}}),
                "an SELinux context of the spec's own is refused",
            ),
            (
                json!({"ContainerSpec": {"Image": "x", "Privileges": {"AppArmor": {"Mode": "disabled"}}}}),
                "running without AppArmor is refused",
            ),
            (
                json!({"ContainerSpec": {"Image": "x", "Sysctls": {"net.core.somaxconn": "1024"}}}),
                "sysctls = true",
            ),
            (
                json!({"ContainerSpec": {"Image": "x"}, "LogDriver": {"Name": "gelf"}}),
                "log driver `gelf`",
            ),
        ] {
            let e = service_fields(&service(task.clone()), &none).unwrap_err();
            assert!(e.contains(says), "{task}: {e}");
        }
        service_fields(
            &service(json!({"ContainerSpec": {"Image": "x", "Privileges": {"NoNewPrivileges": true}}, "LogDriver": {"Name": "json-file"}})),
            &none,
        )
        .unwrap();

        let network = |v: Value| -> NetworkCreateRequest { serde_json::from_value(v).unwrap() };
        for (spec, says) in [
            (
                json!({"Name": "n", "Driver": "macvlan", "Options": {"parent": "eth0"}}),
                "network driver `macvlan` (it reaches the host's own interfaces) is refused; to allow it, set host_networks = true",
            ),
            (
                json!({"Name": "n", "Driver": "ipvlan"}),
                "network driver `ipvlan`",
            ),
            (
                json!({"Name": "n", "Options": {"com.docker.network.bridge.name": "lo"}}),
                "network driver option `com.docker.network.bridge.name` is refused",
            ),
        ] {
            let e = network_fields(&network(spec.clone()), &none).unwrap_err();
            assert!(e.starts_with(says), "{spec}: {e}");
        }
        network_fields(
            &network(json!({"Name": "n", "Driver": "bridge", "Options": {"com.docker.network.driver.mtu": "1400"}})),
            &none,
        )
        .unwrap();
        let allowing = CreateAllowances {
            host_networks: true,
            ..Default::default()
        };
        network_fields(
            &network(json!({"Name": "n", "Driver": "macvlan"})),
            &allowing,
        )
        .unwrap();
    }

    /// From a review: what reached past the container through fields that were free.
    #[test]
    fn volume_drivers_shared_binds_and_host_wide_limits_are_refused() {
        let none = CreateAllowances::default();
        for (h, says) in [
            (
                json!({"Mounts": [{"Type": "volume", "Target": "/h", "VolumeOptions": {"DriverConfig":
                {"Name": "local-persist", "Options": {"mountpoint": "/"}}}}]}),
                "volume driver `local-persist` is refused",
            ),
            (
                json!({"Binds": ["/tmp/p:/p:rshared"]}),
                "bind propagation `rshared`",
            ),
            (
                json!({"OomScoreAdj": -1000}),
                "a negative OomScoreAdj (-1000) is refused",
            ),
            (
                json!({"Ulimits": [{"Name": "rtprio", "Soft": 99, "Hard": 99}]}),
                "the `rtprio` ulimit is refused",
            ),
            (
                json!({"SecurityOpt": ["no-new-privileges=false"]}),
                "security option `no-new-privileges=false` is not one wharf knows",
            ),
        ] {
            let e = container_fields(&host(h.clone()), &none).unwrap_err();
            assert!(e.starts_with(says), "{h}: {e}");
        }
        container_fields(
            &host(json!({"Runtime": "io.containerd.runc.v2", "Binds": ["/tmp/p:/p:ro,rslave"],
                         "OomScoreAdj": 500, "Ulimits": [{"Name": "nofile", "Soft": 1, "Hard": 2}]})),
            &none,
        )
        .unwrap();
        let service = |task: Value| -> ServiceSpec {
            serde_json::from_value(json!({ "Name": "s", "TaskTemplate": task })).unwrap()
        };
        for (task, says) in [
            (
                json!({"ContainerSpec": {"Image": "x"}, "Resources": {"Reservations": {"GenericResources":
                [{"DiscreteResourceSpec": {"Kind": "gpu", "Value": 1}}]}}}),
                "devices = true",
            ),
            (
                json!({"ContainerSpec": {"Image": "x", "OomScoreAdj": -500}}),
                "a negative OomScoreAdj",
            ),
            (
                json!({"ContainerSpec": {"Image": "x", "Mounts": [{"Type": "volume", "Target": "/h",
                "VolumeOptions": {"DriverConfig": {"Name": "local-persist"}}}]}}),
                "volume driver `local-persist`",
            ),
        ] {
            let e = service_fields(&service(task.clone()), &none).unwrap_err();
            assert!(e.contains(says), "{task}: {e}");
        }
        let network = |v: Value| -> NetworkCreateRequest { serde_json::from_value(v).unwrap() };
        network_fields(
            &network(
                json!({"Name": "n", "Options": {"com.docker.network.bridge.name": "wharf-test-br9",
                "com.docker.network.bridge.inhibit_ipv4": "true"}}),
            ),
            &none,
        )
        .unwrap();
    }
}

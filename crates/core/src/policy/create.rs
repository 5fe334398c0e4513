//! What a container may be created with. The body is checked as it will be sent (after
//! parsing into the API model), so nothing a plugin spells differently slips past.

use super::AllowedRoots;
use bollard_stubs::models::{ContainerCreateBody, Mount, MountType, ServiceSpec};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// `[allow]` in wharf.toml: what the create check lets through for a trusted setup. Mounting
/// the Docker socket stays refused whatever it says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAllowances {
    #[serde(default)]
    pub privileged: bool,
    /// The host's network, PID, IPC, UTS and user namespaces.
    #[serde(default)]
    pub host_namespaces: bool,
    #[serde(default)]
    pub devices: bool,
    /// Capabilities that may be added (`NET_ADMIN`...), or `ALL`.
    #[serde(default)]
    pub capabilities: BTreeSet<String>,
    /// `seccomp=unconfined`, `apparmor=unconfined`...
    #[serde(default)]
    pub unconfined: bool,
    #[serde(default)]
    pub volumes_from: bool,
    /// Hand out the swarm's manager join token: whoever holds it joins a machine as a
    /// manager, with the whole cluster's control, outside every policy of wharf's.
    #[serde(default)]
    pub manager_join_tokens: bool,
    /// Kernel parameters (`Sysctls`) for containers and services.
    #[serde(default)]
    pub sysctls: bool,
    /// `CgroupParent`: a cgroup outside the one Docker makes for its containers.
    #[serde(default)]
    pub cgroup_parent: bool,
    /// OCI annotations, which the container runtime reads and may act on.
    #[serde(default)]
    pub annotations: bool,
    /// Container runtimes beyond runc (`kata`, `nvidia`...).
    #[serde(default)]
    pub runtimes: BTreeSet<String>,
    /// Log drivers beyond the local ones (json-file, local, journald, none): the others
    /// send from the daemon's own network to wherever their options say.
    #[serde(default)]
    pub log_drivers: BTreeSet<String>,
    /// Networks on the host's own interfaces: macvlan, ipvlan, plugin drivers, and bridge
    /// options beyond MTU, ICC, masquerading and the host binding address.
    #[serde(default)]
    pub host_networks: bool,
    /// Bind mounts that nest under one a container writes through (`.:/app` beside
    /// `./nginx.conf:/etc/nginx.conf:ro`). The writer can then swap the inner source for a
    /// symlink that Docker follows at the next start: this trusts every such container.
    #[serde(default)]
    pub nested_binds: bool,
}

pub(crate) fn refused(what: &str, allow: &str) -> String {
    format!("{what} refused; to allow it, set {allow} in [allow] of wharf.toml")
}

/// Refuse what would hand a container the host: privileges, host namespaces, devices,
/// added capabilities, unconfined security, other containers' volumes, bind mounts from
/// outside the allowed roots, and the Docker socket (or a directory holding it). `allow`
/// lifts all but the last two.
pub fn check_create(
    body: &ContainerCreateBody,
    allow: &CreateAllowances,
    roots: &AllowedRoots,
    engine_socket: Option<&Path>,
) -> Result<(), String> {
    super::fields::container_fields(body, allow)?;
    let Some(host) = &body.host_config else {
        return Ok(());
    };
    if host.privileged == Some(true) && !allow.privileged {
        return Err(refused("privileged containers are", "privileged = true"));
    }
    for (what, mode) in [
        ("network", &host.network_mode),
        ("PID", &host.pid_mode),
        ("IPC", &host.ipc_mode),
        ("UTS", &host.uts_mode),
        ("user", &host.userns_mode),
    ] {
        if mode.as_deref() == Some("host") && !allow.host_namespaces {
            return Err(refused(
                &format!("the host {what} namespace is"),
                "host_namespaces = true",
            ));
        }
    }
    if host.devices.as_ref().is_some_and(|d| !d.is_empty()) && !allow.devices {
        return Err(refused("host devices are", "devices = true"));
    }
    check_capabilities(host.cap_add.iter().flatten(), allow)?;
    if host.volumes_from.as_ref().is_some_and(|v| !v.is_empty()) && !allow.volumes_from {
        return Err(refused(
            "volumes_from (another container's mounts) is",
            "volumes_from = true",
        ));
    }

    let binds = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').next())
        .filter(|src| src.starts_with('/'));
    check_mounts(binds, host.mounts.iter().flatten(), roots, engine_socket)
}

/// Refuse what would hand a swarm service's tasks the host, as [`check_create`] does for a
/// container: the `host` network, added capabilities, unconfined seccomp or AppArmor, and
/// bind mounts from outside the allowed roots or of the Docker socket. A service cannot be
/// privileged nor be given devices, so there is nothing more to check.
pub fn check_service(
    spec: &ServiceSpec,
    allow: &CreateAllowances,
    roots: &AllowedRoots,
    engine_socket: Option<&Path>,
) -> Result<(), String> {
    let Some(task) = &spec.task_template else {
        return Ok(());
    };
    // A plugin task installs a managed engine plugin with the privileges it asks for; a
    // network attachment task is the engine's own. Only containers are run for plugins.
    if task.plugin_spec.is_some()
        || task.network_attachment_spec.is_some()
        || task.runtime.as_deref().is_some_and(|r| r != "container")
    {
        return Err(
            "only container tasks are allowed: plugin and network attachment \
                    task templates are refused"
                .into(),
        );
    }
    let networks = task
        .networks
        .iter()
        .flatten()
        .chain(spec.networks.iter().flatten());
    if networks
        .filter_map(|n| n.target.as_deref())
        .any(|n| n == "host")
        && !allow.host_namespaces
    {
        return Err(refused(
            "the host network namespace is",
            "host_namespaces = true",
        ));
    }
    let Some(container) = &task.container_spec else {
        return Ok(());
    };
    check_capabilities(container.capability_add.iter().flatten(), allow)?;
    super::fields::service_fields(spec, allow)?;
    check_mounts(
        std::iter::empty(),
        container.mounts.iter().flatten(),
        roots,
        engine_socket,
    )
}

fn check_capabilities<'a>(
    added: impl IntoIterator<Item = &'a String>,
    allow: &CreateAllowances,
) -> Result<(), String> {
    let all_caps = allow.capabilities.contains("ALL");
    if let Some(cap) = added.into_iter().find(|c| {
        let bare = c.trim_start_matches("CAP_");
        !all_caps && !allow.capabilities.contains(bare) && !allow.capabilities.contains(*c)
    }) {
        return Err(refused(
            &format!("adding the capability `{cap}` is"),
            &format!("capabilities = [\"{}\"]", cap.trim_start_matches("CAP_")),
        ));
    }
    Ok(())
}

/// Bind sources must lie under the allowed roots and never expose the Docker socket; a
/// volume with the local driver's `device` option is a bind in disguise.
fn check_mounts<'a>(
    binds: impl IntoIterator<Item = &'a str>,
    mounts: impl IntoIterator<Item = &'a Mount>,
    roots: &AllowedRoots,
    engine_socket: Option<&Path>,
) -> Result<(), String> {
    let mut sources: Vec<&str> = binds.into_iter().collect();
    for m in mounts {
        match m.typ {
            Some(MountType::BIND) => sources.extend(m.source.as_deref()),
            Some(MountType::VOLUME)
                if m.volume_options
                    .as_ref()
                    .and_then(|o| o.driver_config.as_ref())
                    .and_then(|d| d.options.as_ref())
                    .is_some_and(|o| o.contains_key("device")) =>
            {
                return Err("volume mounts with a `device` driver option are refused".into());
            }
            _ => {}
        }
    }
    for src in sources {
        let real = roots
            .existing(src)
            .map_err(|e| format!("bind mount source refused: {e}"))?;
        if exposes_socket(&real, engine_socket) {
            return Err(format!(
                "bind mount of `{src}` refused: it exposes the Docker socket, which gives a \
                 container full control of the host"
            ));
        }
    }
    Ok(())
}

/// Whether binding `real` (a resolved host path) hands a container the Docker socket: the
/// engine's own, or any Docker or Podman socket on the machine (wharf may find either
/// when nothing names an engine).
pub(crate) fn exposes_socket(real: &Path, engine_socket: Option<&Path>) -> bool {
    real.file_name()
        .is_some_and(|n| n == "docker.sock" || n == "podman.sock")
        || engine_socket.is_some_and(|s| s.starts_with(real))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(host: serde_json::Value) -> ContainerCreateBody {
        serde_json::from_value(json!({"Image": "x", "HostConfig": host})).unwrap()
    }

    #[test]
    fn dangerous_settings_are_refused() {
        let roots = AllowedRoots::new([std::env::temp_dir()]);
        let none = CreateAllowances::default();
        for (host, why) in [
            (json!({"Privileged": true}), "privileged"),
            (json!({"PidMode": "host"}), "PID namespace"),
            (json!({"NetworkMode": "host"}), "network namespace"),
            (json!({"Devices": [{"PathOnHost": "/dev/sda"}]}), "devices"),
            (json!({"CapAdd": ["SYS_ADMIN"]}), "capabilities"),
            (
                json!({"SecurityOpt": ["seccomp=unconfined"]}),
                "seccomp=unconfined",
            ),
            (json!({"VolumesFrom": ["other"]}), "volumes_from"),
            (
                json!({"Mounts": [{"Type": "volume", "Target": "/x", "VolumeOptions":
                    {"DriverConfig": {"Name": "local", "Options": {"type": "none", "o": "bind", "device": "/"}}}}]}),
                "device",
            ),
        ] {
            let err = check_create(&body(host.clone()), &none, &roots, None).unwrap_err();
            assert!(err.contains(why), "{host}: {err}");
            assert!(
                err.ends_with("in [allow] of wharf.toml") || why == "device",
                "{err}"
            );
        }
        assert!(check_create(&body(json!({"NetworkMode": "bridge"})), &none, &roots, None).is_ok());
    }

    #[test]
    fn the_config_can_allow_what_is_refused_by_default() {
        let roots = AllowedRoots::new([std::env::temp_dir()]);
        let allow = CreateAllowances {
            privileged: true,
            host_namespaces: true,
            capabilities: BTreeSet::from(["NET_ADMIN".to_owned()]),
            ..Default::default()
        };
        for host in [
            json!({"Privileged": true}),
            json!({"NetworkMode": "host", "PidMode": "host"}),
            json!({"CapAdd": ["NET_ADMIN", "CAP_NET_ADMIN"]}),
        ] {
            assert!(
                check_create(&body(host.clone()), &allow, &roots, None).is_ok(),
                "{host}"
            );
        }
        let err = check_create(
            &body(json!({"CapAdd": ["SYS_ADMIN"]})),
            &allow,
            &roots,
            None,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "adding the capability `SYS_ADMIN` is refused; to allow it, set \
             capabilities = [\"SYS_ADMIN\"] in [allow] of wharf.toml"
        );
        let socket = body(json!({"Binds": ["/var/run/docker.sock:/s"]}));
        let everything = CreateAllowances {
            privileged: true,
            host_namespaces: true,
            devices: true,
            capabilities: BTreeSet::from(["ALL".to_owned()]),
            unconfined: true,
            volumes_from: true,
            manager_join_tokens: true,
            nested_binds: true,
            sysctls: true,
            cgroup_parent: true,
            annotations: true,
            runtimes: BTreeSet::from(["kata".to_owned()]),
            log_drivers: BTreeSet::from(["syslog".to_owned()]),
            host_networks: true,
        };
        assert!(check_create(&socket, &everything, &roots, None).is_err());
    }

    #[test]
    fn binds_must_stay_under_the_roots_and_away_from_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        std::fs::write(dir.path().join("run/docker.sock"), "").unwrap();
        let roots = AllowedRoots::new([dir.path().to_owned()]);
        let none = CreateAllowances::default();
        let root = dir.path().canonicalize().unwrap();
        let socket = root.join("run/docker.sock");
        let ok = body(json!({"Binds": [format!("{}:/data", root.display()), "named:/v"]}));
        assert!(check_create(&ok, &none, &roots, Some(Path::new("/var/run/docker.sock"))).is_ok());
        let parent = body(json!({"Binds": [format!("{}/run:/s", root.display())]}));
        let err = check_create(&parent, &none, &roots, Some(&socket)).unwrap_err();
        assert!(err.contains("exposes the Docker socket"), "{err}");
        // Podman's socket, though the engine is another.
        std::fs::write(dir.path().join("run/podman.sock"), "").unwrap();
        let podman = body(json!({"Binds": [format!("{}/run/podman.sock:/s", root.display())]}));
        let err = check_create(
            &podman,
            &none,
            &roots,
            Some(Path::new("/var/run/docker.sock")),
        )
        .unwrap_err();
        assert!(err.contains("exposes the Docker socket"), "{err}");
        let outside = body(json!({"Mounts": [{"Type": "bind", "Source": "/etc", "Target": "/e"}]}));
        let err = check_create(&outside, &none, &roots, None).unwrap_err();
        assert!(
            err.starts_with("bind mount source refused: `/etc` is outside"),
            "{err}"
        );
    }

    #[test]
    fn services_get_the_same_refusals_as_containers() {
        let dir = tempfile::tempdir().unwrap();
        let roots = AllowedRoots::new([dir.path().to_owned()]);
        let none = CreateAllowances::default();
        let service = |task: serde_json::Value| -> ServiceSpec {
            serde_json::from_value(json!({"Name": "s", "TaskTemplate": task})).unwrap()
        };
        for (task, why) in [
            (json!({"Networks": [{"Target": "host"}]}), "host network"),
            (
                json!({"ContainerSpec": {"Image": "x", "CapabilityAdd": ["SYS_ADMIN"]}}),
                "capability `SYS_ADMIN`",
            ),
            (
                json!({"ContainerSpec": {"Image": "x", "Privileges": {"Seccomp": {"Mode": "unconfined"}}}}),
                "without seccomp",
            ),
            (
                json!({"ContainerSpec": {"Image": "x", "Mounts": [{"Type": "bind", "Source": "/", "Target": "/h"}]}}),
                "bind mount source refused",
            ),
            (
                json!({"Runtime": "plugin", "PluginSpec": {"Name": "evil", "PluginPrivilege": []}}),
                "only container tasks",
            ),
            (
                json!({"ContainerSpec": {"Image": "x", "Privileges": {"SELinuxContext": {"Disable": true}}}}),
                "without SELinux",
            ),
        ] {
            let err = check_service(&service(task.clone()), &none, &roots, None).unwrap_err();
            assert!(err.contains(why), "{task}: {err}");
        }
        let ok = service(json!({
            "ContainerSpec": {"Image": "x", "Mounts": [
                {"Type": "volume", "Source": "data", "Target": "/d"},
                {"Type": "bind", "Source": dir.path(), "Target": "/w"}
            ]},
            "Networks": [{"Target": "backend"}]
        }));
        assert!(check_service(&ok, &none, &roots, None).is_ok());
        let allow = CreateAllowances {
            host_namespaces: true,
            ..Default::default()
        };
        let host = service(json!({"Networks": [{"Target": "host"}]}));
        assert!(check_service(&host, &allow, &roots, None).is_ok());
    }
}

//! What a container may be created with. The body is checked as it will be sent (after
//! parsing into the API model), so nothing a plugin spells differently slips past.

use super::AllowedRoots;
use bollard::models::{ContainerCreateBody, MountType};
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
}

fn refused(what: &str, allow: &str) -> String {
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
    let all_caps = allow.capabilities.contains("ALL");
    if let Some(cap) = host.cap_add.iter().flatten().find(|c| {
        let bare = c.trim_start_matches("CAP_");
        !all_caps && !allow.capabilities.contains(bare) && !allow.capabilities.contains(*c)
    }) {
        return Err(refused(
            &format!("adding the capability `{cap}` is"),
            &format!("capabilities = [\"{}\"]", cap.trim_start_matches("CAP_")),
        ));
    }
    if host.volumes_from.as_ref().is_some_and(|v| !v.is_empty()) && !allow.volumes_from {
        return Err(refused(
            "volumes_from (another container's mounts) is",
            "volumes_from = true",
        ));
    }
    if let Some(opt) = host
        .security_opt
        .iter()
        .flatten()
        .find(|o| o.contains("unconfined"))
        && !allow.unconfined
    {
        return Err(refused(
            &format!("security option `{opt}` is"),
            "unconfined = true",
        ));
    }

    let mut sources: Vec<&str> = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').next())
        .filter(|src| src.starts_with('/'))
        .collect();
    for m in host.mounts.iter().flatten() {
        match m.typ {
            Some(MountType::BIND) => sources.extend(m.source.as_deref()),
            // The local volume driver's `device` option binds any host path.
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
        let socket = real.file_name().is_some_and(|n| n == "docker.sock")
            || engine_socket.is_some_and(|s| s.starts_with(&real));
        if socket {
            return Err(format!(
                "bind mount of `{src}` refused: it exposes the Docker socket, which gives a \
                 container full control of the host"
            ));
        }
    }
    Ok(())
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
        let outside = body(json!({"Mounts": [{"Type": "bind", "Source": "/etc", "Target": "/e"}]}));
        let err = check_create(&outside, &none, &roots, None).unwrap_err();
        assert!(
            err.starts_with("bind mount source refused: `/etc` is outside"),
            "{err}"
        );
    }
}

//! What a container may be created with. The body is checked as it will be sent (after
//! parsing into the API model), so nothing a plugin spells differently slips past.

use super::AllowedRoots;
use bollard::models::{ContainerCreateBody, MountType};
use std::path::Path;

/// Refuse what would hand a container the host: privileges, host namespaces, devices,
/// added capabilities, unconfined security, other containers' volumes, bind mounts from
/// outside the allowed roots, and the Docker socket (or a directory holding it).
pub fn check_create(
    body: &ContainerCreateBody,
    roots: &AllowedRoots,
    engine_socket: Option<&Path>,
) -> Result<(), String> {
    let Some(host) = &body.host_config else {
        return Ok(());
    };
    if host.privileged == Some(true) {
        return Err("privileged containers are refused".into());
    }
    for (what, mode) in [
        ("network", &host.network_mode),
        ("PID", &host.pid_mode),
        ("IPC", &host.ipc_mode),
        ("UTS", &host.uts_mode),
        ("user", &host.userns_mode),
    ] {
        if mode.as_deref() == Some("host") {
            return Err(format!("the host {what} namespace is refused"));
        }
    }
    if host.devices.as_ref().is_some_and(|d| !d.is_empty()) {
        return Err("host devices are refused".into());
    }
    if host.cap_add.as_ref().is_some_and(|c| !c.is_empty()) {
        return Err("added capabilities are refused".into());
    }
    if host.volumes_from.as_ref().is_some_and(|v| !v.is_empty()) {
        return Err("volumes_from (another container's mounts) is refused".into());
    }
    if let Some(opt) = host
        .security_opt
        .iter()
        .flatten()
        .find(|o| o.contains("unconfined"))
    {
        return Err(format!("security option `{opt}` is refused"));
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
            let err = check_create(&body(host.clone()), &roots, None).unwrap_err();
            assert!(err.contains(why), "{host}: {err}");
        }
        assert!(check_create(&body(json!({"NetworkMode": "bridge"})), &roots, None).is_ok());
    }

    #[test]
    fn binds_must_stay_under_the_roots_and_away_from_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        std::fs::write(dir.path().join("run/docker.sock"), "").unwrap();
        let roots = AllowedRoots::new([dir.path().to_owned()]);
        let root = dir.path().canonicalize().unwrap();
        let socket = root.join("run/docker.sock");
        let ok = body(json!({"Binds": [format!("{}:/data", root.display()), "named:/v"]}));
        assert!(check_create(&ok, &roots, Some(Path::new("/var/run/docker.sock"))).is_ok());
        let parent = body(json!({"Binds": [format!("{}/run:/s", root.display())]}));
        let err = check_create(&parent, &roots, Some(&socket)).unwrap_err();
        assert!(err.contains("exposes the Docker socket"), "{err}");
        let outside = body(json!({"Mounts": [{"Type": "bind", "Source": "/etc", "Target": "/e"}]}));
        let err = check_create(&outside, &roots, None).unwrap_err();
        assert!(
            err.starts_with("bind mount source refused: `/etc` is outside"),
            "{err}"
        );
    }
}

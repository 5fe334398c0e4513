//! Where a Docker engine is and how to reach it, found the way the docker CLI finds it.
//!
//! The CLI's order: `DOCKER_HOST` (with `DOCKER_TLS_VERIFY`, `DOCKER_TLS`, `DOCKER_CERT_PATH`),
//! else the context named by `DOCKER_CONTEXT`, else the `currentContext` of the CLI's
//! `config.json`, else the local socket. A context lives in the CLI's config directory:
//! `contexts/meta/<sha256 of its name>/meta.json` and its TLS files under
//! `contexts/tls/<sha256 of its name>/docker/`.

use crate::ssh::SshSpec;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// The engine the docker CLI uses when nothing says otherwise.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// One engine's address and the TLS material to reach it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix:///path` or `tcp://host:port`.
    pub host: String,
    pub tls: Option<TlsFiles>,
    /// Where the address came from (`DOCKER_HOST`, `context "prod"`, `wharf.toml`...), so
    /// `wharf doctor` and errors can say why wharf talks to this engine.
    pub source: String,
}

/// TLS for a `tcp://` engine: the CA that signs the engine's certificate and the client
/// certificate the engine asks for, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Check the engine's certificate against `ca`. Off only when asked for (`DOCKER_TLS`
    /// without `DOCKER_TLS_VERIFY`, a context's SkipTLSVerify, `tls_verify = false`).
    pub verify: bool,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` of `dir`, those that exist (as the CLI does).
    pub fn in_dir(dir: &Path, verify: bool) -> TlsFiles {
        let file = |name: &str| Some(dir.join(name)).filter(|p| p.exists());
        TlsFiles {
            ca: file("ca.pem"),
            cert: file("cert.pem"),
            key: file("key.pem"),
            verify,
        }
    }

    fn is_empty(&self) -> bool {
        self.ca.is_none() && self.cert.is_none() && self.key.is_none()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error(
        "unsupported Docker endpoint `{0}`: wharf reaches engines at unix:// sockets, \
         tcp:// addresses (with TLS) and ssh:// hosts"
    )]
    Unsupported(String),
    #[error("Docker context `{name}` not found: no {}", path.display())]
    ContextNotFound { name: String, path: PathBuf },
    #[error("cannot read Docker context `{name}` from {}: {message}", path.display())]
    ContextUnreadable {
        name: String,
        path: PathBuf,
        message: String,
    },
    #[error("cannot read the Docker CLI config {}: {message}", path.display())]
    CliConfig { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The process environment, or a stand-in for tests.
pub trait Env {
    fn var(&self, key: &str) -> Option<String>;

    /// Whether a socket (or any file) is at `path`.
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    /// The user this process runs as: whose `/run/user/UID` to look in. `/proc/self`
    /// belongs to it, which spares a libc call.
    fn uid(&self) -> Option<u32> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").ok().map(|m| m.uid())
    }
}

/// The real environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, key: &str) -> Option<String> {
        self(key).filter(|v| !v.is_empty())
    }
}

impl Endpoint {
    /// The engine the docker CLI would use in this environment.
    pub fn from_docker_cli(env: &impl Env) -> Result<Endpoint, EndpointError> {
        if let Some(host) = env.var("DOCKER_HOST") {
            let verify = env.var("DOCKER_TLS_VERIFY").is_some();
            let tls = (verify || env.var("DOCKER_TLS").is_some()).then(|| {
                let dir = env
                    .var("DOCKER_CERT_PATH")
                    .map(PathBuf::from)
                    .or_else(|| cli_config_dir(env))
                    .unwrap_or_default();
                TlsFiles::in_dir(&dir, verify)
            });
            return Endpoint::checked(host, tls, "DOCKER_HOST".into());
        }
        let Some(dir) = cli_config_dir(env) else {
            return Ok(local_socket(env));
        };
        let context = match env.var("DOCKER_CONTEXT") {
            Some(name) => Some(name),
            None => current_context(&dir)?,
        };
        match context {
            Some(name) if name != "default" => Endpoint::from_context(&dir, &name),
            _ => Ok(local_socket(env)),
        }
    }

    /// The docker endpoint of context `name` in the CLI config directory `dir`.
    pub fn from_context(dir: &Path, name: &str) -> Result<Endpoint, EndpointError> {
        let id = hex(&Sha256::digest(name.as_bytes()));
        let meta = dir.join("contexts/meta").join(&id).join("meta.json");
        let unreadable = |message: String| EndpointError::ContextUnreadable {
            name: name.to_owned(),
            path: meta.clone(),
            message,
        };
        let bytes = match std::fs::read(&meta) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(EndpointError::ContextNotFound {
                    name: name.to_owned(),
                    path: meta,
                });
            }
            Err(e) => return Err(unreadable(e.to_string())),
        };
        let meta: ContextMeta =
            serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
        let docker = meta
            .endpoints
            .docker
            .ok_or_else(|| unreadable("it has no docker endpoint".into()))?;
        let host = docker
            .host
            .filter(|h| !h.is_empty())
            .ok_or_else(|| unreadable("its docker endpoint has no Host".into()))?;
        let files = TlsFiles::in_dir(
            &dir.join("contexts/tls").join(&id).join("docker"),
            !docker.skip_tls_verify,
        );
        // As the CLI: TLS when the context stores TLS files or asks to skip verification.
        let tls = (!files.is_empty() || docker.skip_tls_verify).then_some(files);
        Endpoint::checked(host, tls, format!("Docker context \"{name}\""))
    }

    /// `host` after checking wharf can reach it; `tcp://` without a port gets the CLI's
    /// default (2376 with TLS, 2375 without).
    pub fn checked(
        host: String,
        tls: Option<TlsFiles>,
        source: String,
    ) -> Result<Endpoint, EndpointError> {
        let host = host.trim().to_owned();
        let host = if let Some(path) = host.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(EndpointError::Invalid(format!(
                    "Docker endpoint `{host}` names no socket"
                )));
            }
            if tls.is_some() {
                return Err(EndpointError::Invalid(format!(
                    "TLS is for tcp:// engines, not the socket {host}"
                )));
            }
            host
        } else if let Some(rest) = host
            .strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
        {
            let addr = rest.trim_end_matches('/');
            if addr.is_empty() || addr.contains('/') {
                return Err(EndpointError::Invalid(format!(
                    "Docker endpoint `{host}` is not tcp://HOST:PORT"
                )));
            }
            let has_port = addr
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.ends_with(':') && p.parse::<u16>().is_ok());
            match (has_port, tls.is_some()) {
                (true, _) => format!("tcp://{addr}"),
                (false, true) => format!("tcp://{addr}:2376"),
                (false, false) => format!("tcp://{addr}:2375"),
            }
        } else if host.starts_with("ssh://") {
            if tls.is_some() {
                return Err(EndpointError::Invalid(format!(
                    "TLS is for tcp:// engines; ssh itself secures {host}"
                )));
            }
            SshSpec::parse(&host)?.to_string()
        } else {
            return Err(EndpointError::Unsupported(host));
        };
        if let Some(t) = &tls
            && t.cert.is_some() != t.key.is_some()
        {
            return Err(EndpointError::Invalid(format!(
                "the TLS client certificate for {host} needs both cert.pem and key.pem"
            )));
        }
        Ok(Endpoint { host, tls, source })
    }

    /// The socket file, for an engine reached through one.
    pub fn socket_path(&self) -> Option<&Path> {
        self.host.strip_prefix("unix://").map(Path::new)
    }

    /// The login, for an engine reached over ssh.
    pub fn ssh(&self) -> Option<SshSpec> {
        self.host
            .starts_with("ssh://")
            .then(|| SshSpec::parse(&self.host).ok())
            .flatten()
    }

    /// `host:port`, for an engine reached over TCP.
    pub fn tcp_addr(&self) -> Option<&str> {
        self.host.strip_prefix("tcp://")
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host)?;
        match &self.tls {
            Some(t) if t.verify => f.write_str(" (TLS)"),
            Some(_) => f.write_str(" (TLS, certificate not verified)"),
            None => Ok(()),
        }
    }
}

/// The engine on this machine when nothing names one: the CLI's default socket, else
/// rootless Docker's, else Podman's (rootless, then system-wide). The docker CLI stops at
/// the default, so a user whose only engine is rootless Docker or Podman would be told it
/// cannot connect; the source says which was found, for `wharf doctor`.
fn local_socket(env: &impl Env) -> Endpoint {
    let mut runtime_dirs: Vec<PathBuf> = env
        .var("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Some(uid) = env.uid() {
        let dir = PathBuf::from(format!("/run/user/{uid}"));
        if !runtime_dirs.contains(&dir) {
            runtime_dirs.push(dir);
        }
    }
    let default = PathBuf::from(DEFAULT_HOST.trim_start_matches("unix://"));
    let mut candidates = vec![(default, "the default socket".to_owned())];
    for dir in &runtime_dirs {
        candidates.push((
            dir.join("docker.sock"),
            "rootless Docker's socket".to_owned(),
        ));
    }
    for dir in &runtime_dirs {
        candidates.push((
            dir.join("podman/podman.sock"),
            "rootless Podman's socket".to_owned(),
        ));
    }
    candidates.push((
        PathBuf::from("/run/podman/podman.sock"),
        "Podman's system socket".to_owned(),
    ));
    match candidates.into_iter().find(|(path, _)| env.exists(path)) {
        Some((path, source)) => Endpoint {
            host: format!("unix://{}", path.display()),
            tls: None,
            source: if source == "the default socket" {
                source
            } else {
                format!("{source}, as {DEFAULT_HOST} is absent")
            },
        },
        None => Endpoint {
            host: DEFAULT_HOST.to_owned(),
            tls: None,
            source: "the default socket (absent; no rootless Docker or Podman socket either)"
                .to_owned(),
        },
    }
}

/// The docker CLI's config directory: `DOCKER_CONFIG`, else `~/.docker`.
pub fn cli_config_dir(env: &impl Env) -> Option<PathBuf> {
    env.var("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env.var("HOME").map(|h| Path::new(&h).join(".docker")))
}

fn current_context(dir: &Path) -> Result<Option<String>, EndpointError> {
    #[derive(Deserialize)]
    struct CliConfig {
        #[serde(rename = "currentContext", default)]
        current_context: Option<String>,
    }
    let path = dir.join("config.json");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(EndpointError::CliConfig {
                path,
                message: e.to_string(),
            });
        }
    };
    let config: CliConfig =
        serde_json::from_slice(&bytes).map_err(|e| EndpointError::CliConfig {
            path,
            message: e.to_string(),
        })?;
    Ok(config.current_context.filter(|c| !c.is_empty()))
}

#[derive(Deserialize)]
struct ContextMeta {
    #[serde(rename = "Endpoints", default)]
    endpoints: ContextEndpoints,
}

#[derive(Deserialize, Default)]
struct ContextEndpoints {
    docker: Option<DockerEndpointMeta>,
}

#[derive(Deserialize)]
struct DockerEndpointMeta {
    #[serde(rename = "Host")]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| vars.get(k).cloned()
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A context laid out as `docker context create` writes it.
    fn context(dir: &Path, name: &str, meta: &str, tls: &[&str]) {
        let id = hex(&Sha256::digest(name.as_bytes()));
        write(&dir.join(format!("contexts/meta/{id}/meta.json")), meta);
        for f in tls {
            write(&dir.join(format!("contexts/tls/{id}/docker/{f}")), "pem");
        }
    }

    /// Variables, and the sockets there are.
    struct Machine {
        vars: HashMap<String, String>,
        sockets: Vec<PathBuf>,
    }

    impl Machine {
        fn new(vars: &[(&str, &str)], sockets: &[&str]) -> Machine {
            Machine {
                vars: vars
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                sockets: sockets.iter().map(PathBuf::from).collect(),
            }
        }
    }

    impl Env for Machine {
        fn var(&self, key: &str) -> Option<String> {
            self.vars.get(key).cloned()
        }
        fn exists(&self, path: &Path) -> bool {
            self.sockets.iter().any(|s| s == path)
        }
        fn uid(&self) -> Option<u32> {
            Some(1000)
        }
    }

    #[test]
    fn nothing_set_is_the_default_socket() {
        let machine = Machine::new(&[], &["/var/run/docker.sock", "/run/user/1000/docker.sock"]);
        let e = Endpoint::from_docker_cli(&machine).unwrap();
        assert_eq!(e.host, DEFAULT_HOST);
        assert_eq!(e.tls, None);
        assert_eq!(e.source, "the default socket");
    }

    #[test]
    fn without_the_default_socket_rootless_docker_then_podman_is_found() {
        let xdg = [("XDG_RUNTIME_DIR", "/tmp/xdg")];
        let found = |vars: &[(&str, &str)], sockets: &[&str]| {
            let e = Endpoint::from_docker_cli(&Machine::new(vars, sockets)).unwrap();
            (e.host, e.source)
        };
        assert_eq!(
            found(
                &xdg,
                &["/tmp/xdg/docker.sock", "/run/user/1000/docker.sock"]
            ),
            (
                "unix:///tmp/xdg/docker.sock".to_owned(),
                "rootless Docker's socket, as unix:///var/run/docker.sock is absent".to_owned()
            )
        );
        assert_eq!(
            found(&[], &["/run/user/1000/docker.sock"]).0,
            "unix:///run/user/1000/docker.sock"
        );
        // Rootless Docker before Podman, wherever each is.
        assert_eq!(
            found(
                &xdg,
                &["/tmp/xdg/podman/podman.sock", "/run/user/1000/docker.sock"]
            )
            .0,
            "unix:///run/user/1000/docker.sock"
        );
        let (host, source) = found(
            &xdg,
            &["/tmp/xdg/podman/podman.sock", "/run/podman/podman.sock"],
        );
        assert_eq!(host, "unix:///tmp/xdg/podman/podman.sock");
        assert!(source.starts_with("rootless Podman's socket"), "{source}");
        assert_eq!(
            found(&[], &["/run/podman/podman.sock"]).1,
            "Podman's system socket, as unix:///var/run/docker.sock is absent"
        );
        // Nothing anywhere: the CLI's default, and a source that says what was tried.
        let (host, source) = found(&xdg, &[]);
        assert_eq!(host, DEFAULT_HOST);
        assert!(
            source.contains("no rootless Docker or Podman socket"),
            "{source}"
        );
        // A context named `default` is the local engine too.
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().to_str().unwrap();
        assert_eq!(
            found(
                &[("DOCKER_CONFIG", config), ("DOCKER_CONTEXT", "default")],
                &["/run/user/1000/docker.sock"]
            )
            .0,
            "unix:///run/user/1000/docker.sock"
        );
        // DOCKER_HOST still wins.
        assert_eq!(
            found(
                &[("DOCKER_HOST", "unix:///x.sock")],
                &["/run/user/1000/docker.sock"]
            )
            .0,
            "unix:///x.sock"
        );
    }

    #[test]
    fn docker_host_with_tls_verify_reads_the_cert_path() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["ca.pem", "cert.pem", "key.pem"] {
            write(&dir.path().join(f), "pem");
        }
        let cert_path = dir.path().to_str().unwrap();
        let e = Endpoint::from_docker_cli(&env(&[
            ("DOCKER_HOST", "tcp://10.0.0.5:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", cert_path),
        ]))
        .unwrap();
        assert_eq!(e.host, "tcp://10.0.0.5:2376");
        assert_eq!(e.source, "DOCKER_HOST");
        let tls = e.tls.unwrap();
        assert!(tls.verify);
        assert_eq!(tls.ca, Some(dir.path().join("ca.pem")));
        assert_eq!(tls.key, Some(dir.path().join("key.pem")));
    }

    #[test]
    fn docker_tls_alone_does_not_verify_and_a_bare_host_gets_the_tls_port() {
        let e = Endpoint::from_docker_cli(&env(&[
            ("DOCKER_HOST", "tcp://build.internal"),
            ("DOCKER_TLS", "1"),
            ("DOCKER_CERT_PATH", "/nonexistent"),
        ]))
        .unwrap();
        assert_eq!(e.host, "tcp://build.internal:2376");
        assert!(!e.tls.unwrap().verify);
        let plain = Endpoint::from_docker_cli(&env(&[("DOCKER_HOST", "tcp://h")])).unwrap();
        assert_eq!(plain.host, "tcp://h:2375");
    }

    #[test]
    fn docker_host_wins_over_the_context() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().to_str().unwrap();
        let e = Endpoint::from_docker_cli(&env(&[
            ("DOCKER_HOST", "unix:///run/other.sock"),
            ("DOCKER_CONTEXT", "prod"),
            ("DOCKER_CONFIG", config),
        ]))
        .unwrap();
        assert_eq!(e.host, "unix:///run/other.sock");
    }

    #[test]
    fn the_current_context_is_read_with_its_tls_files() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("config.json"),
            r#"{"auths": {}, "currentContext": "prod"}"#,
        );
        context(
            dir.path(),
            "prod",
            r#"{"Name":"prod","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://10.1.1.1:2376","SkipTLSVerify":false}}}"#,
            &["ca.pem", "cert.pem", "key.pem"],
        );
        let e = Endpoint::from_docker_cli(&env(&[("DOCKER_CONFIG", dir.path().to_str().unwrap())]))
            .unwrap();
        assert_eq!(e.host, "tcp://10.1.1.1:2376");
        assert_eq!(e.source, "Docker context \"prod\"");
        let tls = e.tls.unwrap();
        assert!(tls.verify);
        assert!(tls.ca.unwrap().ends_with("docker/ca.pem"));
    }

    #[test]
    fn docker_context_overrides_the_config_and_default_means_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().to_str().unwrap();
        write(
            &dir.path().join("config.json"),
            r#"{"currentContext": "prod"}"#,
        );
        context(
            dir.path(),
            "plain",
            r#"{"Endpoints":{"docker":{"Host":"tcp://10.2.2.2:2375"}}}"#,
            &[],
        );
        let e = Endpoint::from_docker_cli(&env(&[
            ("DOCKER_CONFIG", config),
            ("DOCKER_CONTEXT", "plain"),
        ]))
        .unwrap();
        assert_eq!((e.host.as_str(), e.tls), ("tcp://10.2.2.2:2375", None));
        let e = Endpoint::from_docker_cli(&Machine::new(
            &[("DOCKER_CONFIG", config), ("DOCKER_CONTEXT", "default")],
            &["/var/run/docker.sock"],
        ))
        .unwrap();
        assert_eq!(e.host, DEFAULT_HOST);
    }

    #[test]
    fn a_missing_context_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = Endpoint::from_docker_cli(&env(&[
            ("DOCKER_CONFIG", dir.path().to_str().unwrap()),
            ("DOCKER_CONTEXT", "gone"),
        ]))
        .unwrap_err();
        assert!(matches!(err, EndpointError::ContextNotFound { ref name, .. } if name == "gone"));
        assert!(err.to_string().contains("Docker context `gone` not found"));
    }

    #[test]
    fn skip_tls_verify_without_files_is_unverified_tls() {
        let dir = tempfile::tempdir().unwrap();
        context(
            dir.path(),
            "lab",
            r#"{"Endpoints":{"docker":{"Host":"tcp://lab:2376","SkipTLSVerify":true}}}"#,
            &[],
        );
        let e = Endpoint::from_context(dir.path(), "lab").unwrap();
        let tls = e.tls.unwrap();
        assert!(!tls.verify);
        assert_eq!(tls.ca, None);
    }

    #[test]
    fn unsupported_and_malformed_hosts_are_refused() {
        let check = |h: &str| Endpoint::checked(h.into(), None, "test".into());
        assert_eq!(
            check("ssh://me@host:2222/").unwrap().host,
            "ssh://me@host:2222"
        );
        assert!(matches!(
            check("ssh://me:pw@host"),
            Err(EndpointError::Invalid(_))
        ));
        let tls = TlsFiles {
            ca: None,
            cert: None,
            key: None,
            verify: false,
        };
        let err = Endpoint::checked("ssh://h".into(), Some(tls), "t".into()).unwrap_err();
        assert!(err.to_string().contains("ssh itself secures"));
        assert!(check("npipe:////./pipe/docker_engine").is_err());
        assert!(check("unix://").is_err());
        assert!(check("tcp://").is_err());
        assert!(check("tcp://h:2375/extra").is_err());
        assert_eq!(check("http://h:1234/").unwrap().host, "tcp://h:1234");
        assert_eq!(check("tcp://[::1]:2375").unwrap().host, "tcp://[::1]:2375");
        let half = TlsFiles {
            ca: None,
            cert: Some("c.pem".into()),
            key: None,
            verify: true,
        };
        let err = Endpoint::checked("tcp://h:1".into(), Some(half), "t".into()).unwrap_err();
        assert!(err.to_string().contains("needs both cert.pem and key.pem"));
    }
}

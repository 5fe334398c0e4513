//! Registry credentials for pull and push, found the way the Docker CLI finds them.
//!
//! Looked up per call, in order: `[registries."HOST"]` in wharf.toml, then the user's Docker
//! config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): its `credHelpers`
//! entry for the host, its `credsStore`, its plain `auths` entry. Reading the Docker config at
//! each call means a `docker login` takes effect without restarting wharf.
//!
//! Secrets never reach a plugin, a log line or an error message: [`Login`] and [`Credentials`](crate::engine::Credentials)
//! print redacted, and errors name where credentials came from, never what they are.

use crate::engine::DockerError;
use crate::engine::{Credentials, RegistryAuth};
use base64::Engine as _;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The Docker Hub's key in Docker's config files.
const DOCKER_HUB: &str = "https://index.docker.io/v1/";
/// A credential helper that does not answer within this is reported as failed.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// A login from wharf.toml: `[registries."registry.example.com:5000"]`.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub username: String,
    /// The password or token itself. Prefer `password_env`, which keeps it out of the file.
    #[serde(default)]
    pub password: Option<String>,
    /// The environment variable holding the password or token.
    #[serde(default)]
    pub password_env: Option<String>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_env", &self.password_env)
            .finish()
    }
}

#[derive(Debug, Clone, Default)]
pub struct CredentialStore {
    configured: BTreeMap<String, Login>,
    docker_config: Option<PathBuf>,
}

impl CredentialStore {
    /// `configured` from wharf.toml; the Docker config from `DOCKER_CONFIG` or `HOME`.
    pub fn new(configured: BTreeMap<String, Login>) -> Self {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let docker_config = env("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".docker")))
            .map(|d| d.join("config.json"));
        CredentialStore {
            configured: configured
                .into_iter()
                .map(|(k, v)| (normalize(&k), v))
                .collect(),
            docker_config,
        }
    }

    /// Credentials for the registry `reference` lives on, if any are configured.
    pub async fn for_reference(&self, reference: &str) -> Result<Option<Credentials>, DockerError> {
        self.for_registry(&registry_of(reference)).await
    }

    pub async fn for_registry(&self, host: &str) -> Result<Option<Credentials>, DockerError> {
        if let Some(login) = self.configured.get(host) {
            return login.credentials(host).map(Some);
        }
        let Some(path) = &self.docker_config else {
            return Ok(None);
        };
        let config = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice::<DockerConfig>(&bytes).map_err(|e| {
                DockerError::invalid(format!("cannot read {}: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(DockerError::invalid(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        config.lookup(host, path).await
    }
}

impl Login {
    fn credentials(&self, host: &str) -> Result<Credentials, DockerError> {
        let source = format!("[registries.\"{host}\"] in wharf.toml");
        let password = match (&self.password, &self.password_env) {
            (Some(p), None) => p.clone(),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                DockerError::invalid(format!(
                    "{source} names password_env `{var}`, which is not set"
                ))
            })?,
            _ => {
                return Err(DockerError::invalid(format!(
                    "{source} needs exactly one of password and password_env"
                )));
            }
        };
        Ok(Credentials {
            auth: RegistryAuth {
                username: Some(self.username.clone()),
                password: Some(password),
                serveraddress: Some(host.to_owned()),
                ..Default::default()
            },
            source,
        })
    }
}

/// The registry host of an image reference, as Docker decides it (distribution's
/// `splitDockerDomain`): the first path component if it looks like a host (has a `.` or
/// `:`, is `localhost`, or has an uppercase letter, which a repository path may not), else
/// Docker Hub. Deciding otherwise would hand Docker Hub's login to a reference the engine
/// sends elsewhere (`LOCALHOST/x`).
pub fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some((first, _))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            normalize(first)
        }
        _ => "docker.io".to_owned(),
    }
}

/// Config keys may be URLs (`https://host/v1/`) or bare hosts; the Hub has several names.
fn normalize(key: &str) -> String {
    let host = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = host.split('/').next().unwrap_or(host);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        h => h.to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: HashMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthEntry(<redacted>)")
    }
}

impl DockerConfig {
    async fn lookup(&self, host: &str, path: &Path) -> Result<Option<Credentials>, DockerError> {
        let helper = self
            .cred_helpers
            .iter()
            .find(|(k, _)| normalize(k) == host)
            .map(|(_, v)| v)
            .or(self.creds_store.as_ref());
        if let Some(helper) = helper.filter(|h| !h.is_empty())
            && let Some(found) = from_helper(helper, host).await?
        {
            return Ok(Some(found));
        }
        let Some(entry) = self.auths.iter().find(|(k, _)| normalize(k) == host) else {
            return Ok(None);
        };
        entry.1.credentials(host, path)
    }
}

impl AuthEntry {
    fn credentials(&self, host: &str, path: &Path) -> Result<Option<Credentials>, DockerError> {
        let source = format!("the `auths` entry for {host} in {}", path.display());
        let bad = |why: &str| DockerError::invalid(format!("{source} is malformed: {why}"));
        let (username, password) = match (&self.auth, &self.username, &self.password) {
            (Some(auth), _, _) if !auth.is_empty() => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .map_err(|_| bad("`auth` is not base64"))?;
                let text = String::from_utf8(decoded).map_err(|_| bad("`auth` is not UTF-8"))?;
                let (u, p) = text
                    .split_once(':')
                    .ok_or_else(|| bad("`auth` is not user:password"))?;
                (Some(u.to_owned()), Some(p.to_owned()))
            }
            (_, Some(u), Some(p)) => (Some(u.clone()), Some(p.clone())),
            _ => (None, None),
        };
        if username.is_none() && self.identitytoken.is_none() {
            // `docker login` through a store leaves `"host": {}` here: nothing to use.
            return Ok(None);
        }
        Ok(Some(Credentials {
            auth: RegistryAuth {
                username,
                password,
                identitytoken: self.identitytoken.clone(),
                serveraddress: Some(host.to_owned()),
            },
            source,
        }))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// Ask `docker-credential-NAME get`, as the Docker CLI does.
async fn from_helper(name: &str, host: &str) -> Result<Option<Credentials>, DockerError> {
    run_helper(&format!("docker-credential-{name}"), host).await
}

async fn run_helper(program: &str, host: &str) -> Result<Option<Credentials>, DockerError> {
    use tokio::io::AsyncWriteExt;
    let failed = |why: String| DockerError::denied(format!("credential helper {program}: {why}"));
    let server = if host == "docker.io" {
        DOCKER_HUB
    } else {
        host
    };
    let mut child = tokio::process::Command::new(program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(format!("cannot run it: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .await
            .map_err(|e| failed(e.to_string()))?;
    }
    let out = tokio::time::timeout(HELPER_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| failed(format!("no answer within {}s", HELPER_TIMEOUT.as_secs())))?
        .map_err(|e| failed(e.to_string()))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stdout);
        if said.contains("credentials not found") {
            return Ok(None);
        }
        // Helpers print their own error on stdout or stderr; neither holds the secret.
        let err = String::from_utf8_lossy(&out.stderr);
        let why = [said.trim(), err.trim()]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("failed")
            .chars()
            .take(300)
            .collect();
        return Err(failed(why));
    }
    let answer: HelperAnswer = serde_json::from_slice(&out.stdout)
        .map_err(|_| failed("its answer is not the expected JSON".into()))?;
    // `<token>` as user name means the secret is an identity token.
    let credentials = if answer.username == "<token>" {
        RegistryAuth {
            identitytoken: Some(answer.secret),
            serveraddress: Some(host.to_owned()),
            ..Default::default()
        }
    } else {
        RegistryAuth {
            username: Some(answer.username),
            password: Some(answer.secret),
            serveraddress: Some(host.to_owned()),
            ..Default::default()
        }
    };
    Ok(Some(Credentials {
        auth: credentials,
        source: format!("credential helper {program}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_found_as_docker_finds_them() {
        assert_eq!(registry_of("nginx"), "docker.io");
        assert_eq!(registry_of("library/nginx:1"), "docker.io");
        assert_eq!(registry_of("ghcr.io/o/app:1"), "ghcr.io");
        assert_eq!(registry_of("127.0.0.1:5000/app"), "127.0.0.1:5000");
        assert_eq!(registry_of("localhost/app"), "localhost");
        // Docker takes a first component with an uppercase letter for a host.
        assert_eq!(registry_of("LOCALHOST/x:1"), "LOCALHOST");
        assert_eq!(registry_of("Evil/x"), "Evil");
        assert_eq!(normalize(DOCKER_HUB), "docker.io");
        assert_eq!(
            normalize("https://reg.example:5000/v1/"),
            "reg.example:5000"
        );
    }

    fn store(dir: &Path, config: &str) -> CredentialStore {
        let path = dir.join("config.json");
        std::fs::write(&path, config).unwrap();
        CredentialStore {
            configured: BTreeMap::new(),
            docker_config: Some(path),
        }
    }

    #[tokio::test]
    async fn auths_entries_decode_and_empty_ones_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        // "alice:s3cret"
        let s = store(
            dir.path(),
            r#"{"auths": {"https://reg.example:5000/v1/": {"auth": "YWxpY2U6czNjcmV0"},
                          "other.example": {}}}"#,
        );
        let found = s.for_registry("reg.example:5000").await.unwrap().unwrap();
        assert_eq!(found.auth.username.as_deref(), Some("alice"));
        assert_eq!(found.auth.password.as_deref(), Some("s3cret"));
        assert!(!format!("{found:?}").contains("s3cret"));
        assert!(s.for_registry("other.example").await.unwrap().is_none());
        assert!(s.for_registry("docker.io").await.unwrap().is_none());
    }

    /// The Hub's login goes only with references the engine sends to the Hub: for every
    /// form Docker reads as another host, none is found.
    #[tokio::test]
    async fn docker_hubs_login_stays_with_docker_hub_references() {
        let dir = tempfile::tempdir().unwrap();
        // "alice:s3cret"
        let s = store(
            dir.path(),
            r#"{"auths": {"https://index.docker.io/v1/": {"auth": "YWxpY2U6czNjcmV0"}}}"#,
        );
        for hub in [
            "nginx",
            "library/nginx:1",
            "docker.io/o/app",
            "index.docker.io/o/app",
        ] {
            assert!(s.for_reference(hub).await.unwrap().is_some(), "{hub}");
        }
        for elsewhere in [
            "LOCALHOST/x:1",
            "Evil/x",
            "localhost/x",
            "evil.example/library/nginx",
            "127.0.0.1:5000/x",
            "docker.io.evil.example/x",
        ] {
            assert!(
                s.for_reference(elsewhere).await.unwrap().is_none(),
                "{elsewhere} got the Hub's login"
            );
        }
    }

    #[tokio::test]
    async fn a_broken_config_is_an_error_that_keeps_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(
            dir.path(),
            r#"{"auths": {"reg.example": {"auth": "bm9jb2xvbg=="}}}"#,
        );
        let e = s.for_registry("reg.example").await.unwrap_err();
        assert!(e.message.contains("not user:password"), "{e}");
        assert!(!e.message.contains("nocolon"));
    }

    #[tokio::test]
    async fn wharf_config_wins_and_reads_the_environment() {
        let login = Login {
            username: "bob".into(),
            password: None,
            password_env: Some("WHARF_TEST_UNSET_VARIABLE".into()),
        };
        let s = CredentialStore {
            configured: BTreeMap::from([("reg.example".to_owned(), login)]),
            docker_config: None,
        };
        let e = s.for_registry("reg.example").await.unwrap_err();
        assert!(e.message.contains("WHARF_TEST_UNSET_VARIABLE"), "{e}");
        let shown = format!(
            "{:?}",
            Login {
                username: "u".into(),
                password: Some("hunter2".into()),
                password_env: None
            }
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn credential_helpers_are_asked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-wharftest");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\nif [ \"$server\" = reg.example ]; then\n\
             echo '{\"ServerURL\":\"reg.example\",\"Username\":\"carol\",\"Secret\":\"pw\"}'\n\
             else echo 'credentials not found in native keychain'; exit 1; fi\n",
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let program = helper.to_str().unwrap();
        let answer = (
            run_helper(program, "reg.example").await,
            run_helper(program, "nothere.example").await,
        );
        let found = answer.0.unwrap().unwrap();
        assert_eq!(found.auth.username.as_deref(), Some("carol"));
        assert!(
            found.source.ends_with("docker-credential-wharftest"),
            "{}",
            found.source
        );
        assert!(answer.1.unwrap().is_none());
    }
}

//! `wharf.toml`: which plugins load, what each is granted, their limits, and the host paths
//! plugins may reach. Command-line flags override it.
//!
//! ```toml
//! # Host directories file copies and bind mounts may use (default: the current directory).
//! allowed_roots = ["/home/me/projects"]
//! # Directories whose *.wasm files are loaded as plugins, beside the built-in ones.
//! plugin_dirs = ["/home/me/.config/wharf/plugins"]
//!
//! # What wharf serves: "full" (default), "no-destructive" or "read-only".
//! mode = "no-destructive"
//! # Tools no client may list or call, whatever the mode.
//! disabled_tools = ["prune_images"]
//! # Every call of a tool that may change state is appended here as a JSON line.
//! audit_log = "/home/me/.local/state/wharf/audit.jsonl"
//! # Manage only containers, networks and volumes carrying this label.
//! scope_label = "team=web"
//!
//! # Destructive tools ask the user first, through MCP elicitation. A client that cannot
//! # ask gets a refusal unless the tool is listed in safe_tools or without_elicitation is
//! # "proceed".
//! [confirm]
//! destructive = true
//! without_elicitation = "refuse"
//! safe_tools = ["remove_container"]
//!
//! # Container settings refused unless allowed here (mounting the Docker socket never is).
//! [allow]
//! privileged = false
//! host_namespaces = false
//! devices = false
//! capabilities = ["NET_ADMIN"]
//! unconfined = false
//! volumes_from = false
//! manager_join_tokens = false
//! nested_binds = false
//! sysctls = false
//! cgroup_parent = false
//! annotations = false
//! runtimes = []
//! log_drivers = []
//! host_networks = false
//!
//! # wharf serve --http: the bearer token (better: WHARF_HTTP_TOKEN in the environment),
//! # Host names accepted beyond loopback, browser origins allowed.
//! [http]
//! allowed_hosts = ["wharf.internal:8080"]
//! allowed_origins = []
//!
//! [plugin.containers]
//! grants = ["containers-read"]   # narrow a built-in plugin to read-only Docker access
//! memory_mib = 64
//! timeout_secs = 660
//! compute_secs = 60
//! max_concurrent_calls = 16
//!
//! [plugin.registry]
//! enabled = false
//!
//! # Built in, off by default: Docker Swarm services, nodes, secrets and configs.
//! [plugin.swarm]
//! enabled = true
//!
//! # Docker engines, each a name tools accept as their `engine` argument. Without this
//! # table: the engine the docker CLI would use (DOCKER_HOST, the current context, or
//! # /var/run/docker.sock), named "default".
//! default_engine = "local"
//! [engines.local]
//! host = "unix:///var/run/docker.sock"
//! [engines.build]
//! host = "tcp://build.internal:2376"
//! cert_path = "/home/me/.docker/build"   # ca.pem, cert.pem, key.pem; tls_verify = true
//! [engines.prod]
//! context = "prod"                        # a docker CLI context
//! read_only = true
//!
//! # Registry logins, tried before ~/.docker/config.json. Prefer password_env to password.
//! [registries."registry.example.com:5000"]
//! username = "ci"
//! password_env = "REGISTRY_TOKEN"
//! ```

use crate::credentials::Login;
use crate::policy::Scope;
use crate::policy::{Capability, ConfirmPolicy, CreateAllowances, Mode, ToolPolicy, Toolsets};
use crate::runtime::Limits;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Host directories the host may read or write for plugins.
    #[serde(default)]
    pub allowed_roots: Vec<PathBuf>,
    /// Directories of extra plugins (`NAME.wasm`).
    #[serde(default)]
    pub plugin_dirs: Vec<PathBuf>,
    /// Which tools are served: all, all but the destructive ones, or only those that read.
    #[serde(default)]
    pub mode: Mode,
    /// Tool groups served: plugin names, `default` (the plugins on by default, which is
    /// what none means) or `all`.
    #[serde(default)]
    pub toolsets: Option<Vec<String>>,
    /// Single tools served besides the toolsets' (alone, without `toolsets`: the only ones).
    #[serde(default)]
    pub tools: BTreeSet<String>,
    /// Tools never served, whatever the mode.
    #[serde(default)]
    pub disabled_tools: BTreeSet<String>,
    /// Append a JSON line for every call of a tool that may change state.
    #[serde(default)]
    pub audit_log: Option<PathBuf>,
    /// Only the containers, networks and volumes carrying this label (`key` or
    /// `key=value`) are seen and touched; what wharf creates gets it.
    #[serde(default, deserialize_with = "scope")]
    pub scope_label: Option<Scope>,
    /// What containers may be created with beyond the safe defaults.
    #[serde(default)]
    pub allow: CreateAllowances,
    /// `wharf serve --http`: who may connect.
    #[serde(default)]
    pub http: HttpConfig,
    /// When destructive tools ask the user first.
    #[serde(default)]
    pub confirm: ConfirmPolicy,
    /// Where precompiled plugins are cached.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    #[serde(default)]
    pub plugin: BTreeMap<String, PluginConfig>,
    /// The engine tools use when called without an `engine` argument.
    #[serde(default)]
    pub default_engine: Option<String>,
    /// Named Docker engines. Without any, wharf manages the engine the docker CLI would
    /// use (`DOCKER_HOST`, the current context, or the local socket).
    #[serde(default)]
    pub engines: BTreeMap<String, EngineConfig>,
    /// Registry logins by host (`"registry.example.com:5000"`, `"docker.io"`), used before
    /// the user's Docker config.
    #[serde(default)]
    pub registries: BTreeMap<String, Login>,
}

/// `[http]`: access to `wharf serve --http`.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// The bearer token (`WHARF_HTTP_TOKEN` overrides it). Without either, wharf generates
    /// one at start and prints it once. An empty one is an error: it would admit any
    /// request that says `Authorization: Bearer`.
    #[serde(default, deserialize_with = "token")]
    pub token: Option<String>,
    /// `Host` header values accepted (default: loopback names). Needed when serving on a
    /// non-loopback address.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Browser origins allowed to call wharf (`"https://app.example.com:443"`); a request
    /// with any other `Origin` header is refused.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// Load the plugin; unset: as the plugin's default (every plugin but the built-in
    /// `swarm` loads by default).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Capabilities granted; for a built-in plugin this replaces its default grants.
    #[serde(default, deserialize_with = "capabilities")]
    pub grants: Option<BTreeSet<Capability>>,
    pub memory_mib: Option<u32>,
    pub timeout_secs: Option<u64>,
    pub compute_secs: Option<u64>,
    /// Calls of this plugin that may run at once (default 16).
    pub max_concurrent_calls: Option<usize>,
    /// Hosts the `http` capability may reach: `host` (the scheme's default port),
    /// `host:port`, either after `https://` or `http://` (see `outgoing::HostGrant`).
    #[serde(default, deserialize_with = "host_grants")]
    pub http_hosts: Vec<String>,
}

fn token<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let token = String::deserialize(d)?;
    if token.trim().is_empty() {
        return Err(serde::de::Error::custom(
            "the token is empty, which would let in anyone who sends `Authorization: Bearer`; \
             set one, or remove the line and wharf generates one at start",
        ));
    }
    Ok(Some(token))
}

fn host_grants<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let entries: Vec<String> = Vec::deserialize(d)?;
    for entry in &entries {
        entry
            .parse::<crate::outgoing::HostGrant>()
            .map_err(serde::de::Error::custom)?;
    }
    Ok(entries)
}

fn scope<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Scope>, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

fn capabilities<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeSet<Capability>>, D::Error> {
    let names: Vec<String> = Vec::deserialize(d)?;
    names
        .iter()
        .map(|n| n.parse().map_err(serde::de::Error::custom))
        .collect::<Result<_, _>>()
        .map(Some)
}

impl Config {
    /// `$WHARF_CONFIG`, else `$XDG_CONFIG_HOME/wharf/wharf.toml`, else
    /// `~/.config/wharf/wharf.toml`.
    pub fn default_path() -> Option<PathBuf> {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        env("WHARF_CONFIG")
            .or_else(|| env("XDG_CONFIG_HOME").map(|d| d.join("wharf").join("wharf.toml")))
            .or_else(|| env("HOME").map(|h| h.join(".config").join("wharf").join("wharf.toml")))
    }

    /// Load `path`; a missing file is an error only when `required` (named explicitly).
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            // toml's message names the line and column and quotes the line.
            message: e.to_string(),
        })
    }

    pub fn tool_policy(&self) -> ToolPolicy {
        ToolPolicy {
            mode: self.mode,
            disabled: self.disabled_tools.clone(),
            toolsets: Toolsets::new(self.toolsets.as_deref(), self.tools.clone()),
        }
    }

    pub fn plugin(&self, name: &str) -> PluginConfig {
        self.plugin.get(name).cloned().unwrap_or_default()
    }
}

impl PluginConfig {
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            memory_bytes: self
                .memory_mib
                .map_or(d.memory_bytes, |m| (m as usize) << 20),
            call_timeout: self
                .timeout_secs
                .map_or(d.call_timeout, Duration::from_secs),
            compute: self.compute_secs.map_or(d.compute, Duration::from_secs),
            concurrency: self.max_concurrent_calls.unwrap_or(d.concurrency),
        }
    }
}

/// `[engines.NAME]` in wharf.toml. Give `host` or `context`, or neither for the engine the
/// docker CLI would use.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// `unix:///path/docker.sock`, `tcp://host:port` or `ssh://[user@]host[:port]`.
    pub host: Option<String>,
    /// A docker CLI context (`docker context ls`), read from the CLI's config directory.
    pub context: Option<String>,
    /// A directory holding `ca.pem`, `cert.pem` and `key.pem`: TLS for a `tcp://` host.
    pub cert_path: Option<PathBuf>,
    /// Check the engine's certificate against `ca.pem` (default true when TLS is on).
    pub tls_verify: Option<bool>,
    /// Refuse every request that would change this engine's state.
    #[serde(default)]
    pub read_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_parses() {
        let c = Config::parse(
            Path::new("wharf.toml"),
            r#"
            allowed_roots = ["/srv"]
            plugin_dirs = ["/plugins"]
            mode = "read-only"
            disabled_tools = ["exec_in_container"]
            audit_log = "/var/log/wharf.jsonl"
            [plugin.containers]
            grants = ["containers-read"]
            memory_mib = 32
            [plugin.other]
            enabled = false
            "#,
        )
        .unwrap();
        assert_eq!(c.allowed_roots, vec![PathBuf::from("/srv")]);
        assert_eq!(c.mode, Mode::ReadOnly);
        assert!(c.tool_policy().disabled.contains("exec_in_container"));
        assert_eq!(c.audit_log, Some(PathBuf::from("/var/log/wharf.jsonl")));
        let p = c.plugin("containers");
        assert_eq!(p.grants, Some(BTreeSet::from([Capability::ContainersRead])));
        assert_eq!(p.limits().memory_bytes, 32 << 20);
        assert_eq!(c.plugin("other").enabled, Some(false));
        assert_eq!(c.plugin("unlisted").enabled, None);
    }

    #[test]
    fn errors_name_the_line() {
        let e = Config::parse(
            Path::new("w.toml"),
            "allowed_roots = [\"/a\"]\n[plugin.x]\ngrants = [\"root\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("unknown capability `root`"), "{e}");
        let e = Config::parse(Path::new("w.toml"), "mode = \"readonly\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `readonly`"), "{e}");
        let e = Config::parse(Path::new("w.toml"), "alowed_roots = []\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown field `alowed_roots`") && e.contains("line 1"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_default_file_is_fine_a_named_one_is_not() {
        let p = Path::new("/nonexistent/wharf.toml");
        assert_eq!(Config::load(p, false).unwrap(), Config::default());
        assert!(matches!(
            Config::load(p, true),
            Err(ConfigError::Read { .. })
        ));
    }
}

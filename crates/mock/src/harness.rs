//! [`MockHost`]: plugins loaded into wharf's own runtime and registry (the same sandbox,
//! limits, argument checks and tool policy), their Docker capabilities served by a
//! [`MockDocker`]. What a plugin author's `cargo test` drives.

use super::MockDocker;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wharf_core::config::Config;
use wharf_core::credentials::CredentialStore;
use wharf_core::engine::Engines;
use wharf_core::outgoing::Network;
use wharf_core::policy::{Capability, Confirmed};
use wharf_core::registry::{Builtin, PluginSource, Registry, RegistryError};
use wharf_core::runtime::{CallHooks, HostServices, Output, Runtime, ToolDef};

#[derive(Debug, thiserror::Error)]
pub enum MockHostError {
    #[error("cannot read plugin {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("plugin file {0} is not named NAME.wasm")]
    FileName(String),
    #[error("cannot start the plugin runtime: {0}")]
    Runtime(String),
    #[error("plugin `{plugin}` did not load: {error}")]
    Load { plugin: String, error: String },
    #[error(transparent)]
    Scope(#[from] wharf_core::policy::InvalidScope),
    #[error("cannot build the plugin crate at {dir}: {error}")]
    Build { dir: String, error: String },
}

/// Which plugins to load, and how.
pub struct MockHostBuilder {
    docker: MockDocker,
    sources: Vec<PluginSource>,
    config: Config,
    network: Option<Arc<dyn Network>>,
    error: Option<MockHostError>,
}

impl MockHostBuilder {
    /// A plugin from its `NAME.wasm` file. It is granted every capability it imports
    /// unless [`MockHostBuilder::grants`] narrows that.
    pub fn plugin_file(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let name = path
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.strip_suffix(".wasm"))
            .map(|n| n.replace('_', "-"));
        match (name, std::fs::read(path)) {
            (Some(name), Ok(wasm)) => {
                self.sources
                    .push(PluginSource::bytes(&name, wasm, Capability::ALL.to_vec()))
            }
            (None, _) => self.error = Some(MockHostError::FileName(path.display().to_string())),
            (_, Err(error)) => {
                self.error = Some(MockHostError::Read {
                    path: path.display().to_string(),
                    error,
                })
            }
        }
        self
    }

    /// The plugin crate at `dir` (a `Cargo.toml` with a cdylib), built for wasm32-wasip2 in
    /// release mode into `dir/target/wharf-component` first: what a plugin's own tests
    /// pass as `env!("CARGO_MANIFEST_DIR")`.
    pub fn plugin_crate(mut self, dir: impl AsRef<Path>) -> Self {
        match built_crate(dir.as_ref()) {
            Ok((name, wasm)) => {
                self.sources.push(PluginSource::bytes(
                    &name,
                    wasm.as_ref().clone(),
                    Capability::ALL.to_vec(),
                ));
                self
            }
            Err(error) => {
                self.error = Some(MockHostError::Build {
                    dir: dir.as_ref().display().to_string(),
                    error,
                });
                self
            }
        }
    }

    /// A plugin from its component bytes, named `name`.
    pub fn plugin(mut self, name: &str, wasm: Vec<u8>) -> Self {
        self.sources
            .push(PluginSource::bytes(name, wasm, Capability::ALL.to_vec()));
        self
    }

    /// A plugin embedded in a binary, such as one of wharf's built-in ones
    /// (`wharf::plugins::named("containers")`), with its usual grants; named here, it loads
    /// even if it is off by default.
    pub fn builtin(mut self, builtin: &Builtin) -> Self {
        self.sources
            .push(PluginSource::builtin(builtin).named_explicitly());
        self
    }

    /// Grant `plugin` exactly `capabilities`, as `grants` in its `[plugin.NAME]` would.
    pub fn grants(mut self, plugin: &str, capabilities: &[Capability]) -> Self {
        let entry = self.config.plugin.entry(plugin.to_owned()).or_default();
        entry.grants = Some(capabilities.iter().copied().collect());
        self
    }

    /// Refuse every Docker change, as `wharf --read-only` does.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.config.mode = if read_only {
            wharf_core::policy::Mode::ReadOnly
        } else {
            wharf_core::policy::Mode::Full
        };
        self
    }

    /// See and touch only the containers, networks, volumes and swarm objects carrying
    /// `label` (`key` or `key=value`), as `wharf --scope-label` does.
    pub fn scope(mut self, label: &str) -> Self {
        match label.parse() {
            Ok(scope) => self.config.scope_label = Some(scope),
            Err(e) => self.error = Some(MockHostError::Scope(e)),
        }
        self
    }

    /// A host directory plugins may read and write through the files, build, save and
    /// load capabilities.
    pub fn allowed_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.allowed_roots.push(dir.into());
        self
    }

    /// The whole config (policy, limits, grants), as from a wharf.toml.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// What carries the http capability's requests the grants let through: by default
    /// none, and a granted request fails as unreachable. The grants (`http_hosts`) are
    /// checked first either way, as wharf checks them.
    pub fn network(mut self, network: Arc<dyn Network>) -> Self {
        self.network = Some(network);
        self
    }

    pub async fn start(self) -> Result<MockHost, MockHostError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let config = self.config;
        // No registry logins: the user's Docker config must not change what a test sees.
        let engines = Arc::new(Engines::single(self.docker.clone()));
        let mut services =
            HostServices::configured(engines, &config).credentials(CredentialStore::default());
        if let Some(network) = self.network {
            services = services.network(network);
        }
        let runtime =
            Runtime::new(services, None).map_err(|e| MockHostError::Runtime(e.to_string()))?;
        let registry = Registry::from_sources(&runtime, &config, self.sources).await;
        if let Some(f) = registry.failed().first() {
            return Err(MockHostError::Load {
                plugin: f.name.clone(),
                error: f.error.clone(),
            });
        }
        Ok(MockHost {
            registry,
            docker: self.docker,
        })
    }
}

/// The crate at `dir` built once per test process: its plugin name and component bytes.
/// Tests run side by side, and a second cargo build, even one with nothing to do, links
/// the `.wasm` afresh, so a test reading it while another builds could find no file.
fn built_crate(dir: &Path) -> Result<(String, Arc<Vec<u8>>), String> {
    type Built = Result<(String, Arc<Vec<u8>>), String>;
    static BUILT: std::sync::Mutex<Vec<(PathBuf, Built)>> = std::sync::Mutex::new(Vec::new());
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, done)) = built.iter().find(|(d, _)| *d == key) {
        return done.clone();
    }
    let done = build_crate(&key).and_then(|path| {
        let name = path
            .file_stem()
            .and_then(|f| f.to_str())
            .map(|n| n.replace('_', "-"))
            .ok_or_else(|| format!("cargo built {}, not a .wasm file", path.display()))?;
        let wasm = std::fs::read(&path)
            .map_err(|e| format!("cannot read the component {}: {e}", path.display()))?;
        Ok((name, Arc::new(wasm)))
    });
    built.push((key, done.clone()));
    done
}

/// Build the crate at `dir`; its component's path.
fn build_crate(dir: &Path) -> Result<PathBuf, String> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let parsed: toml::Table = toml::from_str(&text)
        .map_err(|e| format!("{} is not valid TOML: {e}", manifest.display()))?;
    let package = parsed
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .ok_or_else(|| format!("{} has no [package] name", manifest.display()))?;
    let built = wharf_plugin_builder::build_into(
        dir,
        &[package],
        &dir.join("target").join("wharf-component"),
        wharf_plugin_builder::Profile::Release,
    )?;
    built
        .into_iter()
        .next()
        .ok_or_else(|| "cargo built nothing".to_owned())
}

/// Plugins running against a [`MockDocker`].
pub struct MockHost {
    registry: Registry,
    docker: MockDocker,
}

impl MockHost {
    /// Load plugins against `docker` (a handle: the test keeps its own to look at).
    pub fn builder(docker: &MockDocker) -> MockHostBuilder {
        MockHostBuilder {
            docker: docker.clone(),
            sources: Vec::new(),
            config: Config::default(),
            network: None,
            error: None,
        }
    }

    /// Call `tool` with `args` (a JSON object) as an MCP client would: arguments checked
    /// against the tool's schema, the tool policy applied, destructive tools confirmed.
    /// A plugin's own error (`is_error` to the client) is `Err(RegistryError::Call(..))`.
    pub async fn call(&self, tool: &str, args: serde_json::Value) -> Result<Output, RegistryError> {
        let args = match args {
            serde_json::Value::Object(m) => Some(m),
            serde_json::Value::Null => None,
            other => {
                return Err(RegistryError::InvalidArguments {
                    tool: tool.to_owned(),
                    problems: format!("arguments must be a JSON object, not {other}"),
                });
            }
        };
        self.registry
            .call(tool, args.as_ref(), CallHooks::default(), &Confirmed)
            .await
    }

    /// The tools served, as clients see them.
    pub fn tools(&self) -> Vec<ToolDef> {
        self.registry.tools().map(|(_, t)| t.clone()).collect()
    }

    /// The registry behind it, for what [`MockHost::call`] does not cover.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn docker(&self) -> &MockDocker {
        &self.docker
    }
}

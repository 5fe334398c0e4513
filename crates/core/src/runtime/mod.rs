//! The plugin runtime: one wasmtime [`Engine`], components loaded once and cached
//! precompiled, a fresh sandboxed store for every call.
//!
//! A call gets its own memory (capped), a wall-clock deadline, and a compute budget counted
//! in epoch ticks; a trap, an overrun or a timeout ends that call only. No plugin sees a
//! socket, a file, an environment variable or the process's stdout.

pub mod bindings;
mod cache;
pub mod context;
pub mod load;
mod output;
mod plugin;
pub(crate) mod state;

pub use cache::{ArtifactCache, FillError, Filled};
pub use context::{CallHooks, Progress, ProgressReceiver, ProgressSender, progress_channel};
pub use load::{LOAD_BUDGET, LoadError};
pub use plugin::{Annotations, CallError, Output, Plugin, PluginInfo, ToolDef, ToolError};

use crate::credentials::CredentialStore;
use crate::engine::Engines;
use crate::outgoing::{Network, NoNetwork};
use crate::policy::Scope;
use crate::policy::{AllowedRoots, CreateAllowances, Mode};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{Config, Engine};

/// How often the epoch advances: the granularity of deadlines and compute budgets.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What the host lends to every plugin call.
pub struct HostServices {
    /// The Docker engines; a call works on the one its hooks name, else the default.
    pub engines: Arc<Engines>,
    pub roots: Arc<AllowedRoots>,
    pub credentials: Arc<CredentialStore>,
    /// Read-only mode: every Docker request that changes state is refused, whatever tool
    /// asks, so a plugin that labels a writing tool read-only still cannot write.
    pub read_only: bool,
    /// No-destructive mode: the host refuses every Docker request that removes, kills or
    /// prunes, whatever tool asks.
    pub no_destructive: bool,
    /// Only containers, networks and volumes carrying this label are seen and touched.
    pub scope: Option<Scope>,
    /// What the container create check lets through beyond its defaults.
    pub allow: CreateAllowances,
    /// What carries the `http` capability's granted requests.
    pub network: Arc<dyn Network>,
}

impl HostServices {
    /// Services for `engines` with nothing beyond the defaults: no allowed host roots, no
    /// registry logins, no scope, not read-only, no network for the `http` capability.
    pub fn new(engines: Arc<Engines>) -> Self {
        HostServices {
            engines,
            roots: Arc::new(AllowedRoots::new(Vec::<std::path::PathBuf>::new())),
            credentials: Arc::default(),
            read_only: false,
            no_destructive: false,
            scope: None,
            allow: CreateAllowances::default(),
            network: Arc::new(NoNetwork),
        }
    }

    /// The policy of `config`: its allowed roots, mode, scope label, `[allow]` and
    /// registry logins (with the user's Docker config).
    pub fn configured(engines: Arc<Engines>, config: &crate::config::Config) -> Self {
        HostServices {
            roots: Arc::new(AllowedRoots::new(config.allowed_roots.clone())),
            credentials: Arc::new(CredentialStore::new(config.registries.clone())),
            read_only: config.mode == Mode::ReadOnly,
            no_destructive: config.mode == Mode::NoDestructive,
            scope: config.scope_label.clone(),
            allow: config.allow.clone(),
            ..HostServices::new(engines)
        }
    }

    /// Host paths plugins may reach through files, save, load and build.
    pub fn roots(mut self, roots: impl IntoIterator<Item = std::path::PathBuf>) -> Self {
        self.roots = Arc::new(AllowedRoots::new(roots));
        self
    }

    pub fn credentials(mut self, credentials: CredentialStore) -> Self {
        self.credentials = Arc::new(credentials);
        self
    }

    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    pub fn network(mut self, network: Arc<dyn Network>) -> Self {
        self.network = network;
        self
    }
}

/// Per-plugin resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory a call may grow to.
    pub memory_bytes: usize,
    /// Wall-clock time a call may take, host waits included.
    pub call_timeout: Duration,
    /// Time a call may spend running guest code (not waiting on Docker).
    pub compute: Duration,
    /// Calls of the plugin that run at once; more wait their turn. Bounds the memory
    /// (each call has its own) and the engine load one plugin can cause.
    pub concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            // Above the longest wait a built-in tool accepts (600 s).
            call_timeout: Duration::from_secs(660),
            compute: Duration::from_secs(60),
            concurrency: 16,
        }
    }
}

/// The wasmtime engine every plugin shares, with its epoch ticker.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    services: Arc<HostServices>,
    cache: Option<Arc<ArtifactCache>>,
}

impl Runtime {
    pub fn new(
        services: HostServices,
        cache: Option<ArtifactCache>,
    ) -> Result<Self, wasmtime::Error> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        let engine = Engine::new(&config)?;
        spawn_epoch_ticker(&engine);
        Ok(Runtime {
            engine,
            services: Arc::new(services),
            cache: cache.map(Arc::new),
        })
    }

    /// Compile `wasm` into this runtime's cache, for its engine's settings, unless it is
    /// there already (`wharf precompile`).
    pub fn precompile(&self, wasm: &[u8], sha256: Option<&str>) -> Result<Filled, FillError> {
        match &self.cache {
            Some(cache) => cache.fill(&self.engine, wasm, sha256),
            None => Err(FillError::NoCache),
        }
    }

    /// The Docker engines plugin calls are routed to.
    pub fn engines(&self) -> &Arc<Engines> {
        &self.services.engines
    }
}

/// Advance the epoch every tick for as long as the engine lives. The thread holds only a
/// weak reference, so dropping the last `Runtime` ends it.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("wharf-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(e) = spawned {
        // Without the ticker deadlines never fire; say so loudly rather than hang later.
        tracing::error!(
            "cannot start the epoch ticker thread, plugin deadlines will not fire: {e}"
        );
    }
}

//! Building the catalog: which plugins load, under which grants, and which of their tools
//! are served (each with its argument and result checks) or withheld, and why.

use super::schemas::SchemaCheck;
use super::{Entry, Failed, Registry, Slot, engine_argument, projection};
use crate::config::Config;
use crate::engine::Engines;
use crate::policy::Grants;
use crate::runtime::{Plugin, Runtime, ToolDef};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A plugin compiled into the embedding binary (wharf's built-in tool groups).
pub struct Builtin {
    pub name: &'static str,
    pub wasm: &'static [u8],
    /// SHA-256 of `wasm` (hex), computed by `build.rs`: the plugin cache's key.
    pub sha256: &'static str,
    /// What the plugin is granted unless the config narrows it.
    pub grants: &'static [crate::policy::Capability],
    /// Loaded unless the config disables it. An off-by-default plugin loads with
    /// `[plugin.NAME] enabled = true`: its tools would only take room in every client's
    /// context on engines that do not need them.
    pub enabled_by_default: bool,
}

/// One plugin to load: where its bytes come from and what it is granted.
pub struct PluginSource {
    name: String,
    wasm: Result<Cow<'static, [u8]>, String>,
    /// Known ahead for the built-in plugins (see `Builtin::sha256`).
    sha256: Option<&'static str>,
    default_grants: Vec<crate::policy::Capability>,
    /// Loaded when the config says nothing about it.
    enabled_by_default: bool,
}

impl PluginSource {
    /// A built-in plugin, with its default grants.
    pub fn builtin(b: &Builtin) -> Self {
        PluginSource {
            name: b.name.to_owned(),
            wasm: Ok(Cow::Borrowed(b.wasm)),
            sha256: Some(b.sha256),
            default_grants: b.grants.to_vec(),
            enabled_by_default: b.enabled_by_default,
        }
    }

    /// Loaded unless the config disables it, even if it is off by default: for a plugin
    /// someone named on purpose.
    pub fn named_explicitly(mut self) -> Self {
        self.enabled_by_default = true;
        self
    }

    /// A component from bytes, granted `default_grants` unless the config says otherwise.
    pub fn bytes(
        name: &str,
        wasm: Vec<u8>,
        default_grants: Vec<crate::policy::Capability>,
    ) -> Self {
        PluginSource {
            name: name.to_owned(),
            wasm: Ok(Cow::Owned(wasm)),
            sha256: None,
            default_grants,
            enabled_by_default: true,
        }
    }
}

impl Registry {
    /// Load the `builtin` plugins and those in the configured directories, and `projector`
    /// to serve the `jq` argument. A plugin that fails to load is logged and skipped; the
    /// others still serve.
    pub async fn load(
        runtime: &Runtime,
        config: &Config,
        builtin: &[Builtin],
        projector: Option<&Builtin>,
    ) -> Registry {
        let mut sources: Vec<PluginSource> = builtin.iter().map(PluginSource::builtin).collect();
        let mut unreadable = Vec::new();
        for dir in &config.plugin_dirs {
            match plugin_files(dir) {
                Ok(files) => sources.extend(files.into_iter().map(|(name, path)| {
                    PluginSource {
                        name,
                        wasm: std::fs::read(&path)
                            .map(Cow::Owned)
                            .map_err(|e| format!("cannot read {}: {e}", path.display())),
                        sha256: None,
                        default_grants: Vec::new(),
                        enabled_by_default: true,
                    }
                })),
                Err(e) => unreadable.push((
                    dir.display().to_string(),
                    format!("cannot list plugin directory: {e}"),
                )),
            }
        }
        let projector = match projector {
            Some(p) => {
                let grants = Grants {
                    allowed: Default::default(),
                    narrowed: true,
                    http_hosts: Vec::new(),
                };
                match runtime
                    .load_digested(p.name, p.wasm, Some(p.sha256), &grants, projection::LIMITS)
                    .await
                {
                    Ok(plugin) => Some(plugin),
                    Err(e) => {
                        // Every tool still serves, without the argument.
                        tracing::error!("the jq projector did not load: {e}");
                        None
                    }
                }
            }
            None => None,
        };
        let mut registry = Registry::assemble(runtime, config, sources, projector).await;
        for (dir, error) in unreadable {
            registry.fail(&dir, error);
        }
        registry
    }

    /// Load exactly `sources`, under `config`'s policy and per-plugin settings, with no
    /// `jq` argument.
    pub async fn from_sources(
        runtime: &Runtime,
        config: &Config,
        sources: Vec<PluginSource>,
    ) -> Registry {
        Registry::assemble(runtime, config, sources, None).await
    }

    async fn assemble(
        runtime: &Runtime,
        config: &Config,
        sources: Vec<PluginSource>,
        projector: Option<Plugin>,
    ) -> Registry {
        let mut registry = Registry {
            plugins: Vec::new(),
            tools: BTreeMap::new(),
            refused: BTreeMap::new(),
            failed: Vec::new(),
            policy: config.tool_policy(),
            confirm: config.confirm.clone(),
            audit: None,
            engines: runtime.engines().clone(),
            projector,
        };
        // Each source is either loaded or failed, and either way it keeps its place: the
        // catalog's order is the sources' order, however the loads interleave.
        let mut loads = Vec::new();
        for source in sources {
            let pc = config.plugin(&source.name);
            if pc.enabled == Some(false) {
                tracing::info!(plugin = %source.name, "disabled by config");
                continue;
            }
            let on = pc.enabled.unwrap_or(source.enabled_by_default);
            if !registry.policy.toolsets.loads(&source.name, on) {
                tracing::debug!(plugin = %source.name, "not in the served toolsets");
                continue;
            }
            let load: Result<_, String> = if loads.iter().any(|(n, _, _)| *n == source.name) {
                Err("a plugin with this name is already loaded".into())
            } else {
                source.wasm.map(|wasm| {
                    let grants = match &pc.grants {
                        Some(allowed) => Grants {
                            allowed: allowed.clone(),
                            narrowed: true,
                            http_hosts: pc.http_hosts.clone(),
                        },
                        None => Grants {
                            allowed: source.default_grants.iter().copied().collect(),
                            narrowed: false,
                            http_hosts: pc.http_hosts.clone(),
                        },
                    };
                    (wasm, source.sha256, grants, pc.limits())
                })
            };
            loads.push((source.name, on, load));
        }
        // Loaded side by side: a plugin that spins while it describes itself takes its own
        // load budget, not everyone's.
        let loaded = futures::future::join_all(loads.iter().map(|(name, _, load)| async move {
            match load {
                Ok((wasm, sha256, grants, limits)) => runtime
                    .load_digested(name, wasm, *sha256, grants, *limits)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.clone()),
            }
        }))
        .await;
        for ((name, on, _), outcome) in loads.iter().zip(loaded) {
            match outcome {
                Ok(plugin) => registry.add(plugin, *on),
                Err(e) => registry.fail(name, e),
            }
        }
        for name in &registry.policy.disabled {
            if !registry.refused.contains_key(name) {
                tracing::warn!(tool = %name, "disabled_tools names a tool no loaded plugin has");
            }
        }
        registry
    }

    fn fail(&mut self, name: &str, error: String) {
        tracing::error!(plugin = name, "plugin not loaded: {error}");
        self.failed.push(Failed {
            name: name.to_owned(),
            error,
        });
    }

    /// `on`: the plugin is on by default, or enabled in the config.
    fn add(&mut self, plugin: Plugin, on: bool) {
        let name = plugin.info().name.clone();
        let taken =
            |t: &&ToolDef| self.tools.contains_key(&t.name) || self.refused.contains_key(&t.name);
        if let Some(dup) = plugin.tools().iter().find(taken) {
            let owner = self.owner(&dup.name).unwrap_or_default();
            self.fail(
                &name,
                format!(
                    "its tool `{}` is already provided by plugin `{owner}`",
                    dup.name
                ),
            );
            return;
        }
        let projected = self.projector.is_some();
        let entries = match checked_tools(&plugin, &self.engines, self.plugins.len(), projected) {
            Ok(entries) => entries,
            Err(e) => {
                self.fail(&name, e);
                return;
            }
        };
        let mut served = 0;
        for entry in entries {
            let t = &entry.served;
            match self.policy.refusal(&name, on, t) {
                Some(reason) => {
                    tracing::debug!(tool = %t.name, "withheld: {reason}");
                    self.refused.insert(t.name.clone(), (entry.slot, reason));
                }
                None => {
                    served += 1;
                    self.tools.insert(t.name.clone(), entry);
                }
            }
        }
        tracing::debug!(plugin = %name, tools = served, withheld = plugin.tools().len() - served, "plugin loaded");
        self.plugins.push(Arc::new(plugin));
    }
}

/// The plugin's tools as they will be served, each with its compiled argument check; or
/// why the plugin cannot be served. Tools of a plugin that reaches Docker may name their
/// engine when there is a choice, and tools with an output schema take a `jq` projection
/// when `projected`; both arguments are the host's, so no plugin may declare them. A schema
/// the host cannot check is refused here, not at the first call.
fn checked_tools(
    plugin: &Plugin,
    engines: &Engines,
    index: usize,
    projected: bool,
) -> Result<Vec<Entry>, String> {
    let docker = plugin.capabilities().iter().any(|c| c.is_docker());
    if docker
        && let Some(t) = plugin
            .tools()
            .iter()
            .find(|t| engine_argument::declared(&t.input_schema))
    {
        return Err(format!(
            "its tool `{}` declares an `{}` argument, which wharf reserves for choosing the \
             Docker engine",
            t.name,
            engine_argument::NAME
        ));
    }
    // Reserved whether or not this host projects: a plugin that loads on one wharf loads
    // on every one, the mock host included.
    if let Some(t) = plugin
        .tools()
        .iter()
        .find(|t| projection::declared(&t.input_schema))
    {
        return Err(format!(
            "its tool `{}` declares a `{}` argument, which wharf reserves for projecting \
             results",
            t.name,
            projection::NAME
        ));
    }
    let routed = docker && engines.len() > 1;
    let mut entries = Vec::new();
    for (i, t) in plugin.tools().iter().enumerate() {
        let mut served = t.clone();
        if routed {
            served.input_schema = engine_argument::added(&served.input_schema, engines);
        }
        // Served wrapped only when the wrapped schema is one the host (and so a client) can
        // check: a schema whose references would break inside `anyOf` keeps no `jq`.
        let wrapped = t
            .output_schema
            .as_ref()
            .filter(|_| projected)
            .filter(|own| projection::wrappable(own))
            .map(projection::served_output)
            .filter(|wrapped| SchemaCheck::compile(wrapped).is_ok());
        let projected = wrapped.is_some();
        if let Some(wrapped) = wrapped {
            served.input_schema = projection::added(&served.input_schema);
            served.output_schema = Some(wrapped);
        }
        let arguments = SchemaCheck::compile(&served.input_schema)
            .map_err(|e| format!("its tool `{}` has an invalid input schema: {e}", t.name))?;
        let result = t
            .output_schema
            .as_ref()
            .map(SchemaCheck::compile)
            .transpose()
            .map_err(|e| format!("its tool `{}` has an invalid output schema: {e}", t.name))?;
        entries.push(Entry {
            slot: Slot {
                plugin: index,
                tool: i,
            },
            arguments,
            result,
            served,
            projected,
        });
    }
    Ok(entries)
}

/// What `wharf plugin check` reports on a loaded plugin's tools, beyond what loading
/// checks: the problem that would keep wharf from serving it, if any.
pub fn check_plugin_tools(plugin: &Plugin, engines: &Engines) -> Result<(), String> {
    checked_tools(plugin, engines, 0, false).map(drop)
}

/// `NAME.wasm` files of `dir`, sorted, as (name, path).
pub fn plugin_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            out.push((stem.to_owned(), path));
        }
    }
    out.sort();
    Ok(out)
}

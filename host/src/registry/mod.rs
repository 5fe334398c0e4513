//! Every tool wharf serves, and the plugin behind each. A call passes the tool policy and
//! the argument check here before it reaches a plugin, and leaves its audit record here.

mod engine_argument;
mod schemas;

use crate::config::Config;
use crate::docker::{Engine, Engines};
use crate::plugins::BUILTIN;
use crate::policy::audit::{AuditLog, Outcome};
use crate::policy::confirm::question;
use crate::policy::{Answer, Confirm, ConfirmPolicy, Grants, ToolPolicy};
use crate::runtime::{CallError, CallHooks, Output, Plugin, Runtime, ToolDef};
use schemas::SchemaCheck;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// A plugin that did not load, kept so `wharf tools` and the log can say why.
#[derive(Debug)]
pub struct Failed {
    pub name: String,
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    /// The mode or the config withholds the tool.
    #[error("denied: {reason}")]
    Refused { tool: String, reason: String },
    #[error("invalid arguments for `{tool}`: {problems}")]
    InvalidArguments { tool: String, problems: String },
    #[error("cancelled: the user declined to run `{0}`")]
    Declined(String),
    #[error(
        "denied: `{0}` is destructive and needs the user's confirmation, which this MCP client \
         cannot ask for (it does not support elicitation). To allow it without asking, add it \
         to safe_tools in [confirm] of wharf.toml, or set without_elicitation = \"proceed\" there"
    )]
    Unconfirmed(String),
    /// The confirmation question must go back to the client, which calls again with the
    /// user's answer.
    #[error("`{tool}` waits for the user's confirmation")]
    AwaitingConfirmation { tool: String, question: String },
    /// The call ran, but its structured result breaks the output schema the plugin
    /// declared; clients that validate results would reject it, so it is withheld and the
    /// text, which says what happened, is kept.
    #[error(
        "failed: plugin `{plugin}` returned a structured result for `{tool}` that does not \
         match the tool's output schema ({problems}); the call ran, and the structured result \
         was withheld"
    )]
    MalformedResult {
        plugin: String,
        tool: String,
        problems: String,
        text: String,
    },
    #[error(transparent)]
    Call(#[from] CallError),
}

pub struct Registry {
    plugins: Vec<Arc<Plugin>>,
    /// Served tools by name.
    tools: BTreeMap<String, Entry>,
    /// Tools of loaded plugins the policy withholds, by name, with the reason.
    refused: BTreeMap<String, (Slot, String)>,
    failed: Vec<Failed>,
    policy: ToolPolicy,
    confirm: ConfirmPolicy,
    audit: Option<AuditLog>,
    engines: Arc<Engines>,
}

/// Where a tool lives: (plugin index, tool index).
#[derive(Debug, Clone, Copy)]
struct Slot {
    plugin: usize,
    tool: usize,
}

struct Entry {
    slot: Slot,
    arguments: SchemaCheck,
    /// The declared output schema, which every structured result must match.
    result: Option<SchemaCheck>,
    /// The tool as clients see it: the plugin's definition, plus the `engine` argument
    /// when several engines are configured.
    served: ToolDef,
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
    pub fn builtin(b: &crate::plugins::Builtin) -> Self {
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
    /// Load the built-in plugins and those in the configured directories. A plugin that
    /// fails to load is logged and skipped; the others still serve.
    pub async fn load(runtime: &Runtime, config: &Config) -> Registry {
        let mut sources: Vec<PluginSource> = BUILTIN.iter().map(PluginSource::builtin).collect();
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
        let mut registry = Registry::from_sources(runtime, config, sources).await;
        for (dir, error) in unreadable {
            registry.fail(&dir, error);
        }
        registry
    }

    /// Load exactly `sources`, under `config`'s policy and per-plugin settings.
    pub async fn from_sources(
        runtime: &Runtime,
        config: &Config,
        sources: Vec<PluginSource>,
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
        };
        for source in sources {
            let pc = config.plugin(&source.name);
            match pc.enabled {
                Some(false) => {
                    tracing::info!(plugin = %source.name, "disabled by config");
                    continue;
                }
                None if !source.enabled_by_default => {
                    tracing::debug!(plugin = %source.name, "off unless the config enables it");
                    continue;
                }
                _ => {}
            }
            if registry
                .plugins
                .iter()
                .any(|p| p.info().name == source.name)
            {
                registry.fail(
                    &source.name,
                    "a plugin with this name is already loaded".into(),
                );
                continue;
            }
            let wasm = match source.wasm {
                Ok(w) => w,
                Err(e) => {
                    registry.fail(&source.name, e);
                    continue;
                }
            };
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
            match runtime
                .load_digested(&source.name, &wasm, source.sha256, &grants, pc.limits())
                .await
            {
                Ok(plugin) => registry.add(plugin),
                Err(e) => registry.fail(&source.name, e.to_string()),
            }
        }
        for name in &registry.policy.disabled {
            if !registry.refused.contains_key(name) {
                tracing::warn!(tool = %name, "disabled_tools names a tool no loaded plugin has");
            }
        }
        registry
    }

    /// Record every call of a tool that may change state in `audit`.
    pub fn set_audit(&mut self, audit: AuditLog) {
        self.audit = Some(audit);
    }

    fn fail(&mut self, name: &str, error: String) {
        tracing::error!(plugin = name, "plugin not loaded: {error}");
        self.failed.push(Failed {
            name: name.to_owned(),
            error,
        });
    }

    fn add(&mut self, plugin: Plugin) {
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
        let entries = match checked_tools(&plugin, &self.engines, self.plugins.len()) {
            Ok(entries) => entries,
            Err(e) => {
                self.fail(&name, e);
                return;
            }
        };
        let mut served = 0;
        for entry in entries {
            let t = &entry.served;
            match self.policy.refusal(t) {
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

    /// The plugin that declares `tool`, served or withheld.
    fn owner(&self, tool: &str) -> Option<String> {
        let slot = self.slot(tool)?;
        Some(self.plugins[slot.plugin].info().name.clone())
    }

    fn slot(&self, tool: &str) -> Option<Slot> {
        self.tools
            .get(tool)
            .map(|e| e.slot)
            .or_else(|| self.refused.get(tool).map(|(s, _)| *s))
    }

    fn def(&self, slot: Slot) -> (&Arc<Plugin>, &ToolDef) {
        let plugin = &self.plugins[slot.plugin];
        (plugin, &plugin.tools()[slot.tool])
    }

    pub fn plugins(&self) -> &[Arc<Plugin>] {
        &self.plugins
    }

    pub fn failed(&self) -> &[Failed] {
        &self.failed
    }

    /// Every served tool, grouped by plugin in load order.
    pub fn tools(&self) -> impl Iterator<Item = (&Plugin, &ToolDef)> {
        self.plugins
            .iter()
            .flat_map(|p| self.tools_of(p).map(move |t| (p.as_ref(), t)))
    }

    /// The served tools of one plugin, as clients see them.
    pub fn tools_of<'a>(&'a self, plugin: &'a Plugin) -> impl Iterator<Item = &'a ToolDef> {
        plugin
            .tools()
            .iter()
            .filter_map(|t| self.tools.get(&t.name).map(|e| &e.served))
    }

    /// The tools the policy withholds, with the reason for each.
    pub fn withheld(&self) -> impl Iterator<Item = (&str, &str)> {
        self.refused
            .iter()
            .map(|(n, (_, r))| (n.as_str(), r.as_str()))
    }

    /// A served tool, as clients see it.
    pub fn find(&self, tool: &str) -> Option<(&Arc<Plugin>, &ToolDef)> {
        self.tools
            .get(tool)
            .map(|e| (&self.plugins[e.slot.plugin], &e.served))
    }

    /// The Docker engines calls are routed to.
    pub fn engines(&self) -> &Engines {
        &self.engines
    }

    /// Call `tool` with its JSON arguments (an object; none means `{}`), asking `confirm`
    /// first when the tool is destructive. Calls of tools that may change state are
    /// audited, refused ones included.
    pub async fn call(
        &self,
        tool: &str,
        args: Option<&Map<String, Value>>,
        hooks: CallHooks,
        confirm: &impl Confirm,
    ) -> Result<Output, RegistryError> {
        let started = Instant::now();
        let outcome = self.dispatch(tool, args, hooks, confirm).await;
        // A call waiting for its confirmation has not happened yet: its retry is audited.
        let pending = matches!(outcome, Err(RegistryError::AwaitingConfirmation { .. }));
        if let Some(audit) = &self.audit
            && !pending
            && let Some(slot) = self.slot(tool)
        {
            let (plugin, def) = self.def(slot);
            if !def.annotations.read_only {
                let error = outcome.as_ref().err().map(ToString::to_string);
                let error = error.as_deref().unwrap_or_default();
                let outcome = match &outcome {
                    // The call ran and did what it did; only its structure was withheld.
                    Ok(_) | Err(RegistryError::MalformedResult { .. }) => Outcome::Ok,
                    Err(
                        RegistryError::Refused { .. }
                        | RegistryError::InvalidArguments { .. }
                        | RegistryError::Declined(_)
                        | RegistryError::Unconfirmed(_),
                    ) => Outcome::Refused(error),
                    Err(_) => Outcome::Failed(error),
                };
                audit.record(
                    tool,
                    &plugin.info().name,
                    args,
                    &def.input_schema,
                    outcome,
                    started.elapsed(),
                );
            }
        }
        outcome
    }

    async fn dispatch(
        &self,
        tool: &str,
        args: Option<&Map<String, Value>>,
        hooks: CallHooks,
        confirm: &impl Confirm,
    ) -> Result<Output, RegistryError> {
        let Some(entry) = self.tools.get(tool) else {
            return Err(match self.refused.get(tool) {
                Some((_, reason)) => RegistryError::Refused {
                    tool: tool.to_owned(),
                    reason: reason.clone(),
                },
                None => RegistryError::UnknownTool(tool.to_owned()),
            });
        };
        let mut args = entry.arguments.arguments(args).map_err(|problems| {
            RegistryError::InvalidArguments {
                tool: tool.to_owned(),
                problems,
            }
        })?;
        let plugin = &self.plugins[entry.slot.plugin];
        let def = &entry.served;
        // The question shows the arguments as the client sent them, engine included; built
        // only for the calls that ask.
        let question = self
            .confirm
            .needs_confirmation(def)
            .then(|| question(def, args.as_object().unwrap_or(&Map::new())));
        let engine = self.route(entry, &mut args)?;
        if let Some(engine) = &engine
            && engine.is_read_only()
            && !def.annotations.read_only
        {
            return Err(RegistryError::Refused {
                tool: tool.to_owned(),
                reason: format!(
                    "engine `{}` is read-only and `{tool}` changes state",
                    engine.name()
                ),
            });
        }
        if let Some(question) = question {
            match confirm.ask(tool, &question).await {
                Answer::Yes => {}
                Answer::No => return Err(RegistryError::Declined(tool.to_owned())),
                Answer::CannotAsk if self.confirm.proceeds_without_asking() => {}
                Answer::CannotAsk => return Err(RegistryError::Unconfirmed(tool.to_owned())),
                Answer::Pending => {
                    return Err(RegistryError::AwaitingConfirmation {
                        tool: tool.to_owned(),
                        question,
                    });
                }
            }
        }
        let hooks = CallHooks { engine, ..hooks };
        let output = plugin.call(tool, &args.to_string(), hooks).await?;
        checked_result(entry, plugin, output)
    }
}

impl Registry {
    /// The engine a call of a Docker plugin's tool works on, its `engine` argument taken
    /// out of `args`. None for tools that do not reach Docker. With one engine the schema
    /// does not offer the argument, but a client that sends it anyway must not land on an
    /// engine it did not name.
    fn route(&self, entry: &Entry, args: &mut Value) -> Result<Option<Arc<Engine>>, RegistryError> {
        if !self.plugins[entry.slot.plugin]
            .capabilities()
            .iter()
            .any(|c| c.is_docker())
        {
            return Ok(None);
        }
        let Some(name) = engine_argument::take(args) else {
            return Ok(Some(self.engines.default_engine().clone()));
        };
        match self.engines.get(&name) {
            Some(engine) => Ok(Some(engine.clone())),
            None => Err(RegistryError::InvalidArguments {
                tool: entry.served.name.clone(),
                problems: format!(
                    "engine: no engine `{name}` is configured (known: {})",
                    self.engines
                        .iter()
                        .map(|e| format!("`{}`", e.name()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
}

/// The plugin's tools as they will be served, each with its compiled argument check; or
/// why the plugin cannot be served. Tools of a plugin that reaches Docker may name their
/// engine when there is a choice; the argument is the host's, so such a plugin may not
/// declare it. A schema the host cannot check is refused here, not at the first call.
fn checked_tools(plugin: &Plugin, engines: &Engines, index: usize) -> Result<Vec<Entry>, String> {
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
    let routed = docker && engines.len() > 1;
    let mut entries = Vec::new();
    for (i, t) in plugin.tools().iter().enumerate() {
        let mut served = t.clone();
        if routed {
            served.input_schema = engine_argument::added(&t.input_schema, engines);
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
        });
    }
    Ok(entries)
}

/// `output` if it keeps the tool's output schema. MCP asks a tool with an output schema
/// for a structured result on every success, so a missing one breaks the schema too.
fn checked_result(entry: &Entry, plugin: &Plugin, output: Output) -> Result<Output, RegistryError> {
    let Some(check) = &entry.result else {
        return Ok(output);
    };
    let problems = match &output.structured {
        Some(value) => check.result(value),
        None => Err("no structured result".to_owned()),
    };
    match problems {
        Ok(()) => Ok(output),
        Err(problems) => {
            tracing::warn!(plugin = %plugin.info().name, tool = %entry.served.name, "result breaks its output schema: {problems}");
            Err(RegistryError::MalformedResult {
                plugin: plugin.info().name.clone(),
                tool: entry.served.name.clone(),
                problems,
                text: output.text,
            })
        }
    }
}

/// What `wharf plugin check` reports on a loaded plugin's tools, beyond what loading
/// checks: the problem that would keep wharf from serving it, if any.
pub fn check_plugin_tools(plugin: &Plugin, engines: &Engines) -> Result<(), String> {
    checked_tools(plugin, engines, 0).map(drop)
}

/// `NAME.wasm` files of `dir`, sorted, as (name, path).
fn plugin_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
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

//! Every tool wharf serves, and the plugin behind each. A call passes the tool policy and
//! the argument check here before it reaches a plugin, and leaves its audit record here.

mod arguments;

use crate::config::Config;
use crate::plugins::BUILTIN;
use crate::policy::audit::{AuditLog, Outcome};
use crate::policy::confirm::question;
use crate::policy::{Answer, Confirm, ConfirmPolicy, Grants, ToolPolicy};
use crate::runtime::{CallError, CallHooks, Output, Plugin, Runtime, ToolDef};
use arguments::ArgumentCheck;
use serde_json::{Map, Value};
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
}

/// Where a tool lives: (plugin index, tool index).
#[derive(Debug, Clone, Copy)]
struct Slot {
    plugin: usize,
    tool: usize,
}

struct Entry {
    slot: Slot,
    arguments: ArgumentCheck,
}

/// One plugin to load: where its bytes come from and what it is granted.
struct Source {
    name: String,
    wasm: Result<Vec<u8>, String>,
    default_grants: &'static [crate::policy::Capability],
}

impl Registry {
    /// Load the built-in plugins and those in the configured directories. A plugin that
    /// fails to load is logged and skipped; the others still serve.
    pub async fn load(runtime: &Runtime, config: &Config) -> Registry {
        let mut registry = Registry {
            plugins: Vec::new(),
            tools: BTreeMap::new(),
            refused: BTreeMap::new(),
            failed: Vec::new(),
            policy: config.tool_policy(),
            confirm: config.confirm.clone(),
            audit: None,
        };
        let mut sources: Vec<Source> = BUILTIN
            .iter()
            .map(|b| Source {
                name: b.name.to_owned(),
                wasm: Ok(b.wasm.to_vec()),
                default_grants: b.grants,
            })
            .collect();
        for dir in &config.plugin_dirs {
            match plugin_files(dir) {
                Ok(files) => sources.extend(files.into_iter().map(|(name, path)| {
                    Source {
                        name,
                        wasm: std::fs::read(&path)
                            .map_err(|e| format!("cannot read {}: {e}", path.display())),
                        default_grants: &[],
                    }
                })),
                Err(e) => registry.fail(
                    &dir.display().to_string(),
                    format!("cannot list plugin directory: {e}"),
                ),
            }
        }
        for source in sources {
            let pc = config.plugin(&source.name);
            if !pc.enabled {
                tracing::info!(plugin = %source.name, "disabled by config");
                continue;
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
                },
                None => Grants {
                    allowed: source.default_grants.iter().copied().collect(),
                    narrowed: false,
                },
            };
            match runtime
                .load(&source.name, &wasm, &grants, pc.limits())
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
        // A schema the host cannot check is refused here, not discovered at the first call.
        let mut checks = Vec::new();
        for t in plugin.tools() {
            match ArgumentCheck::compile(&t.input_schema) {
                Ok(c) => checks.push(c),
                Err(e) => {
                    self.fail(
                        &name,
                        format!("its tool `{}` has an invalid input schema: {e}", t.name),
                    );
                    return;
                }
            }
        }
        let index = self.plugins.len();
        let mut served = 0;
        for ((i, t), arguments) in plugin.tools().iter().enumerate().zip(checks) {
            let slot = Slot {
                plugin: index,
                tool: i,
            };
            match self.policy.refusal(t) {
                Some(reason) => {
                    tracing::debug!(tool = %t.name, "withheld: {reason}");
                    self.refused.insert(t.name.clone(), (slot, reason));
                }
                None => {
                    served += 1;
                    self.tools.insert(t.name.clone(), Entry { slot, arguments });
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

    /// The served tools of one plugin.
    pub fn tools_of<'a>(&'a self, plugin: &'a Plugin) -> impl Iterator<Item = &'a ToolDef> {
        plugin
            .tools()
            .iter()
            .filter(|t| self.tools.contains_key(&t.name))
    }

    /// The tools the policy withholds, with the reason for each.
    pub fn withheld(&self) -> impl Iterator<Item = (&str, &str)> {
        self.refused
            .iter()
            .map(|(n, (_, r))| (n.as_str(), r.as_str()))
    }

    /// A served tool.
    pub fn find(&self, tool: &str) -> Option<(&Arc<Plugin>, &ToolDef)> {
        self.tools.get(tool).map(|e| self.def(e.slot))
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
                    Ok(_) => Outcome::Ok,
                    Err(
                        RegistryError::Refused { .. }
                        | RegistryError::InvalidArguments { .. }
                        | RegistryError::Declined(_)
                        | RegistryError::Unconfirmed(_),
                    ) => Outcome::Refused(error),
                    Err(_) => Outcome::Failed(error),
                };
                audit.record(tool, &plugin.info().name, args, outcome, started.elapsed());
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
        let args =
            entry
                .arguments
                .check(args)
                .map_err(|problems| RegistryError::InvalidArguments {
                    tool: tool.to_owned(),
                    problems,
                })?;
        let (plugin, def) = self.def(entry.slot);
        if self.confirm.needs_confirmation(def) {
            let question = question(def, args.as_object().unwrap_or(&Map::new()));
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
        Ok(plugin.call(tool, &args.to_string(), hooks).await?)
    }
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

//! The call pipeline: every tool wharf serves and the plugin behind each (the catalog,
//! built in `load.rs`), and one call through its steps (`pipeline.rs`): argument check,
//! engine routing, confirmation, the plugin, the result check, the projection, the audit
//! record.

mod engine_argument;
mod load;
mod pipeline;
mod projection;
mod schemas;

pub use load::{Builtin, PluginSource, check_plugin_tools, plugin_files};
pub use projection::{LIMITS as PROJECTION_LIMITS, MAX_OUTPUT as PROJECTION_BYTES};

use crate::engine::{DockerEngine, Engines};
use crate::policy::audit::{AuditLog, Call};
use crate::policy::confirm::{plan_question, question};
use crate::policy::plan::{self, DRY_RUN};
use crate::policy::{Changes, Confirm, ConfirmPolicy, Mode, Plan, Removals, ToolPolicy};
use crate::runtime::{CallError, CallHooks, Output, Plugin, ToolDef};
use schemas::SchemaCheck;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
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
    /// The dry run the host ran first gave no plan it can put to the user: the call was
    /// not made.
    #[error("failed: `{tool}` was not run: {problem}")]
    Unplanned { tool: String, problem: String },
    /// The call's `jq` filter did not project its result, which is withheld. `ran`: the
    /// tool may have changed state, and did whatever it does.
    #[error(
        "failed: {problem} (the `jq` argument of `{tool}`){}",
        if *ran {
            "; the call itself ran and its result was withheld: look before running it again"
        } else {
            ""
        }
    )]
    Unprojected {
        tool: String,
        problem: String,
        ran: bool,
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
    /// Runs the `jq` argument's filters; none serves no such argument.
    projector: Option<Plugin>,
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
    /// when several engines are configured and the `jq` argument when it is projected.
    served: ToolDef,
    /// Takes the `jq` argument.
    projected: bool,
}

impl Registry {
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

    /// Whether tools with an output schema take the `jq` argument.
    pub fn projects(&self) -> bool {
        self.projector.is_some()
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

    /// Why `tool` is not served, for what is built on tools (resources, prompts): the
    /// policy's reason, or that no loaded plugin has it. None when it is served.
    pub fn unserved(&self, tool: &str) -> Option<String> {
        if self.tools.contains_key(tool) {
            return None;
        }
        Some(match self.refused.get(tool) {
            Some((_, reason)) => reason.clone(),
            None => format!("no loaded plugin provides `{tool}`"),
        })
    }

    /// A served tool, as clients see it.
    pub fn find(&self, tool: &str) -> Option<(&Arc<Plugin>, &ToolDef)> {
        self.tools
            .get(tool)
            .map(|e| (&self.plugins[e.slot.plugin], &e.served))
    }

    /// Record every call of a tool that may change state in `audit`.
    pub fn set_audit(&mut self, audit: AuditLog) {
        self.audit = Some(audit);
    }

    /// The Docker engines calls are routed to.
    pub fn engines(&self) -> &Engines {
        &self.engines
    }

    /// Call `tool` with its JSON arguments (an object; none means `{}`), asking `confirm`
    /// first when the tool is destructive. Calls of tools that may change state are
    /// audited, refused ones included, and so is any call that asked Docker for a change,
    /// whatever its tool's label says.
    pub async fn call(
        &self,
        tool: &str,
        args: Option<&Map<String, Value>>,
        hooks: CallHooks,
        confirm: &impl Confirm,
    ) -> Result<Output, RegistryError> {
        let started = Instant::now();
        let changes = Arc::new(Changes::default());
        let hooks = CallHooks {
            changes: changes.clone(),
            ..hooks
        };
        let outcome = self.run(tool, args, hooks, confirm).await;
        if let Some(audit) = &self.audit
            && let Some(slot) = self.slot(tool)
        {
            let (plugin, def) = self.def(slot);
            let requests = changes.listed();
            let error = outcome.as_ref().err().map(ToString::to_string);
            if (!def.annotations.read_only || !requests.is_empty())
                && let Some(recorded) =
                    pipeline::audit_outcome(&outcome, error.as_deref().unwrap_or_default())
            {
                let call = Call {
                    tool,
                    plugin: &plugin.info().name,
                    arguments: args,
                    schema: &def.input_schema,
                    requests: &requests,
                };
                audit.record(&call, recorded, started.elapsed());
            }
        }
        outcome
    }

    /// The pipeline's steps, in order.
    async fn run(
        &self,
        tool: &str,
        args: Option<&Map<String, Value>>,
        hooks: CallHooks,
        confirm: &impl Confirm,
    ) -> Result<Output, RegistryError> {
        let entry = pipeline::served(&self.tools, &self.refused, tool)?;
        let mut args = pipeline::arguments(entry, args)?;
        let plugin = &self.plugins[entry.slot.plugin];
        let def = &entry.served;
        // Taken out whatever the tool: the argument is the host's, and a plugin whose
        // schema lets unknown arguments through must not see it either.
        let projection = match (projection::take(&mut args), &self.projector) {
            (None, _) => None,
            (Some(query), Some(projector)) if entry.projected => Some((projector, query)),
            (Some(_), _) => {
                return Err(RegistryError::InvalidArguments {
                    tool: tool.to_owned(),
                    problems: format!(
                        "{}: `{tool}` has no structured result this server can project",
                        projection::NAME
                    ),
                });
            }
        };
        let changes_state = !def.annotations.read_only;
        if let Some((projector, query)) = &projection
            && changes_state
        {
            projection::check(projector, tool, query, &hooks.cancel).await?;
        }
        // A dry run changes nothing (the guard refuses every change in it), so it asks
        // nothing.
        let dry_run = plan::offers_dry_run(&def.input_schema)
            && args.get(DRY_RUN) == Some(&Value::Bool(true));
        // The question shows the arguments as the client sent them, engine included.
        let shown = args.as_object().cloned().unwrap_or_default();
        let docker = plugin.capabilities().iter().any(|c| c.is_docker());
        let engine = pipeline::route(&self.engines, docker, tool, &mut args)?;
        pipeline::engine_allows(engine.as_ref(), def)?;
        let removals = if dry_run {
            Removals::Any
        } else if self.policy.mode != Mode::Full {
            // These modes serve no destructive tool and remove nothing, whatever asks.
            let question = self
                .confirm
                .needs_confirmation(def)
                .then(|| question(def, &shown));
            pipeline::confirmed(&self.confirm, confirm, tool, question).await?;
            Removals::Any
        } else {
            self.confirmed(
                entry,
                plugin,
                &args,
                &shown,
                engine.as_ref(),
                &hooks,
                confirm,
            )
            .await?
        };
        let cancel = hooks.cancel.clone();
        let hooks = CallHooks {
            engine,
            removals,
            dry_run,
            ..hooks
        };
        let output = plugin.call(tool, &args.to_string(), hooks).await?;
        let output = pipeline::checked_result(entry, &plugin.info().name, output).map_err(|e| {
            match e {
                // The client asked for a projection: what it did not ask for stays here.
                RegistryError::MalformedResult {
                    plugin,
                    tool,
                    problems,
                    ..
                } if projection.is_some() => RegistryError::MalformedResult {
                    plugin,
                    tool,
                    problems,
                    text: "(the result's text is withheld too: the call asked for a jq \
                           projection)"
                        .to_owned(),
                },
                e => e,
            }
        })?;
        match projection {
            Some((projector, query)) => {
                projection::project(
                    projector,
                    tool,
                    &query,
                    output,
                    changes_state && !dry_run,
                    &cancel,
                )
                .await
            }
            None => Ok(output),
        }
    }

    /// Asks the user when the call needs it, and says what the call may then remove. A tool
    /// with a dry run is run that way first and the question shows its plan: always for a
    /// destructive tool; for one labelled as only writing when the plan removes anything,
    /// and the call may then remove only what the plan named. A tool labelled as only
    /// writing without a dry run may remove only what it created.
    #[allow(clippy::too_many_arguments)]
    async fn confirmed(
        &self,
        entry: &Entry,
        plugin: &Plugin,
        args: &Value,
        shown: &Map<String, Value>,
        engine: Option<&Arc<dyn DockerEngine>>,
        hooks: &CallHooks,
        confirm: &impl Confirm,
    ) -> Result<Removals, RegistryError> {
        let def = &entry.served;
        let destructive = self.confirm.needs_confirmation(def);
        let holds = self.confirm.holds_to_plan(def);
        if !destructive && !holds {
            return Ok(Removals::Any);
        }
        if !plan::offers_dry_run(&def.input_schema) {
            let question = destructive.then(|| question(def, shown));
            pipeline::confirmed(&self.confirm, confirm, &def.name, question).await?;
            return Ok(match destructive {
                true => Removals::Any,
                false => Removals::Created,
            });
        }
        let mut dry = args.clone();
        dry[DRY_RUN] = Value::Bool(true);
        // The dry run's requests go to the call's audit record: one it made is refused
        // there, and shows in the audit.
        let planning = CallHooks {
            engine: engine.cloned(),
            cancel: hooks.cancel.clone(),
            changes: hooks.changes.clone(),
            dry_run: true,
            ..CallHooks::default()
        };
        let output = plugin.call(&def.name, &dry.to_string(), planning).await?;
        let unplanned = |problem: String| RegistryError::Unplanned {
            tool: def.name.clone(),
            problem,
        };
        if let Some(asked) = hooks.changes.listed().requests.first() {
            return Err(unplanned(format!(
                "its dry run asked to change something ({asked}), which a dry run never does"
            )));
        }
        let plan = Plan::of_result(output.structured.as_ref()).map_err(unplanned)?;
        let plan = match engine {
            Some(engine) => plan.resolved(engine.as_ref()).await.map_err(unplanned)?,
            None if plan.is_empty() => plan,
            None => {
                return Err(unplanned(
                    "its dry run plans removals, but its plugin has no Docker capability"
                        .to_owned(),
                ));
            }
        };
        if destructive || !plan.is_empty() {
            let question = plan_question(def, &plan, shown);
            pipeline::confirmed(&self.confirm, confirm, &def.name, Some(question)).await?;
        }
        // A destructive tool was asked about as a whole; its prunes name no one object.
        Ok(match destructive {
            true => Removals::Any,
            false => Removals::Confirmed(Arc::new(plan)),
        })
    }
}

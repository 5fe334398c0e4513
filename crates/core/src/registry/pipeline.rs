//! One tool call, step by step: the served tool, its arguments checked, the engine it is
//! routed to (and whether the tool may change state there), the user's confirmation, the
//! plugin's run, its result checked, and what the audit log records. Each step is a
//! function of what it needs, tested on its own; [`super::Registry::call`] runs them in
//! order. Docker requests the plugin makes then pass the guard ([`crate::policy::Guard`]).

use super::{Entry, RegistryError, Slot, engine_argument};
use crate::engine::{DockerEngine, Engines};
use crate::policy::audit::Outcome;
use crate::policy::{Answer, Confirm, ConfirmPolicy};
use crate::runtime::{Output, ToolDef};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The tool as served, or why it is not: withheld by the policy, or unknown.
pub(super) fn served<'a>(
    tools: &'a BTreeMap<String, Entry>,
    refused: &BTreeMap<String, (Slot, String)>,
    tool: &str,
) -> Result<&'a Entry, RegistryError> {
    tools.get(tool).ok_or_else(|| match refused.get(tool) {
        Some((_, reason)) => RegistryError::Refused {
            tool: tool.to_owned(),
            reason: reason.clone(),
        },
        None => RegistryError::UnknownTool(tool.to_owned()),
    })
}

/// The arguments (none means `{}`) checked against the tool's input schema.
pub(super) fn arguments(
    entry: &Entry,
    args: Option<&Map<String, Value>>,
) -> Result<Value, RegistryError> {
    entry
        .arguments
        .arguments(args)
        .map_err(|problems| RegistryError::InvalidArguments {
            tool: entry.served.name.clone(),
            problems,
        })
}

/// The engine a call of a Docker plugin's tool works on, its `engine` argument taken out of
/// `args`; none for tools that do not reach Docker. With one engine the schema does not
/// offer the argument, but a client that sends it anyway must not land on an engine it did
/// not name.
pub(super) fn route(
    engines: &Engines,
    docker: bool,
    tool: &str,
    args: &mut Value,
) -> Result<Option<Arc<dyn DockerEngine>>, RegistryError> {
    if !docker {
        return Ok(None);
    }
    let Some(name) = engine_argument::take(args) else {
        return Ok(Some(engines.default_engine().clone()));
    };
    match engines.get(&name) {
        Some(engine) => Ok(Some(engine.clone())),
        None => Err(RegistryError::InvalidArguments {
            tool: tool.to_owned(),
            problems: format!(
                "engine: no engine `{name}` is configured (known: {})",
                engines
                    .iter()
                    .map(|e| format!("`{}`", e.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// A tool that may change state does not run on a read-only engine (the guard would refuse
/// its requests one by one; this says so before anything runs).
pub(super) fn engine_allows(
    engine: Option<&Arc<dyn DockerEngine>>,
    def: &ToolDef,
) -> Result<(), RegistryError> {
    match engine {
        Some(engine) if engine.is_read_only() && !def.annotations.read_only => {
            Err(RegistryError::Refused {
                tool: def.name.clone(),
                reason: format!(
                    "engine `{}` is read-only and `{}` changes state",
                    engine.name(),
                    def.name
                ),
            })
        }
        _ => Ok(()),
    }
}

/// The user's answer to `question`, when the tool asks one.
pub(super) async fn confirmed(
    policy: &ConfirmPolicy,
    confirm: &impl Confirm,
    tool: &str,
    question: Option<String>,
) -> Result<(), RegistryError> {
    let Some(question) = question else {
        return Ok(());
    };
    match confirm.ask(tool, &question).await {
        Answer::Yes => Ok(()),
        Answer::No => Err(RegistryError::Declined(tool.to_owned())),
        Answer::CannotAsk if policy.proceeds_without_asking() => Ok(()),
        Answer::CannotAsk => Err(RegistryError::Unconfirmed(tool.to_owned())),
        Answer::Pending => Err(RegistryError::AwaitingConfirmation {
            tool: tool.to_owned(),
            question,
        }),
    }
}

/// `output` if it keeps the tool's output schema. MCP asks a tool with an output schema
/// for a structured result on every success, so a missing one breaks the schema too.
pub(super) fn checked_result(
    entry: &Entry,
    plugin: &str,
    output: Output,
) -> Result<Output, RegistryError> {
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
            tracing::warn!(plugin, tool = %entry.served.name, "result breaks its output schema: {problems}");
            Err(RegistryError::MalformedResult {
                plugin: plugin.to_owned(),
                tool: entry.served.name.clone(),
                problems,
                text: output.text,
            })
        }
    }
}

/// What the audit log records of a call of a tool that may change state, `error` being the
/// call's error as the client sees it; none for a call that waits for its confirmation,
/// which has not happened yet (its retry is audited).
pub(super) fn audit_outcome<'a>(
    outcome: &Result<Output, RegistryError>,
    error: &'a str,
) -> Option<Outcome<'a>> {
    Some(match outcome {
        Err(RegistryError::AwaitingConfirmation { .. }) => return None,
        // The call ran and did what it did; only its structure or projection was withheld.
        Ok(_) | Err(RegistryError::MalformedResult { .. } | RegistryError::Unprojected { .. }) => {
            Outcome::Ok
        }
        Err(
            RegistryError::Refused { .. }
            | RegistryError::InvalidArguments { .. }
            | RegistryError::Declined(_)
            | RegistryError::Unconfirmed(_),
        ) => Outcome::Refused(error),
        Err(_) => Outcome::Failed(error),
    })
}

#[cfg(test)]
mod tests;

//! Confirmation of destructive calls: which tools need the user's yes, and what happens
//! when the client has no way to ask (no MCP elicitation).

use crate::runtime::ToolDef;
use serde::Deserialize;
use std::collections::BTreeSet;

/// `[confirm]` in wharf.toml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPolicy {
    /// Ask the user before a destructive tool runs.
    #[serde(default = "yes")]
    pub destructive: bool,
    /// What to do when the client cannot ask its user.
    #[serde(default)]
    pub without_elicitation: Fallback,
    /// Destructive tools that run without asking.
    #[serde(default)]
    pub safe_tools: BTreeSet<String>,
}

fn yes() -> bool {
    true
}

impl Default for ConfirmPolicy {
    fn default() -> Self {
        ConfirmPolicy {
            destructive: true,
            without_elicitation: Fallback::default(),
            safe_tools: BTreeSet::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    /// Refuse the call, saying how to allow it.
    #[default]
    Refuse,
    /// Run it anyway (the client's own approval step is trusted).
    Proceed,
}

/// What the person behind a call said when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// The client has no way to ask (or the question could not be delivered).
    CannotAsk,
    /// The question goes back to the client in the call's response (MCP's multi-round-trip
    /// requests); the client asks its user and calls again with the answer.
    Pending,
}

/// Who answers the confirmation question for a call.
pub trait Confirm: Sync {
    fn ask(&self, tool: &str, question: &str) -> impl Future<Output = Answer> + Send;
}

/// The caller is the person who wants the call (`wharf call` on a terminal): nothing to ask.
pub struct Confirmed;

impl Confirm for Confirmed {
    async fn ask(&self, _tool: &str, _question: &str) -> Answer {
        Answer::Yes
    }
}

/// Nobody can be asked (resources and prompts, which only read): the fallback applies.
pub struct Unattended;

impl Confirm for Unattended {
    async fn ask(&self, _tool: &str, _question: &str) -> Answer {
        Answer::CannotAsk
    }
}

impl ConfirmPolicy {
    pub fn needs_confirmation(&self, tool: &ToolDef) -> bool {
        let a = tool.annotations;
        self.destructive && a.destructive && !a.read_only && !self.safe_tools.contains(&tool.name)
    }

    /// Whether a call of `tool`, not labelled destructive, may remove only what the user
    /// was shown and said yes to (see [`super::plan`]).
    pub fn holds_to_plan(&self, tool: &ToolDef) -> bool {
        let a = tool.annotations;
        self.destructive && !a.destructive && !a.read_only && !self.safe_tools.contains(&tool.name)
    }

    pub fn proceeds_without_asking(&self) -> bool {
        self.without_elicitation == Fallback::Proceed
    }
}

/// The question put to the user: the tool, what it may destroy, and its arguments (secrets
/// redacted).
pub fn question(tool: &ToolDef, args: &serde_json::Map<String, serde_json::Value>) -> String {
    let args = serde_json::Value::Object(super::audit::redact(args, &tool.input_schema));
    format!(
        "Allow wharf to run `{}` ({})? It is destructive: what it does cannot be \
         undone.\nArguments: {args}",
        tool.name, tool.title
    )
}

/// The question for a call whose dry run was run first: what it would remove or replace,
/// then its arguments (secrets redacted).
pub fn plan_question(
    tool: &ToolDef,
    plan: &super::Plan,
    args: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let args = serde_json::Value::Object(super::audit::redact(args, &tool.input_schema));
    let what = match plan.is_empty() {
        true => "It is destructive, though its dry run found nothing to remove now.".to_owned(),
        false => format!(
            "It would remove what is there, which cannot be undone:\n{}",
            plan.lines()
        ),
    };
    format!(
        "Allow wharf to run `{}` ({})? {what}\nArguments: {args}",
        tool.name, tool.title
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    fn tool(name: &str, read_only: bool, destructive: bool) -> ToolDef {
        ToolDef::for_tests(name, read_only, destructive)
    }

    #[test]
    fn only_destructive_tools_not_marked_safe_need_a_yes() {
        let mut p = ConfirmPolicy::default();
        assert!(p.needs_confirmation(&tool("remove_volume", false, true)));
        assert!(!p.needs_confirmation(&tool("create_volume", false, false)));
        assert!(!p.needs_confirmation(&tool("list_volumes", true, true)));
        p.safe_tools.insert("remove_volume".into());
        assert!(!p.needs_confirmation(&tool("remove_volume", false, true)));
        assert!(!p.proceeds_without_asking());
        let off = ConfirmPolicy {
            destructive: false,
            ..Default::default()
        };
        assert!(!off.needs_confirmation(&tool("kill_container", false, true)));
    }

    #[test]
    fn the_question_names_the_tool_and_hides_secrets() {
        let args = serde_json::json!({"container": "web", "env": {"TOKEN": "t0p"}});
        let q = question(
            &tool("remove_container", false, true),
            args.as_object().unwrap(),
        );
        assert!(
            q.contains("`remove_container`") && q.contains("\"web\""),
            "{q}"
        );
        assert!(!q.contains("t0p"), "{q}");
    }
}

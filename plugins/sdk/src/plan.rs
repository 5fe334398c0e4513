//! Dry runs: what a call would remove or replace, in the form the host reads.
//!
//! A tool that is not labelled destructive yet may remove things (a converge that recreates
//! or prunes) offers a `dry_run` argument and, when it is set, changes nothing and returns
//! its removals under `plan` in its structured result. The host runs such a tool that way
//! first, asks the user about the plan, and lets the call that follows remove only what the
//! plan named; a removal it did not name is refused.

use schemars::JsonSchema;
use serde::Serialize;

/// The label the host puts on every container, network, volume, service, secret and config
/// wharf creates. A tool that converges what is there (compose, stacks) changes an object
/// without it only when told to adopt it: another tool made it.
pub const PROVENANCE: (&str, &str) = ("org.wharf.created-by", "wharf");

/// Whether `labels` carry [`PROVENANCE`].
pub fn made_by_wharf<'a>(mut labels: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    labels.any(|(k, v)| k == PROVENANCE.0 && v == PROVENANCE.1)
}

/// What a planned step does to an object that is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    Remove,
    /// Removed, and one of the same name made in its place.
    Replace,
}

/// One object a call would remove or replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Planned {
    pub action: Removal,
    /// `container`, `network`, `volume`, `service`, `secret`, `config` or `image`.
    pub kind: String,
    pub name: String,
    /// The id the call will remove it by, when that is not its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A dry run's result: `text` says what the call would do, `plan` what it would remove.
pub fn dry_run(text: impl std::fmt::Display, plan: Vec<Planned>) -> crate::Output {
    #[derive(Serialize)]
    struct DryRun {
        plan: Vec<Planned>,
    }
    crate::Output::structured(dry_run_text(&text.to_string()), &DryRun { plan })
}

/// `text`, what a call would do, marked as a dry run's.
pub fn dry_run_text(text: &str) -> String {
    let text = text.trim_end();
    match text.contains('\n') {
        true => format!("{text}\n(dry run: nothing was changed)"),
        false => format!("{text} (dry run: nothing was changed)"),
    }
}

impl Planned {
    pub fn new(action: Removal, kind: &str, name: &str, id: Option<&str>) -> Planned {
        Planned {
            action,
            kind: kind.to_owned(),
            name: name.to_owned(),
            id: id.map(str::to_owned),
        }
    }
}

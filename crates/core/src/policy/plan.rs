//! What a call may remove when its tool is not labelled destructive.
//!
//! A tool's label is fixed, yet what some tools do depends on their arguments and on what
//! is there: `compose_up` recreates containers whose configuration changed and, with
//! `remove_orphans`, removes others; `stack_deploy` with `prune` removes services. Such a
//! call is destructive whatever its label says. A tool that offers `dry_run` is run that
//! way first, changing nothing; the removals it plans are put to the user, and the call
//! that follows may remove only those (and what it created itself). A tool without a dry
//! run may remove nothing it did not create.

use crate::engine::{ErrorKind, Kind, Lookup};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// The argument that asks a tool for its plan instead of acting.
pub const DRY_RUN: &str = "dry_run";

/// What a planned step does to an object that is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// It goes.
    Remove,
    /// It goes and one of the same name takes its place.
    Replace,
}

/// What a planned removal removes: an object the guard looks up by kind, or an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planning {
    Object(Kind),
    /// Shown to the user; an image's removal names no object a plan could cover.
    Image,
}

impl std::fmt::Display for Planning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Planning::Object(kind) => kind.fmt(f),
            Planning::Image => f.write_str("image"),
        }
    }
}

/// One object a call plans to remove or replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub action: Removal,
    pub kind: Planning,
    pub name: String,
    /// The object's id as the plan gave it; once [`Plan::resolved`], its full id, which
    /// is what the plan covers.
    pub id: Option<String>,
}

/// The removals of a dry run, as a tool's structured result lists them under `plan`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan(Vec<Planned>);

/// A plan with more entries than this is refused: it bounds what the host holds and
/// looks up for one call.
pub const MAX_PLANNED: usize = 1000;

/// The question lists this many entries, then says how many more there are.
const SHOWN: usize = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    action: Removal,
    kind: String,
    name: String,
    #[serde(default)]
    id: Option<String>,
}

impl Plan {
    /// The plan in a dry run's structured result, or what is wrong with it.
    pub fn of_result(structured: Option<&Value>) -> Result<Plan, String> {
        let Some(plan) = structured.and_then(|s| s.get("plan")) else {
            return Err("its dry run returned no `plan`".to_owned());
        };
        let wire: Vec<Wire> = serde_json::from_value(plan.clone())
            .map_err(|e| format!("the `plan` of its dry run is malformed: {e}"))?;
        if wire.len() > MAX_PLANNED {
            return Err(format!(
                "its dry run plans {} removals; wharf asks about at most {MAX_PLANNED} at once",
                wire.len()
            ));
        }
        let planned = wire
            .into_iter()
            .map(|w| {
                let kind = match w.kind.as_str() {
                    "container" => Planning::Object(Kind::Container),
                    "network" => Planning::Object(Kind::Network),
                    "volume" => Planning::Object(Kind::Volume),
                    "service" => Planning::Object(Kind::Service),
                    "secret" => Planning::Object(Kind::Secret),
                    "config" => Planning::Object(Kind::Config),
                    "image" => Planning::Image,
                    other => {
                        return Err(format!(
                            "the `plan` of its dry run names a kind wharf does not know: \
                             `{other}`"
                        ));
                    }
                };
                // A name is shown in the question on a line of its own.
                if let Some(c) = w
                    .name
                    .chars()
                    .chain(w.id.iter().flat_map(|id| id.chars()))
                    .find(|c| c.is_control())
                {
                    return Err(format!(
                        "the `plan` of its dry run names a {kind} with a control character \
                         ({:?})",
                        c
                    ));
                }
                Ok(Planned {
                    action: w.action,
                    kind,
                    name: super::changes::cut(w.name),
                    id: w.id.map(super::changes::cut),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut planned = planned;
        // The same plan gives the same question, whatever order the engine listed in: a
        // client that answers in a second round is asked the question it answered.
        planned.sort_by(|a, b| {
            (a.kind.to_string(), &a.name, &a.id).cmp(&(b.kind.to_string(), &b.name, &b.id))
        });
        planned.dedup();
        Ok(Plan(planned))
    }

    /// The plan with each object looked up by the name it shows: its id becomes the full id
    /// of the object of that name, which the plan then covers. An id given that is another
    /// object's, or a name that is no object's but a prefix of an id, is refused (the user
    /// would be shown one object and another removed); an object no longer there is
    /// dropped (there is nothing to remove).
    pub async fn resolved(self, engine: &dyn Lookup) -> Result<Plan, String> {
        let mut resolved = Vec::with_capacity(self.0.len());
        for mut p in self.0 {
            let Planning::Object(kind) = p.kind else {
                resolved.push(p);
                continue;
            };
            let by_name = match engine.lookup(kind, &p.name).await {
                Ok(found) => Some(found.id),
                Err(e) if e.kind == ErrorKind::NotFound => None,
                Err(e) => return Err(format!("wharf could not check its plan: {e}")),
            };
            if let Some(id) = &by_name
                && id != &p.name
                && id.starts_with(p.name.as_str())
            {
                return Err(format!(
                    "the `plan` of its dry run shows {kind} `{}`, which names no {kind} but is \
                     a prefix of {kind} {id}'s id",
                    p.name
                ));
            }
            if let Some(given) = &p.id {
                let by_id = match engine.lookup(kind, given).await {
                    Ok(found) => Some(found.id),
                    Err(e) if e.kind == ErrorKind::NotFound => None,
                    Err(e) => return Err(format!("wharf could not check its plan: {e}")),
                };
                if by_id.is_some() && by_id != by_name {
                    return Err(format!(
                        "the `plan` of its dry run shows {kind} `{}` with the id `{given}`, \
                         which is another {kind}'s",
                        p.name
                    ));
                }
            }
            if let Some(id) = by_name {
                p.id = Some(id);
                resolved.push(p);
            }
        }
        Ok(Plan(resolved))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the plan, [`Plan::resolved`], removes or replaces the `kind` object whose
    /// full id is `id`.
    pub fn covers(&self, kind: Kind, id: &str) -> bool {
        self.0
            .iter()
            .any(|p| p.kind == Planning::Object(kind) && p.id.as_deref() == Some(id))
    }

    /// One line per planned removal, for the user's question; past [`SHOWN`], how many more.
    pub fn lines(&self) -> String {
        let mut lines: Vec<String> = self
            .0
            .iter()
            .take(SHOWN)
            .map(|p| {
                let verb = match p.action {
                    Removal::Remove => "remove",
                    Removal::Replace => "replace",
                };
                format!("- {verb} {} {}", p.kind, p.name.trim_start_matches('/'))
            })
            .collect();
        if self.0.len() > SHOWN {
            lines.push(format!("- and {} more", self.0.len() - SHOWN));
        }
        lines.join("\n")
    }
}

/// What the guard lets a call remove.
#[derive(Debug, Clone, Default)]
pub enum Removals {
    /// Whatever its tool asks: the tool is labelled destructive (and so was confirmed), is
    /// one of `[confirm] safe_tools`, or confirmation is off.
    #[default]
    Any,
    /// Only what the user said yes to, and what the call created itself.
    Confirmed(Arc<Plan>),
    /// Only what the call created itself: its tool offers no dry run to show a plan with.
    Created,
}

impl Removals {
    /// Whether the call may remove the `kind` object whose full id is `id`.
    pub fn allows(&self, kind: Kind, id: &str) -> bool {
        match self {
            Removals::Any => true,
            Removals::Confirmed(plan) => plan.covers(kind, id),
            Removals::Created => false,
        }
    }

    pub fn allows_any(&self) -> bool {
        matches!(self, Removals::Any)
    }

    /// Whether a removal this refuses might be asked about: the tool has a dry run.
    pub fn plans(&self) -> bool {
        matches!(self, Removals::Confirmed(_))
    }
}

/// Whether `schema` (a tool's input schema) offers a boolean `dry_run`.
pub fn offers_dry_run(schema: &serde_json::Map<String, Value>) -> bool {
    let kind = &schema
        .get("properties")
        .and_then(|p| p.get(DRY_RUN))
        .and_then(|d| d.get("type"))
        .cloned()
        .unwrap_or_default();
    kind == "boolean"
        || kind
            .as_array()
            .is_some_and(|k| k.iter().any(|t| t == "boolean"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plan_is_read_from_the_result_and_covers_the_ids_it_holds() {
        // Listed in another order than the question's, and once twice.
        let entry = json!({"action": "remove", "kind": "service", "name": "shop_old", "id": "s1"});
        let plan = Plan::of_result(Some(&json!({"plan": [
            entry,
            {"action": "replace", "kind": "container", "name": "/shop-web-1", "id": "abc123"},
            {"action": "remove", "kind": "image", "name": "shop:1"},
            entry,
        ]})))
        .unwrap();
        assert!(plan.covers(Kind::Container, "abc123"));
        assert!(!plan.covers(Kind::Container, "shop-web-1"), "by id only");
        assert!(plan.covers(Kind::Service, "s1"));
        assert!(!plan.covers(Kind::Container, "s1"));
        assert!(!plan.covers(Kind::Container, "abc"), "no id prefixes");
        assert_eq!(
            plan.lines(),
            "- replace container shop-web-1\n- remove image shop:1\n- remove service shop_old"
        );
        assert!(
            Plan::of_result(Some(&json!({"plan": []})))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_malformed_or_missing_plan_is_an_error() {
        assert!(Plan::of_result(None).unwrap_err().contains("no `plan`"));
        let e = Plan::of_result(Some(&json!({"plan": [
            {"action": "remove", "kind": "host", "name": "/"}
        ]})))
        .unwrap_err();
        assert!(e.contains("`host`"), "{e}");
        let e = Plan::of_result(Some(&json!({"plan": [{"action": "burn"}]}))).unwrap_err();
        assert!(e.contains("malformed"), "{e}");
        let e = Plan::of_result(Some(&json!({"plan": [
            {"action": "remove", "kind": "volume", "name": "a\n- remove volume b"}
        ]})))
        .unwrap_err();
        assert!(e.contains("control character"), "{e}");
        let many: Vec<_> = (0..=MAX_PLANNED)
            .map(|i| json!({"action": "remove", "kind": "volume", "name": format!("v{i}")}))
            .collect();
        assert!(
            Plan::of_result(Some(&json!({ "plan": many })))
                .unwrap_err()
                .contains("at most")
        );
    }

    #[test]
    fn a_dry_run_is_offered_by_a_boolean_property() {
        let offers = |schema: Value| offers_dry_run(schema.as_object().unwrap());
        assert!(offers(
            json!({"properties": {"dry_run": {"type": "boolean"}}})
        ));
        assert!(offers(
            json!({"properties": {"dry_run": {"type": ["boolean", "null"]}}})
        ));
        assert!(!offers(
            json!({"properties": {"dry_run": {"type": "string"}}})
        ));
        assert!(!offers(json!({"properties": {}})));
    }
}

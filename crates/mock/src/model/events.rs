//! The engine's event log: every state change the model makes is recorded, and `events`
//! reads it back by time and filters as `GET /events` does.

use super::{Model, invalid};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};
use wharf_core::engine::DockerError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub kind: String,
    pub action: String,
    pub actor: String,
    pub attributes: BTreeMap<String, String>,
    pub time_nano: i64,
}

pub(crate) fn unix_nanos(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Model {
    pub fn record(&mut self, kind: &str, action: &str, actor: &str, attributes: &[(&str, &str)]) {
        self.record_with(kind, action, actor, attributes, &BTreeMap::new());
    }

    /// An event whose attributes also carry the object's labels, as the engine's do.
    pub fn record_with(
        &mut self,
        kind: &str,
        action: &str,
        actor: &str,
        attributes: &[(&str, &str)],
        labels: &BTreeMap<String, String>,
    ) {
        let mut attrs: BTreeMap<String, String> = labels.clone();
        for (k, v) in attributes {
            attrs.insert((*k).to_owned(), (*v).to_owned());
        }
        // Strictly increasing, so "since the last one I saw" never loses or repeats one.
        let now = unix_nanos(SystemTime::now());
        let time_nano = self.events.last().map_or(now, |e| now.max(e.time_nano + 1));
        self.events.push(Event {
            kind: kind.to_owned(),
            action: action.to_owned(),
            actor: actor.to_owned(),
            attributes: attrs,
            time_nano,
        });
    }
}

/// `GET /events` filters: type, event (action), container, image, network, volume, label.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventQuery {
    filters: BTreeMap<String, Vec<String>>,
}

impl EventQuery {
    pub fn new(filters: BTreeMap<String, Vec<String>>) -> Result<Self, DockerError> {
        for key in filters.keys() {
            if !matches!(
                key.as_str(),
                "type" | "event" | "container" | "image" | "network" | "volume" | "label"
            ) {
                return Err(invalid(format!("Invalid filter '{key}'")));
            }
        }
        Ok(EventQuery { filters })
    }

    pub fn matches(&self, e: &Event) -> bool {
        self.filters.iter().all(|(key, values)| match key.as_str() {
            "type" => values.contains(&e.kind),
            "event" => values.contains(&e.action),
            "label" => values.iter().all(|l| match l.split_once('=') {
                Some((k, v)) => e.attributes.get(k).is_some_and(|x| x == v),
                None => e.attributes.contains_key(l),
            }),
            kind => {
                e.kind == kind
                    && values.iter().any(|v| {
                        e.actor == *v
                            || e.actor.starts_with(v.as_str())
                            || e.attributes.get("name") == Some(v)
                    })
            }
        })
    }
}

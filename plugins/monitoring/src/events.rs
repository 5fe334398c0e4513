//! Engine events over a bounded window, as compact rows.

use crate::time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::system;
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Context, Filters, Output, ToolError, ToolResult};

const DEFAULT_ROWS: u32 = 100;
const MAX_WATCH_SECS: u32 = 300;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsArgs {
    /// `10m` (ago), RFC 3339 or Unix seconds (default 10m; now when watching).
    #[serde(default)]
    since: Option<String>,
    /// Default: now.
    #[serde(default)]
    until: Option<String>,
    /// Instead of until: the next N seconds (at most 300).
    #[serde(default)]
    watch_secs: Option<u32>,
    /// container, image, network, volume, daemon, service, node...
    #[serde(default, rename = "type")]
    kind: Vec<String>,
    /// e.g. create, start, die, destroy, pull, health_status.
    #[serde(default)]
    action: Vec<String>,
    #[serde(default)]
    container: Vec<String>,
    #[serde(default)]
    image: Vec<String>,
    /// `key` or `key=value`.
    #[serde(default)]
    label: Vec<String>,
    /// Default 100.
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EventsOutput {
    /// The window read, in Unix seconds.
    since: i64,
    until: i64,
    events: Vec<EventRow>,
    /// The limit stopped the reading before the window's end.
    truncated: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
struct EventRow {
    /// Unix seconds.
    time: i64,
    #[serde(rename = "type")]
    kind: String,
    action: String,
    /// The object's name when it has one, else its id.
    name: String,
    id: String,
    /// Docker's attributes of the event: image, exitCode, signal, labels...
    attributes: BTreeMap<String, String>,
}

/// What is worth a column for an event, beyond its type and action.
fn details(e: &system::Event) -> String {
    let attr = |k: &str| {
        e.attributes
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    ["image", "exitCode", "signal", "container", "type"]
        .into_iter()
        .filter(|k| !(e.type_ == "image" && *k == "image"))
        .filter_map(|k| attr(k).map(|v| format!("{k}={}", short_if_id(k, v))))
        .collect::<Vec<_>>()
        .join(" ")
}

fn short_if_id<'a>(key: &str, v: &'a str) -> &'a str {
    if key == "container" { short_id(v) } else { v }
}

pub fn docker_events(a: EventsArgs, ctx: &Context) -> ToolResult<Output> {
    let now = time::now();
    let (since, until) = match (a.watch_secs, a.until.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ToolError::invalid("give until or watch_secs, not both"));
        }
        (Some(secs), None) => {
            if secs == 0 || secs > MAX_WATCH_SECS {
                return Err(ToolError::invalid(format!(
                    "watch_secs: from 1 to {MAX_WATCH_SECS}"
                )));
            }
            let since = match a.since.as_deref() {
                Some(s) => time::parse("since", s, now)?,
                None => now,
            };
            (since, now + i64::from(secs))
        }
        (None, until) => {
            let since = time::parse("since", a.since.as_deref().unwrap_or("10m"), now)?;
            // The engine compares whole seconds: "until now" must round up, or the events
            // of the current second are left out.
            let until = match until {
                Some(u) => time::parse("until", u, now)?,
                None => now + 1,
            };
            (since, until)
        }
    };
    let limit = a.limit.unwrap_or(DEFAULT_ROWS).max(1) as usize;
    let f = Filters::new()
        .any("type", a.kind)
        .any("event", a.action)
        .any("container", a.container)
        .any("image", a.image)
        .any("label", a.label);
    let stream = system::events(since, until, f.as_slice())?;
    let mut rows = Vec::new();
    let mut events = Vec::new();
    let mut cut = false;
    while let Some(e) = stream.next()? {
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        if rows.len() == limit {
            // Dropping the stream ends the request; the rest of the window is not read.
            cut = true;
            break;
        }
        let name = e
            .attributes
            .iter()
            .find(|(k, _)| k == "name")
            .map_or_else(|| short_id(&e.actor_id).to_owned(), |(_, v)| v.clone());
        let time = e.time_nano.div_euclid(1_000_000_000);
        rows.push(format!(
            "{} | {} | {} | {} | {}",
            time::clock(time),
            e.type_,
            e.action,
            name,
            details(&e)
        ));
        events.push(EventRow {
            time,
            kind: e.type_,
            action: e.action,
            name,
            id: e.actor_id,
            attributes: e.attributes.into_iter().collect(),
        });
    }
    let window = format!("{} to {}", time::clock(since), time::clock(until));
    let text = if rows.is_empty() {
        format!("No events from {window}.")
    } else {
        let mut text = format!("events from {window}:\nTIME | TYPE | ACTION | NAME | DETAILS\n");
        text.push_str(&rows.join("\n"));
        text.push('\n');
        if cut {
            text.push_str(&format!(
                "(stopped after {limit} events; narrow the window or the filters, or raise limit)\n"
            ));
        }
        text
    };
    let out = EventsOutput {
        since,
        until,
        events,
        truncated: cut,
    };
    Ok(Output::structured(text, &out))
}

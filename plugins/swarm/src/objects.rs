//! Secrets and configs: values the swarm keeps and mounts into tasks as files. They differ in
//! one thing that matters here: a secret's value never comes back out (the engine does not
//! return it, and nothing here asks), a config's can be read.

use crate::rows::{self, ListArgs, text};
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::swarm_write::ObjectData;
use wharf_plugin_sdk::docker::{swarm_read, swarm_write};
use wharf_plugin_sdk::text::{short_id, truncate, untrusted};
use wharf_plugin_sdk::{Context, Filters, Hints, Output, ToolError, ToolResult, Toolbox};

pub fn tools(t: Toolbox) -> Toolbox {
    t.tool(
        "create_secret",
        "Create a swarm secret",
        "Store a secret (password, key, certificate) in the swarm from `value` or a host \
         `file` under the allowed roots; services mount it at /run/secrets/NAME. The value \
         is never shown again.",
        Hints::write(),
        create_secret,
    )
    .tool(
        "list_secrets",
        "List swarm secrets",
        "Secrets' names, ids, creation times and labels (never their values).",
        Hints::read_only(),
        list_secrets,
    )
    .output::<ListOutput>()
    .tool(
        "inspect_secret",
        "Inspect a swarm secret",
        "A secret's name, id, times, labels and the services using it (never its value).",
        Hints::read_only(),
        inspect_secret,
    )
    .tool(
        "remove_secret",
        "Remove a swarm secret",
        "Delete a secret; the engine refuses while a service uses it.",
        Hints::destructive(),
        remove_secret,
    )
    .tool(
        "create_config",
        "Create a swarm config",
        "Store a configuration file in the swarm from `value` or a host `file` under the \
         allowed roots; services mount it at /NAME or a path they choose.",
        Hints::write(),
        create_config,
    )
    .tool(
        "list_configs",
        "List swarm configs",
        "Configs' names, ids, creation times, sizes and labels.",
        Hints::read_only(),
        list_configs,
    )
    .output::<ListOutput>()
    .tool(
        "inspect_config",
        "Inspect a swarm config",
        "A config's name, id, times, labels, the services using it, and its content \
         (up to 4 KiB; show_data=false leaves it out).",
        Hints::read_only(),
        inspect_config,
    )
    .tool(
        "remove_config",
        "Remove a swarm config",
        "Delete a config; the engine refuses while a service uses it.",
        Hints::destructive(),
        remove_config,
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Secret,
    Config,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Config => "config",
        }
    }

    fn list(self, filters: &Filters) -> ToolResult<Vec<Value>> {
        let json = match self {
            Kind::Secret => swarm_read::list_secrets(filters.as_slice())?,
            Kind::Config => swarm_read::list_configs(filters.as_slice())?,
        };
        rows::array(&json)
    }

    fn inspect(self, id: &str) -> ToolResult<Value> {
        let json = match self {
            Kind::Secret => swarm_read::inspect_secret(id)?,
            Kind::Config => swarm_read::inspect_config(id)?,
        };
        Ok(serde_json::from_str(&json)?)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    name: String,
    /// The content, as text. Marked writeOnly: wharf never echoes it, nor writes it to
    /// the audit log.
    #[serde(default)]
    #[schemars(extend("writeOnly" = true))]
    value: Option<String>,
    /// A host file holding the content, under the allowed roots (read by wharf's host).
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

fn create(kind: Kind, a: CreateArgs) -> ToolResult<Output> {
    let data = match (a.value, a.file) {
        (Some(v), None) => ObjectData::Value(v.into_bytes()),
        (None, Some(f)) => ObjectData::HostFile(f),
        _ => {
            return Err(ToolError::invalid(format!(
                "give the {}'s content as exactly one of value and file",
                kind.name()
            )));
        }
    };
    let labels: Vec<(String, String)> = a.labels.into_iter().collect();
    let id = match kind {
        Kind::Secret => swarm_write::create_secret(&a.name, &data, &labels),
        Kind::Config => swarm_write::create_config(&a.name, &data, &labels),
    }
    .map_err(|e| ToolError::from(e).context(format!("{} {}", kind.name(), a.name)))?;
    Ok(Output::structured(
        format!("{} {} created ({})", kind.name(), a.name, short_id(&id)),
        &json!({ "id": id, "name": a.name }),
    ))
}

pub fn create_secret(a: CreateArgs, _: &Context) -> ToolResult<Output> {
    create(Kind::Secret, a)
}

pub fn create_config(a: CreateArgs, _: &Context) -> ToolResult<Output> {
    create(Kind::Config, a)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Row {
    id: String,
    name: String,
    created: String,
    /// Bytes of content (configs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ListOutput {
    items: Vec<Row>,
}

fn content(object: &Value) -> Option<Vec<u8>> {
    let data = object["Spec"]["Data"].as_str()?;
    base64::engine::general_purpose::STANDARD.decode(data).ok()
}

fn row(kind: Kind, o: &Value) -> Row {
    Row {
        id: short_id(text(&o["ID"])).to_owned(),
        name: text(&o["Spec"]["Name"]).to_owned(),
        created: text(&o["CreatedAt"]).to_owned(),
        size: (kind == Kind::Config).then(|| content(o).map_or(0, |d| d.len())),
        labels: rows::labels(&o["Spec"]),
    }
}

fn list(kind: Kind, a: ListArgs) -> ToolResult<Output> {
    let filters = a.filters();
    let mut items: Vec<Row> = kind.list(&filters)?.iter().map(|o| row(kind, o)).collect();
    items.sort_by(|x, y| x.name.cmp(&y.name));
    let mut text = if items.is_empty() {
        format!("No {}s.", kind.name())
    } else {
        "ID | NAME | CREATED | LABELS\n".to_owned()
    };
    for r in &items {
        text.push_str(&format!(
            "{} | {} | {} | {}\n",
            r.id,
            r.name,
            r.created,
            r.labels.join(", ")
        ));
    }
    Ok(Output::structured(text, &ListOutput { items }))
}

pub fn list_secrets(a: ListArgs, _: &Context) -> ToolResult<Output> {
    list(Kind::Secret, a)
}

pub fn list_configs(a: ListArgs, _: &Context) -> ToolResult<Output> {
    list(Kind::Config, a)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectArgs {
    /// Name or id.
    name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectConfigArgs {
    /// Name or id.
    name: String,
    /// Include the content (default true), at most 4 KiB of it.
    #[serde(default = "yes")]
    show_data: bool,
}

fn yes() -> bool {
    true
}

const MAX_SHOWN: usize = 4096;

/// The services whose tasks mount the object.
fn used_by(kind: Kind, id: &str) -> ToolResult<Vec<String>> {
    let (list_key, id_key) = match kind {
        Kind::Secret => ("Secrets", "SecretID"),
        Kind::Config => ("Configs", "ConfigID"),
    };
    let services = rows::array(&swarm_read::list_services(&[])?)?;
    let mut names: Vec<String> = services
        .iter()
        .filter(|s| {
            s["Spec"]["TaskTemplate"]["ContainerSpec"][list_key]
                .as_array()
                .is_some_and(|refs| refs.iter().any(|r| r[id_key] == id))
        })
        .map(|s| text(&s["Spec"]["Name"]).to_owned())
        .collect();
    names.sort();
    Ok(names)
}

fn inspect(kind: Kind, name: &str, show_data: bool) -> ToolResult<Output> {
    let o = kind.inspect(name)?;
    let id = text(&o["ID"]).to_owned();
    let mut shown = json!({
        "id": id,
        "name": text(&o["Spec"]["Name"]),
        "created": text(&o["CreatedAt"]),
        "updated": text(&o["UpdatedAt"]),
        "labels": rows::labels(&o["Spec"]),
        "used_by": used_by(kind, &id)?,
    });
    let mut fenced = String::new();
    if kind == Kind::Config {
        let data = content(&o).unwrap_or_default();
        shown["size"] = json!(data.len());
        if show_data {
            let as_text = String::from_utf8_lossy(&data);
            let (cut, truncated) = truncate(&as_text, MAX_SHOWN);
            fenced = format!("\n{}", untrusted("config", cut));
            if truncated {
                fenced.push_str(&format!(
                    "\n(truncated: showing {MAX_SHOWN} of {} bytes)",
                    data.len()
                ));
            }
            shown["data"] = json!(cut);
        }
    }
    // The content goes into the text fenced as untrusted, not inside the JSON.
    let mut summary = shown.clone();
    if let Some(o) = summary.as_object_mut() {
        o.remove("data");
    }
    let out = serde_json::to_string_pretty(&summary)? + &fenced;
    Ok(Output {
        text: out,
        structured: Some(shown),
    })
}

pub fn inspect_secret(a: InspectArgs, _: &Context) -> ToolResult<Output> {
    inspect(Kind::Secret, &a.name, false)
}

pub fn inspect_config(a: InspectConfigArgs, _: &Context) -> ToolResult<Output> {
    inspect(Kind::Config, &a.name, a.show_data)
}

fn remove(kind: Kind, name: &str) -> ToolResult<Output> {
    match kind {
        Kind::Secret => swarm_write::remove_secret(name),
        Kind::Config => swarm_write::remove_config(name),
    }
    .map_err(|e| ToolError::from(e).context(format!("{} {name}", kind.name())))?;
    Ok(Output::text(format!("{} {name} removed", kind.name())))
}

pub fn remove_secret(a: InspectArgs, _: &Context) -> ToolResult<Output> {
    remove(Kind::Secret, &a.name)
}

pub fn remove_config(a: InspectArgs, _: &Context) -> ToolResult<Output> {
    remove(Kind::Config, &a.name)
}

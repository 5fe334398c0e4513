//! Local images: list, inspect, history, tag, remove, prune.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wharf_plugin_sdk::docker::{images_read, images_write};
use wharf_plugin_sdk::redact;
use wharf_plugin_sdk::text::{human_bytes, short_id, truncate};
use wharf_plugin_sdk::{Context, Filters, Output, ToolError, ToolResult};

const DEFAULT_ROWS: usize = 50;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListArgs {
    /// e.g. `nginx`, `nginx:1.*`, `registry:5000/app`.
    #[serde(default)]
    reference: Option<String>,
    /// `key` or `key=value` each.
    #[serde(default)]
    label: Vec<String>,
    /// true: untagged only; false: tagged only.
    #[serde(default)]
    dangling: Option<bool>,
    /// Include intermediate images.
    #[serde(default)]
    all: bool,
    /// At most this many rows, newest first (default 50).
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Row {
    id: String,
    tags: Vec<String>,
    size: String,
    /// RFC 3339, UTC.
    created: String,
}

/// Unix seconds as RFC 3339 (UTC), which a model reads without arithmetic.
fn date(unix: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ListOutput {
    images: Vec<Row>,
    truncated: bool,
}

pub(crate) fn list_images(a: ListArgs, _: &Context) -> ToolResult<Output> {
    let f = Filters::new()
        .any("label", a.label)
        .opt("reference", a.reference)
        .opt("dangling", a.dangling);
    let limit = a.limit.map_or(DEFAULT_ROWS, |l| l as usize);
    if limit == 0 {
        return Err(ToolError::invalid("limit must be at least 1"));
    }
    let mut images = images_read::list(a.all, f.as_slice())?;
    images.sort_by_key(|i| std::cmp::Reverse(i.created));
    let truncated = images.len() > limit;
    let rows: Vec<Row> = images
        .into_iter()
        .take(limit)
        .map(|i| Row {
            id: short_id(&i.id).to_owned(),
            tags: i.tags,
            size: human_bytes(i.size),
            created: date(i.created),
        })
        .collect();
    let mut text = if rows.is_empty() {
        "No images.".to_owned()
    } else {
        String::from("REPO:TAG | ID | SIZE | CREATED\n")
    };
    for r in &rows {
        let tags = if r.tags.is_empty() {
            "<none>".to_owned()
        } else {
            r.tags.join(", ")
        };
        text.push_str(&format!("{tags} | {} | {} | {}\n", r.id, r.size, r.created));
    }
    if truncated {
        text.push_str(&format!(
            "(truncated: showing the newest {limit}; narrow with reference/label or raise limit)\n"
        ));
    }
    Ok(Output::structured(
        text,
        &ListOutput {
            images: rows,
            truncated,
        },
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InspectArgs {
    image: String,
    /// Docker's whole inspect JSON.
    #[serde(default)]
    full: bool,
}

pub(crate) fn inspect_image(a: InspectArgs, _: &Context) -> ToolResult<Output> {
    let v: Value = serde_json::from_str(&images_read::inspect(&a.image)?)?;
    let shown = if a.full { redact_env(v) } else { summarize(&v) };
    Ok(Output {
        text: serde_json::to_string_pretty(&shown)?,
        structured: Some(shown),
    })
}

/// Environment values baked into images can hold secrets: keep the names only.
fn redact_env(mut v: Value) -> Value {
    redact::env_at(&mut v, &["/Config/Env", "/ContainerConfig/Env"]);
    v
}

fn summarize(v: &Value) -> Value {
    let c = &v["Config"];
    let keys = |x: &Value| -> Vec<String> {
        x.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    json!({
        "id": short_id(v["Id"].as_str().unwrap_or("")),
        "tags": v["RepoTags"],
        "digests": v["RepoDigests"],
        "created": v["Created"],
        "size": human_bytes(v["Size"].as_u64().unwrap_or(0)),
        "platform": format!("{}/{}", v["Os"].as_str().unwrap_or("?"), v["Architecture"].as_str().unwrap_or("?")),
        "entrypoint": c["Entrypoint"],
        "command": c["Cmd"],
        "working_dir": c["WorkingDir"],
        "user": c["User"],
        "env": redact::env_list(&c["Env"]),
        "exposed_ports": keys(&c["ExposedPorts"]),
        "volumes": keys(&c["Volumes"]),
        "labels": c["Labels"],
        "layers": v.pointer("/RootFS/Layers").and_then(Value::as_array).map_or(0, Vec::len),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageArg {
    image: String,
}

pub(crate) fn image_history(a: ImageArg, _: &Context) -> ToolResult<Output> {
    let entries = images_read::history(&a.image)?;
    let mut text = String::from("CREATED | SIZE | CREATED BY\n");
    for h in &entries {
        let by = h
            .created_by
            .trim()
            .trim_start_matches("/bin/sh -c ")
            .trim_start_matches("#(nop) ");
        let (by, cut) = truncate(by, 120);
        text.push_str(&format!(
            "{} | {} | {}{}\n",
            date(h.created),
            human_bytes(h.size),
            by,
            if cut { "…" } else { "" }
        ));
    }
    Ok(Output::text(text))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagArgs {
    image: String,
    /// e.g. `registry.local:5000/app`.
    repo: String,
    /// Default latest.
    #[serde(default)]
    tag: Option<String>,
}

pub(crate) fn tag_image(a: TagArgs, _: &Context) -> ToolResult<Output> {
    let tag = a.tag.unwrap_or_else(|| "latest".into());
    images_write::tag(&a.image, &a.repo, &tag)?;
    Ok(Output::text(format!(
        "tagged {} as {}:{tag}",
        a.image, a.repo
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemoveArgs {
    image: String,
    #[serde(default)]
    force: bool,
    /// Keep untagged parent images.
    #[serde(default)]
    no_prune: bool,
}

pub(crate) fn remove_image(a: RemoveArgs, _: &Context) -> ToolResult<Output> {
    let r = images_write::remove(&a.image, a.force, a.no_prune)?;
    let mut parts = Vec::new();
    if !r.untagged.is_empty() {
        parts.push(format!("untagged {}", r.untagged.join(", ")));
    }
    if !r.deleted.is_empty() {
        let ids: Vec<&str> = r.deleted.iter().map(|d| short_id(d)).collect();
        parts.push(format!("deleted {}", ids.join(", ")));
    }
    Ok(Output::text(parts.join("; ")))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PruneArgs {
    /// Every image no container uses.
    #[serde(default)]
    all: bool,
    /// `key` or `key=value` each.
    #[serde(default)]
    label: Vec<String>,
}

pub(crate) fn prune_images(a: PruneArgs, _: &Context) -> ToolResult<Output> {
    let f = Filters::new()
        .any("label", a.label)
        .opt("dangling", Some(!a.all));
    let r = images_write::prune(f.as_slice())?;
    Ok(Output::text(if r.deleted.is_empty() {
        "No unused images to remove.".to_owned()
    } else {
        let ids: Vec<&str> = r.deleted.iter().map(|d| short_id(d)).collect();
        format!(
            "deleted {} images ({} reclaimed): {}",
            ids.len(),
            human_bytes(r.space_reclaimed),
            ids.join(", ")
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(date(0), "1970-01-01T00:00:00Z");
        assert_eq!(date(-5), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn image_env_values_are_redacted() {
        let v = redact_env(json!({"Config": {"Env": ["TOKEN=abc", "PATH=/bin"]}}));
        assert_eq!(
            v["Config"]["Env"],
            json!(["TOKEN=<redacted>", "PATH=<redacted>"])
        );
    }
}

//! The volumes tool group: list (with the containers using each), inspect, create, remove,
//! prune. It imports `volumes`, and `containers-read` to tell which containers use a volume.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use wharf_plugin_sdk::docker::{containers_read, volumes};
use wharf_plugin_sdk::plan::{self, Planned, Removal};
use wharf_plugin_sdk::text::human_bytes;
use wharf_plugin_sdk::{
    Context, Filters, Hints, Output, Plugin, PluginInfo, ToolError, ToolResult, Toolbox,
};

struct Volumes;

impl Plugin for Volumes {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "volumes",
            env!("CARGO_PKG_VERSION"),
            "Docker volumes: list, inspect, create, remove, prune",
        )
    }

    fn toolbox() -> Toolbox {
        Toolbox::new()
            .tool(
                "list_volumes",
                "List volumes",
                "Volumes with their driver and the containers using each.",
                Hints::read_only(),
                list_volumes,
            )
            .output::<ListOutput>()
            .tool(
                "inspect_volume",
                "Inspect a volume",
                "A volume's driver, mountpoint, options, labels, creation time and the \
                 containers using it.",
                Hints::read_only(),
                inspect_volume,
            )
            .output_object()
            .tool(
                "create_volume",
                "Create a volume",
                "Create a named volume with labels and driver options.",
                Hints::write().idempotent(),
                create_volume,
            )
            .tool(
                "remove_volume",
                "Remove a volume",
                "Delete a volume and its data; refused while any container uses it.",
                Hints::destructive(),
                remove_volume,
            )
            .tool(
                "prune_volumes",
                "Prune volumes",
                "Delete every volume no container uses, with its data (or only those with \
                 labels); returns the names and space reclaimed.",
                Hints::destructive(),
                prune_volumes,
            )
    }
}

wharf_plugin_sdk::export!(Volumes);

/// Volume name -> names of the containers (running or not) that mount it.
fn users() -> ToolResult<HashMap<String, Vec<String>>> {
    let mut users: HashMap<String, Vec<String>> = HashMap::new();
    for c in containers_read::list(true, None, &[])? {
        let name = c.names.first().cloned().unwrap_or(c.id);
        for v in c.volumes {
            users.entry(v).or_default().push(name.clone());
        }
    }
    for names in users.values_mut() {
        names.sort();
    }
    Ok(users)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    /// Part of the name.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    driver: Option<String>,
    /// `key` or `key=value` each.
    #[serde(default)]
    label: Vec<String>,
    /// true: unused only; false: used only.
    #[serde(default)]
    dangling: Option<bool>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Row {
    name: String,
    driver: String,
    used_by: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct ListOutput {
    volumes: Vec<Row>,
}

fn list_volumes(a: ListArgs, _: &Context) -> ToolResult<Output> {
    let f = Filters::new()
        .any("label", a.label)
        .opt("name", a.name)
        .opt("driver", a.driver)
        .opt("dangling", a.dangling);
    let users = users()?;
    let rows: Vec<Row> = volumes::list(f.as_slice())?
        .into_iter()
        .map(|v| Row {
            used_by: users.get(&v.name).cloned().unwrap_or_default(),
            name: v.name,
            driver: v.driver,
        })
        .collect();
    let mut text = if rows.is_empty() {
        "No volumes.".to_owned()
    } else {
        String::from("NAME | DRIVER | USED BY\n")
    };
    for r in &rows {
        let used = if r.used_by.is_empty() {
            "-".to_owned()
        } else {
            r.used_by.join(", ")
        };
        text.push_str(&format!("{} | {} | {}\n", r.name, r.driver, used));
    }
    Ok(Output::structured(text, &ListOutput { volumes: rows }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct VolumeArg {
    volume: String,
}

fn inspect_volume(a: VolumeArg, _: &Context) -> ToolResult<Output> {
    let v: Value = serde_json::from_str(&volumes::inspect(&a.volume)?)?;
    let used_by = users()?.remove(&a.volume).unwrap_or_default();
    let shown = json!({
        "name": v["Name"],
        "driver": v["Driver"],
        "mountpoint": v["Mountpoint"],
        "created": v["CreatedAt"],
        "scope": v["Scope"],
        "options": v["Options"],
        "labels": v["Labels"],
        "used_by": used_by,
    });
    Ok(Output {
        text: serde_json::to_string_pretty(&shown)?,
        structured: Some(shown),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateArgs {
    #[serde(default)]
    name: Option<String>,
    /// Default local.
    #[serde(default)]
    driver: Option<String>,
    /// Driver options.
    #[serde(default)]
    options: BTreeMap<String, String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

fn create_volume(a: CreateArgs, _: &Context) -> ToolResult<Output> {
    let spec = json!({
        "Name": a.name.unwrap_or_default(),
        "Driver": a.driver.as_deref().unwrap_or("local"),
        "DriverOpts": a.options,
        "Labels": a.labels,
    });
    let created: Value = serde_json::from_str(&volumes::create(&spec.to_string())?)?;
    Ok(Output::text(format!(
        "volume {} ({})",
        created["Name"].as_str().unwrap_or(""),
        created["Driver"].as_str().unwrap_or("")
    )))
}

fn remove_volume(a: VolumeArg, _: &Context) -> ToolResult<Output> {
    if let Some(used_by) = users()?.remove(&a.volume) {
        return Err(ToolError::new(
            wharf_plugin_sdk::ErrorKind::Conflict,
            format!(
                "volume {} is in use by {}; remove those containers first",
                a.volume,
                used_by.join(", ")
            ),
        ));
    }
    volumes::remove(&a.volume, false)?;
    Ok(Output::text(format!(
        "removed volume {} and its data",
        a.volume
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PruneArgs {
    /// `key` or `key=value` each.
    #[serde(default)]
    label: Vec<String>,
    /// Named volumes too (before API 1.42 always).
    #[serde(default)]
    all: bool,
    /// Change nothing; list under `plan` what would be removed.
    #[serde(default)]
    dry_run: bool,
}

fn prune_volumes(a: PruneArgs, _: &Context) -> ToolResult<Output> {
    if a.dry_run {
        return prune_plan(a);
    }
    let f = Filters::new()
        .any("label", a.label)
        .opt("all", a.all.then_some(true));
    let r = volumes::prune(f.as_slice())?;
    Ok(Output::text(if r.deleted.is_empty() {
        "No unused volumes to remove.".to_owned()
    } else {
        format!(
            "removed {} volumes ({} reclaimed): {}",
            r.deleted.len(),
            human_bytes(r.space_reclaimed),
            r.deleted.join(", ")
        )
    }))
}

/// What `prune_volumes` would remove: the local volumes no container uses. Without `all`,
/// engines from API 1.42 keep named ones, which the plan still lists, saying so: a plan
/// may show more than goes, never less.
fn prune_plan(a: PruneArgs) -> ToolResult<Output> {
    let f = Filters::new()
        .any("label", a.label)
        .opt("dangling", Some(true))
        .opt("driver", Some("local"));
    let unused = volumes::list(f.as_slice())?;
    let anonymous = |v: &volumes::VolumeSummary| {
        v.labels
            .iter()
            .any(|(k, _)| k == "com.docker.volume.anonymous")
    };
    let names: Vec<String> = unused
        .iter()
        .map(|v| match a.all || anonymous(v) {
            true => v.name.clone(),
            false => format!(
                "{} (named: kept by engines from API 1.42 unless all=true)",
                v.name
            ),
        })
        .collect();
    let text = match names.is_empty() {
        true => "No unused volumes to remove.".to_owned(),
        false => format!(
            "would remove {} volumes and their data: {}",
            names.len(),
            names.join(", ")
        ),
    };
    let plan = unused
        .iter()
        .map(|v| Planned::new(Removal::Remove, "volume", &v.name, None))
        .collect();
    Ok(plan::dry_run(text, plan))
}

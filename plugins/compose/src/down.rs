//! `compose_down`: stop and remove a project's containers and networks, found by label, so
//! it works on projects any Compose tool brought up and needs no files. Named volumes and
//! images stay unless asked for: a redeploy must never cost the data.

use crate::names::{self, label};
use crate::state::{self, Member};
use crate::up::STOP_TIMEOUT;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use wharf_plugin_sdk::docker::{containers_write, images_read, images_write, networks, volumes};
use wharf_plugin_sdk::plan::{Planned, Removal, dry_run_text};
use wharf_plugin_sdk::{Context, Filters, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownArgs {
    #[serde(rename = "project_name")]
    project: String,
    /// Also remove its volumes and their data.
    #[serde(default)]
    volumes: bool,
    /// Also remove `built` images or `all` its containers used.
    #[serde(default)]
    images: Option<Images>,
    /// Before SIGKILL (default 10).
    #[serde(default)]
    timeout_secs: Option<u32>,
    /// Change nothing; list under `plan` what would be removed.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Images {
    Built,
    All,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct DownOutput {
    containers: Vec<String>,
    networks: Vec<String>,
    volumes: Vec<String>,
    images: Vec<String>,
    /// Volumes kept because `volumes` was not set.
    kept_volumes: Vec<String>,
    /// A dry run's removals: the lists above say what would go.
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<Vec<Planned>>,
}

pub fn compose_down(a: DownArgs, ctx: &Context) -> ToolResult<Output> {
    let members = state::containers(&a.project, true)?;
    let nets = state::networks(&a.project)?;
    let vols = state::volumes(&a.project)?;
    let mut out = DownOutput::default();
    let timeout = a.timeout_secs.unwrap_or(STOP_TIMEOUT);

    let used_images: BTreeSet<String> = members.iter().map(|m| m.summary.image.clone()).collect();
    let images: Vec<String> = match a.images {
        None => Vec::new(),
        Some(Images::All) => used_images.into_iter().collect(),
        Some(Images::Built) => {
            let f = Filters::new().any("label", vec![names::is(label::PROJECT, &a.project)]);
            images_read::list(false, f.as_slice())?
                .into_iter()
                .flat_map(|i| {
                    if i.tags.is_empty() {
                        vec![i.id]
                    } else {
                        i.tags
                    }
                })
                .collect()
        }
    };
    if a.dry_run {
        return Ok(plan(&a.project, &members, nets, vols, images, a.volumes));
    }
    // Stop everything before removing anything: dependents stop while what they depend on
    // still answers.
    for m in members.iter().filter(|m| m.running()) {
        check(ctx)?;
        ctx.progress(0, None, &format!("stopping {}", m.name));
        containers_write::stop(&m.id, Some(timeout)).map_err(|e| failed(e.into(), "stop", m))?;
    }
    for m in &members {
        check(ctx)?;
        containers_write::remove(&m.id, false, a.volumes)
            .map_err(|e| failed(e.into(), "remove", m))?;
        out.containers.push(m.name.clone());
    }
    for n in nets {
        check(ctx)?;
        networks::remove(&n)
            .map_err(|e| ToolError::from(e).context(format!("remove network {n}")))?;
        out.networks.push(n);
    }
    if a.volumes {
        for v in vols {
            check(ctx)?;
            volumes::remove(&v, false)
                .map_err(|e| ToolError::from(e).context(format!("remove volume {v}")))?;
            out.volumes.push(v);
        }
    } else {
        out.kept_volumes = vols;
    }
    for i in images {
        check(ctx)?;
        images_write::remove(&i, false, false)
            .map_err(|e| ToolError::from(e).context(format!("remove image {i}")))?;
        out.images.push(i);
    }

    Ok(Output::structured(out.text(&a.project, "removed"), &out))
}

/// `compose_down` with `dry_run`: what it would remove, found by reading only.
fn plan(
    project: &str,
    members: &[Member],
    nets: Vec<String>,
    vols: Vec<String>,
    images: Vec<String>,
    with_volumes: bool,
) -> Output {
    let mut plan: Vec<Planned> = members
        .iter()
        .map(|m| Planned::new(Removal::Remove, "container", &m.name, Some(&m.id)))
        .collect();
    plan.extend(
        nets.iter()
            .map(|n| Planned::new(Removal::Remove, "network", n, None)),
    );
    let (volumes, kept_volumes) = match with_volumes {
        true => (vols, Vec::new()),
        false => (Vec::new(), vols),
    };
    plan.extend(
        volumes
            .iter()
            .map(|v| Planned::new(Removal::Remove, "volume", v, None)),
    );
    plan.extend(
        images
            .iter()
            .map(|i| Planned::new(Removal::Remove, "image", i, None)),
    );
    let mut out = DownOutput {
        containers: members.iter().map(|m| m.name.clone()).collect(),
        networks: nets,
        volumes,
        images,
        kept_volumes,
        plan: None,
    };
    let text = dry_run_text(&out.text(project, "would remove"));
    out.plan = Some(plan);
    Output::structured(text, &out)
}

impl DownOutput {
    fn text(&self, project: &str, done: &str) -> String {
        let mut text =
            if self.containers.is_empty() && self.networks.is_empty() && self.volumes.is_empty() {
                format!("project {project}: nothing to remove\n")
            } else {
                format!("project {project}: down\n")
            };
        for (what, list) in [
            ("containers", &self.containers),
            ("networks", &self.networks),
            ("volumes", &self.volumes),
            ("images", &self.images),
        ] {
            if !list.is_empty() {
                text.push_str(&format!("{done} {what}: {}\n", list.join(", ")));
            }
        }
        if !self.kept_volumes.is_empty() {
            text.push_str(&format!(
                "kept volumes (volumes=true removes them): {}\n",
                self.kept_volumes.join(", ")
            ));
        }
        text
    }
}

fn check(ctx: &Context) -> ToolResult<()> {
    if ctx.cancelled() {
        Err(ToolError::cancelled())
    } else {
        Ok(())
    }
}

fn failed(e: ToolError, what: &str, m: &Member) -> ToolError {
    e.context(format!("{what} {}", m.name))
}

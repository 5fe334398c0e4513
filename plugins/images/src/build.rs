//! Build an image from a context directory, or from a Dockerfile and files given inline.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::images_build::{self, BuildRequest};
use wharf_plugin_sdk::jobs::{JobKind, follow};
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BuildArgs {
    /// Under the allowed roots; .dockerignore honoured.
    #[serde(default)]
    context_dir: Option<String>,
    /// Dockerfile text, replacing the context's.
    #[serde(default)]
    dockerfile: Option<String>,
    /// In context_dir (default Dockerfile).
    #[serde(default)]
    dockerfile_path: Option<String>,
    /// Extra text files: path -> content.
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    build_args: BTreeMap<String, String>,
    /// Multi-stage build's stage.
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    no_cache: bool,
    /// Pull newer base images.
    #[serde(default)]
    pull: bool,
    #[serde(default)]
    platform: Option<String>,
}

pub(crate) fn build_image(a: BuildArgs, ctx: &Context) -> ToolResult<Output> {
    if a.context_dir.is_none() && a.dockerfile.is_none() {
        return Err(ToolError::invalid("give context_dir, dockerfile, or both"));
    }
    let tags = a.tags.clone();
    let job = images_build::build(&BuildRequest {
        context_dir: a.context_dir,
        dockerfile: a.dockerfile,
        dockerfile_path: a.dockerfile_path,
        files: a
            .files
            .into_iter()
            .map(|(path, text)| (path, text.into_bytes()))
            .collect(),
        tags: a.tags,
        build_args: a.build_args.into_iter().collect(),
        target: a.target,
        labels: a.labels.into_iter().collect(),
        no_cache: a.no_cache,
        pull: a.pull,
        platform: a.platform,
    })?;
    let s = follow(job, JobKind::Build, ctx)?;
    let id = s
        .image_id
        .as_deref()
        .map(short_id)
        .ok_or_else(|| ToolError::failed("the engine reported no image ID for the build"))?;
    let mut text = format!("built {id} in {} steps", s.steps);
    if !tags.is_empty() {
        text.push_str(&format!(", tagged {}", tags.join(", ")));
    }
    Ok(Output::text(text))
}

//! Save images to, and load them from, tar files under the allowed roots.

use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::docker::images_write;
use wharf_plugin_sdk::text::human_bytes;
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SaveArgs {
    images: Vec<String>,
    /// Under the allowed roots.
    path: String,
    #[serde(default)]
    overwrite: bool,
}

pub(crate) fn save_images(a: SaveArgs, _: &Context) -> ToolResult<Output> {
    let bytes = images_write::save(&a.images, &a.path, a.overwrite)?;
    Ok(Output::text(format!(
        "saved {} to {} ({})",
        a.images.join(", "),
        a.path,
        human_bytes(bytes)
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoadArgs {
    /// Under the allowed roots.
    path: String,
}

pub(crate) fn load_images(a: LoadArgs, _: &Context) -> ToolResult<Output> {
    let loaded = images_write::load(&a.path)?;
    Ok(Output::text(if loaded.is_empty() {
        format!("{} held no images", a.path)
    } else {
        format!("loaded {}", loaded.join(", "))
    }))
}

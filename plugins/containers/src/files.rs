use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::docker::files::{self, CopyReport};
use wharf_plugin_sdk::text::human_bytes;
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyInArgs {
    container: String,
    /// Host path; relative to the first allowed root.
    source: String,
    /// Existing directory in the container; the source keeps its name.
    destination: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyOutArgs {
    container: String,
    /// File or directory in the container.
    source: String,
    /// Created if missing; relative to the first allowed root.
    destination: String,
    #[serde(default)]
    overwrite: bool,
}

fn report(r: &CopyReport) -> String {
    let mut s = format!("{} entries, {}", r.entries, human_bytes(r.bytes));
    if r.skipped > 0 {
        s.push_str(&format!(
            "; {} skipped: device files, pipes or links pointing outside the copy",
            r.skipped
        ));
    }
    s
}

pub fn copy_to_container(a: CopyInArgs, _ctx: &Context) -> ToolResult<Output> {
    let r = files::copy_in(&a.container, &a.source, &a.destination)?;
    Ok(Output::text(format!(
        "copied {} to {}:{} ({})",
        a.source,
        a.container,
        a.destination,
        report(&r)
    )))
}

pub fn copy_from_container(a: CopyOutArgs, _ctx: &Context) -> ToolResult<Output> {
    let r = files::copy_out(&a.container, &a.source, &a.destination, a.overwrite)?;
    Ok(Output::text(format!(
        "copied {}:{} to {} ({})",
        a.container,
        a.source,
        a.destination,
        report(&r)
    )))
}

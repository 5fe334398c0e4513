//! Pull and push. Credentials never pass through here: the host picks them by registry.

use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::docker::registry;
use wharf_plugin_sdk::jobs::{JobKind, Summary, follow};
use wharf_plugin_sdk::text::human_bytes;
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PullArgs {
    /// `name[:tag]` (default tag latest) or `name@sha256:...`.
    reference: String,
    /// e.g. `linux/arm64`; default: the engine's own.
    #[serde(default)]
    platform: Option<String>,
}

pub(crate) fn pull_image(a: PullArgs, ctx: &Context) -> ToolResult<Output> {
    let job = registry::pull(&a.reference, a.platform.as_deref())?;
    let s = follow(job, JobKind::Pull, ctx)?;
    let mut text = format!("pulled {}", a.reference);
    if let Some(status) = &s.status {
        text.push_str(&format!(": {status}"));
    }
    text.push_str(&transfer(&s, "downloaded", "already present"));
    Ok(Output::text(text))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushArgs {
    /// Local `registry/name[:tag]` (tag_image names it first).
    reference: String,
}

pub(crate) fn push_image(a: PushArgs, ctx: &Context) -> ToolResult<Output> {
    let job = registry::push(&a.reference)?;
    let s = follow(job, JobKind::Push, ctx)?;
    Ok(Output::text(format!(
        "pushed {}{}",
        a.reference,
        transfer(&s, "pushed", "already in the registry")
    )))
}

/// " (digest sha256:...; 2 layers downloaded, 3.1MB; 1 already present)"
fn transfer(s: &Summary, moved: &str, present: &str) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &s.digest {
        parts.push(format!("digest {d}"));
    }
    let mut layers = format!("{} layers {moved}", s.layers_transferred);
    if s.bytes > 0 {
        layers.push_str(&format!(", {}", human_bytes(s.bytes)));
    }
    parts.push(layers);
    if s.layers_present > 0 {
        parts.push(format!("{} {present}", s.layers_present));
    }
    format!(" ({})", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_read_short() {
        let s = Summary {
            digest: Some("sha256:ab".into()),
            layers_transferred: 2,
            layers_present: 1,
            bytes: 3_100_000,
            ..Default::default()
        };
        assert_eq!(
            transfer(&s, "downloaded", "already present"),
            " (digest sha256:ab; 2 layers downloaded, 3.1MB; 1 already present)"
        );
    }
}

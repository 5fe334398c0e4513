use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::docker::containers_read::{self, LogOptions};
use wharf_plugin_sdk::logs::{LogLines, LogQuery, read_lines};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogsArgs {
    container: String,
    /// Last N lines (default 100; 0: all).
    #[serde(default)]
    tail: Option<u32>,
    /// RFC 3339, Unix seconds, or a duration ago (10m, 2h).
    #[serde(default)]
    since: Option<String>,
    /// Same forms as since.
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    timestamps: bool,
    #[serde(default = "yes")]
    stdout: bool,
    #[serde(default = "yes")]
    stderr: bool,
    /// Regex, applied before the byte cap.
    #[serde(default)]
    grep: Option<String>,
    /// Default 16384, at most 262144; newest lines kept.
    #[serde(default)]
    max_bytes: Option<u32>,
}

fn yes() -> bool {
    true
}

pub fn get_container_logs(a: LogsArgs, ctx: &Context) -> ToolResult<Output> {
    if !a.stdout && !a.stderr {
        return Err(ToolError::invalid("choose stdout, stderr or both"));
    }
    let q = LogQuery::parse(
        a.tail,
        a.since.as_deref(),
        a.until.as_deref(),
        a.grep.as_deref(),
        a.max_bytes,
    )?;
    let stream = containers_read::logs(
        &a.container,
        LogOptions {
            stdout: a.stdout,
            stderr: a.stderr,
            since: q.since,
            until: q.until,
            tail: q.tail,
            timestamps: a.timestamps,
        },
    )?;
    let mut kept = LogLines::new(&q, a.stdout && a.stderr);
    read_lines(&stream, ctx, |line, stderr| kept.push(line, stderr))?;
    Ok(Output::text(kept.render(&a.container)))
}

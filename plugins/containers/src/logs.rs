use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::docker::containers_read::{self, LogOptions};
use wharf_plugin_sdk::logs::{LogLines, LogQuery, read_lines};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogsArgs {
    container: String,
    /// Only the last N lines (default 100); 0 means all lines.
    #[serde(default)]
    tail: Option<u32>,
    /// Only lines after this time: RFC 3339 (2026-01-02T15:04:05Z), Unix seconds, or a
    /// duration before now (10m, 2h).
    #[serde(default)]
    since: Option<String>,
    /// Only lines before this time, same formats as since.
    #[serde(default)]
    until: Option<String>,
    /// Prefix each line with its timestamp.
    #[serde(default)]
    timestamps: bool,
    /// Include stdout (default true).
    #[serde(default = "yes")]
    stdout: bool,
    /// Include stderr (default true).
    #[serde(default = "yes")]
    stderr: bool,
    /// Keep only lines matching this regular expression (applied before the byte cap).
    #[serde(default)]
    grep: Option<String>,
    /// Cap on the bytes returned, newest lines kept (default 16384, at most 262144).
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

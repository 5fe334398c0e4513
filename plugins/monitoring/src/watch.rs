//! Follow a container's logs until a line matches, or for a while.

use crate::time;
use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Instant;
use wharf_plugin_sdk::docker::containers_read;
use wharf_plugin_sdk::text::{truncate, untrusted};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

const MAX_TIMEOUT_SECS: u32 = 600;
const DEFAULT_LINES: u32 = 20;
const MAX_LINES: u32 = 200;
const LINE_BYTES: usize = 500;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchArgs {
    container: String,
    /// Regex: return at the first match (else lines until the time is up).
    #[serde(default)]
    pattern: Option<String>,
    /// Default 30, at most 600.
    #[serde(default)]
    timeout_secs: Option<u32>,
    /// Lines since then too: `1m` (ago), a date or Unix seconds.
    #[serde(default)]
    since: Option<String>,
    /// Default 20, at most 200.
    #[serde(default)]
    max_lines: Option<u32>,
}

/// Splits chunks into lines, keeping an unfinished line for the next chunk.
#[derive(Default)]
struct Lines {
    partial: Vec<u8>,
}

impl Lines {
    fn push(&mut self, data: &[u8]) -> Vec<String> {
        self.partial.extend_from_slice(data);
        let mut lines = Vec::new();
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            lines.push(String::from_utf8_lossy(&line).trim_end().to_owned());
        }
        lines
    }

    fn rest(self) -> Option<String> {
        let s = String::from_utf8_lossy(&self.partial).trim_end().to_owned();
        (!s.is_empty()).then_some(s)
    }
}

pub fn watch_logs(a: WatchArgs, ctx: &Context) -> ToolResult<Output> {
    let timeout = a.timeout_secs.unwrap_or(30);
    if timeout == 0 || timeout > MAX_TIMEOUT_SECS {
        return Err(ToolError::invalid(format!(
            "timeout_secs: from 1 to {MAX_TIMEOUT_SECS}"
        )));
    }
    let max_lines = a.max_lines.unwrap_or(DEFAULT_LINES).clamp(1, MAX_LINES) as usize;
    let pattern = a
        .pattern
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| ToolError::invalid(format!("pattern: {e}")))?;
    let since = a
        .since
        .as_deref()
        .map(|s| time::parse("since", s, time::now()))
        .transpose()?;
    let stream = containers_read::follow_logs(&a.container, since, timeout * 1000)?;
    let start = Instant::now();
    let mut lines = Lines::default();
    let mut kept: Vec<String> = Vec::new();
    let mut seen = 0usize;
    let mut keep = |line: String, kept: &mut Vec<String>| {
        seen += 1;
        let matched = pattern.as_ref().is_none_or(|p| p.is_match(&line));
        if matched && kept.len() < max_lines {
            let (l, cut) = truncate(&line, LINE_BYTES);
            kept.push(format!("{l}{}", if cut { "…" } else { "" }));
        }
        matched && pattern.is_some()
    };
    let mut found = false;
    'read: while let Some(chunk) = stream.next()? {
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        for line in lines.push(&chunk.data) {
            if keep(line, &mut kept) {
                found = true;
                break 'read;
            }
        }
    }
    if !found && let Some(last) = lines.rest() {
        found = keep(last, &mut kept);
    }
    drop(stream);
    let waited = start.elapsed().as_secs_f64();
    let ended = if waited + 0.5 < f64::from(timeout) {
        "the container stopped"
    } else {
        "time was up"
    };
    let text = match (&a.pattern, found) {
        (Some(p), true) => format!("`{p}` matched after {waited:.1}s:\n"),
        (Some(p), false) => format!(
            "no line matched `{p}`: {ended} after {waited:.1}s ({} lines seen)\n",
            seen
        ),
        (None, _) => format!("{} lines in {waited:.1}s ({ended}):\n", seen),
    };
    if kept.is_empty() {
        return Ok(Output::text(text.trim_end().to_owned()));
    }
    Ok(Output::text(format!(
        "{text}{}",
        untrusted("logs", &kept.join("\n"))
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_become_lines() {
        let mut l = Lines::default();
        assert_eq!(l.push(b"a\nb"), ["a"]);
        assert_eq!(l.push(b"c\r\nd\n"), ["bc", "d"]);
        assert_eq!(l.push(b"tail"), Vec::<String>::new());
        assert_eq!(l.rest().as_deref(), Some("tail"));
    }
}

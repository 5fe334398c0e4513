use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};
use wharf_plugin_sdk::docker::containers_read::{self, LogOptions, LogSource};
use wharf_plugin_sdk::text::untrusted;
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

const DEFAULT_TAIL: u32 = 100;
const DEFAULT_MAX_BYTES: u32 = 16 * 1024;
const MAX_BYTES: u32 = 256 * 1024;

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
    let max_bytes = a.max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
    if max_bytes == 0 || max_bytes > MAX_BYTES {
        return Err(ToolError::invalid(format!(
            "max_bytes must be between 1 and {MAX_BYTES}"
        )));
    }
    let grep = a
        .grep
        .as_deref()
        .map(|g| {
            Regex::new(g).map_err(|e| ToolError::invalid(format!("grep is not a valid regex: {e}")))
        })
        .transpose()?;
    let now = now_secs();
    let since = a
        .since
        .as_deref()
        .map(|s| parse_time(s, now, "since"))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_time(s, now, "until"))
        .transpose()?;
    let tail = match a.tail.unwrap_or(DEFAULT_TAIL) {
        0 => None,
        n => Some(n),
    };

    let stream = containers_read::logs(
        &a.container,
        LogOptions {
            stdout: a.stdout,
            stderr: a.stderr,
            since,
            until,
            tail,
            timestamps: a.timestamps,
        },
    )?;
    let mut kept = Kept::new(max_bytes as usize, grep, a.stdout && a.stderr);
    let mut partial: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    while let Some(chunk) = stream.next()? {
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        let idx = usize::from(matches!(chunk.source, LogSource::Stderr));
        let buf = &mut partial[idx];
        buf.extend_from_slice(&chunk.data);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            kept.push(&line[..line.len() - 1], idx == 1);
        }
    }
    for (idx, rest) in partial.iter().enumerate() {
        if !rest.is_empty() {
            kept.push(rest, idx == 1);
        }
    }
    Ok(Output::text(kept.render(&a.container)))
}

/// The newest lines that fit the byte cap.
struct Kept {
    lines: VecDeque<String>,
    bytes: usize,
    max_bytes: usize,
    dropped: usize,
    seen: usize,
    grep: Option<Regex>,
    mark_stderr: bool,
}

impl Kept {
    fn new(max_bytes: usize, grep: Option<Regex>, mark_stderr: bool) -> Self {
        Kept {
            lines: VecDeque::new(),
            bytes: 0,
            max_bytes,
            dropped: 0,
            seen: 0,
            grep,
            mark_stderr,
        }
    }

    fn push(&mut self, raw: &[u8], stderr: bool) {
        let text = String::from_utf8_lossy(raw);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if let Some(re) = &self.grep
            && !re.is_match(text)
        {
            return;
        }
        self.seen += 1;
        let line = if stderr && self.mark_stderr {
            format!("[stderr] {text}")
        } else {
            text.to_owned()
        };
        self.bytes += line.len() + 1;
        self.lines.push_back(line);
        while self.bytes > self.max_bytes {
            match self.lines.pop_front() {
                Some(old) => {
                    self.bytes -= old.len() + 1;
                    self.dropped += 1;
                }
                None => break,
            }
        }
    }

    fn render(&self, container: &str) -> String {
        if self.lines.is_empty() {
            let what = if self.grep.is_some() {
                "no log lines matched"
            } else {
                "no log lines"
            };
            return if self.dropped > 0 {
                format!("{what} fit max_bytes ({} lines over the cap)", self.dropped)
            } else {
                format!("{container}: {what}")
            };
        }
        let body: Vec<&str> = self.lines.iter().map(String::as_str).collect();
        let mut text = untrusted("logs", &body.join("\n"));
        if self.dropped > 0 {
            text.push_str(&format!(
                "\n(truncated: showing the last {} of {} lines; narrow with tail, since, grep or \
                 raise max_bytes)",
                self.lines.len(),
                self.seen
            ));
        }
        text
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Unix seconds from RFC 3339, plain Unix seconds, or a duration before `now`.
fn parse_time(s: &str, now: i64, field: &str) -> ToolResult<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    if let Ok(t) = humantime::parse_rfc3339_weak(s) {
        return Ok(t
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0));
    }
    if let Ok(d) = humantime::parse_duration(s) {
        return Ok(now - d.as_secs() as i64);
    }
    Err(ToolError::invalid(format!(
        "{field}: `{s}` is not RFC 3339 (2026-01-02T15:04:05Z), Unix seconds or a duration (10m)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_three_forms() {
        assert_eq!(parse_time("1700000000", 0, "since").unwrap(), 1_700_000_000);
        assert_eq!(parse_time("1970-01-01T00:01:00Z", 0, "since").unwrap(), 60);
        assert_eq!(parse_time("10m", 1000, "since").unwrap(), 400);
        let e = parse_time("yesterday", 0, "since").unwrap_err();
        assert!(e.message.starts_with("since: `yesterday`"));
    }

    #[test]
    fn cap_keeps_newest_lines_and_says_so() {
        let mut k = Kept::new(12, None, false);
        for l in ["one", "two", "three", "four"] {
            k.push(l.as_bytes(), false);
        }
        let out = k.render("c");
        assert!(out.contains("three\nfour"), "{out}");
        assert!(!out.contains("one"));
        assert!(out.contains("showing the last 2 of 4 lines"), "{out}");
    }

    #[test]
    fn grep_filters_before_the_cap() {
        let mut k = Kept::new(1000, Some(Regex::new("err").unwrap()), true);
        k.push(b"ok 1", false);
        k.push(b"error 2", true);
        let out = k.render("c");
        assert!(
            out.contains("[stderr] error 2") && !out.contains("ok 1"),
            "{out}"
        );
        let mut k = Kept::new(1000, Some(Regex::new("nomatch").unwrap()), false);
        k.push(b"ok", false);
        assert_eq!(k.render("c"), "c: no log lines matched");
    }
}

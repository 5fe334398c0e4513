//! Container and swarm task logs made short enough for a model: split into lines, filtered
//! by a regular expression, capped in bytes keeping the newest lines, and merged across
//! containers in time order. Shared by every plugin that shows logs.

use crate::docker::types::DockerError;
use crate::docker::{containers_read, swarm_read};
use crate::text::untrusted;
use crate::{Context, ToolError, ToolResult};
use regex::Regex;
use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

pub const DEFAULT_TAIL: u32 = 100;
pub const DEFAULT_MAX_BYTES: u32 = 16 * 1024;
pub const MAX_BYTES: u32 = 256 * 1024;

/// What a logs call asked for, checked.
pub struct LogQuery {
    /// Unix seconds.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// None: every line.
    pub tail: Option<u32>,
    pub grep: Option<Regex>,
    pub max_bytes: usize,
}

impl LogQuery {
    /// From the arguments as a tool takes them: `tail` 0 means all lines (default 100);
    /// times as [`parse_time`] reads them.
    pub fn parse(
        tail: Option<u32>,
        since: Option<&str>,
        until: Option<&str>,
        grep: Option<&str>,
        max_bytes: Option<u32>,
    ) -> ToolResult<LogQuery> {
        let max_bytes = max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
        if max_bytes == 0 || max_bytes > MAX_BYTES {
            return Err(ToolError::invalid(format!(
                "max_bytes must be between 1 and {MAX_BYTES}"
            )));
        }
        let grep = grep
            .map(|g| {
                Regex::new(g)
                    .map_err(|e| ToolError::invalid(format!("grep is not a valid regex: {e}")))
            })
            .transpose()?;
        let now = now_secs();
        Ok(LogQuery {
            since: since.map(|s| parse_time(s, now, "since")).transpose()?,
            until: until.map(|s| parse_time(s, now, "until")).transpose()?,
            tail: match tail.unwrap_or(DEFAULT_TAIL) {
                0 => None,
                n => Some(n),
            },
            grep,
            max_bytes: max_bytes as usize,
        })
    }
}

/// Declares the argument struct of a tool that merges the logs of several containers or
/// tasks: the tool's own arguments, then `tail`, `since`, `grep`, `timestamps` and
/// `max_bytes`, which every such tool takes alike, and `log_query()` to check them. The
/// caller words `tail`'s description: "per container", "per task".
///
/// A macro, not a `#[serde(flatten)]`ed struct: flattening buffers the arguments before
/// reading them, so a wrong type in `tail` would be reported without naming `tail`.
#[macro_export]
macro_rules! log_args {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($body:tt)* }
        tail = $tail_doc:literal;
    ) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($body)*
            #[doc = $tail_doc]
            #[serde(default)]
            pub tail: Option<u32>,
            /// RFC 3339, Unix seconds, or a duration ago (10m).
            #[serde(default)]
            pub since: Option<String>,
            /// Regex.
            #[serde(default)]
            pub grep: Option<String>,
            #[serde(default)]
            pub timestamps: bool,
            /// Default 16384, at most 262144; newest lines kept.
            #[serde(default)]
            pub max_bytes: Option<u32>,
        }

        impl $name {
            pub fn log_query(&self) -> $crate::ToolResult<$crate::logs::LogQuery> {
                $crate::logs::LogQuery::parse(
                    self.tail,
                    self.since.as_deref(),
                    None,
                    self.grep.as_deref(),
                    self.max_bytes,
                )
            }
        }
    };
}

/// A log the host streams: a container's (`containers-read`) or a swarm task's
/// (`swarm-read`).
pub trait LogChunks {
    /// The next chunk of output, and whether it came from stderr; none at the end.
    fn next_chunk(&self) -> Result<Option<(bool, Vec<u8>)>, DockerError>;
}

impl LogChunks for containers_read::LogStream {
    fn next_chunk(&self) -> Result<Option<(bool, Vec<u8>)>, DockerError> {
        Ok(self.next()?.map(|c| {
            let stderr = matches!(c.source, containers_read::LogSource::Stderr);
            (stderr, c.data)
        }))
    }
}

impl LogChunks for swarm_read::TaskLogStream {
    fn next_chunk(&self) -> Result<Option<(bool, Vec<u8>)>, DockerError> {
        Ok(self.next()?.map(|c| {
            let stderr = matches!(c.source, swarm_read::LogSource::Stderr);
            (stderr, c.data)
        }))
    }
}

/// Read `stream` to its end, handing each line (without its newline) and whether it came
/// from stderr to `each`. Stops with an error once the client cancels.
pub fn read_lines(
    stream: &impl LogChunks,
    ctx: &Context,
    mut each: impl FnMut(&[u8], bool),
) -> ToolResult<()> {
    let mut partial: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    while let Some((stderr, data)) = stream.next_chunk()? {
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        let idx = usize::from(stderr);
        let buf = &mut partial[idx];
        buf.extend_from_slice(&data);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            each(&line[..line.len() - 1], idx == 1);
        }
    }
    for (idx, rest) in partial.iter().enumerate() {
        if !rest.is_empty() {
            each(rest, idx == 1);
        }
    }
    Ok(())
}

/// Read a log that was asked for with timestamps into `lines`, each line keyed by its time
/// (so logs of several containers or tasks merge in order) and prefixed with `prefix`; the
/// timestamp is shown only if `show_timestamps`.
pub fn read_timed(
    stream: &impl LogChunks,
    ctx: &Context,
    lines: &mut LogLines,
    prefix: &str,
    show_timestamps: bool,
) -> ToolResult<()> {
    read_lines(stream, ctx, |line, stderr| match split_timestamp(line) {
        Some((key, ts, rest)) if show_timestamps => {
            lines.push_keyed(key, &format!("{prefix}{ts} "), rest, stderr)
        }
        Some((key, _, rest)) => lines.push_keyed(key, prefix, rest, stderr),
        None => lines.push_keyed(0, prefix, line, stderr),
    })
}

/// A line the engine prefixed with its timestamp (`timestamps: true`): the time in Unix
/// nanoseconds, the timestamp text and the rest of the line.
pub fn split_timestamp(line: &[u8]) -> Option<(u128, &str, &[u8])> {
    let space = line.iter().position(|b| *b == b' ')?;
    let ts = std::str::from_utf8(&line[..space]).ok()?;
    let t = humantime::parse_rfc3339_weak(ts).ok()?;
    let nanos = t.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    Some((nanos, ts, &line[space + 1..]))
}

/// The newest lines that fit the byte cap, each with a key to merge by (a time).
pub struct LogLines {
    lines: VecDeque<(u128, String)>,
    bytes: usize,
    max_bytes: usize,
    dropped: usize,
    seen: usize,
    grep: Option<Regex>,
    mark_stderr: bool,
}

impl LogLines {
    /// `mark_stderr`: prefix stderr lines with `[stderr]` (when both streams are shown).
    pub fn new(query: &LogQuery, mark_stderr: bool) -> Self {
        LogLines {
            lines: VecDeque::new(),
            bytes: 0,
            max_bytes: query.max_bytes,
            dropped: 0,
            seen: 0,
            grep: query.grep.clone(),
            mark_stderr,
        }
    }

    pub fn push(&mut self, raw: &[u8], stderr: bool) {
        self.push_keyed(0, "", raw, stderr);
    }

    /// A line with a merge key and a prefix (`web-1 | `); `grep` looks at the line only.
    pub fn push_keyed(&mut self, key: u128, prefix: &str, raw: &[u8], stderr: bool) {
        let text = String::from_utf8_lossy(raw);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if let Some(re) = &self.grep
            && !re.is_match(text)
        {
            return;
        }
        self.seen += 1;
        let mark = if stderr && self.mark_stderr {
            "[stderr] "
        } else {
            ""
        };
        self.keep(key, format!("{prefix}{mark}{text}"));
    }

    fn keep(&mut self, key: u128, line: String) {
        self.bytes += line.len() + 1;
        self.lines.push_back((key, line));
        while self.bytes > self.max_bytes {
            match self.lines.pop_front() {
                Some((_, old)) => {
                    self.bytes -= old.len() + 1;
                    self.dropped += 1;
                }
                None => break,
            }
        }
    }

    /// The lines of all `parts` in key order (stable: a container's own order is kept),
    /// under one cap.
    pub fn merge(parts: Vec<LogLines>, query: &LogQuery) -> LogLines {
        let mut all: Vec<(u128, String)> = Vec::new();
        let mut merged = LogLines::new(query, false);
        for p in parts {
            merged.seen += p.seen;
            merged.dropped += p.dropped;
            all.extend(p.lines);
        }
        all.sort_by_key(|(k, _)| *k);
        for (k, line) in all {
            merged.keep(k, line);
        }
        merged
    }

    /// The lines fenced as untrusted content, with a note when the cap cut some.
    pub fn render(&self, what: &str) -> String {
        if self.lines.is_empty() {
            let none = if self.grep.is_some() {
                "no log lines matched"
            } else {
                "no log lines"
            };
            return if self.dropped > 0 {
                format!("{none} fit max_bytes ({} lines over the cap)", self.dropped)
            } else {
                format!("{what}: {none}")
            };
        }
        let body: Vec<&str> = self.lines.iter().map(|(_, l)| l.as_str()).collect();
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

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Unix seconds from RFC 3339, plain Unix seconds, or a duration before `now`.
pub fn parse_time(s: &str, now: i64, field: &str) -> ToolResult<i64> {
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

    fn query(max_bytes: u32, grep: Option<&str>) -> LogQuery {
        LogQuery::parse(None, None, None, grep, Some(max_bytes)).unwrap()
    }

    crate::log_args! {
        /// Arguments of a test logs tool.
        pub struct TestLogsArgs {
            /// Which one.
            pub what: String,
        }
        tail = "Last N lines per thing (default 100; 0: all).";
    }

    #[test]
    fn log_args_declare_the_shared_arguments_with_their_descriptions() {
        let schema = serde_json::to_value(schemars::schema_for!(TestLogsArgs)).unwrap();
        let props = schema["properties"].as_object().unwrap();
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["what", "tail", "since", "grep", "timestamps", "max_bytes"]
        );
        assert_eq!(
            props["tail"]["description"],
            "Last N lines per thing (default 100; 0: all)."
        );
        assert_eq!(schema["required"], serde_json::json!(["what"]));
        let a: TestLogsArgs =
            serde_json::from_str(r#"{"what": "x", "tail": 0, "grep": "e"}"#).unwrap();
        assert_eq!((a.what.as_str(), a.timestamps), ("x", false));
        let q = a.log_query().unwrap();
        assert_eq!((q.tail, q.until), (None, None));
        assert!(q.grep.is_some());
        let bad: TestLogsArgs = serde_json::from_str(r#"{"what": "x", "max_bytes": 0}"#).unwrap();
        assert!(bad.log_query().is_err());
        let e = serde_json::from_str::<TestLogsArgs>(r#"{"what": "x", "colour": 1}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `colour`"), "{e}");
    }

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
        let mut k = LogLines::new(&query(12, None), false);
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
        let mut k = LogLines::new(&query(1000, Some("err")), true);
        k.push(b"ok 1", false);
        k.push(b"error 2", true);
        let out = k.render("c");
        assert!(
            out.contains("[stderr] error 2") && !out.contains("ok 1"),
            "{out}"
        );
        let mut k = LogLines::new(&query(1000, Some("nomatch")), false);
        k.push(b"ok", false);
        assert_eq!(k.render("c"), "c: no log lines matched");
    }

    #[test]
    fn merging_orders_by_time_and_keeps_one_cap() {
        let q = query(1000, None);
        let mut a = LogLines::new(&q, false);
        let mut b = LogLines::new(&q, false);
        for (line, to_a) in [
            ("2026-01-01T00:00:01.5Z a1", true),
            ("2026-01-01T00:00:01.25Z b1", false),
            ("2026-01-01T00:00:02Z b2", false),
        ] {
            let (key, _, rest) = split_timestamp(line.as_bytes()).unwrap();
            let who = if to_a { &mut a } else { &mut b };
            who.push_keyed(key, "x | ", rest, false);
        }
        a.push_keyed(
            split_timestamp(b"2026-01-01T00:00:03Z a2").unwrap().0,
            "x | ",
            b"a2",
            false,
        );
        let merged = LogLines::merge(vec![a, b], &q);
        let lines: Vec<&str> = merged.lines.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(lines, ["x | b1", "x | a1", "x | b2", "x | a2"]);
        assert!(split_timestamp(b"no timestamp here").is_none());
    }
}

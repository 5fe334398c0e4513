//! Running a command in a container and rendering what it printed: limits checked, output
//! fenced as untrusted, truncation announced. Shared by every plugin with an exec tool.

use crate::docker::exec::{self, Captured, ExecSpec};
use crate::text::{human_bytes, untrusted};
use crate::{ToolError, ToolResult};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

const DEFAULT_TIMEOUT_SECS: u32 = 30;
const MAX_TIMEOUT_SECS: u32 = 600;
const DEFAULT_MAX_BYTES: u32 = 16 * 1024;
const MAX_BYTES: u32 = 256 * 1024;

/// A command as an argument vector, or a string for `/bin/sh -c`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Command {
    Argv(Vec<String>),
    Shell(String),
}

impl Command {
    pub fn argv(self) -> ToolResult<Vec<String>> {
        match self {
            Command::Argv(v) if v.is_empty() => {
                Err(ToolError::invalid("command must not be empty"))
            }
            Command::Argv(v) => Ok(v),
            Command::Shell(s) if s.trim().is_empty() => {
                Err(ToolError::invalid("command must not be empty"))
            }
            Command::Shell(s) => Ok(vec!["/bin/sh".into(), "-c".into(), s]),
        }
    }
}

/// How to run it.
#[derive(Debug, Default)]
pub struct Options {
    pub env: BTreeMap<String, String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// Default 30, at most 600.
    pub timeout_secs: Option<u32>,
    /// Bytes kept of each of stdout and stderr: default 16384, at most 262144.
    pub max_bytes: Option<u32>,
}

/// Run `command` in `container` and say what happened: the exit code and the output.
pub fn run(container: &str, command: Command, o: Options) -> ToolResult<String> {
    let cmd = command.argv()?;
    let timeout = o.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if timeout == 0 || timeout > MAX_TIMEOUT_SECS {
        return Err(ToolError::invalid(format!(
            "timeout_secs must be between 1 and {MAX_TIMEOUT_SECS}"
        )));
    }
    let max_bytes = o.max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
    if max_bytes == 0 || max_bytes > MAX_BYTES {
        return Err(ToolError::invalid(format!(
            "max_bytes must be between 1 and {MAX_BYTES}"
        )));
    }
    let out = exec::run(
        container,
        &ExecSpec {
            cmd,
            env: o.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            working_dir: o.workdir,
            user: o.user,
            output_limit: max_bytes,
            timeout_ms: timeout * 1000,
        },
    )?;
    let mut text = match out.exit_code {
        Some(code) => format!("exit code {code}"),
        None => format!(
            "still running after {timeout}s: stopped waiting (the process may go on in the \
             container)"
        ),
    };
    for (label, c) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if c.total_bytes > 0 {
            text.push('\n');
            text.push_str(&untrusted(label, &String::from_utf8_lossy(&c.data)));
            text.push_str(&truncation_note(label, c));
        }
    }
    if out.stdout.total_bytes == 0 && out.stderr.total_bytes == 0 {
        text.push_str("; no output");
    }
    Ok(text)
}

fn truncation_note(label: &str, c: &Captured) -> String {
    if c.total_bytes > c.data.len() as u64 {
        format!(
            "\n({label} truncated: first {} of {}; raise max_bytes or filter in the command)",
            human_bytes(c.data.len() as u64),
            human_bytes(c.total_bytes)
        )
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_accepts_argv_or_string() {
        let c: Command = serde_json::from_str(r#""echo hi | wc -c""#).unwrap();
        assert_eq!(c.argv().unwrap(), ["/bin/sh", "-c", "echo hi | wc -c"]);
        let c: Command = serde_json::from_str(r#"["ls","/"]"#).unwrap();
        assert_eq!(c.argv().unwrap(), ["ls", "/"]);
        let c: Command = serde_json::from_str(r#"[]"#).unwrap();
        assert!(c.argv().is_err());
    }

    #[test]
    fn truncation_is_announced() {
        let c = Captured {
            data: b"abc".to_vec(),
            total_bytes: 3000,
        };
        assert!(truncation_note("stdout", &c).contains("first 3B of 3kB"));
        let c = Captured {
            data: b"abc".to_vec(),
            total_bytes: 3,
        };
        assert_eq!(truncation_note("stdout", &c), "");
    }
}

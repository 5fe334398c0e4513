use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use wharf_plugin_sdk::docker::exec::{self, Captured, ExecSpec};
use wharf_plugin_sdk::text::{human_bytes, untrusted};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecArgs {
    container: String,
    /// `["ls", "-l", "/"]`, or a string run with /bin/sh -c.
    command: Command,
    /// Extra environment variables.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Working directory for the command.
    #[serde(default)]
    workdir: Option<String>,
    /// User (name or uid[:gid]) to run as.
    #[serde(default)]
    user: Option<String>,
    /// Stop waiting after this many seconds (default 30, at most 600).
    #[serde(default)]
    timeout_secs: Option<u32>,
    /// Cap on the bytes kept of each of stdout and stderr (default 16384, at most 262144).
    #[serde(default)]
    max_bytes: Option<u32>,
}

pub fn exec_container(a: ExecArgs, _ctx: &Context) -> ToolResult<Output> {
    let cmd = match a.command {
        Command::Argv(v) if v.is_empty() => {
            return Err(ToolError::invalid("command must not be empty"));
        }
        Command::Argv(v) => v,
        Command::Shell(s) if s.trim().is_empty() => {
            return Err(ToolError::invalid("command must not be empty"));
        }
        Command::Shell(s) => vec!["/bin/sh".into(), "-c".into(), s],
    };
    let timeout = a.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if timeout == 0 || timeout > MAX_TIMEOUT_SECS {
        return Err(ToolError::invalid(format!(
            "timeout_secs must be between 1 and {MAX_TIMEOUT_SECS}"
        )));
    }
    let max_bytes = a.max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
    if max_bytes == 0 || max_bytes > MAX_BYTES {
        return Err(ToolError::invalid(format!(
            "max_bytes must be between 1 and {MAX_BYTES}"
        )));
    }
    let out = exec::run(
        &a.container,
        &ExecSpec {
            cmd,
            env: a.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            working_dir: a.workdir,
            user: a.user,
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
    Ok(Output::text(text))
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
        let a: ExecArgs =
            serde_json::from_str(r#"{"container":"c","command":"echo hi | wc -c"}"#).unwrap();
        assert!(matches!(a.command, Command::Shell(_)));
        let a: ExecArgs =
            serde_json::from_str(r#"{"container":"c","command":["ls","/"]}"#).unwrap();
        assert!(matches!(a.command, Command::Argv(v) if v == ["ls", "/"]));
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

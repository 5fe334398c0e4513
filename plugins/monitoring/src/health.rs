//! A container's health and processes.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant};
use wharf_plugin_sdk::docker::containers_read;
use wharf_plugin_sdk::text::{truncate, untrusted};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

const MAX_PROCESSES: usize = 100;
const MAX_WAIT_SECS: u32 = 600;
/// How often the state is read while waiting.
const POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopArgs {
    container: String,
    /// `ps` options (default -ef).
    #[serde(default)]
    ps_args: Option<String>,
}

pub fn container_top(a: TopArgs, _: &Context) -> ToolResult<Output> {
    let top = containers_read::top(&a.container, a.ps_args.as_deref())?;
    let mut text = top.titles.join(" | ");
    text.push('\n');
    for p in top.processes.iter().take(MAX_PROCESSES) {
        text.push_str(&p.join(" | "));
        text.push('\n');
    }
    if top.processes.len() > MAX_PROCESSES {
        text.push_str(&format!(
            "({} more processes not shown)\n",
            top.processes.len() - MAX_PROCESSES
        ));
    }
    // Command lines are chosen by whoever runs the container.
    Ok(Output::text(untrusted("processes", text.trim_end())))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Healthy,
    Unhealthy,
    Exited,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthArgs {
    container: String,
    /// Wait until healthy, unhealthy or exited.
    #[serde(default)]
    wait_for: Option<Target>,
    /// Default 60, at most 600.
    #[serde(default)]
    timeout_secs: Option<u32>,
}

/// The container's state word and health status ("none" without a healthcheck).
fn state_of(v: &Value) -> (String, String) {
    let state = v["State"]["Status"].as_str().unwrap_or("?").to_owned();
    let health = v["State"]["Health"]["Status"]
        .as_str()
        .unwrap_or("none")
        .to_owned();
    (state, health)
}

fn reached(target: Target, state: &str, health: &str) -> bool {
    match target {
        Target::Healthy => health == "healthy",
        Target::Unhealthy => health == "unhealthy",
        Target::Exited => !matches!(state, "running" | "restarting" | "paused" | "created"),
    }
}

/// "healthy, failing streak 0" and the last probes.
fn report(v: &Value) -> String {
    let (state, health) = state_of(v);
    let h = &v["State"]["Health"];
    if health == "none" {
        return format!("state: {state}; no healthcheck is configured");
    }
    let mut text = format!(
        "state: {state}; health: {health}, failing streak {}\n",
        h["FailingStreak"].as_u64().unwrap_or(0)
    );
    let probes: Vec<String> = h["Log"]
        .as_array()
        .map(|log| {
            log.iter()
                .rev()
                .take(5)
                .map(|p| {
                    let output = p["Output"].as_str().unwrap_or("").trim();
                    let (output, cut) = truncate(output, 200);
                    format!(
                        "{} exit {}: {}{}",
                        p["End"]
                            .as_str()
                            .unwrap_or("?")
                            .split('.')
                            .next()
                            .unwrap_or("?"),
                        p["ExitCode"].as_i64().unwrap_or(-1),
                        output,
                        if cut { "…" } else { "" }
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !probes.is_empty() {
        text.push_str("last probes, newest first:\n");
        text.push_str(&untrusted("probes", &probes.join("\n")));
    }
    text.trim_end().to_owned()
}

fn inspect(container: &str) -> ToolResult<Value> {
    Ok(serde_json::from_str(&containers_read::inspect(container)?)?)
}

pub fn container_health(a: HealthArgs, ctx: &Context) -> ToolResult<Output> {
    let timeout = a.timeout_secs.unwrap_or(60);
    if timeout > MAX_WAIT_SECS {
        return Err(ToolError::invalid(format!(
            "timeout_secs: at most {MAX_WAIT_SECS}"
        )));
    }
    let mut v = inspect(&a.container)?;
    let Some(target) = a.wait_for else {
        return Ok(Output::text(report(&v)));
    };
    if target != Target::Exited && state_of(&v).1 == "none" {
        return Err(ToolError::invalid(format!(
            "{} has no healthcheck, so it never becomes {}",
            a.container,
            if target == Target::Healthy {
                "healthy"
            } else {
                "unhealthy"
            }
        )));
    }
    let start = Instant::now();
    let limit = Duration::from_secs(u64::from(timeout));
    loop {
        let (state, health) = state_of(&v);
        let waited = start.elapsed();
        if reached(target, &state, &health) {
            return Ok(Output::text(format!(
                "reached after {:.1}s; {}",
                waited.as_secs_f64(),
                report(&v)
            )));
        }
        if target != Target::Exited && reached(Target::Exited, &state, &health) {
            return Ok(Output::text(format!(
                "the container stopped before it was {}; {}",
                if target == Target::Healthy {
                    "healthy"
                } else {
                    "unhealthy"
                },
                report(&v)
            )));
        }
        if waited >= limit {
            return Ok(Output::text(format!(
                "timed out after {timeout}s; {}",
                report(&v)
            )));
        }
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        ctx.progress(
            waited.as_secs(),
            Some(u64::from(timeout)),
            &format!("state {state}, health {health}"),
        );
        std::thread::sleep(POLL);
        v = inspect(&a.container)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn targets_are_reached_by_state_and_health() {
        assert!(reached(Target::Healthy, "running", "healthy"));
        assert!(!reached(Target::Healthy, "running", "starting"));
        assert!(reached(Target::Exited, "exited", "none"));
        assert!(reached(Target::Exited, "dead", "none"));
        assert!(!reached(Target::Exited, "restarting", "none"));
        let v = json!({"State": {"Status": "running", "Health": {"Status": "unhealthy",
            "FailingStreak": 3, "Log": [{"End": "2026-11-24T10:00:00.123Z", "ExitCode": 1,
            "Output": "connection refused\n"}]}}});
        let r = report(&v);
        assert!(
            r.starts_with("state: running; health: unhealthy, failing streak 3\n"),
            "{r}"
        );
        assert!(
            r.contains("2026-11-24T10:00:00 exit 1: connection refused"),
            "{r}"
        );
    }
}

use schemars::JsonSchema;
use serde::Deserialize;
use wharf_plugin_sdk::docker::containers_read::{self, WaitOutcome, WaitUntil};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

const DEFAULT_TIMEOUT_SECS: u32 = 60;
const MAX_TIMEOUT_SECS: u32 = 600;

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Until {
    /// The container is not running.
    Exited,
    /// The container's healthcheck reports healthy.
    Healthy,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitArgs {
    container: String,
    /// Default exited.
    #[serde(default)]
    until: Option<Until>,
    /// Default 60, at most 600.
    #[serde(default)]
    timeout_secs: Option<u32>,
}

pub fn wait_container(a: WaitArgs, _ctx: &Context) -> ToolResult<Output> {
    let timeout = a.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if timeout == 0 || timeout > MAX_TIMEOUT_SECS {
        return Err(ToolError::invalid(format!(
            "timeout_secs must be between 1 and {MAX_TIMEOUT_SECS}"
        )));
    }
    let until = match a.until.unwrap_or(Until::Exited) {
        Until::Exited => WaitUntil::Exited,
        Until::Healthy => WaitUntil::Healthy,
    };
    let text = match containers_read::wait(&a.container, until, timeout * 1000)? {
        WaitOutcome::Exited(code) => format!("{} exited with code {code}", a.container),
        WaitOutcome::Healthy => format!("{} is healthy", a.container),
        WaitOutcome::Unhealthy => format!("{} is unhealthy", a.container),
        WaitOutcome::TimedOut(state) => {
            format!("timed out after {timeout}s; {} is {state}", a.container)
        }
    };
    Ok(Output::text(text))
}

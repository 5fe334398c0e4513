//! Argument shapes shared by several tools.

use schemars::JsonSchema;
use serde::Deserialize;

/// Just a container.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerArg {
    /// Container name or id (a unique id prefix works).
    pub container: String,
}

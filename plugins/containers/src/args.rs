//! Argument shapes shared by several tools.

use schemars::JsonSchema;
use serde::Deserialize;

/// Just a container.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerArg {
    pub container: String,
}

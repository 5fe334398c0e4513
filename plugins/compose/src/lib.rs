//! The compose tool group: Compose projects handled natively, inside the sandbox. It reads
//! project files only through `read-files` (confined to the allowed roots) and will reach
//! Docker only through the capability interfaces; no docker CLI is run.

mod config;
mod project;

use wharf_plugin_sdk::{Hints, Plugin, PluginInfo, Toolbox};

struct Compose;

impl Plugin for Compose {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "compose",
            env!("CARGO_PKG_VERSION"),
            "Docker Compose projects, natively: validate and show the normalised project",
        )
    }

    fn toolbox() -> Toolbox {
        Toolbox::new()
            .tool(
                "compose_config",
                "Show a compose project",
                "Load a Compose project (files in project_dir, or inline yaml), interpolate \
                 variables from its .env and `env`, merge override files, and show the \
                 normalised services, networks and volumes with any warnings.",
                Hints::read_only().idempotent(),
                config::compose_config,
            )
            .output::<config::ConfigOutput>()
    }
}

wharf_plugin_sdk::export!(Compose);

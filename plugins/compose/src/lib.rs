//! The compose tool group: Compose projects handled natively, inside the sandbox. It reads
//! project files only through `read-files` (confined to the allowed roots) and reaches
//! Docker only through the capability interfaces; no docker CLI is run. Objects get the
//! names and labels Docker Compose gives them, so either tool manages the other's projects.

mod blueprint;
mod config;
mod down;
mod images;
mod lifecycle;
mod names;
mod order;
mod progress;
mod project;
mod ps;
mod state;
mod up;

use wharf_plugin_sdk::{Hints, Plugin, PluginInfo, Toolbox};

struct Compose;

impl Plugin for Compose {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "compose",
            env!("CARGO_PKG_VERSION"),
            "Docker Compose projects, natively: config, up, down, ps, start, stop, restart",
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
            .tool(
                "compose_up",
                "Bring a compose project up",
                "Create the project's networks and volumes, pull or build missing images, and \
                 create and start containers in depends_on order, waiting for healthy or \
                 completed dependencies. Unchanged containers are kept; changed services are \
                 recreated.",
                Hints::write().idempotent(),
                up::compose_up,
            )
            .output::<up::UpOutput>()
            .tool(
                "compose_down",
                "Take a compose project down",
                "Stop and remove a project's containers and networks. Named volumes and images \
                 are kept unless volumes or images is set.",
                Hints::destructive().idempotent(),
                down::compose_down,
            )
            .output::<down::DownOutput>()
            .tool(
                "compose_ps",
                "List a compose project's containers",
                "A project's containers with service, state, status and ports.",
                Hints::read_only(),
                ps::compose_ps,
            )
            .output::<ps::PsOutput>()
            .tool(
                "compose_start",
                "Start a compose project's containers",
                "Start the existing containers of a project, or of some of its services.",
                Hints::write().idempotent(),
                lifecycle::compose_start,
            )
            .tool(
                "compose_stop",
                "Stop a compose project's containers",
                "Stop the containers of a project, or of some of its services, keeping them.",
                Hints::write().idempotent(),
                lifecycle::compose_stop,
            )
            .tool(
                "compose_restart",
                "Restart a compose project's containers",
                "Restart the containers of a project, or of some of its services.",
                Hints::write(),
                lifecycle::compose_restart,
            )
    }
}

wharf_plugin_sdk::export!(Compose);

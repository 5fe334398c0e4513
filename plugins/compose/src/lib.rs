//! The compose tool group: Compose projects handled natively, inside the sandbox. It reads
//! project files only through `read-files` (confined to the allowed roots) and reaches
//! Docker only through the capability interfaces; no docker CLI is run. Objects get the
//! names and labels Docker Compose gives them, so either tool manages the other's projects.

mod blueprint;
mod config;
mod down;
mod exec;
mod images;
mod lifecycle;
mod logs;
mod names;
mod order;
mod progress;
mod ps;
mod run;
mod state;
mod up;

use wharf_plugin_sdk::{Hints, Plugin, PluginInfo, Toolbox};

struct Compose;

impl Plugin for Compose {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "compose",
            env!("CARGO_PKG_VERSION"),
            "Docker Compose projects, natively: config, up, down, ps, logs, exec, run, pull, build",
        )
    }

    fn toolbox() -> Toolbox {
        Toolbox::new()
            .tool(
                "compose_config",
                "Show a compose project",
                "Load, interpolate and merge a Compose project: services, networks, volumes, \
                 warnings. Compose tools find a project by `files` in `project_dir` (default \
                 compose.yaml or docker-compose.yml plus override, in the first allowed root) \
                 or inline `yaml`; `env` beats .env; `project_name` defaults to `name:` or the \
                 directory.",
                Hints::read_only().idempotent(),
                config::compose_config,
            )
            .output::<config::ConfigOutput>()
            .tool(
                "compose_up",
                "Bring a compose project up",
                "Create networks and volumes, pull or build missing images, start containers \
                 in depends_on order; unchanged containers are kept, changed ones recreated.",
                Hints::write().idempotent(),
                up::compose_up,
            )
            .output::<up::UpOutput>()
            .tool(
                "compose_down",
                "Take a compose project down",
                "Stop and remove a project's containers and networks; volumes and images only \
                 if asked.",
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
                "Start a project's existing containers (or some services').",
                Hints::write().idempotent(),
                lifecycle::compose_start,
            )
            .tool(
                "compose_stop",
                "Stop a compose project's containers",
                "Stop a project's containers (or some services'), keeping them.",
                Hints::write().idempotent(),
                lifecycle::compose_stop,
            )
            .tool(
                "compose_restart",
                "Restart a compose project's containers",
                "Restart a project's containers (or some services').",
                Hints::write(),
                lifecycle::compose_restart,
            )
            .tool(
                "compose_logs",
                "Show a compose project's logs",
                "A project's logs in time order, lines prefixed service-number.",
                Hints::read_only(),
                logs::compose_logs,
            )
            .tool(
                "compose_exec",
                "Run a command in a compose service",
                "Run a command in a running container of a project's service.",
                Hints::write(),
                exec::compose_exec,
            )
            .tool(
                "compose_run",
                "Run a one-off command for a compose service",
                "Run a command in a new container of a service, without its dependencies; \
                 returns the exit code and output.",
                Hints::write(),
                run::compose_run,
            )
            .tool(
                "compose_pull",
                "Pull a compose project's images",
                "Pull the images of a project's services.",
                Hints::write().idempotent().open_world(),
                images::compose_pull,
            )
            .tool(
                "compose_build",
                "Build a compose project's images",
                "Build the images of services with a build section.",
                Hints::write(),
                images::compose_build,
            )
    }
}

wharf_plugin_sdk::export!(Compose);

//! The containers tool group: list, inspect, create and run, lifecycle, logs, exec, copy
//! and wait. It sees Docker only through the capability interfaces it imports
//! (containers-read, containers-write, exec, files); the host enforces everything else.

mod args;
mod create;
mod exec;
mod files;
mod inspect;
mod lifecycle;
mod list;
mod logs;
mod wait;

use wharf_plugin_sdk::{Hints, Plugin, PluginInfo, Toolbox};

struct Containers;

impl Plugin for Containers {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "containers",
            env!("CARGO_PKG_VERSION"),
            "Docker containers: list, inspect, create, run, start/stop, logs, exec, copy, wait",
        )
    }

    fn toolbox() -> Toolbox {
        let t = Toolbox::new()
            .tool(
                "list_containers",
                "List containers",
                "Containers as compact rows (id, name, image, state, status, ports); running \
                 ones unless all=true.",
                Hints::read_only(),
                list::list_containers,
            )
            .output::<list::ListOutput>()
            .tool(
                "inspect_container",
                "Inspect a container",
                "A container's config and state (image, command, exit code, health, ports, \
                 mounts, networks, restart, limits); env values redacted unless show_env.",
                Hints::read_only(),
                inspect::inspect_container,
            )
            .output_object()
            .tool(
                "run_container",
                "Run a container",
                "Create and start a container from a local image, like `docker run -d`; \
                 returns its id, name and state.",
                Hints::write(),
                create::run_container,
            )
            .output::<create::Created>();
        let t = lifecycle::register(t);
        t.tool(
            "get_container_logs",
            "Get container logs",
            "A container's logs, newest last, capped in bytes.",
            Hints::read_only(),
            logs::get_container_logs,
        )
        .tool(
            "exec_container",
            "Run a command in a container",
            "Run a command in a running container; returns its exit code, stdout and \
                 stderr (capped). A string runs via /bin/sh -c.",
            Hints::write(),
            exec::exec_container,
        )
        .tool(
            "copy_to_container",
            "Copy into a container",
            "Copy a host file or directory (under the allowed roots) into a container \
                 directory.",
            Hints::write().idempotent(),
            files::copy_to_container,
        )
        .tool(
            "copy_from_container",
            "Copy out of a container",
            "Copy a file or directory from a container into a host directory under the \
                 allowed roots.",
            Hints::write(),
            files::copy_from_container,
        )
        .tool(
            "wait_container",
            "Wait for a container",
            "Wait until a container exits or is healthy; returns the exit code or health.",
            Hints::read_only(),
            wait::wait_container,
        )
    }
}

wharf_plugin_sdk::export!(Containers);

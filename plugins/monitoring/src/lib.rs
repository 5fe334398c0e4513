//! The monitoring tool group: engine information and disk usage, container stats,
//! processes and health, events, and log watching. It imports `containers-read` and
//! `system`, and changes nothing.

mod engine;
mod events;
mod health;
mod stats;
mod time;
mod watch;

use wharf_plugin_sdk::{Hints, Plugin, PluginInfo, Toolbox};

struct Monitoring;

impl Plugin for Monitoring {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "monitoring",
            env!("CARGO_PKG_VERSION"),
            "Watching Docker: engine info, disk usage, stats, processes, events, health, logs",
        )
    }

    fn toolbox() -> Toolbox {
        Toolbox::new()
            .tool(
                "system_info",
                "Engine information",
                "Engine and API version, OS, kernel, CPUs, memory, storage driver, container \
                 and image counts.",
                Hints::read_only(),
                engine::system_info,
            )
            .tool(
                "disk_usage",
                "Disk usage",
                "Space used and reclaimable by images, containers, volumes and build cache \
                 (docker system df).",
                Hints::read_only(),
                engine::disk_usage,
            )
            .tool(
                "container_stats",
                "Container stats",
                "CPU %, memory, network and block I/O, PIDs as docker stats computes them; one \
                 reading, or over `seconds`.",
                Hints::read_only(),
                stats::container_stats,
            )
            .tool(
                "container_top",
                "Container processes",
                "The processes running in a container (docker top).",
                Hints::read_only(),
                health::container_top,
            )
            .tool(
                "docker_events",
                "Docker events",
                "Engine events in a time window, or those of the next `watch_secs` seconds.",
                Hints::read_only(),
                events::docker_events,
            )
            .output::<events::EventsOutput>()
            .tool(
                "container_health",
                "Container health",
                "Health status and the last probes; wait_for waits for healthy, unhealthy or \
                 exited (with progress).",
                Hints::read_only(),
                health::container_health,
            )
            .tool(
                "watch_logs",
                "Watch logs",
                "Follow a container's new log lines for up to timeout_secs, until one matches \
                 `pattern`.",
                Hints::read_only(),
                watch::watch_logs,
            )
    }
}

wharf_plugin_sdk::export!(Monitoring);

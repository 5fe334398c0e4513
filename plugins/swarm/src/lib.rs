//! The swarm tool group: Docker's own cluster engine. The swarm itself (status, init, leave,
//! join tokens), its nodes, services with their tasks and logs, secrets and configs, and
//! stacks (Compose projects deployed to the swarm). It imports `swarm-read` and
//! `swarm-write`, plus `networks` (a stack's overlay networks) and `read-files` (its compose
//! files); withholding `swarm-write` leaves a deployment that can watch a cluster but not
//! change it.

mod cluster;
mod converge;
mod logs;
mod nodes;
mod objects;
mod rows;
mod services;
mod spec;
mod stacks;
mod update;

use wharf_plugin_sdk::{Hints, Plugin, PluginInfo, Toolbox};

struct Swarm;

impl Plugin for Swarm {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "swarm",
            env!("CARGO_PKG_VERSION"),
            "Docker Swarm: the swarm, nodes, services, tasks, logs, secrets, configs and stacks",
        )
    }

    fn toolbox() -> Toolbox {
        let toolbox = Toolbox::new()
            .tool(
                "swarm_status",
                "Swarm status",
                "Whether this engine is in a swarm, as manager or worker; node id, cluster id, \
                 node and manager counts.",
                Hints::read_only(),
                cluster::swarm_status,
            )
            .tool(
                "swarm_init",
                "Create a swarm",
                "Make this engine the first manager of a new swarm (advertise_addr, \
                 listen_addr, default_addr_pool).",
                Hints::write(),
                cluster::swarm_init,
            )
            .tool(
                "swarm_leave",
                "Leave the swarm",
                "Take this engine out of its swarm; a manager needs force. Its services' \
                 tasks on this node stop; the last manager leaving ends the swarm.",
                Hints::destructive(),
                cluster::swarm_leave,
            )
            .tool(
                "swarm_join_token",
                "Swarm join token",
                "The token (and docker swarm join command) that admits a machine as a worker \
                 or a manager. Anyone holding it can join the cluster. The user confirms; a \
                 manager's token is refused unless wharf.toml allows it.",
                // Admitting machines is a change to the whole cluster that no later call
                // can take back from whoever saw the token: asked, like a removal.
                Hints::destructive().idempotent(),
                cluster::swarm_join_token,
            );
        let toolbox = nodes::tools(toolbox);
        let toolbox = services::tools(toolbox);
        let toolbox = objects::tools(toolbox);
        stacks::tools(toolbox)
    }
}

wharf_plugin_sdk::export!(Swarm);

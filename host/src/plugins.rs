//! The built-in plugins, compiled by `build.rs` and embedded in the binary.

use wharf_core::policy::Capability;
pub use wharf_core::registry::Builtin;

pub const BUILTIN: &[Builtin] = &[
    Builtin {
        name: "containers",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/containers.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/containers.wasm.sha256")),
        grants: &[
            Capability::ContainersRead,
            Capability::ContainersWrite,
            Capability::Exec,
            Capability::Files,
        ],
        enabled_by_default: true,
    },
    Builtin {
        name: "networks",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/networks.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/networks.wasm.sha256")),
        grants: &[Capability::Networks],
        enabled_by_default: true,
    },
    Builtin {
        name: "volumes",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/volumes.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/volumes.wasm.sha256")),
        grants: &[Capability::Volumes, Capability::ContainersRead],
        enabled_by_default: true,
    },
    Builtin {
        name: "images",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/images.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/images.wasm.sha256")),
        grants: &[
            Capability::ImagesRead,
            Capability::ImagesWrite,
            Capability::Registry,
            Capability::ImagesBuild,
        ],
        enabled_by_default: true,
    },
    Builtin {
        name: "monitoring",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/monitoring.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/monitoring.wasm.sha256")),
        grants: &[Capability::ContainersRead, Capability::System],
        enabled_by_default: true,
    },
    Builtin {
        name: "compose",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/compose.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/compose.wasm.sha256")),
        grants: &[
            Capability::ReadFiles,
            Capability::ContainersRead,
            Capability::ContainersWrite,
            Capability::Networks,
            Capability::Volumes,
            Capability::ImagesRead,
            Capability::ImagesWrite,
            Capability::Registry,
            Capability::ImagesBuild,
            Capability::Exec,
        ],
        enabled_by_default: true,
    },
    // Swarm: for engines in a cluster; off unless `[plugin.swarm] enabled = true`.
    Builtin {
        name: "swarm",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/swarm.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/swarm.wasm.sha256")),
        grants: &[
            Capability::SwarmRead,
            Capability::SwarmWrite,
            // A stack's overlay networks, and its compose files.
            Capability::Networks,
            Capability::ReadFiles,
        ],
        enabled_by_default: false,
    },
];

/// Runs the filters of the `jq` argument for the host. It is a component like the plugins,
/// so jq's cost stays inside a sandbox's limits, but it serves no tools and imports nothing.
pub const PROJECTOR: Builtin = Builtin {
    name: "jq",
    wasm: include_bytes!(concat!(env!("OUT_DIR"), "/jq.wasm")),
    sha256: include_str!(concat!(env!("OUT_DIR"), "/jq.wasm.sha256")),
    grants: &[],
    enabled_by_default: true,
};

/// The built-in plugin called `name`.
pub fn named(name: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.name == name)
}

//! The built-in plugins, compiled by `build.rs` and embedded in the binary.

use crate::policy::Capability;

pub struct Builtin {
    pub name: &'static str,
    pub wasm: &'static [u8],
    /// SHA-256 of `wasm` (hex), computed by `build.rs`: the plugin cache's key.
    pub sha256: &'static str,
    /// What the plugin is granted unless the config narrows it.
    pub grants: &'static [Capability],
    /// Loaded unless the config disables it. An off-by-default plugin loads with
    /// `[plugin.NAME] enabled = true`: its tools would only take room in every client's
    /// context on engines that do not need them.
    pub enabled_by_default: bool,
}

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

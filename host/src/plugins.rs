//! The built-in plugins, compiled by `build.rs` and embedded in the binary.

use crate::policy::Capability;

pub struct Builtin {
    pub name: &'static str,
    pub wasm: &'static [u8],
    /// SHA-256 of `wasm` (hex), computed by `build.rs`: the plugin cache's key.
    pub sha256: &'static str,
    /// What the plugin is granted unless the config narrows it.
    pub grants: &'static [Capability],
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
    },
    Builtin {
        name: "networks",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/networks.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/networks.wasm.sha256")),
        grants: &[Capability::Networks],
    },
    Builtin {
        name: "volumes",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/volumes.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/volumes.wasm.sha256")),
        grants: &[Capability::Volumes, Capability::ContainersRead],
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
    },
    Builtin {
        name: "monitoring",
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/monitoring.wasm")),
        sha256: include_str!(concat!(env!("OUT_DIR"), "/monitoring.wasm.sha256")),
        grants: &[Capability::ContainersRead, Capability::System],
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
    },
];

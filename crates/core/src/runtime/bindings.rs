//! The one place `bindgen!` runs: host bindings for WIT `wharf:plugin@0.1.0` and
//! `wharf:docker@0.1.0`. A later WIT version gets a sibling module; the linker accepts
//! semver-compatible imports, so plugins built against an older minor keep loading.

wasmtime::component::bindgen!({
    inline: "
        package wharf:host;
        world plugin-host {
            include wharf:plugin/plugin@0.1.0;
            include wharf:docker/capabilities@0.1.0;
            include wharf:http/client@0.1.0;
            include wharf:files/client@0.1.0;
        }
    ",
    path: [
        "../../wit/plugin/0.1.0",
        "../../wit/docker/0.1.0",
        "../../wit/http/0.1.0",
        "../../wit/files/0.1.0",
    ],
    world: "wharf:host/plugin-host",
    imports: { default: async | trappable },
    exports: { default: async },
    additional_derives: [PartialEq],
    with: {
        "wharf:plugin/context.call-context": crate::runtime::context::CallContext,
        "wharf:docker/containers-read.log-stream": crate::adapter::LogStream,
        "wharf:docker/types.job": crate::adapter::Job,
        "wharf:docker/containers-read.stats-stream": crate::adapter::StatsStream,
        "wharf:docker/system.event-stream": crate::adapter::EventStream,
        "wharf:docker/swarm-read.task-log-stream": crate::adapter::TaskLogStream,
    },
});

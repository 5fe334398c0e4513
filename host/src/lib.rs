//! wharf: a Docker MCP server whose tool groups are sandboxed WebAssembly components.
//!
//! One tool call flows down through these modules and its result back up:
//!
//! - [`transport`]: MCP over stdio (rmcp); turns requests into registry calls.
//! - [`registry`]: which tools exist and which plugin serves each.
//! - [`policy`]: what a plugin may import, which host paths it may touch.
//! - [`runtime`]: wasmtime: loading, caching and sandboxing plugin components.
//! - [`docker`]: the only place that talks to the Docker engine (bollard).
//! - [`outgoing`]: the `http` capability: plugins' requests to the hosts granted them.
//! - [`reading`]: the `read-files` capability: host files under the allowed roots.
//! - [`plugins`]: the built-in plugins embedded in the binary.
//! - [`mock`]: the mock host: the runtime with an in-memory Docker, for testing plugins.

pub mod adapter;
pub mod cli;
pub mod config;
pub mod docker;
pub mod engine;
pub mod mock;
pub mod outgoing;
pub mod plugins;
pub mod policy;
pub mod reading;
pub mod registry;
pub mod runtime;
pub mod transport;

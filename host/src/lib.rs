//! wharf: a Docker MCP server whose tool groups are sandboxed WebAssembly components.
//!
//! One tool call flows down through these modules and its result back up:
//!
//! - [`transport`]: MCP over stdio or Streamable HTTP (rmcp); turns requests into calls.
//! - [`registry`]: the call pipeline: which tools exist, which plugin serves each,
//!   argument check, confirmation, engine routing, audit.
//! - [`runtime`]: wasmtime: loading, caching and sandboxing plugin components.
//! - the plugin component, calling the Docker capabilities it imports, served by
//! - [`adapter`]: the one WIT adapter, WIT types to domain types, for every engine;
//! - [`policy`]: the [`policy::Guard`] every Docker request passes (read-only, scope,
//!   provenance, create checks, host paths under the allowed roots), and the other rules:
//!   capabilities, modes, confirmations, audit;
//! - [`engine`]: the engine boundary, domain traits with two implementations:
//!   [`docker`], the only place that talks to a Docker engine (bollard), and [`mock`]'s
//!   in-memory engine for testing plugins.
//!
//! Beside the Docker path: [`outgoing`] (the `http` capability), [`reading`] (the
//! `read-files` capability), [`plugins`] (the built-in plugins embedded in the binary),
//! [`cli`] and [`config`].

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

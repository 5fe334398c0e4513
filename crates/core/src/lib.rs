//! wharf's core: everything between an MCP request and a Docker engine that is neither the
//! transport nor a Docker client, so the real host and the mock host run the same code.
//!
//! One tool call flows down through these modules and its result back up:
//!
//! - [`registry`]: the call pipeline: which tools exist, which plugin serves each,
//!   argument check, confirmation, engine routing, audit.
//! - [`runtime`]: wasmtime: loading, caching and sandboxing plugin components.
//! - the plugin component, calling the Docker capabilities it imports, served by
//! - [`adapter`]: the one WIT adapter, WIT types to domain types, for every engine;
//! - [`policy`]: the [`policy::Guard`] every Docker request passes (read-only, scope,
//!   provenance, create checks, host paths under the allowed roots), and the other rules:
//!   capabilities, modes, confirmations, audit;
//! - [`engine`]: the engine boundary, domain traits implemented by `wharf-docker` (bollard)
//!   and by `wharf-mock`'s in-memory engine.
//!
//! Beside the Docker path: [`outgoing`] (the `http` capability, over the embedder's
//! [`outgoing::Network`]), [`reading`] (the `read-files` capability), [`credentials`]
//! (registry logins) and [`config`] (`wharf.toml`).

pub mod adapter;
pub mod config;
pub mod credentials;
pub mod engine;
pub mod outgoing;
pub mod policy;
pub mod reading;
pub mod registry;
pub mod runtime;

//! wharf: a Docker MCP server whose tool groups are sandboxed WebAssembly components.
//!
//! This crate is the binary's edge: [`transport`] (MCP over stdio or Streamable HTTP,
//! rmcp), [`cli`], [`network`] (the `http` capability's way out) and [`plugins`] (the
//! built-in plugins embedded in the binary). Below it:
//!
//! - `wharf-core`: the call pipeline, the plugin runtime, the WIT adapter, the guard and
//!   the engine boundary;
//! - `wharf-docker`: the engine over the Docker Engine API (bollard).
//!
//! The mock host (`wharf-mock`) and the plugin builder are not part of the binary.

pub mod cli;
pub mod network;
pub mod plugins;
pub mod transport;

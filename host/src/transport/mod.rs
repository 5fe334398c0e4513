//! MCP: tools from the registry, resources and prompts built on them, over stdio or
//! Streamable HTTP (rmcp).
//! The transport never talks to Docker; it turns MCP requests into registry calls and
//! results back into MCP.

mod confirm;
pub mod http;
mod mcp;
mod prompts;
mod resources;
pub mod result;

pub use mcp::{WharfServer, serve_stdio};

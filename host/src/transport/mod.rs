//! MCP: tools from the registry, over stdio (rmcp). The transport never talks to Docker;
//! it turns MCP requests into registry calls and results back into MCP.

mod mcp;
pub mod result;

pub use mcp::{WharfServer, serve_stdio};

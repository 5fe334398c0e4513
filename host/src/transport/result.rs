//! Turning a tool's outcome into what an MCP client receives. `wharf call` prints the same.

use crate::registry::RegistryError;
use crate::runtime::bindings::wharf::plugin::types::ErrorKind;
use crate::runtime::{CallError, Output, ToolDef};
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock, Tool, ToolAnnotations};
use std::sync::Arc;

/// The MCP result of a call: tool failures are results the model reads (`isError`),
/// only an unknown tool is a protocol error.
pub fn to_mcp(outcome: Result<Output, RegistryError>) -> Result<CallToolResult, McpError> {
    match outcome {
        Ok(out) => {
            let mut r = CallToolResult::success(vec![ContentBlock::text(out.text)]);
            r.structured_content = out.structured;
            Ok(r)
        }
        Err(RegistryError::UnknownTool(name)) => Err(McpError::invalid_params(
            format!("unknown tool `{name}`"),
            None,
        )),
        Err(RegistryError::Call(CallError::Tool(e))) => {
            Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "{}: {}",
                kind_words(e.kind),
                e.message
            ))]))
        }
        Err(RegistryError::Call(e)) => Ok(CallToolResult::error(vec![ContentBlock::text(
            e.to_string(),
        )])),
    }
}

fn kind_words(k: ErrorKind) -> &'static str {
    match k {
        ErrorKind::InvalidArguments => "invalid arguments",
        ErrorKind::NotFound => "not found",
        ErrorKind::Conflict => "conflict",
        ErrorKind::Denied => "denied",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Cancelled => "cancelled",
        ErrorKind::Failed => "failed",
    }
}

/// A plugin's tool as MCP lists it.
pub fn to_mcp_tool(t: &ToolDef) -> Tool {
    let mut tool = Tool::new(
        t.name.clone(),
        t.description.clone(),
        Arc::new(t.input_schema.clone()),
    )
    .with_title(t.title.clone())
    .with_annotations(
        ToolAnnotations::with_title(t.title.clone())
            .read_only(t.annotations.read_only)
            .destructive(t.annotations.destructive)
            .idempotent(t.annotations.idempotent)
            .open_world(t.annotations.open_world),
    );
    if let Some(out) = &t.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(out.clone()));
    }
    tool
}

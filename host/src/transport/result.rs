//! Turning a tool's outcome into what an MCP client receives. `wharf call` prints the same.

use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock, Tool, ToolAnnotations};
use std::sync::Arc;
use wharf_core::registry::RegistryError;
use wharf_core::runtime::bindings::wharf::plugin::types::ErrorKind;
use wharf_core::runtime::{Annotations, CallError, Output, ToolDef};

/// Text a single result may carry. Plugins cap their own output far below this; the host
/// enforces it so no plugin can flood a client's context.
pub const MAX_TEXT: usize = 1 << 20;

/// The MCP result of a call: tool failures are results the model reads (`isError`),
/// only an unknown tool is a protocol error.
pub fn to_mcp(outcome: Result<Output, RegistryError>) -> Result<CallToolResult, McpError> {
    match outcome {
        Ok(out) => {
            let mut r = CallToolResult::success(vec![ContentBlock::text(cap(out.text))]);
            r.structured_content = out.structured;
            Ok(r)
        }
        Err(RegistryError::UnknownTool(name)) => Err(McpError::invalid_params(
            format!("unknown tool `{name}`"),
            None,
        )),
        Err(e) => {
            let mut content = vec![ContentBlock::text(cap(error_text(&e)))];
            // What the call did is still worth telling the model; only the structure is
            // withheld.
            if let RegistryError::MalformedResult { text, .. } = e {
                content.push(ContentBlock::text(cap(text)));
            }
            Ok(CallToolResult::error(content))
        }
    }
}

/// A call's text, or its failure as the model reads it (`not found: No such container`),
/// for the resources and prompts built from tool calls.
pub fn to_text(outcome: Result<Output, RegistryError>) -> Result<String, String> {
    match outcome {
        Ok(o) => Ok(cap(o.text)),
        // Resources and prompts carry only the text, which the broken structure spares.
        Err(RegistryError::MalformedResult { text, .. }) => Ok(cap(text)),
        Err(e) => Err(error_text(&e)),
    }
}

fn error_text(e: &RegistryError) -> String {
    match e {
        RegistryError::Call(CallError::Tool(e)) => format!("{}: {}", kind_words(e.kind), e.message),
        e => e.to_string(),
    }
}

fn cap(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let total = text.len();
        text.truncate(end);
        text.push_str(&format!(
            "\n(truncated by wharf: {total} bytes exceed the {MAX_TEXT}-byte limit of one result)"
        ));
    }
    text
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
/// MCP's hints, minus the ones that say what a client assumes anyway: `readOnlyHint` and
/// `idempotentHint` default to false, and destructive/idempotent mean nothing for a
/// read-only tool. `destructiveHint` and `openWorldHint` default to true, so they are
/// always spelled out.
fn annotations(a: &Annotations) -> ToolAnnotations {
    let mut out = ToolAnnotations::new().open_world(a.open_world);
    if a.read_only {
        return out.read_only(true);
    }
    out = out.destructive(a.destructive);
    if a.idempotent {
        out = out.idempotent(true);
    }
    out
}

pub fn to_mcp_tool(t: &ToolDef) -> Tool {
    let mut tool = Tool::new(
        t.name.clone(),
        t.description.clone(),
        Arc::new(t.input_schema.clone()),
    )
    .with_title(t.title.clone())
    .with_annotations(annotations(&t.annotations));
    if let Some(out) = &t.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(out.clone()));
    }
    tool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_text_is_cut_and_says_so() {
        let out = Output {
            text: "é".repeat(MAX_TEXT),
            structured: None,
        };
        let r = to_mcp(Ok(out)).unwrap();
        let ContentBlock::Text(t) = &r.content[0] else {
            panic!("not text")
        };
        assert!(t.text.len() < MAX_TEXT + 200);
        assert!(
            t.text
                .ends_with("exceed the 1048576-byte limit of one result)")
        );
    }

    #[test]
    fn plugin_errors_lead_with_their_kind() {
        let e = wharf_core::runtime::ToolError {
            kind: ErrorKind::NotFound,
            message: "No such container: x".into(),
        };
        let r = to_mcp(Err(RegistryError::Call(CallError::Tool(e)))).unwrap();
        assert_eq!(r.is_error, Some(true));
        let ContentBlock::Text(t) = &r.content[0] else {
            panic!("not text")
        };
        assert_eq!(t.text, "not found: No such container: x");
    }
}

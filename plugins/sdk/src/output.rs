use crate::bindings::wharf::plugin::types::Output as WitOutput;
use serde::Serialize;

/// A successful tool result: text for the model, and optionally structured JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub text: String,
    pub structured: Option<serde_json::Value>,
}

impl Output {
    pub fn text(text: impl Into<String>) -> Self {
        Output {
            text: text.into(),
            structured: None,
        }
    }

    /// Text plus a structured value matching the tool's output schema.
    pub fn structured(text: impl Into<String>, value: &impl Serialize) -> Self {
        Output {
            text: text.into(),
            // Serialising plain data structs cannot fail; a failure would be a bug in the
            // plugin's types, reported as missing structure rather than a trap.
            structured: serde_json::to_value(value).ok(),
        }
    }

    pub(crate) fn into_wit(self) -> WitOutput {
        WitOutput {
            text: self.text,
            structured: self.structured.map(|v| v.to_string()),
        }
    }
}

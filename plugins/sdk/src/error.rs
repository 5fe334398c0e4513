use crate::bindings::wharf::docker::types::{DockerError, ErrorKind as DockerErrorKind};
use crate::bindings::wharf::plugin::types::{ErrorKind, ToolError as WitToolError};
use std::fmt;

/// A failed tool call: a kind the host maps to MCP, and a message the model can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    pub kind: ErrorKind,
    pub message: String,
}

pub type ToolResult<T> = Result<T, ToolError>;

impl ToolError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ToolError {
            kind,
            message: message.into(),
        }
    }

    /// The arguments are wrong: say which one and what is expected.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArguments, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failed, message)
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "cancelled by the client")
    }

    /// Prefix the message with what was being done, keeping the kind.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub(crate) fn into_wit(self) -> WitToolError {
        WitToolError {
            kind: self.kind,
            message: self.message,
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<DockerError> for ToolError {
    fn from(e: DockerError) -> Self {
        let kind = match e.kind {
            DockerErrorKind::NotFound => ErrorKind::NotFound,
            DockerErrorKind::Conflict => ErrorKind::Conflict,
            DockerErrorKind::Invalid => ErrorKind::InvalidArguments,
            DockerErrorKind::Denied => ErrorKind::Denied,
            DockerErrorKind::Unavailable => ErrorKind::Unavailable,
            DockerErrorKind::Timeout => ErrorKind::Timeout,
            DockerErrorKind::Engine => ErrorKind::Failed,
        };
        ToolError::new(kind, e.message)
    }
}

impl From<serde_json::Error> for ToolError {
    /// JSON from the host that does not parse is a host bug, not the caller's.
    fn from(e: serde_json::Error) -> Self {
        ToolError::failed(format!("unexpected JSON from the host: {e}"))
    }
}

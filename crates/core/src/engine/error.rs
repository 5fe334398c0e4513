use crate::policy::PathError;

/// Why a Docker request failed, in the terms plugins see (`wharf:docker/types.error-kind`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DockerError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Conflict,
    Invalid,
    Denied,
    Unavailable,
    Timeout,
    Engine,
}

impl DockerError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DockerError {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    pub fn denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Denied, message)
    }

    pub fn unreachable(endpoint: &str, e: &dyn std::fmt::Display) -> Self {
        Self::new(
            ErrorKind::Unavailable,
            format!("Docker engine unreachable at {endpoint}: {e}"),
        )
    }
}

impl From<PathError> for DockerError {
    fn from(e: PathError) -> Self {
        // A path the policy will not touch (outside the roots, climbing with `..`) is a
        // refusal; only a path that does not exist is something the caller can look up.
        let kind = match e {
            PathError::Outside { .. } | PathError::Invalid { .. } => ErrorKind::Denied,
            PathError::Missing(_) => ErrorKind::NotFound,
        };
        Self::new(kind, e.to_string())
    }
}

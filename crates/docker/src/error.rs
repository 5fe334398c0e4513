//! bollard's errors in the terms plugins see.

use crate::ssh::SshError;
use bollard::errors::Error as BollardError;
use wharf_core::engine::{DockerError, ErrorKind};

/// What a failed bollard request means to the caller: a status the engine answered, or
/// an engine that could not be reached at `endpoint`.
pub fn from_bollard(endpoint: &str, e: BollardError) -> DockerError {
    match e {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => {
            let kind = match status_code {
                404 => ErrorKind::NotFound,
                // 304: already in the requested state (start a running container...).
                304 | 409 => ErrorKind::Conflict,
                400 => ErrorKind::Invalid,
                401 | 403 => ErrorKind::Denied,
                _ => ErrorKind::Engine,
            };
            // A plain-HTTP request to an engine that only speaks TLS (Go's answer).
            if message.contains("HTTP request to an HTTPS server") {
                return DockerError::new(
                    ErrorKind::Unavailable,
                    format!(
                        "the Docker engine at {endpoint} speaks TLS: set DOCKER_TLS_VERIFY \
                         and DOCKER_CERT_PATH, or cert_path for the engine in wharf.toml"
                    ),
                );
            }
            let message = match (status_code, message.trim()) {
                (304, "") => "the container is already in that state".to_owned(),
                (_, "") => format!("the engine answered HTTP {status_code}"),
                (_, m) => m.to_owned(),
            };
            DockerError::new(kind, message)
        }
        BollardError::RequestTimeoutError => DockerError::new(
            ErrorKind::Timeout,
            format!("the Docker engine at {endpoint} did not answer in time"),
        ),
        e @ (BollardError::IOError { .. }
        | BollardError::HyperResponseError { .. }
        | BollardError::HyperLegacyError { .. }
        | BollardError::SocketNotFoundError(_)
        | BollardError::HttpClientError { .. }) => match find::<SshError>(&e) {
            Some(ssh) => {
                let kind = if ssh.is_refusal() {
                    ErrorKind::Denied
                } else {
                    ErrorKind::Unavailable
                };
                DockerError::new(
                    kind,
                    format!("Docker engine unreachable at {endpoint}: {ssh}"),
                )
            }
            None => DockerError::unreachable(endpoint, &root_cause(&e)),
        },
        // An error inside a progress stream (a failed build step, a refused layer): the
        // engine's words, without bollard's prefix.
        BollardError::DockerStreamError { error } => DockerError::new(ErrorKind::Engine, error),
        e => DockerError::new(ErrorKind::Engine, e.to_string()),
    }
}

/// The innermost cause ("Connection refused"), which says more than the client's wrapper
/// ("client error (Connect)").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    innermost(e).to_string()
}

/// Whether `e` is about the connection to the engine rather than an answer from it.
pub(super) fn is_connection(e: &BollardError) -> bool {
    matches!(
        e,
        BollardError::IOError { .. }
            | BollardError::HyperResponseError { .. }
            | BollardError::HyperLegacyError { .. }
    )
}

/// The first error of type `T` in `e`'s source chain.
pub(super) fn find<'e, T: std::error::Error + 'static>(
    e: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut inner = Some(e);
    while let Some(e) = inner {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        inner = next(e);
    }
    None
}

/// The error `e` wraps. An `io::Error`'s `source` skips the error it wraps, so that one is
/// taken instead.
fn next<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> Option<&'e (dyn std::error::Error + 'static)> {
    match e.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|e| e as &(dyn std::error::Error + 'static)),
        None => e.source(),
    }
}

/// The last error of `e`'s source chain.
pub(super) fn innermost<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> &'e (dyn std::error::Error + 'static) {
    let mut inner = e;
    while let Some(e) = next(inner) {
        inner = e;
    }
    inner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_map_by_status() {
        let e = |status_code, message: &str| {
            from_bollard(
                "unix:///x",
                BollardError::DockerResponseServerError {
                    status_code,
                    message: message.into(),
                },
            )
        };
        assert_eq!(e(404, "No such container: a").kind, ErrorKind::NotFound);
        assert_eq!(
            e(404, "No such container: a").message,
            "No such container: a"
        );
        assert_eq!(e(409, "in use").kind, ErrorKind::Conflict);
        assert_eq!(e(304, "").message, "the container is already in that state");
        assert_eq!(e(500, "").message, "the engine answered HTTP 500");
    }

    #[test]
    fn a_missing_socket_names_the_endpoint() {
        let e = from_bollard(
            "unix:///nope.sock",
            BollardError::SocketNotFoundError("/nope.sock".into()),
        );
        assert_eq!(e.kind, ErrorKind::Unavailable);
        assert!(
            e.message
                .starts_with("Docker engine unreachable at unix:///nope.sock")
        );
    }
}

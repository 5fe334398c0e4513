//! Plain requests to the engine, for what bollard's models cannot carry.
//!
//! bollard's models follow the newest Engine API, so a field an older engine sends is lost
//! in deserialisation: `/system/df` before API 1.52 (`LayersSize`, `Images`, `Volumes`...)
//! comes back empty. Plugins are promised Docker's JSON in the engine's own shape, so these
//! few requests read the bytes themselves. A service update goes out here too: its
//! `version` is a 64-bit raft index, which bollard's query type holds in 32 bits.

use super::ErrorKind;
use super::tls::exchange;
use super::{DockerError, Engine};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use std::time::Duration;

/// Larger answers are refused rather than buffered.
const MAX_BODY: usize = 64 << 20;

/// GET `path` (like `/system/df`) on the negotiated API version; the body on success.
pub(super) async fn get(
    engine: &Engine,
    path: &str,
    timeout: Duration,
) -> Result<Bytes, DockerError> {
    let request = hyper::Request::get(versioned(engine, path).await?)
        .body(Full::new(Bytes::new()))
        .map_err(|e| DockerError::invalid(e.to_string()))?;
    within(engine, timeout, send(engine, request)).await
}

/// POST `body` (JSON) to `path` with `headers`; the answer's body on success.
pub(super) async fn post_json(
    engine: &Engine,
    path: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
    timeout: Duration,
) -> Result<Bytes, DockerError> {
    let mut request = hyper::Request::post(versioned(engine, path).await?)
        .header(hyper::header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| DockerError::invalid(e.to_string()))?;
    within(engine, timeout, send(engine, request)).await
}

/// `path` on the negotiated API version.
async fn versioned(engine: &Engine, path: &str) -> Result<String, DockerError> {
    let version = engine.client().await?.client_version();
    Ok(format!("/v{version}{path}"))
}

async fn within(
    engine: &Engine,
    timeout: Duration,
    request: impl Future<Output = Result<Bytes, DockerError>>,
) -> Result<Bytes, DockerError> {
    match tokio::time::timeout(timeout, request).await {
        Ok(r) => r,
        Err(_) => Err(DockerError::new(
            ErrorKind::Timeout,
            format!(
                "the Docker engine at {} did not answer in time",
                engine.endpoint()
            ),
        )),
    }
}

async fn send(
    engine: &Engine,
    mut request: hyper::Request<Full<Bytes>>,
) -> Result<Bytes, DockerError> {
    let endpoint = engine.endpoint();
    let unreachable = |e: &dyn std::fmt::Display| DockerError::unreachable(endpoint, e);
    request.headers_mut().insert(
        hyper::header::HOST,
        hyper::header::HeaderValue::from_static("docker"),
    );
    let response = if let Some(ssh) = engine.ssh() {
        Ok(ssh
            .send_raw(request)
            .await
            .map_err(|e| engine.error(bollard::errors::Error::from(e)))?)
    } else if let Some(tls) = engine.tls().await? {
        let stream = tls.connect().await.map_err(|e| unreachable(&e))?;
        exchange(stream, request).await
    } else if let Some(path) = endpoint.strip_prefix("unix://") {
        let stream = tokio::net::UnixStream::connect(path)
            .await
            .map_err(|e| unreachable(&e))?;
        exchange(stream, request).await
    } else if let Some(addr) = endpoint.strip_prefix("tcp://") {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| unreachable(&e))?;
        exchange(stream, request).await
    } else {
        return Err(DockerError::invalid(format!(
            "this request needs a unix://, tcp:// or ssh:// engine endpoint, not {endpoint}"
        )));
    }
    .map_err(|e| unreachable(&e))?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| DockerError::new(ErrorKind::Engine, format!("reading the answer: {e}")))?
        .to_bytes();
    if status.is_success() {
        return Ok(body);
    }
    // The engine's errors are `{"message": "..."}`; classify them as bollard's are.
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    Err(crate::error::from_bollard(
        endpoint,
        bollard::errors::Error::DockerResponseServerError {
            status_code: status.as_u16(),
            message,
        },
    ))
}

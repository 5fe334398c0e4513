//! MCP over Streamable HTTP (rmcp's server transport, on hyper): one wharf for many clients.
//!
//! Every request must carry the bearer token. rmcp itself checks the `Host` header (loopback
//! names unless configured) and the `Origin` header (refused unless allowed), which stops a
//! web page from reaching wharf through DNS rebinding. Each client gets its own session:
//! one client's cancellation or crash does not touch another's.

use super::mcp::WharfServer;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long in-flight requests get to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Who may talk to the HTTP endpoint.
#[derive(Clone)]
pub struct HttpAccess {
    /// The bearer token every request must carry.
    pub token: String,
    /// `Host` header values accepted; empty means rmcp's loopback default.
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted; a request with any other `Origin` is refused.
    pub allowed_origins: Vec<String>,
}

impl std::fmt::Debug for HttpAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAccess")
            .field("token", &"<redacted>")
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

/// A fresh random token: 32 bytes, hex.
pub fn generate_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Serve MCP at `/mcp` on `listener` until `shutdown` resolves; then stop accepting, cancel
/// the sessions (their in-flight calls are cancelled) and give open requests
/// [`SHUTDOWN_GRACE`] to finish.
pub async fn serve_http(
    server: WharfServer,
    listener: TcpListener,
    access: HttpAccess,
    shutdown: impl Future<Output = ()>,
) {
    let sessions = CancellationToken::new();
    let mut config = StreamableHttpServerConfig::default()
        .with_allowed_origins(access.allowed_origins.clone())
        .enforce_origin_validation()
        .with_cancellation_token(sessions.child_token());
    if !access.allowed_hosts.is_empty() {
        config = config.with_allowed_hosts(access.allowed_hosts.clone());
    }
    let mcp = Arc::new(StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    ));
    let token = Arc::new(access.token);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!("cannot accept an HTTP connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let (mcp, token) = (mcp.clone(), token.clone());
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let (mcp, token) = (mcp.clone(), token.clone());
            async move { Ok::<_, Infallible>(route(&mcp, &token, req).await) }
        });
        let conn = auto::Builder::new(TokioExecutor::new())
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, "HTTP connection ended: {e}");
            }
        });
    }
    tracing::info!("shutting down: cancelling sessions, finishing open requests");
    sessions.cancel();
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "open HTTP connections did not finish within {} s; closing them",
            SHUTDOWN_GRACE.as_secs()
        );
    }
}

type Body = BoxBody<Bytes, Infallible>;

async fn route(
    mcp: &StreamableHttpService<WharfServer, LocalSessionManager>,
    token: &str,
    req: Request<Incoming>,
) -> Response<Body> {
    if req.uri().path() != "/mcp" {
        return plain(StatusCode::NOT_FOUND, "not found: MCP is served at /mcp\n");
    }
    if !authorized(&req, token) {
        let mut r = plain(
            StatusCode::UNAUTHORIZED,
            "unauthorized: send the token as `Authorization: Bearer TOKEN`\n",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    mcp.handle(req).await
}

fn authorized(req: &Request<Incoming>, token: &str) -> bool {
    let Some(given) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    constant_time_eq(given.trim().as_bytes(), token.as_bytes())
}

/// Compare without an early exit, so response timing does not reveal how much of a guess
/// was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_compared_whole() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(constant_time_eq(a.as_bytes(), a.as_bytes()));
        assert!(!constant_time_eq(a.as_bytes(), b.as_bytes()));
        assert!(!constant_time_eq(&a.as_bytes()[..10], a.as_bytes()));
    }
}

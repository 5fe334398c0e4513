//! The `http` capability (`wharf:http/outgoing`): a plugin's HTTP requests, sent only to the
//! hosts its `http_hosts` grant names, with the registry logins the host holds added on
//! request so the plugin never sees a password. Redirects are not followed: a plugin that
//! follows one sends a new request, checked like any other.
//!
//! The checks are here; carrying a request that passed them is the embedder's
//! [`Network`]: the real one in the `wharf` binary, none (or a scripted one) in the mock
//! host, so a plugin's test is refused exactly what wharf refuses.

use crate::credentials::CredentialStore;
use crate::runtime::bindings::wharf::http::outgoing::{self as o, ErrorKind, HttpError};
use crate::runtime::state::CallState;
use async_trait::async_trait;
use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Uri};
use std::time::Duration;
use wasmtime::component::HasData;

/// Past this a request is refused, whatever the plugin asks: a call has its own deadline
/// too, but a plugin should not hold a connection open for that long.
const MAX_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest body a plugin may ask to receive: it lands in the plugin's memory.
const MAX_BODY: u32 = 32 << 20;

/// Where a granted request goes: `host:port`, over TLS when `https`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub host: String,
    pub port: u16,
    pub https: bool,
}

/// Why a request that the policy let through got no answer.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("{0}")]
    Unreachable(String),
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
}

/// What carries the http capability's requests once the policy has let them through.
#[async_trait]
pub trait Network: Send + Sync {
    /// Send `request` (origin-form URI, `Host` set) to `to` and read its answer, refusing a
    /// body past `limit` bytes. Deadlines are the caller's.
    async fn exchange(
        &self,
        to: &Destination,
        request: http::Request<Bytes>,
        limit: usize,
    ) -> Result<http::Response<Vec<u8>>, NetworkError>;
}

/// No way out: every granted request fails as unreachable. The default until the embedder
/// provides one; the mock host's unless a test scripts one.
pub struct NoNetwork;

#[async_trait]
impl Network for NoNetwork {
    async fn exchange(
        &self,
        to: &Destination,
        _: http::Request<Bytes>,
        _: usize,
    ) -> Result<http::Response<Vec<u8>>, NetworkError> {
        Err(NetworkError::Unreachable(format!(
            "cannot reach {}:{}: this host has no network for plugins",
            to.host, to.port
        )))
    }
}

/// The capability's view of a call.
pub struct HttpHost<'a> {
    plugin: &'a str,
    hosts: &'a [String],
    credentials: &'a CredentialStore,
    network: &'a dyn Network,
}

/// Marker for `add_to_linker`.
pub struct HttpData;

impl HasData for HttpData {
    type Data<'a> = HttpHost<'a>;
}

impl HttpData {
    pub fn view(s: &mut CallState) -> HttpHost<'_> {
        HttpHost {
            plugin: &s.plugin,
            hosts: &s.http_hosts,
            credentials: &s.services.credentials,
            network: &*s.services.network,
        }
    }
}

fn error(kind: ErrorKind, message: impl Into<String>) -> HttpError {
    HttpError {
        kind,
        message: message.into(),
    }
}

/// Whether `host:port` is granted: an entry `host` grants every port, `host:port` one.
pub fn granted(hosts: &[String], host: &str, port: u16) -> bool {
    hosts.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        match entry
            .rsplit_once(':')
            .filter(|(_, p)| p.parse::<u16>().is_ok())
        {
            Some((h, p)) => h == host && p.parse() == Ok(port),
            None => entry == host,
        }
    })
}

/// `host[:port]` of an authority, the port defaulted by the scheme.
fn split_authority(authority: &str, https: bool) -> (String, u16) {
    let default = if https { 443 } else { 80 };
    match authority
        .rsplit_once(':')
        .filter(|(_, p)| p.parse::<u16>().is_ok())
    {
        Some((h, p)) => (h.to_ascii_lowercase(), p.parse().unwrap_or(default)),
        None => (authority.to_ascii_lowercase(), default),
    }
}

impl HttpHost<'_> {
    fn refusal(&self, what: &str) -> HttpError {
        error(
            ErrorKind::Denied,
            format!(
                "plugin `{}` may not reach {what}: add it to http_hosts in [plugin.{}] of \
                 wharf.toml (granted: {})",
                self.plugin,
                self.plugin,
                if self.hosts.is_empty() {
                    "none".to_owned()
                } else {
                    self.hosts.join(", ")
                }
            ),
        )
    }

    async fn send(&self, req: o::Request) -> Result<o::Response, HttpError> {
        let uri: Uri = req.url.parse().map_err(|e| {
            error(
                ErrorKind::Invalid,
                format!("`{}` is not a URL: {e}", req.url),
            )
        })?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(error(
                    ErrorKind::Invalid,
                    format!("`{}` is not an absolute http:// or https:// URL", req.url),
                ));
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| error(ErrorKind::Invalid, format!("`{}` names no host", req.url)))?;
        if authority.as_str().contains('@') {
            return Err(error(
                ErrorKind::Invalid,
                "credentials in the URL are refused; the host adds logins it holds",
            ));
        }
        let (host, port) = split_authority(authority.as_str(), https);
        if !granted(self.hosts, &host, port) {
            return Err(self.refusal(&format!("{host}:{port}")));
        }
        let method: Method = match req.method.to_ascii_uppercase().as_str() {
            m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE") => m
                .parse()
                .map_err(|_| error(ErrorKind::Invalid, "bad method"))?,
            other => {
                return Err(error(
                    ErrorKind::Invalid,
                    format!("method `{other}` is not one of GET, HEAD, POST, PUT, PATCH, DELETE"),
                ));
            }
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let mut builder = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, authority.as_str())
            .header(
                http::header::USER_AGENT,
                concat!("wharf/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in &req.headers {
            if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(registry) = &req.credentials_for {
            let (rhost, rport) = split_authority(registry, https);
            if !granted(self.hosts, &rhost, rport) {
                return Err(self.refusal(&format!("the login for {registry}")));
            }
            let found = self
                .credentials
                .for_registry(registry)
                .await
                .map_err(|e| error(ErrorKind::Invalid, e.message))?;
            if let Some(found) = found {
                let user = found.auth.username.unwrap_or_default();
                let password = found.auth.password.unwrap_or_default();
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                builder = builder.header(http::header::AUTHORIZATION, format!("Basic {basic}"));
            }
        }
        let request = builder
            .body(Bytes::from(req.body))
            .map_err(|e| error(ErrorKind::Invalid, format!("the request is malformed: {e}")))?;
        let timeout = Duration::from_millis(u64::from(req.timeout_ms)).min(MAX_TIMEOUT);
        let limit = req.max_body.min(MAX_BODY) as usize;
        let to = Destination {
            host: host.clone(),
            port,
            https,
        };
        let exchange = async {
            let response =
                self.network
                    .exchange(&to, request, limit)
                    .await
                    .map_err(|e| match e {
                        NetworkError::Unreachable(m) => error(ErrorKind::Unreachable, m),
                        NetworkError::TooLarge(limit) => error(
                            ErrorKind::TooLarge,
                            format!("the response from {host} is larger than {limit} bytes"),
                        ),
                    })?;
            let (parts, body) = response.into_parts();
            Ok(o::Response {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(error(
                ErrorKind::Timeout,
                format!(
                    "{host}:{port} did not answer within {} ms",
                    timeout.as_millis()
                ),
            )),
        }
    }
}

impl o::Host for HttpHost<'_> {
    async fn send(
        &mut self,
        request: o::Request,
    ) -> wasmtime::Result<Result<o::Response, HttpError>> {
        Ok(HttpHost::send(self, request).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_match_host_and_port() {
        let hosts = vec![
            "127.0.0.1:5000".to_owned(),
            "Registry.Example.com".to_owned(),
        ];
        assert!(granted(&hosts, "127.0.0.1", 5000));
        assert!(!granted(&hosts, "127.0.0.1", 5001));
        assert!(granted(&hosts, "registry.example.com", 443));
        assert!(granted(&hosts, "registry.example.com", 8443));
        assert!(!granted(&hosts, "evil.example.com", 443));
        assert!(!granted(&[], "127.0.0.1", 80));
    }

    #[test]
    fn authorities_split_with_scheme_defaults() {
        assert_eq!(
            split_authority("Example.com", true),
            ("example.com".into(), 443)
        );
        assert_eq!(
            split_authority("example.com:8080", false),
            ("example.com".into(), 8080)
        );
        assert_eq!(
            split_authority("example.com", false),
            ("example.com".into(), 80)
        );
    }
}

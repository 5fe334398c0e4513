//! The `http` capability (`wharf:http/outgoing`): a plugin's HTTP requests, sent only to the
//! hosts its `http_hosts` grant names, with the registry logins the host holds added on
//! request so the plugin never sees a password. Redirects are not followed: a plugin that
//! follows one sends a new request, checked like any other.

use crate::docker::CredentialStore;
use crate::runtime::bindings::wharf::http::outgoing::{self as o, ErrorKind, HttpError};
use crate::runtime::state::CallState;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::http::{Method, Uri};
use rustls::ClientConfig;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use wasmtime::component::HasData;

/// Past this a request is refused, whatever the plugin asks: a call has its own deadline
/// too, but a plugin should not hold a connection open for that long.
const MAX_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest body a plugin may ask to receive: it lands in the plugin's memory.
const MAX_BODY: u32 = 32 << 20;

/// The capability's view of a call.
pub struct HttpHost<'a> {
    plugin: &'a str,
    hosts: &'a [String],
    credentials: &'a CredentialStore,
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
        }
    }
}

fn error(kind: ErrorKind, message: impl Into<String>) -> HttpError {
    HttpError {
        kind,
        message: message.into(),
    }
}

/// The web's public roots (Mozilla's): the registries plugins reach are public servers, or
/// plain-HTTP ones on the local network.
static TLS: LazyLock<Result<Arc<ClientConfig>, String>> = LazyLock::new(|| {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
        .map_err(|e| e.to_string())
});

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
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, authority.as_str())
            .header(
                hyper::header::USER_AGENT,
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
                builder = builder.header(hyper::header::AUTHORIZATION, format!("Basic {basic}"));
            }
        }
        let request = builder
            .body(Full::new(Bytes::from(req.body)))
            .map_err(|e| error(ErrorKind::Invalid, format!("the request is malformed: {e}")))?;
        let timeout = Duration::from_millis(u64::from(req.timeout_ms)).min(MAX_TIMEOUT);
        let limit = req.max_body.min(MAX_BODY) as usize;
        let exchange = async {
            let response = connect_and_send(&host, port, https, request).await?;
            let (parts, mut body) = response.into_parts();
            let mut data = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    error(
                        ErrorKind::Unreachable,
                        format!("reading the response from {host}: {e}"),
                    )
                })?;
                if let Some(chunk) = frame.data_ref() {
                    if data.len() + chunk.len() > limit {
                        return Err(error(
                            ErrorKind::TooLarge,
                            format!("the response from {host} is larger than {limit} bytes"),
                        ));
                    }
                    data.extend_from_slice(chunk);
                }
            }
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
                body: data,
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

async fn connect_and_send(
    host: &str,
    port: u16,
    https: bool,
    request: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, HttpError> {
    let unreachable = |e: &dyn std::fmt::Display| {
        error(
            ErrorKind::Unreachable,
            format!("cannot reach {host}:{port}: {e}"),
        )
    };
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| unreachable(&e))?;
    let sent = if https {
        let config = TLS.as_ref().map_err(|e| unreachable(e))?;
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| unreachable(&e))?;
        let tls = tokio_rustls::TlsConnector::from(config.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| unreachable(&e))?;
        crate::docker::tls::exchange(tls, request).await
    } else {
        crate::docker::tls::exchange(tcp, request).await
    };
    sent.map_err(|e| unreachable(&e))
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

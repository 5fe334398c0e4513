//! The `http` capability's way out: requests the policy in `wharf_core::outgoing` let
//! through, sent over TCP, with TLS trusting the web's public roots (Mozilla's list, as
//! data: no system store to read or get wrong).

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls::ClientConfig;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};
use wharf_core::outgoing::{self, Destination, Network, NetworkError};

/// The internet, as the machine wharf runs on reaches it.
pub struct Internet;

/// The registries plugins reach are public servers, or plain-HTTP ones on the local network.
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

/// Where to connect for `host`: an address granted as such, or the first address a granted
/// name resolves to that a name may lead to (see [`wharf_core::outgoing::reachable_by_name`]).
async fn address(host: &str, port: u16) -> Result<SocketAddr, NetworkError> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| NetworkError::Unreachable(format!("cannot resolve {host}: {e}")))?
        .collect();
    match found.iter().find(|a| outgoing::reachable_by_name(a.ip())) {
        Some(a) => Ok(*a),
        None => Err(NetworkError::Refused(format!(
            "{host} resolves to {} only, which a grant by name does not reach (loopback, \
             or link-local such as a metadata service); to allow it, grant the address itself \
             in http_hosts",
            found
                .iter()
                .map(|a| a.ip().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[async_trait]
impl Network for Internet {
    async fn exchange(
        &self,
        to: &Destination,
        request: http::Request<Bytes>,
        limit: usize,
    ) -> Result<http::Response<Vec<u8>>, NetworkError> {
        let Destination { host, port, https } = to;
        let unreachable = |e: &dyn std::fmt::Display| {
            NetworkError::Unreachable(format!("cannot reach {host}:{port}: {e}"))
        };
        let request = request.map(Full::new);
        // Resolved once, checked, and connected to as checked: a name cannot answer one
        // address to the check and another to the connection.
        let address = address(host, *port).await?;
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| unreachable(&e))?;
        let sent = if *https {
            let config = TLS.as_ref().map_err(|e| unreachable(e))?;
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| unreachable(&e))?;
            let tls = tokio_rustls::TlsConnector::from(config.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| unreachable(&e))?;
            wharf_docker::tls::exchange(tls, request).await
        } else {
            wharf_docker::tls::exchange(tcp, request).await
        };
        let response = sent.map_err(|e| unreachable(&e))?;
        let (parts, mut body) = response.into_parts();
        let mut data = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                NetworkError::Unreachable(format!("reading the response from {host}: {e}"))
            })?;
            if let Some(chunk) = frame.data_ref() {
                if data.len() + chunk.len() > limit {
                    return Err(NetworkError::TooLarge(limit));
                }
                data.extend_from_slice(chunk);
            }
        }
        Ok(http::Response::from_parts(parts, data))
    }
}

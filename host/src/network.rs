//! The `http` capability's way out: requests the policy in `wharf_core::outgoing` let
//! through, sent over TCP, with TLS trusting the web's public roots (Mozilla's list, as
//! data: no system store to read or get wrong).

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls::ClientConfig;
use std::sync::{Arc, LazyLock};
use wharf_core::outgoing::{Destination, Network, NetworkError};

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
        let tcp = tokio::net::TcpStream::connect((host.as_str(), *port))
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

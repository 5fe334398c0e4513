//! TLS to a `tcp://` engine, as `dockerd --tlsverify` expects it: the engine's certificate
//! checked against the configured CA only (not the system's roots), and a client certificate
//! presented when one is configured.
//!
//! bollard's own TLS client also trusts every system root and reads certificates lazily;
//! this one trusts exactly what the user named and reports a bad file at connect time, with
//! its path. Each request gets its own connection, as bollard's does.

use super::DockerError;
use super::ErrorKind;
use super::endpoint::TlsFiles;
use hyper::body::{Body, Incoming};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Opens TLS connections to one engine.
#[derive(Clone)]
pub struct TlsConnector {
    addr: String,
    server_name: ServerName<'static>,
    config: Arc<ClientConfig>,
}

impl TlsConnector {
    /// A connector for `addr` (`host:port`) with the files of `tls`; a file that cannot be
    /// read or parsed is an error naming it.
    pub fn new(addr: &str, tls: &TlsFiles) -> Result<Self, DockerError> {
        let host = addr
            .rsplit_once(':')
            .map_or(addr, |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let server_name = ServerName::try_from(host.to_owned()).map_err(|e| {
            DockerError::invalid(format!(
                "`{host}` cannot be checked against a certificate: {e}"
            ))
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(addr, &e))?;
        let builder = if tls.verify {
            let ca = tls.ca.as_deref().ok_or_else(|| {
                DockerError::invalid(format!(
                    "TLS to {addr} is verified, but no CA certificate (ca.pem) is configured"
                ))
            })?;
            let mut roots = RootCertStore::empty();
            for cert in certificates(ca)? {
                roots.add(cert).map_err(|e| bad_file(ca, &e))?;
            }
            builder.with_root_certificates(roots)
        } else {
            tracing::warn!(engine = %addr, "TLS without verifying the engine's certificate");
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(unverified::AnyCertificate(provider)))
        };
        let config = match (&tls.cert, &tls.key) {
            (Some(cert), Some(key)) => {
                let chain = certificates(cert)?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad_file(key, &e))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| bad_file(cert, &e))?
            }
            _ => builder.with_no_client_auth(),
        };
        Ok(TlsConnector {
            addr: addr.to_owned(),
            server_name,
            config: Arc::new(config),
        })
    }

    /// A TCP connection to the engine with the TLS handshake done.
    pub async fn connect(&self) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(&self.addr).await?;
        tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), describe(&e)))
    }

    /// Send one request to the engine over a new connection; the transport bollard uses for
    /// TLS engines. `request` may carry an absolute URI (bollard's); it is sent in origin
    /// form with a `Host` header.
    pub async fn send<B>(
        &self,
        mut request: hyper::Request<B>,
    ) -> Result<hyper::Response<Incoming>, bollard::errors::Error>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let stream = self.connect().await?;
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
            })?;
        *request.uri_mut() = path;
        if !request.headers().contains_key(hyper::header::HOST) {
            let host = hyper::header::HeaderValue::from_str(&self.addr).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
            })?;
            request.headers_mut().insert(hyper::header::HOST, host);
        }
        Ok(exchange(stream, request).await?)
    }
}

/// One HTTP/1 request over `io`. The connection is driven beside the request, upgrades
/// allowed (exec and attach switch protocols), and ends with it. When the request fails
/// because the connection did (a TLS 1.3 engine refusing the client certificate says so only
/// after the handshake), the connection's error is the one reported.
pub async fn exchange<S, B>(
    io: S,
    request: hyper::Request<B>,
) -> std::io::Result<hyper::Response<Incoming>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(std::io::Error::other)?;
    let (failed_tx, failed_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!("engine connection: {e}");
            let _ = failed_tx.send(describe(&e));
        }
    });
    match sender.send_request(request).await {
        Ok(response) => Ok(response),
        Err(e) => {
            let cause = tokio::time::timeout(std::time::Duration::from_secs(1), failed_rx)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_else(|| describe(&e));
            Err(std::io::Error::other(cause))
        }
    }
}

/// The innermost cause of a connection error, in words a user can act on when it is TLS.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let inner = super::error::innermost(e);
    match inner.downcast_ref::<rustls::Error>() {
        Some(tls) => explain(tls),
        None => inner.to_string(),
    }
}

/// A TLS failure, said in the engine's terms.
fn explain(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match e {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
            "TLS: the engine's certificate is not signed by the configured CA (ca.pem)".into()
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "TLS: the engine's certificate is not issued for this address".into()
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "TLS: the engine's certificate has expired".into()
        }
        E::AlertReceived(
            A::BadCertificate
            | A::CertificateRequired
            | A::UnknownCA
            | A::CertificateUnknown
            | A::UnsupportedCertificate
            | A::AccessDenied,
        ) => format!(
            "TLS: the engine refused wharf's client certificate ({e}); it needs cert.pem and \
             key.pem signed by a CA the engine trusts"
        ),
        e => format!("TLS: {e}"),
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, DockerError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad_file(path, &e))?;
    if certs.is_empty() {
        return Err(bad_file(path, &"no PEM certificate in it"));
    }
    Ok(certs)
}

fn bad_file(path: &Path, e: &dyn std::fmt::Display) -> DockerError {
    DockerError::invalid(format!("cannot use TLS file {}: {e}", path.display()))
}

fn tls_error(addr: &str, e: &dyn std::fmt::Display) -> DockerError {
    DockerError::new(ErrorKind::Engine, format!("TLS to {addr}: {e}"))
}

/// Verification turned off on request (docker's `--tls` without `--tlsverify`): the
/// handshake's signatures are still checked, the certificate's issuer and name are not.
mod unverified {
    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use std::sync::Arc;

    #[derive(Debug)]
    pub struct AnyCertificate(pub Arc<CryptoProvider>);

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

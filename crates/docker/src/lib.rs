//! wharf's engine over the Docker Engine API: [`Engine`] implements the engine boundary's
//! traits (`wharf_core::engine`) with bollard, for dockerd, Podman and tcp+TLS engines.
//!
//! Nothing above this crate sees bollard: the guard and the adapter get domain types and
//! [`DockerError`]s with messages a user can act on.

mod containers;
mod containers_write;
pub mod endpoint;
pub mod engines;
mod error;
mod exec;
mod image_build;
mod images;
mod jobs;
mod networks;
mod observe;
pub(crate) mod pump;
mod push_pull;
mod raw;
mod scope;
pub mod ssh;
mod swarm;
mod swarm_write;
pub mod tls;
mod volumes;

pub use endpoint::{Endpoint, EndpointError};
pub use engines::{EnginesError, engines};
pub use error::from_bollard;
pub use wharf_core::engine::{DEFAULT_ENGINE, DockerError, ErrorKind, Product};

use bollard::Docker;
use std::time::Duration;
use tls::TlsConnector;
use tokio::sync::OnceCell;

/// A request that should answer promptly (list, inspect, create...): past this the engine
/// is reported as not answering, rather than the plugin as too slow.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Requests that legitimately take long (wait, exec, logs, copies, stop with a grace
/// period) are bounded by the runtime's per-call deadline instead.
const LONG_REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);

/// How long connecting (and agreeing on an API version) may take before the engine is
/// reported as not answering: an engine behind a dead route must not hold a call for the
/// whole request timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

fn json(value: &impl serde::Serialize) -> Result<wharf_core::engine::Json, DockerError> {
    serde_json::to_value(value).map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))
}

/// The API's query map (None when there are no filters).
fn query(
    filters: wharf_core::engine::Filters,
) -> Option<std::collections::HashMap<String, Vec<String>>> {
    (!filters.is_empty()).then(|| filters.into_iter().collect())
}

/// One Docker engine wharf manages, connected lazily.
///
/// Connecting (and negotiating the API version) happens on first use, so start-up never
/// waits for an engine, and a failed attempt is retried on the next call: an engine that
/// comes back is used again without restarting wharf. Engines are independent: one that
/// does not answer holds up only the calls made on it.
pub struct Engine {
    name: String,
    endpoint: Endpoint,
    read_only: bool,
    connected: OnceCell<Connected>,
    /// The one ssh connection of an `ssh://` engine, which logs in again by itself after
    /// it was lost; kept beside `connected` so a failed version check never starts a
    /// second one.
    ssh: Option<ssh::SshTransport>,
}

struct Connected {
    docker: Docker,
    /// For the few requests made beside bollard (see `raw.rs`) on a TLS engine.
    tls: Option<TlsConnector>,
    /// What answers: some tools have nothing to call on Podman.
    product: Product,
}

impl Engine {
    /// The engine the docker CLI would use (`DOCKER_HOST`, the current context, or the
    /// local socket), named `default`.
    pub fn from_env() -> Result<Self, EndpointError> {
        Ok(Self::new(
            DEFAULT_ENGINE,
            Endpoint::from_docker_cli(&endpoint::ProcessEnv)?,
        ))
    }

    /// The engine at a `unix://` or `tcp://` address without TLS, named `default`.
    pub fn at(host: &str) -> Result<Self, EndpointError> {
        Ok(Self::new(
            DEFAULT_ENGINE,
            Endpoint::checked(host.to_owned(), None, "an address".into())?,
        ))
    }

    pub fn new(name: impl Into<String>, endpoint: Endpoint) -> Self {
        Engine {
            name: name.into(),
            ssh: endpoint.ssh().map(ssh::SshTransport::new),
            endpoint,
            read_only: false,
            connected: OnceCell::new(),
        }
    }

    /// Refuse every request that would change this engine's state.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The name tools take as their `engine` argument.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Its address (`unix:///var/run/docker.sock`, `tcp://host:2376`), as errors name it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint.host
    }

    /// Where its address came from (`DOCKER_HOST`, a context, wharf.toml...).
    pub fn source(&self) -> &str {
        &self.endpoint.source
    }

    /// Its address, TLS settings and where they came from.
    pub fn describe(&self) -> String {
        format!("{} from {}", self.endpoint, self.endpoint.source)
    }

    /// The engine's socket file, when it is reached through one.
    pub fn socket_path(&self) -> Option<std::path::PathBuf> {
        let path = self.endpoint.socket_path()?;
        Some(path.canonicalize().unwrap_or_else(|_| path.to_owned()))
    }

    /// The connected client, connecting first if needed.
    pub async fn client(&self) -> Result<&Docker, DockerError> {
        Ok(&self.connection().await?.docker)
    }

    /// The transport of an `ssh://` engine.
    pub fn ssh(&self) -> Option<&ssh::SshTransport> {
        self.ssh.as_ref()
    }

    /// The TLS connector of a `tcp://` engine reached over TLS.
    pub(crate) async fn tls(&self) -> Result<Option<&TlsConnector>, DockerError> {
        Ok(self.connection().await?.tls.as_ref())
    }

    async fn connection(&self) -> Result<&Connected, DockerError> {
        self.connected
            .get_or_try_init(|| async {
                let connected = tokio::time::timeout(CONNECT_TIMEOUT, self.connect())
                    .await
                    .map_err(|_| {
                        DockerError::new(
                            ErrorKind::Timeout,
                            format!(
                                "the Docker engine at {} did not answer within {} s",
                                self.endpoint(),
                                CONNECT_TIMEOUT.as_secs()
                            ),
                        )
                    })??;
                tracing::info!(
                    engine = %self.name,
                    endpoint = %self.endpoint,
                    product = %connected.product,
                    api = %connected.docker.client_version(),
                    "connected to the engine"
                );
                Ok(connected)
            })
            .await
    }

    async fn connect(&self) -> Result<Connected, DockerError> {
        let (docker, tls) = match (&self.endpoint.tls, self.endpoint.tcp_addr()) {
            (Some(files), Some(addr)) => {
                let tls = TlsConnector::new(addr, files)?;
                let transport = {
                    let tls = tls.clone();
                    move |request: bollard::BollardRequest| {
                        let tls = tls.clone();
                        async move { tls.send(request).await }
                    }
                };
                let docker = Docker::connect_with_custom_transport(
                    transport,
                    Some(format!("https://{addr}")),
                    REQUEST_TIMEOUT.as_secs(),
                    bollard::API_DEFAULT_VERSION,
                )
                .map_err(|e| self.error(e))?;
                (docker, Some(tls))
            }
            _ if self.endpoint.host.starts_with("ssh://") => {
                let ssh = self.ssh.clone().ok_or_else(|| {
                    DockerError::invalid(format!("`{}` is not an ssh:// address", self.endpoint))
                })?;
                let transport = move |request: bollard::BollardRequest| {
                    let ssh = ssh.clone();
                    async move { ssh.send(request).await }
                };
                // The authority only fills the Host header: dial-stdio relays to the socket.
                let docker = Docker::connect_with_custom_transport(
                    transport,
                    Some("http://docker"),
                    REQUEST_TIMEOUT.as_secs(),
                    bollard::API_DEFAULT_VERSION,
                )
                .map_err(|e| self.error(e))?;
                (docker, None)
            }
            _ => (
                Docker::connect_with_host(&self.endpoint.host).map_err(|e| self.error(e))?,
                None,
            ),
        };
        // bollard speaks the newest API by default; older engines (Debian's 20.10 speaks
        // 1.41) refuse it, so agree on a version first.
        let docker = docker
            .with_timeout(REQUEST_TIMEOUT)
            .negotiate_version()
            .await
            .map_err(|e| self.error(e))?;
        let version = docker.version().await.map_err(|e| self.error(e))?;
        let product = Product::from_version(&json(&version)?);
        Ok(Connected {
            docker,
            tls,
            product,
        })
    }

    /// What this engine is, connecting first if needed.
    pub async fn product(&self) -> Result<&Product, DockerError> {
        Ok(&self.connection().await?.product)
    }

    /// Refuse `what` on an engine that has no such thing, before any request is made: an
    /// answer like Podman's 404 for `/services` would read as "no such service".
    pub(crate) async fn needs_swarm(&self) -> Result<(), DockerError> {
        match self.product().await? {
            p @ Product::Podman { .. } => Err(DockerError::new(
                ErrorKind::Unavailable,
                format!(
                    "swarm mode (nodes, services, tasks, secrets, configs, stacks) is not \
                     supported by this engine ({p})"
                ),
            )),
            Product::Docker { .. } => Ok(()),
        }
    }

    /// The client for requests that may take long (see [`LONG_REQUEST_TIMEOUT`]).
    pub async fn long_client(&self) -> Result<Docker, DockerError> {
        Ok(self
            .client()
            .await?
            .clone()
            .with_timeout(LONG_REQUEST_TIMEOUT))
    }

    /// One request on the prompt client: connect if needed, run `f`, name the failure.
    pub(crate) async fn request<T, Fut>(
        &self,
        f: impl FnOnce(Docker) -> Fut,
    ) -> Result<T, DockerError>
    where
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        let docker = self.client().await?.clone();
        f(docker).await.map_err(|e| self.error(e))
    }

    /// [`Engine::request`] on the long-request client.
    pub(crate) async fn long_request<T, Fut>(
        &self,
        f: impl FnOnce(Docker) -> Fut,
    ) -> Result<T, DockerError>
    where
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        let docker = self.long_client().await?;
        f(docker).await.map_err(|e| self.error(e))
    }

    /// Map a bollard error to a [`DockerError`], naming the engine when it is unreachable.
    pub(crate) fn error(&self, e: bollard::errors::Error) -> DockerError {
        self.errors().map(e)
    }

    /// [`Engine::error`] for a stream that outlives the borrow of its engine.
    pub(crate) fn errors(&self) -> Errors {
        Errors {
            endpoint: self.endpoint.host.clone(),
            ssh: self.ssh.clone(),
        }
    }
}

/// Names an engine's failures: what [`from_bollard`] says, and for an ssh engine, the
/// connection lost under a response.
#[derive(Clone)]
pub(crate) struct Errors {
    endpoint: String,
    ssh: Option<ssh::SshTransport>,
}

impl Errors {
    pub(crate) fn map(&self, e: bollard::errors::Error) -> DockerError {
        if let Some(ssh) = &self.ssh
            && error::is_connection(&e)
            && error::find::<ssh::SshError>(&e).is_none()
            && ssh.lost_just_now()
        {
            return DockerError::unreachable(&self.endpoint, &ssh::SshError::Lost);
        }
        from_bollard(&self.endpoint, e)
    }
}

impl wharf_core::engine::DockerEngine for Engine {
    fn name(&self) -> &str {
        Engine::name(self)
    }

    fn is_read_only(&self) -> bool {
        Engine::is_read_only(self)
    }

    fn describe(&self) -> String {
        Engine::describe(self)
    }

    fn socket_path(&self) -> Option<std::path::PathBuf> {
        Engine::socket_path(self)
    }
}

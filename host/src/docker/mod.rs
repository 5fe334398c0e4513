//! The Docker engine connection, and the capability interfaces plugins call on it.
//!
//! Nothing above this module sees bollard: plugins get WIT types, the rest of the host gets
//! [`DockerError`]s with messages a user can act on.

mod build_context;
mod containers;
mod containers_write;
mod credentials;
mod dockerignore;
mod error;
mod exec;
mod files;
mod host;
mod image_build;
mod images;
mod jobs;
mod networks;
mod observe;
mod pump;
mod push_pull;
mod raw;
mod scope;
mod volumes;

pub use containers::LogStream;
pub use credentials::{CredentialStore, Login};
pub use error::DockerError;
pub use host::{DockerData, DockerHost};
pub use jobs::Job;
pub use observe::{EventStream, StatsStream};
pub use scope::{InvalidScope, PROVENANCE, Scope};

use bollard::Docker;
use std::time::Duration;
use tokio::sync::OnceCell;

/// A request that should answer promptly (list, inspect, create...): past this the engine
/// is reported as not answering, rather than the plugin as too slow.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Requests that legitimately take long (wait, exec, logs, copies, stop with a grace
/// period) are bounded by the runtime's per-call deadline instead.
const LONG_REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);

/// A lazily connected Docker engine client.
///
/// Connecting (and negotiating the API version) happens on first use, so start-up never
/// waits for the engine, and a failed attempt is retried on the next call: an engine that
/// comes back is used again without restarting wharf.
pub struct Engine {
    endpoint: String,
    client: OnceCell<Docker>,
}

impl Engine {
    /// The engine named by `DOCKER_HOST`, or the platform's default socket.
    pub fn from_env() -> Self {
        let endpoint = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned());
        Self::new(endpoint)
    }

    /// The engine at `endpoint` (`unix:///path`, `tcp://host:port`).
    pub fn new(endpoint: impl Into<String>) -> Self {
        Engine {
            endpoint: endpoint.into(),
            client: OnceCell::new(),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The engine's socket file, when it is reached through one.
    pub fn socket_path(&self) -> Option<std::path::PathBuf> {
        let path = std::path::Path::new(self.endpoint.strip_prefix("unix://")?);
        Some(path.canonicalize().unwrap_or_else(|_| path.to_owned()))
    }

    /// The connected client, connecting first if needed.
    pub async fn client(&self) -> Result<&Docker, DockerError> {
        self.client
            .get_or_try_init(|| async {
                let docker = Docker::connect_with_host(&self.endpoint)
                    .map_err(|e| self.error(e))?
                    .with_timeout(REQUEST_TIMEOUT);
                // bollard speaks the newest API by default; older engines (Debian's 20.10
                // speaks 1.41) refuse it, so agree on a version first.
                let docker = docker
                    .negotiate_version()
                    .await
                    .map_err(|e| self.error(e))?;
                tracing::info!(
                    endpoint = %self.endpoint,
                    api = %docker.client_version(),
                    "connected to the Docker engine"
                );
                Ok(docker)
            })
            .await
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
        DockerError::from_bollard(&self.endpoint, e)
    }
}

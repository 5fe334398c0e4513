//! The engine boundary: what a Docker engine does, in domain terms.
//!
//! Below the WIT adapter ([`crate::adapter`]) and the guard ([`crate::guard`]) every Docker
//! request is a call on [`DockerEngine`]. Two engines implement it: the bollard engine
//! ([`crate::docker::Engine`]: dockerd, Podman, tcp+TLS) and the in-memory engine of the
//! mock host ([`crate::mock::MockDocker`]). Neither sees WIT types or policy: the adapter
//! converts, the guard decides, the engine only does. Docker's large objects (create bodies)
//! are the Engine API's own typed models, so both engines read the same fields.
//!
//! Interfaces move onto this boundary one at a time; those not here yet are still served by
//! the per-engine WIT hosts in `docker/` and `mock/serve/`.

use crate::docker::DockerError;
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

pub use bollard_stubs::models::{
    ContainerCreateBody, EndpointSettings, NetworkCreateRequest, VolumeCreateRequest,
};

mod kind;
pub use kind::Kind;

/// Engine-side filters, as in `docker ps --filter key=value`: key to values.
pub type Filters = BTreeMap<String, Vec<String>>;

/// Labels in a stable order, so output does not shuffle between calls.
pub type Labels = BTreeMap<String, String>;

/// JSON in the Docker Engine API's shape (an inspect answer).
pub type Json = serde_json::Value;

type Result<T> = std::result::Result<T, DockerError>;

/// An object the engine knows, found by name, id or unambiguous id prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The full id (a volume's name: volumes have no other id).
    pub id: String,
    pub labels: HashMap<String, String>,
}

/// Finding objects, for the checks that depend on what an object is.
#[async_trait]
pub trait Lookup: Send + Sync {
    async fn lookup(&self, kind: Kind, reference: &str) -> Result<Found>;
}

/// A new container: its id and the engine's warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub warnings: Vec<String>,
}

#[async_trait]
pub trait ContainersWrite: Send + Sync {
    async fn create_container(
        &self,
        name: Option<String>,
        body: ContainerCreateBody,
    ) -> Result<Created>;
    async fn start_container(&self, id: &str) -> Result<()>;
    async fn stop_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()>;
    async fn restart_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()>;
    /// `signal` defaults to SIGKILL.
    async fn kill_container(&self, id: &str, signal: Option<String>) -> Result<()>;
    async fn pause_container(&self, id: &str) -> Result<()>;
    async fn unpause_container(&self, id: &str) -> Result<()>;
    async fn remove_container(&self, id: &str, force: bool, volumes: bool) -> Result<()>;
    async fn rename_container(&self, id: &str, new_name: &str) -> Result<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub driver: String,
    /// local, global or swarm.
    pub scope: String,
    pub internal: bool,
    pub attachable: bool,
    pub subnets: Vec<String>,
    pub labels: Labels,
    /// RFC 3339, as the engine reports it.
    pub created: String,
}

#[async_trait]
pub trait Networks: Send + Sync {
    async fn list_networks(&self, filters: Filters) -> Result<Vec<NetworkSummary>>;
    async fn inspect_network(&self, id: &str) -> Result<Json>;
    /// The new network's id.
    async fn create_network(&self, spec: NetworkCreateRequest) -> Result<String>;
    async fn remove_network(&self, id: &str) -> Result<()>;
    async fn connect_network(
        &self,
        network: &str,
        container: &str,
        endpoint: EndpointSettings,
    ) -> Result<()>;
    async fn disconnect_network(&self, network: &str, container: &str, force: bool) -> Result<()>;
    /// The names of the networks removed.
    async fn prune_networks(&self, filters: Filters) -> Result<Vec<String>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSummary {
    pub name: String,
    pub driver: String,
    pub mountpoint: String,
    pub created: Option<String>,
    pub labels: Labels,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pruned {
    pub deleted: Vec<String>,
    pub space_reclaimed: u64,
}

#[async_trait]
pub trait Volumes: Send + Sync {
    async fn list_volumes(&self, filters: Filters) -> Result<Vec<VolumeSummary>>;
    async fn inspect_volume(&self, name: &str) -> Result<Json>;
    /// The volume as created.
    async fn create_volume(&self, spec: VolumeCreateRequest) -> Result<Json>;
    async fn remove_volume(&self, name: &str, force: bool) -> Result<()>;
    async fn prune_volumes(&self, filters: Filters) -> Result<Pruned>;
}

/// A Docker engine: every interface on the boundary, and what the guard needs to know of
/// the engine itself.
pub trait DockerEngine: Lookup + ContainersWrite + Networks + Volumes {
    /// The engine's own socket on this machine: a container that mounts it controls the
    /// engine, so the guard refuses the bind.
    fn socket_path(&self) -> Option<PathBuf> {
        None
    }
}

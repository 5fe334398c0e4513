//! The engine boundary: what a Docker engine does, in domain terms.
//!
//! Below the WIT adapter ([`crate::adapter`]) and the guard ([`crate::policy::Guard`]) every Docker
//! request is a call on [`DockerEngine`]. Two engines implement it: the bollard engine
//! (`wharf_docker::Engine`: dockerd, Podman, tcp+TLS) and the in-memory engine of the
//! mock host (`wharf_mock::MockDocker`). Neither sees WIT types or policy: the adapter
//! converts, the guard decides, the engine only does. Docker's large objects (create bodies)
//! are the Engine API's own typed models, so both engines read the same fields.

use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

pub use bollard_stubs::models::{
    ConfigSpec, ContainerCreateBody, EndpointSettings, NetworkCreateRequest, NodeSpec, SecretSpec,
    ServiceSpec, SwarmInitRequest, VolumeCreateRequest,
};

mod engines;
mod error;
#[cfg(test)]
pub(crate) mod fake;
mod kind;
mod product;
mod reference;
pub use engines::Engines;
pub use error::{DockerError, ErrorKind};

/// The name of the engine wharf uses when `wharf.toml` names none.
pub const DEFAULT_ENGINE: &str = "default";
pub use kind::Kind;
pub use product::Product;
pub use reference::split_reference;

/// Engine-side filters, as in `docker ps --filter key=value`: key to values.
pub type Filters = BTreeMap<String, Vec<String>>;

/// Labels in a stable order, so output does not shuffle between calls.
pub type Labels = BTreeMap<String, String>;

/// JSON in the Docker Engine API's shape (an inspect answer).
pub type Json = serde_json::Value;

type Result<T> = std::result::Result<T, DockerError>;

/// What a stream resource reads: items until the end, or an error that ends it. Dropping it
/// abandons the request, and the engine sees the client go.
pub type Stream<T> = Pin<Box<dyn futures::Stream<Item = Result<T>> + Send>>;

/// An object the engine knows, found by name, id or unambiguous id prefix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Found {
    /// The full id (a volume's name: volumes have no other id).
    pub id: String,
    pub labels: HashMap<String, String>,
    /// A container's namespaces, as its host config sets them.
    pub namespaces: Namespaces,
    /// A container the engine removes once it stops (`--rm`).
    pub auto_remove: bool,
}

/// Where a container's network, PID and IPC namespaces come from, as its host config says:
/// `host`, `container:X` (shared with X), or its own (anything else, often empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Namespaces {
    pub network: String,
    pub pid: String,
    pub ipc: String,
}

/// A host path mounted into a container, or into a swarm service's tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostMount {
    pub holder: Holder,
    /// The path on the host, as the engine keeps it (not resolved).
    pub source: String,
    pub kind: MountKind,
    /// Whether the holder can write there.
    pub writable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    /// A bind of a host path: Docker resolves it again at every start.
    Bind,
    /// A named or anonymous volume's directory.
    Volume,
}

/// What holds a [`HostMount`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// [`Kind::Container`] or [`Kind::Service`].
    pub kind: Kind,
    pub id: String,
    /// The first name, without the leading slash.
    pub name: String,
    pub labels: HashMap<String, String>,
}

/// Finding objects, for the checks that depend on what an object is.
#[async_trait]
pub trait Lookup: Send + Sync {
    async fn lookup(&self, kind: Kind, reference: &str) -> Result<Found>;
    /// Every host path a container on this engine mounts, created or running alike.
    async fn container_mounts(&self) -> Result<Vec<HostMount>>;
    /// Every host path a swarm service mounts into its tasks; none when this engine is not
    /// a swarm manager.
    async fn service_mounts(&self) -> Result<Vec<HostMount>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    pub id: String,
    /// Names without the leading slash.
    pub names: Vec<String>,
    pub image: String,
    pub command: String,
    /// Unix seconds.
    pub created: i64,
    pub state: String,
    pub status: String,
    pub ports: Vec<Port>,
    pub labels: Labels,
    /// Names of the named volumes it mounts.
    pub volumes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub private_port: u16,
    pub public_port: Option<u16>,
    pub ip: Option<String>,
    pub protocol: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    Stdout,
    Stderr,
    Console,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChunk {
    pub source: LogSource,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogOptions {
    pub stdout: bool,
    pub stderr: bool,
    /// Unix seconds.
    pub since: Option<i64>,
    /// Unix seconds.
    pub until: Option<i64>,
    pub tail: Option<u32>,
    pub timestamps: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntil {
    Exited,
    Healthy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitOutcome {
    Exited(i64),
    Healthy,
    Unhealthy,
    /// The state when the time ran out.
    TimedOut(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessList {
    pub titles: Vec<String>,
    pub processes: Vec<Vec<String>>,
}

#[async_trait]
pub trait ContainersRead: Send + Sync {
    async fn list_containers(
        &self,
        all: bool,
        limit: Option<u32>,
        filters: Filters,
    ) -> Result<Vec<ContainerSummary>>;
    async fn inspect_container(&self, id: &str) -> Result<Json>;
    /// Fails at once on an unknown container rather than at the first read.
    async fn logs(&self, id: &str, options: LogOptions) -> Result<Stream<LogChunk>>;
    async fn wait_container(
        &self,
        id: &str,
        until: WaitUntil,
        timeout: Duration,
    ) -> Result<WaitOutcome>;
    /// New output from `since` (Unix seconds; default now), for at most `timeout`.
    async fn follow_logs(
        &self,
        id: &str,
        since: Option<i64>,
        timeout: Duration,
    ) -> Result<Stream<LogChunk>>;
    /// Samples in Docker's stats JSON, each with the previous sample's CPU figures.
    async fn stats(&self, id: &str, stream: bool) -> Result<Stream<Json>>;
    async fn top(&self, id: &str, ps_args: Option<String>) -> Result<ProcessList>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    /// Bytes kept of each of stdout and stderr.
    pub output_limit: usize,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Captured {
    pub data: Vec<u8>,
    /// Bytes the stream produced in all, kept or not.
    pub total_bytes: u64,
}

impl Captured {
    /// Keep the first `limit` bytes, count them all.
    pub fn push(&mut self, bytes: &[u8], limit: usize) {
        self.total_bytes += bytes.len() as u64;
        let room = limit.saturating_sub(self.data.len());
        self.data.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// None when the command did not finish in time.
    pub exit_code: Option<i64>,
    pub stdout: Captured,
    pub stderr: Captured,
}

#[async_trait]
pub trait Exec: Send + Sync {
    async fn exec(&self, container: &str, spec: ExecSpec) -> Result<ExecOutput>;
}

/// Files in and out of containers, as the tar archives the Engine API speaks; the host
/// packs and unpacks them (see [`crate::policy::copy`]).
#[async_trait]
pub trait Archives: Send + Sync {
    /// Unpack `archive` into the directory `dir` of the container.
    async fn put_archive(&self, container: &str, dir: &str, archive: Vec<u8>) -> Result<()>;
    /// `path` of the container as a tar archive; refused past `limit` bytes.
    async fn get_archive(&self, container: &str, path: &str, limit: usize) -> Result<Vec<u8>>;
}

/// The refusal of an archive past its limit.
pub fn too_big(limit: usize) -> DockerError {
    DockerError::invalid(format!(
        "the copy is larger than {} MiB; copy a smaller directory",
        limit >> 20
    ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSummary {
    pub id: String,
    /// repo:tag references; empty for a dangling image.
    pub tags: Vec<String>,
    /// Unix seconds.
    pub created: i64,
    pub size: u64,
    pub labels: Labels,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    pub created_by: String,
    pub size: u64,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRemoved {
    pub untagged: Vec<String>,
    pub deleted: Vec<String>,
}

/// Tar bytes, as `docker save` writes and `docker load` reads them.
pub type Bytes = bytes::Bytes;

#[async_trait]
pub trait Images: Send + Sync {
    /// `all` includes intermediate images.
    async fn list_images(&self, all: bool, filters: Filters) -> Result<Vec<ImageSummary>>;
    async fn inspect_image(&self, name: &str) -> Result<Json>;
    async fn image_history(&self, name: &str) -> Result<Vec<HistoryEntry>>;
    async fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<()>;
    async fn remove_image(&self, name: &str, force: bool, no_prune: bool) -> Result<ImageRemoved>;
    async fn prune_images(&self, filters: Filters) -> Result<Pruned>;
    /// `docker save` of `names`, as the tar's bytes.
    async fn export_images(&self, names: Vec<String>) -> Result<Stream<Bytes>>;
    /// `docker load` of a tar; what it loaded ("repo:tag", or an image id when untagged).
    async fn import_images(&self, tar: Stream<Bytes>) -> Result<Vec<String>>;
}

/// One step of a long operation (pull, push, build), as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEvent {
    Layer(LayerProgress),
    Message(String),
    /// What the operation made: the image id of a build.
    ImageId(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerProgress {
    pub id: String,
    pub status: String,
    pub current: Option<u64>,
    pub total: Option<u64>,
}

/// A registry login the host holds. The plugin never sees it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegistryAuth {
    pub username: Option<String>,
    pub password: Option<String>,
    pub identitytoken: Option<String>,
    pub serveraddress: Option<String>,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .field("serveraddress", &self.serveraddress)
            .finish_non_exhaustive()
    }
}

/// Credentials found for a registry, and where from (for error messages, never the secret).
#[derive(Clone)]
pub struct Credentials {
    pub auth: RegistryAuth,
    pub source: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.auth.username)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait Registry: Send + Sync {
    /// `reference` as `name[:tag|@digest]`.
    async fn pull_image(
        &self,
        reference: &str,
        platform: Option<String>,
        credentials: Option<Credentials>,
    ) -> Result<Stream<JobEvent>>;
    /// A local `name:tag`.
    async fn push_image(
        &self,
        reference: &str,
        credentials: Option<Credentials>,
    ) -> Result<Stream<JobEvent>>;
}

/// A build's context, packed by the host: a tar file, and the Dockerfile's path in it.
#[derive(Debug)]
pub struct BuildContext {
    pub tar: std::fs::File,
    pub dockerfile: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildOptions {
    /// References for the result; the first is given by the build itself.
    pub tags: Vec<String>,
    pub build_args: Vec<(String, String)>,
    pub target: Option<String>,
    pub labels: Vec<(String, String)>,
    pub no_cache: bool,
    pub pull: bool,
    pub platform: Option<String>,
}

#[async_trait]
pub trait Builds: Send + Sync {
    async fn build_image(
        &self,
        context: BuildContext,
        options: BuildOptions,
    ) -> Result<Stream<JobEvent>>;
}

/// An engine event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// container, image, network, volume, daemon...
    pub kind: String,
    pub action: String,
    pub actor_id: String,
    pub attributes: Vec<(String, String)>,
    /// Unix nanoseconds.
    pub time_nano: i64,
}

#[async_trait]
pub trait System: Send + Sync {
    async fn info(&self) -> Result<Json>;
    async fn version(&self) -> Result<Json>;
    /// Images, containers, volumes and build cache with their sizes.
    async fn disk_usage(&self) -> Result<Json>;
    /// Events from `since` to `until` (Unix seconds), waiting for those still to come.
    async fn events(&self, since: i64, until: i64, filters: Filters) -> Result<Stream<Event>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCreated {
    pub id: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskLogOptions {
    pub stdout: bool,
    pub stderr: bool,
    /// Unix seconds.
    pub since: Option<i64>,
    pub tail: Option<u32>,
    pub timestamps: bool,
}

/// Docker Swarm: swarm objects as the engine's own JSON.
#[async_trait]
pub trait Swarm: Send + Sync {
    /// `GET /info`'s `Swarm` section: the local node's place in a swarm.
    async fn swarm_info(&self) -> Result<Json>;
    /// `GET /swarm`, join tokens included (the guard decides who sees them).
    async fn inspect_swarm(&self) -> Result<Json>;
    async fn list_nodes(&self, filters: Filters) -> Result<Json>;
    async fn inspect_node(&self, id: &str) -> Result<Json>;
    /// With each service's running and desired task counts.
    async fn list_services(&self, filters: Filters) -> Result<Json>;
    async fn inspect_service(&self, id: &str) -> Result<Json>;
    async fn list_tasks(&self, filters: Filters) -> Result<Json>;
    async fn inspect_task(&self, id: &str) -> Result<Json>;
    async fn task_logs(&self, task: &str, options: TaskLogOptions) -> Result<Stream<LogChunk>>;
    async fn list_secrets(&self, filters: Filters) -> Result<Json>;
    async fn inspect_secret(&self, id: &str) -> Result<Json>;
    async fn list_configs(&self, filters: Filters) -> Result<Json>;
    async fn inspect_config(&self, id: &str) -> Result<Json>;

    /// The new node's id.
    async fn init_swarm(&self, request: SwarmInitRequest) -> Result<String>;
    async fn leave_swarm(&self, force: bool) -> Result<()>;
    async fn update_node(&self, id: &str, version: u64, spec: NodeSpec) -> Result<()>;
    /// `credentials`: the login for the service's image, so every node can pull it.
    async fn create_service(
        &self,
        spec: ServiceSpec,
        credentials: Option<Credentials>,
    ) -> Result<ServiceCreated>;
    /// The engine's warnings.
    async fn update_service(
        &self,
        id: &str,
        version: u64,
        spec: ServiceSpec,
        rollback: bool,
        credentials: Option<Credentials>,
    ) -> Result<Vec<String>>;
    async fn remove_service(&self, id: &str) -> Result<()>;
    /// The new secret's id.
    async fn create_secret(&self, spec: SecretSpec) -> Result<String>;
    async fn remove_secret(&self, id: &str) -> Result<()>;
    /// The new config's id.
    async fn create_config(&self, spec: ConfigSpec) -> Result<String>;
    async fn remove_config(&self, id: &str) -> Result<()>;
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
pub trait DockerEngine:
    Lookup
    + ContainersRead
    + ContainersWrite
    + Exec
    + Archives
    + Networks
    + Volumes
    + Images
    + Registry
    + Builds
    + System
    + Swarm
{
    /// The name tools take as their `engine` argument.
    fn name(&self) -> &str;

    /// Refuse every request that would change this engine's state. No default: an
    /// engine that forgot it must not silently lose a configured read-only setting.
    fn is_read_only(&self) -> bool;

    /// Its address and where it came from, as errors and `wharf doctor` name it.
    fn describe(&self) -> String;

    /// The engine's own socket on this machine: a container that mounts it controls the
    /// engine, so the guard refuses the bind.
    fn socket_path(&self) -> Option<PathBuf> {
        None
    }
}

impl std::fmt::Debug for dyn DockerEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "engine `{}` ({})", self.name(), self.describe())
    }
}

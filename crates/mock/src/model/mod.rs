//! The in-memory Docker the mock host serves: containers, images, networks and volumes,
//! with the engine's state transitions and the engine's own error messages (status codes
//! mapped to error kinds as the real host maps them).
//!
//! Nothing here runs a process. Containers change state only when asked (start, stop, kill...)
//! or when a test says so ([`crate::MockDocker::exit`]); exec answers from scripted
//! responses and a few built-in commands.

mod archive;
mod build;
mod containers;
mod events;
mod filters;
pub(crate) mod fs;
mod images;
mod names;
mod networks;
mod volumes;

pub(crate) use build::BuildSpec;
pub(crate) use containers::Extras;
pub(crate) use events::{Event, EventQuery, unix_nanos, unix_secs};
pub(crate) use filters::Filters;
pub(crate) use fs::Fs;
pub(crate) use images::{ImageConfig, normalize};
pub(crate) use images::{Progress, repository};
pub(crate) use networks::NetworkSpec;

use sha2::Digest;
use std::collections::BTreeMap;
use std::time::SystemTime;
use wharf_core::engine::{DockerError, ErrorKind};

/// What the engine's HTTP status would have been, as the real host maps it to a kind.
pub(crate) fn not_found(m: impl Into<String>) -> DockerError {
    DockerError::new(ErrorKind::NotFound, m)
}
/// 409, and 304 (already in that state).
pub(crate) fn conflict(m: impl Into<String>) -> DockerError {
    DockerError::new(ErrorKind::Conflict, m)
}
pub(crate) fn invalid(m: impl Into<String>) -> DockerError {
    DockerError::new(ErrorKind::Invalid, m)
}
/// 403.
pub(crate) fn forbidden(m: impl Into<String>) -> DockerError {
    DockerError::new(ErrorKind::Denied, m)
}
/// 500.
pub(crate) fn engine(m: impl Into<String>) -> DockerError {
    DockerError::new(ErrorKind::Engine, m)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    Created,
    Running,
    Paused,
    Exited,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Created => "created",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Exited => "exited",
        }
    }

    /// Running or paused: it has a process.
    pub fn is_up(self) -> bool {
        matches!(self, RunState::Running | RunState::Paused)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    pub time: SystemTime,
    pub stream: Stream,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) enum MountSource {
    /// A named volume (`anonymous` ones were made for the container and go with `rm -v`).
    Volume {
        name: String,
        anonymous: bool,
    },
    Bind {
        source: String,
    },
    Tmpfs,
}

#[derive(Debug, Clone)]
pub(crate) struct Mount {
    pub source: MountSource,
    pub destination: String,
    pub read_write: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortMapping {
    pub private: u16,
    pub protocol: String,
    pub public: Option<u16>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub network_id: String,
    pub ip: String,
    pub aliases: Vec<String>,
}

/// Resource use a stats sample reports for a running container.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usage {
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit: u64,
    pub pids: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            cpu_percent: 0.5,
            memory_bytes: 4 << 20,
            memory_limit: 2 << 30,
            pids: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub id: String,
    pub name: String,
    /// The image as the create request named it.
    pub image: String,
    pub image_id: String,
    pub created: SystemTime,
    pub state: RunState,
    pub exit_code: i64,
    pub started_at: Option<SystemTime>,
    pub finished_at: Option<SystemTime>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub working_dir: String,
    pub user: String,
    /// The create body as sent (with the image's defaults filled in), for inspect.
    pub spec: bollard_stubs::models::ContainerCreateBody,
    pub healthcheck: bool,
    /// healthy, unhealthy or starting, when it has a healthcheck and has run.
    pub health: Option<String>,
    /// What the health becomes when it starts (seeds may set it; default healthy).
    pub health_on_start: String,
    pub attachments: Vec<Attachment>,
    pub network_mode: String,
    pub mounts: Vec<Mount>,
    pub ports: Vec<PortMapping>,
    pub logs: Vec<LogEntry>,
    pub files: Fs,
    /// The exit code when it stops on SIGTERM.
    pub stop_exit_code: i64,
    pub usage: Usage,
    pub processes: Option<Vec<Vec<String>>>,
    pub auto_remove: bool,
    pub restart_count: i64,
}

impl Container {
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Image {
    /// `sha256:<hex>` of its config.
    pub id: String,
    /// `repo:tag` references, normalized (`busybox:latest`).
    pub tags: Vec<String>,
    pub digests: Vec<String>,
    pub created: SystemTime,
    pub size: u64,
    pub config: ImageConfig,
    pub parent: Option<String>,
    pub history: Vec<HistoryStep>,
    pub files: Fs,
    /// Layer digests, as a registry would list them.
    pub layers: Vec<String>,
}

impl Image {
    pub fn short_id(&self) -> &str {
        let hex = self.id.trim_start_matches("sha256:");
        &hex[..12.min(hex.len())]
    }
}

#[derive(Debug, Clone)]
pub(crate) struct HistoryStep {
    pub created: SystemTime,
    pub created_by: String,
    pub size: u64,
    pub comment: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Network {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub internal: bool,
    pub attachable: bool,
    pub subnets: Vec<String>,
    pub gateway: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    pub created: SystemTime,
    /// bridge, host and none: the engine's own, never removed.
    pub predefined: bool,
    /// The next host number handed out on the first subnet.
    pub next_host: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Volume {
    pub name: String,
    pub driver: String,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    pub created: SystemTime,
    pub size: u64,
}

/// An image a registry holds, pullable by its reference.
#[derive(Debug, Clone)]
pub(crate) struct RemoteImage {
    pub reference: String,
    pub image: Image,
}

/// A scripted answer to `exec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecReply {
    pub exit_code: i64,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// What a scripted exec rule matches: the container (name or id) and the command prefix.
#[derive(Debug, Clone)]
pub(crate) struct ExecRule {
    pub container: Option<String>,
    pub cmd: Vec<String>,
    pub reply: ExecReply,
}

#[derive(Debug, Default)]
pub(crate) struct Model {
    seq: u64,
    pub containers: Vec<Container>,
    pub images: Vec<Image>,
    pub networks: Vec<Network>,
    pub volumes: Vec<Volume>,
    pub remote: Vec<RemoteImage>,
    pub events: Vec<Event>,
    pub exec_rules: Vec<ExecRule>,
    /// The second octet of the next network's 172.x.0.0/16.
    next_subnet: u8,
}

impl Model {
    /// An engine with its three predefined networks, as a fresh dockerd has.
    pub fn new() -> Model {
        let mut m = Model {
            next_subnet: 18,
            ..Default::default()
        };
        for (name, driver, subnet) in [
            ("bridge", "bridge", Some("172.17.0.0/16")),
            ("host", "host", None),
            ("none", "null", None),
        ] {
            let id = m.new_id("network");
            m.networks.push(Network {
                id,
                name: name.to_owned(),
                driver: driver.to_owned(),
                scope: "local".to_owned(),
                internal: false,
                attachable: false,
                subnets: subnet.into_iter().map(str::to_owned).collect(),
                gateway: subnet.map(|_| "172.17.0.1".to_owned()),
                labels: BTreeMap::new(),
                options: BTreeMap::new(),
                created: SystemTime::now(),
                predefined: true,
                next_host: 2,
            });
        }
        m
    }

    /// A 64-hex id, different every time but the same sequence in every run, so tests can
    /// rely on what a fresh mock hands out.
    pub fn new_id(&mut self, what: &str) -> String {
        self.seq += 1;
        hex(&sha2::Sha256::digest(format!(
            "wharf-mock/{what}/{}",
            self.seq
        )))
    }

    pub fn next_subnet(&mut self) -> String {
        let s = self.next_subnet;
        self.next_subnet = self.next_subnet.wrapping_add(1).max(18);
        format!("172.{s}.0.0/16")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Find one object among `items` by full id, exact name, or a unique id prefix, the way the
/// engine resolves references. `None` when nothing matches; an ambiguous prefix is an error.
pub(crate) fn resolve<T>(
    items: &[T],
    reference: &str,
    id: impl Fn(&T) -> &str,
    name: impl Fn(&T) -> &str,
    what: &str,
) -> Result<Option<usize>, DockerError> {
    let bare = reference.strip_prefix('/').unwrap_or(reference);
    if bare.is_empty() {
        return Ok(None);
    }
    if let Some(i) = items.iter().position(|t| id(t) == bare) {
        return Ok(Some(i));
    }
    if let Some(i) = items.iter().position(|t| name(t) == bare) {
        return Ok(Some(i));
    }
    let by_prefix: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, t)| id(t).starts_with(bare))
        .map(|(i, _)| i)
        .collect();
    match by_prefix.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(invalid(format!(
            "{what} {bare} is ambiguous ({} matches found based on ID prefix)",
            by_prefix.len()
        ))),
    }
}

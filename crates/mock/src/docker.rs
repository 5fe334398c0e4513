//! [`MockDocker`]: the in-memory engine a test seeds, hands to a [`crate::MockHost`],
//! and inspects afterwards: its state, and every request that reached it.

use super::model::{Model, RunState, Stream};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;
use wharf_core::engine::DockerError;

/// One request that reached the engine, in its capability's terms: `containers-write` /
/// `start` / `{"id": "web"}`. Requests the host refused (read-only, scope, host paths...)
/// never reach it; with a scope set, objects are named by the full id the host checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub interface: String,
    pub function: String,
    pub args: serde_json::Value,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}({})", self.interface, self.function, self.args)
    }
}

/// A container as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerView {
    pub id: String,
    pub name: String,
    pub image: String,
    /// created, running, paused or exited.
    pub state: String,
    pub exit_code: i64,
    pub labels: BTreeMap<String, String>,
    /// Names of the networks it is attached to.
    pub networks: Vec<String>,
    /// Names of the volumes it mounts.
    pub volumes: Vec<String>,
    pub health: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageView {
    pub id: String,
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkView {
    pub id: String,
    pub name: String,
    pub driver: String,
    /// Names of the containers attached.
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeView {
    pub name: String,
    pub driver: String,
    pub labels: BTreeMap<String, String>,
}

struct Shared {
    model: Mutex<Model>,
    calls: Mutex<Vec<Call>>,
    /// Bumped on every change, so waits, followed logs and event streams wake up.
    changed: watch::Sender<u64>,
}

/// An in-memory Docker engine. Cloning shares it: the test keeps one handle, the mock
/// host another.
#[derive(Clone)]
pub struct MockDocker {
    shared: Arc<Shared>,
}

impl Default for MockDocker {
    fn default() -> Self {
        MockDocker::from_model(Model::new())
    }
}

impl std::fmt::Debug for MockDocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.model();
        f.debug_struct("MockDocker")
            .field("containers", &m.containers.len())
            .field("images", &m.images.len())
            .field("networks", &m.networks.len())
            .field("volumes", &m.volumes.len())
            .finish()
    }
}

impl MockDocker {
    /// An engine with nothing but its predefined networks (bridge, host, none).
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn from_model(model: Model) -> Self {
        MockDocker {
            shared: Arc::new(Shared {
                model: Mutex::new(model),
                calls: Mutex::new(Vec::new()),
                changed: watch::channel(0).0,
            }),
        }
    }

    /// The model, for reading. A panic while it was held (a bug in a test) must not hide
    /// the state from the assertions that follow, so a poisoned lock is taken anyway.
    pub(crate) fn model(&self) -> MutexGuard<'_, Model> {
        self.shared.model.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Change the model and wake whoever waits for a change.
    pub(crate) fn change<R>(&self, f: impl FnOnce(&mut Model) -> R) -> R {
        let r = f(&mut self.model());
        self.shared.changed.send_modify(|n| *n += 1);
        r
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.changed.subscribe()
    }

    pub(crate) fn record(&self, interface: &str, function: &str, args: serde_json::Value) {
        self.shared
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Call {
                interface: interface.to_owned(),
                function: function.to_owned(),
                args,
            });
    }

    /// Every request so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The calls so far, forgetting them: the next `calls` starts empty.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.shared.calls.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The calls of one function, e.g. `("containers-write", "remove")`.
    pub fn calls_to(&self, interface: &str, function: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.interface == interface && c.function == function)
            .collect()
    }

    pub fn containers(&self) -> Vec<ContainerView> {
        let m = self.model();
        m.containers
            .iter()
            .map(|c| ContainerView {
                id: c.id.clone(),
                name: c.name.clone(),
                image: c.image.clone(),
                state: c.state.as_str().to_owned(),
                exit_code: c.exit_code,
                labels: c.labels.clone(),
                networks: c
                    .attachments
                    .iter()
                    .filter_map(|a| m.networks.iter().find(|n| n.id == a.network_id))
                    .map(|n| n.name.clone())
                    .collect(),
                volumes: c
                    .mounts
                    .iter()
                    .filter_map(|mnt| match &mnt.source {
                        super::model::MountSource::Volume { name, .. } => Some(name.clone()),
                        _ => None,
                    })
                    .collect(),
                health: c.health.clone(),
            })
            .collect()
    }

    /// A container by name or id.
    pub fn container(&self, reference: &str) -> Option<ContainerView> {
        let id = self.model().container(reference).ok()?.id.clone();
        self.containers().into_iter().find(|c| c.id == id)
    }

    pub fn images(&self) -> Vec<ImageView> {
        self.model()
            .images
            .iter()
            .map(|i| ImageView {
                id: i.id.clone(),
                tags: i.tags.clone(),
                labels: i.config.labels.clone(),
            })
            .collect()
    }

    /// An image by reference or id.
    pub fn image(&self, reference: &str) -> Option<ImageView> {
        let id = self.model().image(reference).ok()?.id.clone();
        self.images().into_iter().find(|i| i.id == id)
    }

    pub fn networks(&self) -> Vec<NetworkView> {
        let m = self.model();
        m.networks
            .iter()
            .map(|n| NetworkView {
                id: n.id.clone(),
                name: n.name.clone(),
                driver: n.driver.clone(),
                containers: m
                    .containers
                    .iter()
                    .filter(|c| c.attachments.iter().any(|a| a.network_id == n.id))
                    .map(|c| c.name.clone())
                    .collect(),
            })
            .collect()
    }

    pub fn volumes(&self) -> Vec<VolumeView> {
        self.model()
            .volumes
            .iter()
            .map(|v| VolumeView {
                name: v.name.clone(),
                driver: v.driver.clone(),
                labels: v.labels.clone(),
            })
            .collect()
    }

    /// References the mock registry holds (pushed, or seeded as pullable).
    pub fn registry(&self) -> Vec<String> {
        self.model()
            .remote
            .iter()
            .map(|r| r.reference.clone())
            .collect()
    }

    /// The container's process exits by itself with `code`, as a finished job or a crash.
    pub fn exit(&self, container: &str, code: i64) -> Result<(), DockerError> {
        self.change(|m| m.exit_container(container, code))
    }

    /// The container's healthcheck now reports `health` (healthy, unhealthy, starting).
    pub fn set_health(&self, container: &str, health: &str) -> Result<(), DockerError> {
        self.change(|m| m.set_health(container, health))
    }

    /// The container writes `text` to its stdout (or stderr): followed logs see it.
    pub fn write_log(&self, container: &str, stderr: bool, text: &str) -> Result<(), DockerError> {
        let stream = if stderr {
            Stream::Stderr
        } else {
            Stream::Stdout
        };
        self.change(|m| m.append_log(container, stream, text.as_bytes()))
    }

    /// Whether the named container is running (a shorthand for assertions).
    pub fn is_running(&self, container: &str) -> bool {
        self.model()
            .container(container)
            .is_ok_and(|c| c.state == RunState::Running)
    }
}

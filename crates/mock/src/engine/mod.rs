//! The in-memory engine: [`MockDocker`] on the engine boundary. Each request is recorded as
//! the engine received it (after the guard: refused requests never reach it), then answered
//! from the model as dockerd answers.

mod containers;
mod images;
mod objects;
mod swarm;

use super::MockDocker;
use async_trait::async_trait;
use wharf_core::engine::DockerError;
use wharf_core::engine::{
    DockerEngine, Found, Holder, HostMount, Kind, Lookup, MountKind, Namespaces,
};

type Result<T> = std::result::Result<T, DockerError>;

/// What dockerd answers (HTTP 503) to a swarm request when it is not a swarm manager.
pub(crate) fn not_a_manager() -> DockerError {
    DockerError::new(
        wharf_core::engine::ErrorKind::Engine,
        "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" \
         to connect this node to swarm and try again.",
    )
}

impl DockerEngine for MockDocker {
    fn name(&self) -> &str {
        wharf_core::engine::DEFAULT_ENGINE
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        "the mock host's in-memory engine".into()
    }
}

#[async_trait]
impl Lookup for MockDocker {
    async fn lookup(&self, kind: Kind, reference: &str) -> Result<Found> {
        let m = self.model();
        let mut namespaces = Namespaces::default();
        let mut auto_remove = false;
        let (id, labels) = match kind {
            Kind::Container => {
                let c = m.container(reference)?;
                namespaces.network = c.network_mode.clone();
                auto_remove = c.auto_remove;
                (c.id.clone(), c.labels.clone())
            }
            Kind::Network => {
                let n = &m.networks[m.network_index(reference)?];
                (n.id.clone(), n.labels.clone())
            }
            Kind::Volume => {
                let v = &m.volumes[m.volume_index(reference)?];
                (v.name.clone(), v.labels.clone())
            }
            Kind::Service | Kind::Secret | Kind::Config => return Err(not_a_manager()),
        };
        Ok(Found {
            id,
            labels: labels.into_iter().collect(),
            namespaces,
            auto_remove,
        })
    }

    async fn container_mounts(&self) -> Result<Vec<HostMount>> {
        use crate::model::MountSource;
        let m = self.model();
        let mut mounts = Vec::new();
        for c in &m.containers {
            let holder = Holder {
                kind: Kind::Container,
                id: c.id.clone(),
                name: c.name.clone(),
                labels: c.labels.clone().into_iter().collect(),
            };
            for mount in &c.mounts {
                // Where dockerd keeps a volume, as inspect_volume renders it.
                let (source, kind) = match &mount.source {
                    MountSource::Bind { source } => (source.clone(), MountKind::Bind),
                    MountSource::Volume { name, .. } => (
                        format!("/var/lib/docker/volumes/{name}/_data"),
                        MountKind::Volume,
                    ),
                    MountSource::Tmpfs => continue,
                };
                mounts.push(HostMount {
                    holder: holder.clone(),
                    source,
                    kind,
                    writable: mount.read_write,
                });
            }
        }
        Ok(mounts)
    }

    /// The mock host is never a swarm manager.
    async fn service_mounts(&self) -> Result<Vec<HostMount>> {
        Ok(Vec::new())
    }
}

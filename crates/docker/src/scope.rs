//! Finding objects for the guard, on bollard.

use super::{DockerError, Engine};
use async_trait::async_trait;
use bollard::query_parameters as q;
use wharf_core::engine::{Found, Holder, HostMount, Kind, Lookup, MountKind, Namespaces};

/// Where the engine keeps the swarm objects of this kind.
pub(super) fn swarm_path(kind: Kind) -> &'static str {
    match kind {
        Kind::Service => "/services",
        Kind::Secret => "/secrets",
        Kind::Config => "/configs",
        Kind::Container | Kind::Network | Kind::Volume => "",
    }
}

#[async_trait]
impl Lookup for Engine {
    async fn lookup(&self, kind: Kind, reference: &str) -> Result<Found, DockerError> {
        let mut namespaces = Namespaces::default();
        let mut auto_remove = false;
        let (id, labels) = match kind {
            Kind::Container => {
                let c = self
                    .request(|d| async move {
                        d.inspect_container(reference, None::<q::InspectContainerOptions>)
                            .await
                    })
                    .await?;
                if let Some(h) = c.host_config {
                    auto_remove = h.auto_remove == Some(true);
                    namespaces = Namespaces {
                        network: h.network_mode.unwrap_or_default(),
                        pid: h.pid_mode.unwrap_or_default(),
                        ipc: h.ipc_mode.unwrap_or_default(),
                    };
                }
                (c.id, c.config.and_then(|c| c.labels))
            }
            Kind::Network => {
                let n = self
                    .request(|d| async move {
                        d.inspect_network(reference, None::<q::InspectNetworkOptions>)
                            .await
                    })
                    .await?;
                (n.id, n.labels)
            }
            Kind::Volume => {
                let v = self
                    .request(|d| async move { d.inspect_volume(reference).await })
                    .await?;
                (Some(v.name), Some(v.labels))
            }
            Kind::Service | Kind::Secret | Kind::Config => {
                self.needs_swarm().await?;
                let object = super::swarm::inspect(self, kind, reference).await?;
                let id = object["ID"].as_str().map(str::to_owned);
                (id, Some(super::swarm::spec_labels(&object)))
            }
        };
        // Acting on the name again would undo the point of looking it up.
        let id = id.filter(|id| !id.is_empty()).ok_or_else(|| {
            DockerError::new(
                super::ErrorKind::Engine,
                format!("the engine's answer for {kind} `{reference}` has no id"),
            )
        })?;
        Ok(Found {
            id,
            labels: labels.unwrap_or_default(),
            namespaces,
            auto_remove,
        })
    }

    async fn container_mounts(&self) -> Result<Vec<HostMount>, DockerError> {
        let opts = q::ListContainersOptions {
            all: true,
            ..Default::default()
        };
        let list = self
            .request(|d| async move { d.list_containers(Some(opts)).await })
            .await?;
        let mut mounts = Vec::new();
        for c in list {
            let holder = Holder {
                kind: Kind::Container,
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .iter()
                    .flatten()
                    .next()
                    .map(|n| n.trim_start_matches('/').to_owned())
                    .unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
            };
            for m in c.mounts.into_iter().flatten() {
                let kind = match m.typ.as_deref() {
                    Some("bind") => MountKind::Bind,
                    Some("volume") => MountKind::Volume,
                    _ => continue,
                };
                let Some(source) = m.source.filter(|s| !s.is_empty()) else {
                    continue;
                };
                mounts.push(HostMount {
                    holder: holder.clone(),
                    source,
                    kind,
                    writable: m.rw != Some(false),
                });
            }
        }
        Ok(mounts)
    }

    async fn service_mounts(&self) -> Result<Vec<HostMount>, DockerError> {
        use wharf_core::engine::Swarm;
        // Only a manager knows the services; elsewhere their tasks are containers. Podman
        // has no services at all.
        if self.product().await?.is_podman() || self.swarm_info().await?["ControlAvailable"] != true
        {
            return Ok(Vec::new());
        }
        let services = self.list_services(Default::default()).await?;
        Ok(service_mounts(&services))
    }
}

/// The bind mounts of each service in a `GET /services` answer, of its spec and the one
/// before.
fn service_mounts(services: &serde_json::Value) -> Vec<HostMount> {
    let mut mounts = Vec::new();
    for s in services.as_array().into_iter().flatten() {
        let holder = Holder {
            kind: Kind::Service,
            id: s["ID"].as_str().unwrap_or_default().to_owned(),
            name: s["Spec"]["Name"].as_str().unwrap_or_default().to_owned(),
            labels: super::swarm::spec_labels(s),
        };
        // The previous spec too: a rollback, asked for or automatic, mounts its binds.
        let specs = ["Spec", "PreviousSpec"]
            .into_iter()
            .filter_map(|spec| s[spec]["TaskTemplate"]["ContainerSpec"]["Mounts"].as_array());
        for m in specs.flatten() {
            // A volume's source here is its name; where it lives is each node's to choose.
            if m["Type"] != "bind" {
                continue;
            }
            let Some(source) = m["Source"].as_str().filter(|s| !s.is_empty()) else {
                continue;
            };
            mounts.push(HostMount {
                holder: holder.clone(),
                source: source.to_owned(),
                kind: MountKind::Bind,
                writable: m["ReadOnly"] != true,
            });
        }
    }
    mounts
}

//! Finding objects for the guard, on bollard.

use super::{DockerError, Engine};
use async_trait::async_trait;
use bollard::query_parameters as q;
use wharf_core::engine::{Found, Kind, Lookup, Namespaces};

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
        let (id, labels) = match kind {
            Kind::Container => {
                let c = self
                    .request(|d| async move {
                        d.inspect_container(reference, None::<q::InspectContainerOptions>)
                            .await
                    })
                    .await?;
                if let Some(h) = c.host_config {
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
        })
    }
}

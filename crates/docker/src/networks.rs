//! Networks, on bollard.

use super::{DockerError, Engine, ErrorKind};
use super::{json, query};
use async_trait::async_trait;
use bollard::models::{NetworkConnectRequest, NetworkDisconnectRequest};
use bollard::query_parameters as q;
use wharf_core::engine::{
    self, EndpointSettings, Filters, Json, NetworkCreateRequest, NetworkSummary,
};

#[async_trait]
impl engine::Networks for Engine {
    async fn list_networks(&self, filters: Filters) -> Result<Vec<NetworkSummary>, DockerError> {
        let opts = q::ListNetworksOptions {
            filters: query(filters),
        };
        let list = self
            .request(|d| async move { d.list_networks(Some(opts)).await })
            .await?;
        Ok(list
            .into_iter()
            .map(|net| NetworkSummary {
                id: net.id.unwrap_or_default(),
                name: net.name.unwrap_or_default(),
                driver: net.driver.unwrap_or_default(),
                scope: net.scope.unwrap_or_default(),
                internal: net.internal.unwrap_or(false),
                attachable: net.attachable.unwrap_or(false),
                subnets: net
                    .ipam
                    .and_then(|i| i.config)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|c| c.subnet)
                    .collect(),
                labels: net.labels.unwrap_or_default().into_iter().collect(),
                created: net.created.unwrap_or_default(),
            })
            .collect())
    }

    async fn inspect_network(&self, id: &str) -> Result<Json, DockerError> {
        let info = self
            .request(|d| async move {
                d.inspect_network(id, None::<q::InspectNetworkOptions>)
                    .await
            })
            .await?;
        json(&info)
    }

    async fn create_network(&self, spec: NetworkCreateRequest) -> Result<String, DockerError> {
        // Engines before API 1.44 create a second network of the same name unless asked
        // not to, and bollard's model no longer has the field that asks; refuse as newer
        // engines do, so a name always means one network.
        let name = spec.name.clone();
        let opts = q::ListNetworksOptions {
            filters: Some(std::collections::HashMap::from([(
                "name".to_owned(),
                vec![name.clone()],
            )])),
        };
        let existing = self
            .request(|d| async move { d.list_networks(Some(opts)).await })
            .await?;
        if existing
            .iter()
            .any(|n| n.name.as_deref() == Some(name.as_str()))
        {
            return Err(DockerError::new(
                ErrorKind::Conflict,
                format!("network with name {name} already exists"),
            ));
        }
        let created = self
            .request(|d| async move { d.create_network(spec).await })
            .await?;
        Ok(created.id)
    }

    async fn remove_network(&self, id: &str) -> Result<(), DockerError> {
        self.request(|d| async move { d.remove_network(id).await })
            .await
    }

    async fn connect_network(
        &self,
        network: &str,
        container: &str,
        endpoint: EndpointSettings,
    ) -> Result<(), DockerError> {
        let req = NetworkConnectRequest {
            container: container.to_owned(),
            endpoint_config: Some(endpoint),
        };
        self.request(|d| async move { d.connect_network(network, req).await })
            .await
    }

    async fn disconnect_network(
        &self,
        network: &str,
        container: &str,
        force: bool,
    ) -> Result<(), DockerError> {
        let req = NetworkDisconnectRequest {
            container: container.to_owned(),
            force: Some(force),
        };
        self.request(|d| async move { d.disconnect_network(network, req).await })
            .await
    }

    async fn prune_networks(&self, filters: Filters) -> Result<Vec<String>, DockerError> {
        let opts = q::PruneNetworksOptions {
            filters: query(filters),
        };
        let pruned = self
            .request(|d| async move { d.prune_networks(Some(opts)).await })
            .await?;
        Ok(pruned.networks_deleted.unwrap_or_default())
    }
}

//! `networks`: the capability interface, on bollard.

use super::host::{DockerHost, filter_map, sorted_labels, wit};
use super::scope::Kind;
use super::{DockerError, error::ErrorKind};
use crate::runtime::bindings::wharf::docker::{networks as n, types};
use bollard::models::{
    EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
};
use bollard::query_parameters as q;

type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

impl n::Host for DockerHost<'_> {
    async fn list(&mut self, filters: Vec<types::Filter>) -> WitResult<Vec<n::NetworkSummary>> {
        let filters = self.scoped(filters);
        let engine = self.engine;
        wit(async {
            let opts = q::ListNetworksOptions {
                filters: filter_map(filters),
            };
            let list = engine
                .request(|d| async move { d.list_networks(Some(opts)).await })
                .await?;
            Ok(list
                .into_iter()
                .map(|net| n::NetworkSummary {
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
                    labels: sorted_labels(net.labels),
                    created: net.created.unwrap_or_default(),
                })
                .collect())
        })
        .await
    }

    async fn inspect(&mut self, id: String) -> WitResult<String> {
        if let Err(e) = super::scope::check_scope(self.engine, self.scope, Kind::Network, &id).await
        {
            return Ok(Err(e.into()));
        }
        let engine = self.engine;
        wit(async {
            let info = engine
                .request(|d| async move {
                    d.inspect_network(&id, None::<q::InspectNetworkOptions>)
                        .await
                })
                .await?;
            serde_json::to_string(&info)
                .map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))
        })
        .await
    }

    async fn create(&mut self, spec: String) -> WitResult<String> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let spec = match self.labelled(spec) {
            Ok(spec) => spec,
            Err(e) => return Ok(Err(e.into())),
        };
        let engine = self.engine;
        wit(async {
            let body: NetworkCreateRequest = serde_json::from_str(&spec).map_err(|e| {
                DockerError::invalid(format!("the network spec is not a Docker create body: {e}"))
            })?;
            // Engines before API 1.44 create a second network of the same name unless asked
            // not to, and bollard's model no longer has the field that asks; refuse as newer
            // engines do, so a name always means one network.
            let name = body.name.clone();
            let opts = q::ListNetworksOptions {
                filters: Some(std::collections::HashMap::from([(
                    "name".to_owned(),
                    vec![name.clone()],
                )])),
            };
            let existing = engine
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
            let created = engine
                .request(|d| async move { d.create_network(body).await })
                .await?;
            Ok(created.id)
        })
        .await
    }

    async fn remove(&mut self, id: String) -> WitResult<()> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        if let Err(e) = super::scope::check_scope(self.engine, self.scope, Kind::Network, &id).await
        {
            return Ok(Err(e.into()));
        }
        wit(self
            .engine
            .request(|d| async move { d.remove_network(&id).await }))
        .await
    }

    async fn connect(
        &mut self,
        network: String,
        container: String,
        endpoint: String,
    ) -> WitResult<()> {
        if let Err(e) = self.attachment_guard(&network, &container).await {
            return Ok(Err(e));
        }
        let engine = self.engine;
        wit(async {
            let endpoint: EndpointSettings = serde_json::from_str(&endpoint).map_err(|e| {
                DockerError::invalid(format!("the endpoint settings are not valid: {e}"))
            })?;
            let docker = engine.client().await?;
            let req = NetworkConnectRequest {
                container,
                endpoint_config: Some(endpoint),
            };
            docker
                .connect_network(&network, req)
                .await
                .map_err(|e| engine.error(e))
        })
        .await
    }

    async fn disconnect(
        &mut self,
        network: String,
        container: String,
        force: bool,
    ) -> WitResult<()> {
        if let Err(e) = self.attachment_guard(&network, &container).await {
            return Ok(Err(e));
        }
        let req = NetworkDisconnectRequest {
            container,
            force: Some(force),
        };
        wit(self
            .engine
            .request(|d| async move { d.disconnect_network(&network, req).await }))
        .await
    }

    async fn prune(&mut self, filters: Vec<types::Filter>) -> WitResult<Vec<String>> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let filters = self.scoped(filters);
        let engine = self.engine;
        wit(async {
            let opts = q::PruneNetworksOptions {
                filters: filter_map(filters),
            };
            let pruned = engine
                .request(|d| async move { d.prune_networks(Some(opts)).await })
                .await?;
            Ok(pruned.networks_deleted.unwrap_or_default())
        })
        .await
    }
}

//! Networks and volumes on the model.

use super::super::MockDocker;
use crate::model::{Filters as Known, NetworkSpec};
use crate::render;
use async_trait::async_trait;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use wharf_core::engine::DockerError;
use wharf_core::engine::{
    EndpointSettings, Filters, Json, NetworkCreateRequest, NetworkSummary, Networks, Pruned,
    VolumeCreateRequest, VolumeSummary, Volumes,
};

type Result<T> = std::result::Result<T, DockerError>;

fn sorted(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

#[async_trait]
impl Networks for MockDocker {
    async fn list_networks(&self, filters: Filters) -> Result<Vec<NetworkSummary>> {
        self.record("networks", "list", json!({ "filters": filters }));
        let m = self.model();
        let f = Known::new(
            filters,
            &["dangling", "driver", "id", "label", "name", "scope", "type"],
        )?;
        let mut out = Vec::new();
        for net in &m.networks {
            if m.network_matches(&f, net)? {
                out.push(render::network_summary(net));
            }
        }
        Ok(out)
    }

    async fn inspect_network(&self, id: &str) -> Result<Json> {
        self.record("networks", "inspect", json!({ "id": id }));
        let m = self.model();
        m.network_index(id)
            .map(|i| render::network_inspect(&m, &m.networks[i]))
    }

    async fn create_network(&self, body: NetworkCreateRequest) -> Result<String> {
        self.record("networks", "create", json!({ "spec": body }));
        let configs = body.ipam.and_then(|i| i.config).unwrap_or_default();
        let spec = NetworkSpec {
            name: body.name,
            driver: body.driver,
            internal: body.internal.unwrap_or(false),
            attachable: body.attachable.unwrap_or(false),
            subnets: configs.iter().filter_map(|c| c.subnet.clone()).collect(),
            gateway: configs.first().and_then(|c| c.gateway.clone()),
            labels: sorted(body.labels),
            options: sorted(body.options),
        };
        self.change(|m| m.create_network(spec))
    }

    async fn remove_network(&self, id: &str) -> Result<()> {
        self.record("networks", "remove", json!({ "id": id }));
        self.change(|m| m.remove_network(id))
    }

    async fn connect_network(
        &self,
        network: &str,
        container: &str,
        endpoint: EndpointSettings,
    ) -> Result<()> {
        self.record(
            "networks",
            "connect",
            json!({ "network": network, "container": container, "endpoint": endpoint }),
        );
        let aliases = endpoint.aliases.unwrap_or_default();
        let ip = endpoint.ipam_config.and_then(|c| c.ipv4_address);
        self.change(|m| m.connect(network, container, aliases, ip))
    }

    async fn disconnect_network(&self, network: &str, container: &str, force: bool) -> Result<()> {
        self.record(
            "networks",
            "disconnect",
            json!({ "network": network, "container": container, "force": force }),
        );
        self.change(|m| m.disconnect(network, container))
    }

    async fn prune_networks(&self, filters: Filters) -> Result<Vec<String>> {
        self.record("networks", "prune", json!({ "filters": filters }));
        let f = Known::new(filters, &["label", "label!", "until"])?;
        self.change(|m| {
            let keep: Vec<String> = m
                .networks
                .iter()
                .filter(|n| !(f.labels(&n.labels) && f.until(n.created).unwrap_or(false)))
                .map(|n| n.id.clone())
                .collect();
            Ok(m.prune_networks(|n| keep.contains(&n.id)))
        })
    }
}

#[async_trait]
impl Volumes for MockDocker {
    async fn list_volumes(&self, filters: Filters) -> Result<Vec<VolumeSummary>> {
        self.record("volumes", "list", json!({ "filters": filters }));
        let m = self.model();
        let f = Known::new(filters, &["dangling", "driver", "label", "label!", "name"])?;
        let mut out = Vec::new();
        for vol in &m.volumes {
            if m.volume_matches(&f, vol)? {
                out.push(render::volume_summary(vol));
            }
        }
        Ok(out)
    }

    async fn inspect_volume(&self, name: &str) -> Result<Json> {
        self.record("volumes", "inspect", json!({ "name": name }));
        let m = self.model();
        m.volume_index(name)
            .map(|i| render::volume_inspect(&m.volumes[i]))
    }

    async fn create_volume(&self, body: VolumeCreateRequest) -> Result<Json> {
        self.record("volumes", "create", json!({ "spec": body }));
        Ok(self.change(|m| {
            let name = match body.name.filter(|n| !n.is_empty()) {
                Some(n) => n,
                None => m.new_id("volume"),
            };
            let driver = body.driver.unwrap_or_else(|| "local".into());
            let i = m.create_volume(
                &name,
                &driver,
                sorted(body.labels),
                sorted(body.driver_opts),
            );
            render::volume_inspect(&m.volumes[i])
        }))
    }

    async fn remove_volume(&self, name: &str, force: bool) -> Result<()> {
        self.record("volumes", "remove", json!({ "name": name, "force": force }));
        self.change(|m| m.remove_volume(name, force))
    }

    async fn prune_volumes(&self, filters: Filters) -> Result<Pruned> {
        self.record("volumes", "prune", json!({ "filters": filters }));
        let f = Known::new(filters, &["label", "label!", "all"])?;
        // API 1.41 (the engine the parity tests run) prunes anonymous and named alike.
        self.change(|m| {
            let keep: Vec<String> = m
                .volumes
                .iter()
                .filter(|v| !f.labels(&v.labels))
                .map(|v| v.name.clone())
                .collect();
            let (deleted, space_reclaimed) = m.prune_volumes(|v| keep.contains(&v.name));
            Ok(Pruned {
                deleted,
                space_reclaimed,
            })
        })
    }
}

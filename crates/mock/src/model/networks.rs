//! Networks: create with the engine's duplicate check, connect and disconnect, remove with
//! the engine's refusals for predefined and busy networks, prune.

use super::{
    Attachment, Model, Network, RunState, conflict, engine, forbidden, not_found, resolve,
};
use std::collections::BTreeMap;
use std::time::SystemTime;
use wharf_core::engine::DockerError;

/// What `POST /networks/create` asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct NetworkSpec {
    pub name: String,
    pub driver: Option<String>,
    pub internal: bool,
    pub attachable: bool,
    pub subnets: Vec<String>,
    pub gateway: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

impl Model {
    pub fn network_index(&self, reference: &str) -> Result<usize, DockerError> {
        resolve(&self.networks, reference, |n| &n.id, |n| &n.name, "network")?
            .ok_or_else(|| not_found(format!("network {reference} not found")))
    }

    pub fn create_network(&mut self, spec: NetworkSpec) -> Result<String, DockerError> {
        if spec.name.is_empty() {
            return Err(super::invalid("network name is required"));
        }
        if self.networks.iter().any(|n| n.name == spec.name) {
            return Err(conflict(format!(
                "network with name {} already exists",
                spec.name
            )));
        }
        let driver = spec
            .driver
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "bridge".into());
        let subnets = if spec.subnets.is_empty() && driver == "bridge" {
            vec![self.next_subnet()]
        } else {
            spec.subnets
        };
        let gateway = spec.gateway.or_else(|| {
            subnets
                .first()
                .and_then(|s| s.split('/').next())
                .map(|base| host_address(base, 1))
        });
        let id = self.new_id("network");
        self.networks.push(Network {
            id: id.clone(),
            name: spec.name.clone(),
            driver: driver.clone(),
            scope: "local".into(),
            internal: spec.internal,
            attachable: spec.attachable,
            subnets,
            gateway,
            labels: spec.labels.clone(),
            options: spec.options,
            created: SystemTime::now(),
            predefined: false,
            next_host: 2,
        });
        self.record_with(
            "network",
            "create",
            &id,
            &[("name", &spec.name), ("type", &driver)],
            &spec.labels,
        );
        Ok(id)
    }

    /// The next address on the network's first subnet (empty for host/none).
    pub fn allocate_ip(&mut self, network_id: &str) -> String {
        let Some(n) = self.networks.iter_mut().find(|n| n.id == network_id) else {
            return String::new();
        };
        let Some(base) = n.subnets.first().and_then(|s| s.split('/').next()) else {
            return String::new();
        };
        let ip = host_address(base, n.next_host);
        n.next_host += 1;
        ip
    }

    /// Containers with a process attached to the network: its active endpoints.
    pub fn active_endpoints(&self, network_id: &str) -> usize {
        self.containers
            .iter()
            .filter(|c| c.state != RunState::Created && c.state != RunState::Exited)
            .filter(|c| c.attachments.iter().any(|a| a.network_id == network_id))
            .count()
    }

    pub fn remove_network(&mut self, reference: &str) -> Result<(), DockerError> {
        let i = self.network_index(reference)?;
        let n = &self.networks[i];
        if n.predefined {
            return Err(forbidden(format!(
                "{} is a pre-defined network and cannot be removed",
                n.name
            )));
        }
        if self.active_endpoints(&n.id) > 0 {
            return Err(forbidden(format!(
                "error while removing network: network {} id {} has active endpoints",
                n.name, n.id
            )));
        }
        let n = self.networks.remove(i);
        for c in &mut self.containers {
            c.attachments.retain(|a| a.network_id != n.id);
        }
        self.record_with(
            "network",
            "destroy",
            &n.id,
            &[("name", &n.name), ("type", &n.driver)],
            &n.labels,
        );
        Ok(())
    }

    pub fn connect(
        &mut self,
        network: &str,
        container: &str,
        aliases: Vec<String>,
        ip: Option<String>,
    ) -> Result<(), DockerError> {
        let n = self.network_index(network)?;
        let c = self.container_index(container)?;
        let net_id = self.networks[n].id.clone();
        let net_name = self.networks[n].name.clone();
        let ctr = &self.containers[c];
        if ctr.attachments.iter().any(|a| a.network_id == net_id) {
            if ctr.state.is_up() {
                return Err(forbidden(format!(
                    "endpoint with name {} already exists in network {net_name}",
                    ctr.name
                )));
            }
            return Ok(());
        }
        let ip = match ip {
            Some(ip) => ip,
            None => self.allocate_ip(&net_id),
        };
        let ctr_id = self.containers[c].id.clone();
        self.containers[c].attachments.push(Attachment {
            network_id: net_id.clone(),
            ip,
            aliases,
        });
        self.record(
            "network",
            "connect",
            &net_id,
            &[("container", &ctr_id), ("name", &net_name)],
        );
        Ok(())
    }

    pub fn disconnect(&mut self, network: &str, container: &str) -> Result<(), DockerError> {
        let n = self.network_index(network)?;
        let c = self.container_index(container)?;
        let (net_id, net_name) = (self.networks[n].id.clone(), self.networks[n].name.clone());
        let ctr = &mut self.containers[c];
        let before = ctr.attachments.len();
        ctr.attachments.retain(|a| a.network_id != net_id);
        if ctr.attachments.len() == before {
            // The engine words it differently for a running container.
            let the = if ctr.state.is_up() { "" } else { "the " };
            return Err(engine(format!(
                "container {} is not connected to {the}network {net_name}",
                ctr.id
            )));
        }
        let ctr_id = ctr.id.clone();
        self.record(
            "network",
            "disconnect",
            &net_id,
            &[("container", &ctr_id), ("name", &net_name)],
        );
        Ok(())
    }

    /// Remove the networks no container is attached to (the predefined ones stay).
    pub fn prune_networks(&mut self, keep: impl Fn(&Network) -> bool) -> Vec<String> {
        let unused: Vec<String> = self
            .networks
            .iter()
            .filter(|n| !n.predefined && !keep(n))
            .filter(|n| {
                !self
                    .containers
                    .iter()
                    .any(|c| c.attachments.iter().any(|a| a.network_id == n.id))
            })
            .map(|n| n.id.clone())
            .collect();
        let mut names = Vec::new();
        for id in unused {
            if let Ok(i) = self.network_index(&id) {
                names.push(self.networks[i].name.clone());
                let _ = self.remove_network(&id);
            }
        }
        names
    }
}

/// `base` (an IPv4 network address) plus `n` in its last two octets.
fn host_address(base: &str, n: u32) -> String {
    let octets: Vec<u32> = base.split('.').filter_map(|o| o.parse().ok()).collect();
    if octets.len() != 4 {
        return String::new();
    }
    let v = (octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3]).wrapping_add(n);
    format!(
        "{}.{}.{}.{}",
        v >> 24,
        (v >> 16) & 255,
        (v >> 8) & 255,
        v & 255
    )
}

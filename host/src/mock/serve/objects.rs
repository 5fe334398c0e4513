//! networks and volumes on the model.

use super::{ModelHost, WitResult, done, filter_map, filters_json, render};
use crate::docker::DockerError;
use crate::mock::model::{Filters, NetworkSpec, invalid};
use crate::runtime::bindings::wharf::docker::{networks as n, types, volumes as v};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn spec_error(what: &str, e: serde_json::Error) -> DockerError {
    invalid(format!("the {what} spec is not valid JSON: {e}"))
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

impl n::Host for ModelHost<'_> {
    async fn list(&mut self, filters: Vec<types::Filter>) -> WitResult<Vec<n::NetworkSummary>> {
        self.record(
            "networks",
            "list",
            json!({ "filters": filters_json(&filters) }),
        );
        let m = self.docker.model();
        done((|| {
            let f = Filters::new(
                filter_map(filters),
                &["dangling", "driver", "id", "label", "name", "scope", "type"],
            )?;
            let mut out = Vec::new();
            for net in &m.networks {
                if m.network_matches(&f, net)? {
                    out.push(render::network_summary(net));
                }
            }
            Ok(out)
        })())
    }

    async fn inspect(&mut self, id: String) -> WitResult<String> {
        self.record("networks", "inspect", json!({ "id": id }));
        let m = self.docker.model();
        done(
            m.network_index(&id)
                .map(|i| render::network_inspect(&m, &m.networks[i]).to_string()),
        )
    }

    async fn create(&mut self, spec: String) -> WitResult<String> {
        let body: Result<Value, _> = serde_json::from_str(&spec);
        self.record("networks", "create", json!({ "spec": body.as_ref().ok() }));
        done(self.writable().and_then(|()| {
            let body = body.map_err(|e| spec_error("network", e))?;
            let subnets = body["IPAM"]["Config"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["Subnet"].as_str().map(str::to_owned))
                .collect();
            let gateway = body["IPAM"]["Config"][0]["Gateway"]
                .as_str()
                .map(str::to_owned);
            let spec = NetworkSpec {
                name: body["Name"].as_str().unwrap_or_default().to_owned(),
                driver: body["Driver"].as_str().map(str::to_owned),
                internal: body["Internal"].as_bool().unwrap_or(false),
                attachable: body["Attachable"].as_bool().unwrap_or(false),
                subnets,
                gateway,
                labels: string_map(&body["Labels"]),
                options: string_map(&body["Options"]),
            };
            self.docker.change(|m| m.create_network(spec))
        }))
    }

    async fn remove(&mut self, id: String) -> WitResult<()> {
        self.record("networks", "remove", json!({ "id": id }));
        done(
            self.writable()
                .and_then(|()| self.docker.change(|m| m.remove_network(&id))),
        )
    }

    async fn connect(
        &mut self,
        network: String,
        container: String,
        endpoint: String,
    ) -> WitResult<()> {
        let settings: Value = serde_json::from_str(&endpoint).unwrap_or(Value::Null);
        self.record(
            "networks",
            "connect",
            json!({ "network": network, "container": container, "endpoint": settings }),
        );
        done(self.writable().and_then(|()| {
            let aliases = settings["Aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect();
            let ip = settings["IPAMConfig"]["IPv4Address"]
                .as_str()
                .map(str::to_owned);
            self.docker
                .change(|m| m.connect(&network, &container, aliases, ip))
        }))
    }

    async fn disconnect(
        &mut self,
        network: String,
        container: String,
        force: bool,
    ) -> WitResult<()> {
        self.record(
            "networks",
            "disconnect",
            json!({ "network": network, "container": container, "force": force }),
        );
        done(
            self.writable()
                .and_then(|()| self.docker.change(|m| m.disconnect(&network, &container))),
        )
    }

    async fn prune(&mut self, filters: Vec<types::Filter>) -> WitResult<Vec<String>> {
        self.record(
            "networks",
            "prune",
            json!({ "filters": filters_json(&filters) }),
        );
        done(self.writable().and_then(|()| {
            let f = Filters::new(filter_map(filters), &["label", "label!", "until"])?;
            self.docker.change(|m| {
                let keep: Vec<String> = m
                    .networks
                    .iter()
                    .filter(|n| !(f.labels(&n.labels) && f.until(n.created).unwrap_or(false)))
                    .map(|n| n.id.clone())
                    .collect();
                Ok(m.prune_networks(|n| keep.contains(&n.id)))
            })
        }))
    }
}

impl v::Host for ModelHost<'_> {
    async fn list(&mut self, filters: Vec<types::Filter>) -> WitResult<Vec<v::VolumeSummary>> {
        self.record(
            "volumes",
            "list",
            json!({ "filters": filters_json(&filters) }),
        );
        let m = self.docker.model();
        done((|| {
            let f = Filters::new(
                filter_map(filters),
                &["dangling", "driver", "label", "label!", "name"],
            )?;
            let mut out = Vec::new();
            for vol in &m.volumes {
                if m.volume_matches(&f, vol)? {
                    out.push(render::volume_summary(vol));
                }
            }
            Ok(out)
        })())
    }

    async fn inspect(&mut self, name: String) -> WitResult<String> {
        self.record("volumes", "inspect", json!({ "name": name }));
        let m = self.docker.model();
        done(
            m.volume_index(&name)
                .map(|i| render::volume_inspect(&m.volumes[i]).to_string()),
        )
    }

    async fn create(&mut self, spec: String) -> WitResult<String> {
        let body: Result<Value, _> = serde_json::from_str(&spec);
        self.record("volumes", "create", json!({ "spec": body.as_ref().ok() }));
        done(self.writable().and_then(|()| {
            let body = body.map_err(|e| spec_error("volume", e))?;
            let name = match body["Name"].as_str().filter(|n| !n.is_empty()) {
                Some(n) => n.to_owned(),
                None => self.docker.change(|m| m.new_id("volume")),
            };
            let driver = body["Driver"].as_str().unwrap_or("local").to_owned();
            Ok(self.docker.change(|m| {
                let i = m.create_volume(
                    &name,
                    &driver,
                    string_map(&body["Labels"]),
                    string_map(&body["DriverOpts"]),
                );
                render::volume_inspect(&m.volumes[i]).to_string()
            }))
        }))
    }

    async fn remove(&mut self, name: String, force: bool) -> WitResult<()> {
        self.record("volumes", "remove", json!({ "name": name, "force": force }));
        done(
            self.writable()
                .and_then(|()| self.docker.change(|m| m.remove_volume(&name, force))),
        )
    }

    async fn prune(&mut self, filters: Vec<types::Filter>) -> WitResult<v::PruneReport> {
        self.record(
            "volumes",
            "prune",
            json!({ "filters": filters_json(&filters) }),
        );
        done(self.writable().and_then(|()| {
            let f = Filters::new(filter_map(filters), &["label", "label!", "all"])?;
            // API 1.41 (the engine the parity tests run) prunes anonymous and named alike.
            self.docker.change(|m| {
                let keep: Vec<String> = m
                    .volumes
                    .iter()
                    .filter(|v| !f.labels(&v.labels))
                    .map(|v| v.name.clone())
                    .collect();
                let (deleted, space_reclaimed) = m.prune_volumes(|v| keep.contains(&v.name));
                Ok(v::PruneReport {
                    deleted,
                    space_reclaimed,
                })
            })
        }))
    }
}

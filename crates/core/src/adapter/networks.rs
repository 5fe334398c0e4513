//! `networks`.

use super::{Adapter, WitResult, body, filters, labels, text, wit};
use crate::engine::DockerError;
use crate::runtime::bindings::wharf::docker::{networks as n, types};

impl n::Host for Adapter<'_> {
    async fn list(&mut self, f: Vec<types::Filter>) -> WitResult<Vec<n::NetworkSummary>> {
        wit(self.guard.list_networks(filters(f)).await.map(|list| {
            list.into_iter()
                .map(|net| n::NetworkSummary {
                    id: net.id,
                    name: net.name,
                    driver: net.driver,
                    scope: net.scope,
                    internal: net.internal,
                    attachable: net.attachable,
                    subnets: net.subnets,
                    labels: labels(net.labels),
                    created: net.created,
                })
                .collect()
        }))
    }

    async fn inspect(&mut self, id: String) -> WitResult<String> {
        wit(self.guard.inspect_network(&id).await.map(|v| text(&v)))
    }

    async fn create(&mut self, spec: String) -> WitResult<String> {
        let spec = match body("network spec", "create body", &spec) {
            Ok(spec) => spec,
            Err(e) => return wit(Err(e)),
        };
        wit(self.guard.create_network(spec).await)
    }

    async fn remove(&mut self, id: String) -> WitResult<()> {
        wit(self.guard.remove_network(&id).await)
    }

    async fn connect(
        &mut self,
        network: String,
        container: String,
        endpoint: String,
    ) -> WitResult<()> {
        let endpoint = match serde_json::from_str(&endpoint) {
            Ok(e) => e,
            Err(e) => {
                return wit(Err(DockerError::invalid(format!(
                    "the endpoint settings are not valid: {e}"
                ))));
            }
        };
        wit(self
            .guard
            .connect_network(&network, &container, endpoint)
            .await)
    }

    async fn disconnect(
        &mut self,
        network: String,
        container: String,
        force: bool,
    ) -> WitResult<()> {
        wit(self
            .guard
            .disconnect_network(&network, &container, force)
            .await)
    }

    async fn prune(&mut self, f: Vec<types::Filter>) -> WitResult<Vec<String>> {
        wit(self.guard.prune_networks(filters(f)).await)
    }
}

//! `volumes`.

use super::{Adapter, WitResult, body, filters, labels, text, wit};
use crate::runtime::bindings::wharf::docker::{types, volumes as v};

impl v::Host for Adapter<'_> {
    async fn list(&mut self, f: Vec<types::Filter>) -> WitResult<Vec<v::VolumeSummary>> {
        wit(self.guard.list_volumes(filters(f)).await.map(|list| {
            list.into_iter()
                .map(|vol| v::VolumeSummary {
                    name: vol.name,
                    driver: vol.driver,
                    mountpoint: vol.mountpoint,
                    created: vol.created,
                    labels: labels(vol.labels),
                })
                .collect()
        }))
    }

    async fn inspect(&mut self, name: String) -> WitResult<String> {
        wit(self.guard.inspect_volume(&name).await.map(|v| text(&v)))
    }

    async fn create(&mut self, spec: String) -> WitResult<String> {
        let spec = match body("volume spec", "create body", &spec) {
            Ok(spec) => spec,
            Err(e) => return wit(Err(e)),
        };
        wit(self.guard.create_volume(spec).await.map(|v| text(&v)))
    }

    async fn remove(&mut self, name: String, force: bool) -> WitResult<()> {
        wit(self.guard.remove_volume(&name, force).await)
    }

    async fn prune(&mut self, f: Vec<types::Filter>) -> WitResult<v::PruneReport> {
        wit(self
            .guard
            .prune_volumes(filters(f))
            .await
            .map(|p| v::PruneReport {
                deleted: p.deleted,
                space_reclaimed: p.space_reclaimed,
            }))
    }
}

//! `images-read` and `images-write`: the capability interfaces, on bollard.

use super::containers::{DockerHost, filter_map, sorted_labels, wit};
use super::{DockerError, error::ErrorKind};
use crate::runtime::bindings::wharf::docker::{images_read as r, images_write as w, types};
use bollard::query_parameters as q;

type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

fn non_negative(n: i64) -> u64 {
    n.max(0) as u64
}

impl r::Host for DockerHost<'_> {
    async fn list(
        &mut self,
        all: bool,
        filters: Vec<types::Filter>,
    ) -> WitResult<Vec<r::ImageSummary>> {
        let engine = self.engine;
        wit(async {
            let opts = q::ListImagesOptions {
                all,
                filters: filter_map(filters),
                ..Default::default()
            };
            let list = engine
                .request(|d| async move { d.list_images(Some(opts)).await })
                .await?;
            Ok(list
                .into_iter()
                .map(|i| r::ImageSummary {
                    id: i.id,
                    tags: i
                        .repo_tags
                        .into_iter()
                        .filter(|t| t != "<none>:<none>")
                        .collect(),
                    created: i.created,
                    size: non_negative(i.size),
                    labels: sorted_labels(Some(i.labels)),
                })
                .collect())
        })
        .await
    }

    async fn inspect(&mut self, name: String) -> WitResult<String> {
        let engine = self.engine;
        wit(async {
            let info = engine
                .request(|d| async move { d.inspect_image(&name).await })
                .await?;
            serde_json::to_string(&info)
                .map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))
        })
        .await
    }

    async fn history(&mut self, name: String) -> WitResult<Vec<r::HistoryEntry>> {
        let engine = self.engine;
        wit(async {
            let items = engine
                .request(|d| async move { d.image_history(&name).await })
                .await?;
            Ok(items
                .into_iter()
                .map(|h| r::HistoryEntry {
                    id: h.id,
                    created: h.created,
                    created_by: h.created_by,
                    size: non_negative(h.size),
                    comment: h.comment,
                })
                .collect())
        })
        .await
    }
}

impl w::Host for DockerHost<'_> {
    async fn tag(&mut self, name: String, repo: String, tag: String) -> WitResult<()> {
        let opts = q::TagImageOptions {
            repo: Some(repo),
            tag: Some(tag),
        };
        wit(self
            .engine
            .request(|d| async move { d.tag_image(&name, Some(opts)).await }))
        .await
    }

    async fn remove(&mut self, name: String, force: bool, no_prune: bool) -> WitResult<w::Removed> {
        let engine = self.engine;
        wit(async {
            let opts = q::RemoveImageOptions {
                force,
                noprune: no_prune,
                platforms: None,
            };
            let items = engine
                .request(|d| async move { d.remove_image(&name, Some(opts), None).await })
                .await?;
            let mut removed = w::Removed {
                untagged: Vec::new(),
                deleted: Vec::new(),
            };
            for i in items {
                removed.untagged.extend(i.untagged);
                removed.deleted.extend(i.deleted);
            }
            Ok(removed)
        })
        .await
    }

    async fn prune(&mut self, filters: Vec<types::Filter>) -> WitResult<w::PruneReport> {
        let engine = self.engine;
        wit(async {
            let opts = q::PruneImagesOptions {
                filters: filter_map(filters),
            };
            let pruned = engine
                .request(|d| async move { d.prune_images(Some(opts)).await })
                .await?;
            Ok(w::PruneReport {
                deleted: pruned
                    .images_deleted
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|i| i.deleted)
                    .collect(),
                space_reclaimed: non_negative(pruned.space_reclaimed.unwrap_or(0)),
            })
        })
        .await
    }
}

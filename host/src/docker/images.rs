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
            let docker = engine.client().await?;
            let opts = q::ListImagesOptions {
                all,
                filters: filter_map(filters),
                ..Default::default()
            };
            let list = docker
                .list_images(Some(opts))
                .await
                .map_err(|e| engine.error(e))?;
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
            let docker = engine.client().await?;
            let info = docker
                .inspect_image(&name)
                .await
                .map_err(|e| engine.error(e))?;
            serde_json::to_string(&info)
                .map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))
        })
        .await
    }

    async fn history(&mut self, name: String) -> WitResult<Vec<r::HistoryEntry>> {
        let engine = self.engine;
        wit(async {
            let docker = engine.client().await?;
            let items = docker
                .image_history(&name)
                .await
                .map_err(|e| engine.error(e))?;
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
        let engine = self.engine;
        wit(async {
            let docker = engine.client().await?;
            let opts = q::TagImageOptions {
                repo: Some(repo),
                tag: Some(tag),
            };
            docker
                .tag_image(&name, Some(opts))
                .await
                .map_err(|e| engine.error(e))
        })
        .await
    }

    async fn remove(&mut self, name: String, force: bool, no_prune: bool) -> WitResult<w::Removed> {
        let engine = self.engine;
        wit(async {
            let docker = engine.client().await?;
            let opts = q::RemoveImageOptions {
                force,
                noprune: no_prune,
                platforms: None,
            };
            let items = docker
                .remove_image(&name, Some(opts), None)
                .await
                .map_err(|e| engine.error(e))?;
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
            let docker = engine.client().await?;
            let opts = q::PruneImagesOptions {
                filters: filter_map(filters),
            };
            let pruned = docker
                .prune_images(Some(opts))
                .await
                .map_err(|e| engine.error(e))?;
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

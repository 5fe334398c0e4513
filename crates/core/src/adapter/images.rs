//! `images-read` and `images-write`.

use super::{Adapter, WitResult, filters, labels, text, wit};
use crate::runtime::bindings::wharf::docker::{images_read as r, images_write as w, types};

impl r::Host for Adapter<'_> {
    async fn list(&mut self, all: bool, f: Vec<types::Filter>) -> WitResult<Vec<r::ImageSummary>> {
        wit(self.guard.list_images(all, filters(f)).await.map(|list| {
            list.into_iter()
                .map(|i| r::ImageSummary {
                    id: i.id,
                    tags: i.tags,
                    created: i.created,
                    size: i.size,
                    labels: labels(i.labels),
                })
                .collect()
        }))
    }

    async fn inspect(&mut self, name: String) -> WitResult<String> {
        wit(self.guard.inspect_image(&name).await.map(|v| text(&v)))
    }

    async fn history(&mut self, name: String) -> WitResult<Vec<r::HistoryEntry>> {
        wit(self.guard.image_history(&name).await.map(|list| {
            list.into_iter()
                .map(|h| r::HistoryEntry {
                    id: h.id,
                    created: h.created,
                    created_by: h.created_by,
                    size: h.size,
                    comment: h.comment,
                })
                .collect()
        }))
    }
}

impl w::Host for Adapter<'_> {
    async fn tag(&mut self, name: String, repo: String, tag: String) -> WitResult<()> {
        wit(self.guard.tag_image(&name, &repo, &tag).await)
    }

    async fn remove(&mut self, name: String, force: bool, no_prune: bool) -> WitResult<w::Removed> {
        wit(self
            .guard
            .remove_image(&name, force, no_prune)
            .await
            .map(|r| w::Removed {
                untagged: r.untagged,
                deleted: r.deleted,
            }))
    }

    async fn prune(&mut self, f: Vec<types::Filter>) -> WitResult<w::PruneReport> {
        wit(self
            .guard
            .prune_images(filters(f))
            .await
            .map(|p| w::PruneReport {
                deleted: p.deleted,
                space_reclaimed: p.space_reclaimed,
            }))
    }

    async fn save(
        &mut self,
        images: Vec<String>,
        host_path: String,
        overwrite: bool,
    ) -> WitResult<u64> {
        wit(self.guard.save_images(images, &host_path, overwrite).await)
    }

    async fn load(&mut self, host_path: String) -> WitResult<Vec<String>> {
        wit(self.guard.load_images(&host_path).await)
    }
}

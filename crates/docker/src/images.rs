//! Images, on bollard: list, inspect, history, tag, remove, prune, save and load.

use super::{DockerError, Engine};
use super::{json, query};
use async_trait::async_trait;
use bollard::query_parameters as q;
use futures::StreamExt;
use wharf_core::engine::{
    self, Bytes, Filters, HistoryEntry, ImageRemoved, ImageSummary, Json, Pruned, Stream,
};

fn non_negative(n: i64) -> u64 {
    n.max(0) as u64
}

#[async_trait]
impl engine::Images for Engine {
    async fn list_images(
        &self,
        all: bool,
        filters: Filters,
    ) -> Result<Vec<ImageSummary>, DockerError> {
        let opts = q::ListImagesOptions {
            all,
            filters: query(filters),
            ..Default::default()
        };
        let list = self
            .request(|d| async move { d.list_images(Some(opts)).await })
            .await?;
        Ok(list
            .into_iter()
            .map(|i| ImageSummary {
                id: i.id,
                tags: i
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                created: i.created,
                size: non_negative(i.size),
                labels: i.labels.into_iter().collect(),
            })
            .collect())
    }

    async fn inspect_image(&self, name: &str) -> Result<Json, DockerError> {
        let info = self
            .request(|d| async move { d.inspect_image(name).await })
            .await?;
        json(&info)
    }

    async fn image_history(&self, name: &str) -> Result<Vec<HistoryEntry>, DockerError> {
        let items = self
            .request(|d| async move { d.image_history(name).await })
            .await?;
        Ok(items
            .into_iter()
            .map(|h| HistoryEntry {
                id: h.id,
                created: h.created,
                created_by: h.created_by,
                size: non_negative(h.size),
                comment: h.comment,
            })
            .collect())
    }

    async fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<(), DockerError> {
        let opts = q::TagImageOptions {
            repo: Some(repo.to_owned()),
            tag: Some(tag.to_owned()),
        };
        self.request(|d| async move { d.tag_image(name, Some(opts)).await })
            .await
    }

    async fn remove_image(
        &self,
        name: &str,
        force: bool,
        no_prune: bool,
    ) -> Result<ImageRemoved, DockerError> {
        let opts = q::RemoveImageOptions {
            force,
            noprune: no_prune,
            platforms: None,
        };
        let items = self
            .request(|d| async move { d.remove_image(name, Some(opts), None).await })
            .await?;
        let mut removed = ImageRemoved::default();
        for i in items {
            removed.untagged.extend(i.untagged);
            removed.deleted.extend(i.deleted);
        }
        Ok(removed)
    }

    async fn prune_images(&self, filters: Filters) -> Result<Pruned, DockerError> {
        let opts = q::PruneImagesOptions {
            filters: query(filters),
        };
        let pruned = self
            .request(|d| async move { d.prune_images(Some(opts)).await })
            .await?;
        Ok(Pruned {
            deleted: pruned
                .images_deleted
                .unwrap_or_default()
                .into_iter()
                .filter_map(|i| i.deleted)
                .collect(),
            space_reclaimed: non_negative(pruned.space_reclaimed.unwrap_or(0)),
        })
    }

    async fn export_images(&self, names: Vec<String>) -> Result<Stream<Bytes>, DockerError> {
        let docker = self.long_client().await?;
        let errors = self.errors();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let tar = docker
            .export_images(&names)
            .map(move |chunk| chunk.map_err(|e| errors.map(e)));
        Ok(Box::pin(tar))
    }

    async fn import_images(&self, tar: Stream<Bytes>) -> Result<Vec<String>, DockerError> {
        let docker = self.long_client().await?;
        let opts = q::ImportImageOptions {
            quiet: true,
            platform: None,
        };
        let stream = docker.import_image_stream(opts, tar, None);
        let mut stream = std::pin::pin!(stream);
        let mut loaded = Vec::new();
        while let Some(item) = stream.next().await {
            let text = item.map_err(|e| self.error(e))?.stream.unwrap_or_default();
            for line in text.lines() {
                // "Loaded image: repo:tag", or "Loaded image ID: sha256:..." if untagged.
                if let Some(what) = line
                    .strip_prefix("Loaded image ID: ")
                    .or_else(|| line.strip_prefix("Loaded image: "))
                {
                    loaded.push(what.trim().to_owned());
                }
            }
        }
        Ok(loaded)
    }
}

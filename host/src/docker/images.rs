//! `images-read` and `images-write`: the capability interfaces, on bollard.

use super::host::{DockerHost, filter_map, sorted_labels, wit};
use super::{DockerError, error::ErrorKind};
use crate::runtime::bindings::wharf::docker::{images_read as r, images_write as w, types};
use bollard::query_parameters as q;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

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
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
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
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
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
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
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

    async fn save(
        &mut self,
        images: Vec<String>,
        host_path: String,
        overwrite: bool,
    ) -> WitResult<u64> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let (engine, roots) = (self.engine, self.roots);
        wit(async {
            if images.is_empty() {
                return Err(DockerError::invalid("name at least one image to save"));
            }
            let path = roots.writable(&host_path)?;
            let dir = path
                .parent()
                .filter(|d| d.is_dir())
                .ok_or_else(|| {
                    DockerError::new(
                        ErrorKind::NotFound,
                        format!("the directory of `{host_path}` does not exist"),
                    )
                })?
                .to_owned();
            if path.is_dir() {
                return Err(DockerError::invalid(format!(
                    "`{host_path}` is a directory; give a file name like images.tar"
                )));
            }
            if path.exists() && !overwrite {
                return Err(DockerError::new(
                    ErrorKind::Conflict,
                    format!("`{host_path}` exists; set overwrite to replace it"),
                ));
            }
            // Written beside the destination and renamed into place at the end, so a failed
            // or cancelled save never leaves half a tar, nor destroys the file it replaces.
            let temp = tempfile::NamedTempFile::new_in(&dir)
                .map_err(|e| io_error("cannot create a file beside the destination", e))?;
            let file = temp
                .reopen()
                .map_err(|e| io_error("cannot write the tar", e))?;
            let mut file = tokio::fs::File::from_std(file);
            let docker = engine.long_client().await?;
            let names: Vec<&str> = images.iter().map(String::as_str).collect();
            let mut stream = std::pin::pin!(docker.export_images(&names));
            let mut written = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| engine.error(e))?;
                file.write_all(&chunk)
                    .await
                    .map_err(|e| io_error("cannot write the tar", e))?;
                written += chunk.len() as u64;
            }
            file.sync_all()
                .await
                .map_err(|e| io_error("cannot write the tar", e))?;
            let persisted = if overwrite {
                temp.persist(&path)
            } else {
                temp.persist_noclobber(&path)
            };
            persisted.map_err(|e| io_error("cannot move the tar into place", e.error))?;
            Ok(written)
        })
        .await
    }

    async fn load(&mut self, host_path: String) -> WitResult<Vec<String>> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let (engine, roots) = (self.engine, self.roots);
        wit(async {
            let path = roots.existing(&host_path)?;
            if !path.is_file() {
                return Err(DockerError::invalid(format!("`{host_path}` is not a file")));
            }
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| io_error("cannot open the tar", e))?;
            let docker = engine.long_client().await?;
            let opts = q::ImportImageOptions {
                quiet: true,
                platform: None,
            };
            let stream =
                docker.import_image_stream(opts, tokio_util::io::ReaderStream::new(file), None);
            let mut stream = std::pin::pin!(stream);
            let mut loaded = Vec::new();
            while let Some(item) = stream.next().await {
                let text = item
                    .map_err(|e| engine.error(e))?
                    .stream
                    .unwrap_or_default();
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
        })
        .await
    }
}

fn io_error(what: &str, e: std::io::Error) -> DockerError {
    DockerError::new(ErrorKind::Engine, format!("{what}: {e}"))
}

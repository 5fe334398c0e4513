//! Images, the registry and builds on the model. Long operations replay what the model did
//! as a job stream.

use super::super::MockDocker;
use crate::model::{BuildSpec, Filters as Known, Fs, Progress, invalid};
use crate::render;
use async_trait::async_trait;
use futures::StreamExt;
use serde_json::json;
use std::collections::BTreeMap;
use wharf_core::engine::{
    BuildContext, BuildOptions, Builds, Bytes, Credentials, Filters, HistoryEntry, ImageRemoved,
    ImageSummary, Images, JobEvent, Json, LayerProgress, Pruned, Registry, Stream,
};
use wharf_core::engine::{DockerError, ErrorKind};

type Result<T> = std::result::Result<T, DockerError>;

fn event(p: Progress) -> JobEvent {
    match p {
        Progress::Layer(id, status) => JobEvent::Layer(LayerProgress {
            id,
            status,
            current: None,
            total: None,
        }),
        Progress::Message(m) => JobEvent::Message(m),
        Progress::ImageId(id) => JobEvent::ImageId(id),
    }
}

/// A job that replays what the model did, then ends (with `error`, if the operation failed
/// part way, as a failed build step does).
fn job(progress: Vec<Progress>, error: Option<DockerError>) -> Stream<JobEvent> {
    let events = progress.into_iter().map(|p| Ok(event(p)));
    Box::pin(futures::stream::iter(events.chain(error.map(Err))))
}

fn io(what: &str, e: impl std::fmt::Display) -> DockerError {
    DockerError::new(ErrorKind::Engine, format!("{what}: {e}"))
}

#[async_trait]
impl Images for MockDocker {
    async fn list_images(&self, all: bool, filters: Filters) -> Result<Vec<ImageSummary>> {
        self.record(
            "images-read",
            "list",
            json!({ "all": all, "filters": filters }),
        );
        let m = self.model();
        let f = Known::new(
            filters,
            &["dangling", "label", "label!", "reference", "until"],
        )?;
        let mut out = Vec::new();
        for i in m.images.iter().rev() {
            if m.image_matches(&f, i)? {
                let mut summary = render::image_summary(i);
                summary.tags = f.image_tags(i);
                out.push(summary);
            }
        }
        Ok(out)
    }

    async fn inspect_image(&self, name: &str) -> Result<Json> {
        self.record("images-read", "inspect", json!({ "name": name }));
        let m = self.model();
        m.image(name).map(render::image_inspect).map_err(|e| {
            // The engine's inspect words it twice.
            DockerError::new(e.kind, format!("no such image: {}: {}", name, e.message))
        })
    }

    async fn image_history(&self, name: &str) -> Result<Vec<HistoryEntry>> {
        self.record("images-read", "history", json!({ "name": name }));
        self.model().image(name).map(render::history)
    }

    async fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<()> {
        self.record(
            "images-write",
            "tag",
            json!({ "name": name, "repo": repo, "tag": tag }),
        );
        self.change(|m| m.tag_image(name, repo, tag))
    }

    async fn remove_image(&self, name: &str, force: bool, no_prune: bool) -> Result<ImageRemoved> {
        self.record(
            "images-write",
            "remove",
            json!({ "name": name, "force": force, "no_prune": no_prune }),
        );
        self.change(|m| m.remove_image(name, force))
            .map(|(untagged, deleted)| ImageRemoved { untagged, deleted })
    }

    async fn prune_images(&self, filters: Filters) -> Result<Pruned> {
        self.record("images-write", "prune", json!({ "filters": filters }));
        let f = Known::new(filters, &["dangling", "label", "label!", "until"])?;
        let all = f.bool("dangling")? == Some(false);
        self.change(|m| {
            let keep: Vec<String> = m
                .images
                .iter()
                .filter(|i| !(f.labels(&i.config.labels) && f.until(i.created).unwrap_or(false)))
                .map(|i| i.id.clone())
                .collect();
            let (deleted, space_reclaimed) = m.prune_images(all, |i| keep.contains(&i.id));
            Ok(Pruned {
                deleted,
                space_reclaimed,
            })
        })
    }

    async fn export_images(&self, names: Vec<String>) -> Result<Stream<Bytes>> {
        self.record("images-write", "save", json!({ "images": names }));
        let tar = self.model().save(&names)?;
        Ok(Box::pin(futures::stream::iter([Ok(Bytes::from(tar))])))
    }

    async fn import_images(&self, mut tar: Stream<Bytes>) -> Result<Vec<String>> {
        let mut bytes = Vec::new();
        while let Some(chunk) = tar.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        self.record("images-write", "load", json!({ "bytes": bytes.len() }));
        self.change(|m| m.load(&bytes))
    }
}

#[async_trait]
impl Registry for MockDocker {
    async fn pull_image(
        &self,
        reference: &str,
        platform: Option<String>,
        credentials: Option<Credentials>,
    ) -> Result<Stream<JobEvent>> {
        // Whether the host added a login is recorded, never the login.
        self.record(
            "registry",
            "pull",
            json!({ "reference": reference, "platform": platform, "with_login": credentials.is_some() }),
        );
        let progress = self.change(|m| m.pull(reference))?;
        Ok(job(progress, None))
    }

    async fn push_image(
        &self,
        reference: &str,
        credentials: Option<Credentials>,
    ) -> Result<Stream<JobEvent>> {
        self.record(
            "registry",
            "push",
            json!({ "reference": reference, "with_login": credentials.is_some() }),
        );
        let progress = self.change(|m| m.push(reference))?;
        Ok(job(progress, None))
    }
}

#[async_trait]
impl Builds for MockDocker {
    async fn build_image(
        &self,
        context: BuildContext,
        options: BuildOptions,
    ) -> Result<Stream<JobEvent>> {
        self.record(
            "images-build",
            "build",
            json!({
                "dockerfile_path": context.dockerfile,
                "tags": options.tags, "build_args": options.build_args, "target": options.target,
                "labels": options.labels, "no_cache": options.no_cache, "pull": options.pull,
            }),
        );
        let mut tar = Vec::new();
        let mut file = context.tar;
        std::io::Read::read_to_end(&mut file, &mut tar)
            .map_err(|e| io("reading the build context", e))?;
        let mut files = Fs::default();
        files.mkdir_p("/");
        files.unpack_into("/", &tar, "build")?;
        let dockerfile = match files.get(&format!("/{}", context.dockerfile)) {
            Some(crate::model::fs::Node::File { data, .. }) => {
                String::from_utf8_lossy(data).into_owned()
            }
            _ => {
                return Err(invalid(format!(
                    "Cannot locate specified Dockerfile: {}",
                    context.dockerfile
                )));
            }
        };
        let build_args: BTreeMap<String, String> = options.build_args.into_iter().collect();
        let labels: BTreeMap<String, String> = options.labels.into_iter().collect();
        let (progress, result) = self.change(|m| {
            m.build(&BuildSpec {
                dockerfile: &dockerfile,
                context: &files,
                tags: &options.tags,
                build_args: &build_args,
                target: options.target.as_deref(),
                labels: &labels,
            })
        });
        Ok(job(progress, result.err()))
    }
}

//! `images-build`: pack the context here, stream it to the engine's classic builder, report
//! the build as a job.

use super::DockerError;
use super::build_context::{self, Spec};
use super::error::ErrorKind;
use super::host::DockerHost;
use super::jobs::{Job, build_events};
use super::pump::Pump;
use super::push_pull::split_reference;
use crate::runtime::bindings::wharf::docker::{images_build as b, types};
use bollard::query_parameters as q;
use std::collections::HashMap;
use wasmtime::component::Resource;

type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

impl b::Host for DockerHost<'_> {
    async fn build(&mut self, req: b::BuildRequest) -> WitResult<Resource<Job>> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let (engine, roots) = (self.engine, self.roots);
        let started = async {
            let dir = match req.context_dir.as_deref() {
                Some(d) => {
                    let dir = roots.existing(d)?;
                    if !dir.is_dir() {
                        return Err(DockerError::invalid(format!(
                            "build context `{d}` is not a directory"
                        )));
                    }
                    Some(dir)
                }
                None => None,
            };
            for t in &req.tags {
                split_reference(t)?;
                if t.contains('@') {
                    return Err(DockerError::invalid(format!(
                        "tag `{t}` must be name[:tag], not a digest"
                    )));
                }
            }
            let (dockerfile, dockerfile_path, files) =
                (req.dockerfile, req.dockerfile_path, req.files);
            let packed = tokio::task::spawn_blocking(move || {
                build_context::pack(&Spec {
                    dir: dir.as_deref(),
                    dockerfile: dockerfile.as_deref(),
                    dockerfile_path: dockerfile_path.as_deref(),
                    files: &files,
                })
            })
            .await
            .map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))??;
            let docker = engine.long_client().await?;
            let endpoint = engine.endpoint().to_owned();
            let mut tags = req.tags.into_iter();
            let first = tags.next();
            let more: Vec<String> = tags.collect();
            let opts = q::BuildImageOptions {
                dockerfile: packed.dockerfile.clone(),
                t: first.clone(),
                nocache: req.no_cache,
                pull: req.pull.then(|| "1".to_owned()),
                // Intermediate containers go, even when a step fails or the build is
                // abandoned: nothing is left behind for the user to clean.
                rm: true,
                forcerm: true,
                buildargs: Some(req.build_args.into_iter().collect::<HashMap<_, _>>()),
                labels: Some(req.labels.into_iter().collect::<HashMap<_, _>>()),
                target: req.target.unwrap_or_default(),
                platform: req.platform.unwrap_or_default(),
                version: q::BuilderVersion::BuilderV1,
                ..Default::default()
            };
            Ok(Pump::spawn(move |tx| async move {
                let sending = format!(
                    "Sending build context: {} entries, {} bytes",
                    packed.entries, packed.bytes
                );
                if !tx.send(Ok(types::JobEvent::Message(sending))).await {
                    return;
                }
                let file = tokio::fs::File::from_std(packed.tar);
                let body = bollard::body_try_stream(tokio_util::io::ReaderStream::new(file));
                let built = tx
                    .forward(
                        docker.build_image(opts, None, Some(body)),
                        build_events,
                        |e| DockerError::from_bollard(&endpoint, e),
                    )
                    .await;
                let (Some(first), true) = (first, built) else {
                    return;
                };
                for reference in more {
                    let Ok((repo, tag)) = split_reference(&reference) else {
                        continue;
                    };
                    let opts = q::TagImageOptions {
                        repo: Some(repo.to_owned()),
                        tag: Some(tag.to_owned()),
                    };
                    let item = match docker.tag_image(&first, Some(opts)).await {
                        Ok(()) => Ok(types::JobEvent::Message(format!("Tagged {reference}"))),
                        Err(e) => Err(DockerError::from_bollard(&endpoint, e)),
                    };
                    if !tx.send(item).await {
                        return;
                    }
                }
            }))
        };
        let job = started.await;
        self.push_or_err(job)
    }
}

//! Builds on bollard: the host's packed context streamed to the engine's classic builder,
//! reported as a job stream.

use super::jobs::build_events;
use super::pump::Pump;
use super::{DockerError, Engine};
use async_trait::async_trait;
use bollard::query_parameters as q;
use std::collections::HashMap;
use wharf_core::engine::{self, BuildContext, BuildOptions, JobEvent, Stream, split_reference};

#[async_trait]
impl engine::Builds for Engine {
    async fn build_image(
        &self,
        context: BuildContext,
        options: BuildOptions,
    ) -> Result<Stream<JobEvent>, DockerError> {
        let docker = self.long_client().await?;
        let errors = self.errors();
        let mut tags = options.tags.into_iter();
        let first = tags.next();
        let more: Vec<String> = tags.collect();
        let opts = q::BuildImageOptions {
            dockerfile: context.dockerfile,
            t: first.clone(),
            nocache: options.no_cache,
            pull: options.pull.then(|| "1".to_owned()),
            // Intermediate containers go, even when a step fails or the build is
            // abandoned: nothing is left behind for the user to clean.
            rm: true,
            forcerm: true,
            buildargs: Some(options.build_args.into_iter().collect::<HashMap<_, _>>()),
            labels: Some(options.labels.into_iter().collect::<HashMap<_, _>>()),
            target: options.target.unwrap_or_default(),
            platform: options.platform.unwrap_or_default(),
            version: q::BuilderVersion::BuilderV1,
            ..Default::default()
        };
        let pump = Pump::spawn(move |tx| async move {
            let file = tokio::fs::File::from_std(context.tar);
            let body = bollard::body_try_stream(tokio_util::io::ReaderStream::new(file));
            let built = tx
                .forward(
                    docker.build_image(opts, None, Some(body)),
                    build_events,
                    |e| errors.map(e),
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
                    Ok(()) => Ok(JobEvent::Message(format!("Tagged {reference}"))),
                    Err(e) => Err(errors.map(e)),
                };
                if !tx.send(item).await {
                    return;
                }
            }
        });
        Ok(pump.into_stream())
    }
}

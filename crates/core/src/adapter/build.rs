//! `images-build`.

use super::{Adapter, Job, WitResult, open};
use crate::engine::BuildOptions;
use crate::policy::guard::BuildRequest;
use crate::runtime::bindings::wharf::docker::images_build as b;
use wasmtime::component::Resource;

impl b::Host for Adapter<'_> {
    async fn build(&mut self, req: b::BuildRequest) -> WitResult<Resource<Job>> {
        let request = BuildRequest {
            context_dir: req.context_dir,
            dockerfile: req.dockerfile,
            dockerfile_path: req.dockerfile_path,
            files: req.files,
            options: BuildOptions {
                tags: req.tags,
                build_args: req.build_args,
                target: req.target,
                labels: req.labels,
                no_cache: req.no_cache,
                pull: req.pull,
                platform: req.platform,
            },
        };
        open(self.table, self.streams, async {
            self.guard.build_image(request).await.map(Job)
        })
        .await
    }
}

//! `registry`: pulls and pushes as jobs.

use super::{Adapter, Job, WitResult, open};
use crate::runtime::bindings::wharf::docker::registry as g;
use wasmtime::component::Resource;

impl g::Host for Adapter<'_> {
    async fn pull(
        &mut self,
        reference: String,
        platform: Option<String>,
    ) -> WitResult<Resource<Job>> {
        open(self.table, self.streams, async {
            self.guard.pull_image(&reference, platform).await.map(Job)
        })
        .await
    }

    async fn push(&mut self, reference: String) -> WitResult<Resource<Job>> {
        open(self.table, self.streams, async {
            self.guard.push_image(&reference).await.map(Job)
        })
        .await
    }
}

//! `registry`: pulls and pushes as jobs.

use super::{Adapter, Job, WitResult};
use crate::runtime::bindings::wharf::docker::registry as g;
use wasmtime::component::Resource;

impl g::Host for Adapter<'_> {
    async fn pull(
        &mut self,
        reference: String,
        platform: Option<String>,
    ) -> WitResult<Resource<Job>> {
        let started = self.guard.pull_image(&reference, platform).await.map(Job);
        self.open(started)
    }

    async fn push(&mut self, reference: String) -> WitResult<Resource<Job>> {
        let started = self.guard.push_image(&reference).await.map(Job);
        self.open(started)
    }
}

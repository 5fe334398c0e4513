//! `files`.

use super::{Adapter, WitResult, wit};
use crate::policy::copy::CopyReport;
use crate::runtime::bindings::wharf::docker::files as f;

fn report(r: CopyReport) -> f::CopyReport {
    f::CopyReport {
        entries: r.entries,
        bytes: r.bytes,
        skipped: r.skipped,
    }
}

impl f::Host for Adapter<'_> {
    async fn copy_in(
        &mut self,
        container: String,
        host_path: String,
        container_dir: String,
    ) -> WitResult<f::CopyReport> {
        wit(self
            .guard
            .copy_in(&container, &host_path, &container_dir)
            .await
            .map(report))
    }

    async fn copy_out(
        &mut self,
        container: String,
        container_path: String,
        host_dir: String,
        overwrite: bool,
    ) -> WitResult<f::CopyReport> {
        wit(self
            .guard
            .copy_out(&container, &container_path, &host_dir, overwrite)
            .await
            .map(report))
    }
}

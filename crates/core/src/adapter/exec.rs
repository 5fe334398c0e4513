//! `exec`.

use super::{Adapter, WitResult, wit};
use crate::engine::{Captured, ExecSpec};
use crate::runtime::bindings::wharf::docker::exec as x;
use std::time::Duration;

fn captured(c: Captured) -> x::Captured {
    x::Captured {
        data: c.data,
        total_bytes: c.total_bytes,
    }
}

impl x::Host for Adapter<'_> {
    async fn run(&mut self, container: String, spec: x::ExecSpec) -> WitResult<x::ExecOutput> {
        let spec = ExecSpec {
            cmd: spec.cmd,
            env: spec.env,
            working_dir: spec.working_dir,
            user: spec.user,
            output_limit: spec.output_limit as usize,
            timeout: Duration::from_millis(u64::from(spec.timeout_ms)),
        };
        wit(self
            .guard
            .exec(&container, spec)
            .await
            .map(|out| x::ExecOutput {
                exit_code: out.exit_code,
                stdout: captured(out.stdout),
                stderr: captured(out.stderr),
            }))
    }
}

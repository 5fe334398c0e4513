//! `exec`: run a command in a container, keeping a capped prefix of its output.

use super::DockerError;
use super::host::{DockerHost, wit};
use crate::engine::Kind;
use crate::runtime::bindings::wharf::docker::{exec as x, types};
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::StreamExt;
use std::time::Duration;

/// Bytes kept of each output stream, whatever a plugin asks for: the host buffers them.
const MAX_OUTPUT: usize = 1 << 20;

impl x::Host for DockerHost<'_> {
    async fn run(
        &mut self,
        container: String,
        spec: x::ExecSpec,
    ) -> wasmtime::Result<Result<x::ExecOutput, types::DockerError>> {
        let container = match self.guard(Kind::Container, &container).await {
            Ok(id) => id,
            Err(e) => return Ok(Err(e)),
        };
        let engine = self.engine;
        wit(async {
            if spec.cmd.is_empty() {
                return Err(DockerError::invalid("the command is empty"));
            }
            let docker = engine.long_client().await?;
            let exec = docker
                .create_exec(
                    &container,
                    CreateExecOptions {
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        cmd: Some(spec.cmd),
                        env: (!spec.env.is_empty()).then_some(spec.env),
                        working_dir: spec.working_dir,
                        user: spec.user,
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| engine.error(e))?;
            let started = docker
                .start_exec(&exec.id, None::<StartExecOptions>)
                .await
                .map_err(|e| engine.error(e))?;
            let StartExecResults::Attached { mut output, .. } = started else {
                return Err(DockerError::new(
                    super::error::ErrorKind::Engine,
                    "the engine started the command detached",
                ));
            };
            let limit = (spec.output_limit as usize).min(MAX_OUTPUT);
            let mut stdout = Capture::new(limit);
            let mut stderr = Capture::new(limit);
            let timeout = Duration::from_millis(u64::from(spec.timeout_ms));
            let read_all = async {
                while let Some(frame) = output.next().await {
                    match frame.map_err(|e| engine.error(e))? {
                        LogOutput::StdErr { message } => stderr.push(&message),
                        LogOutput::StdOut { message } | LogOutput::Console { message } => {
                            stdout.push(&message)
                        }
                        LogOutput::StdIn { .. } => {}
                    }
                }
                Ok::<_, DockerError>(())
            };
            let finished = match tokio::time::timeout(timeout, read_all).await {
                Ok(r) => {
                    r?;
                    true
                }
                Err(_) => false,
            };
            let exit_code = if finished {
                let info = docker
                    .inspect_exec(&exec.id)
                    .await
                    .map_err(|e| engine.error(e))?;
                info.exit_code
            } else {
                None
            };
            Ok(x::ExecOutput {
                exit_code,
                stdout: stdout.into_wit(),
                stderr: stderr.into_wit(),
            })
        })
        .await
    }
}

/// The first `limit` bytes of a stream, and how many bytes it produced in all.
struct Capture {
    data: Vec<u8>,
    total: u64,
    limit: usize,
}

impl Capture {
    fn new(limit: usize) -> Self {
        Capture {
            data: Vec::new(),
            total: 0,
            limit,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.limit.saturating_sub(self.data.len());
        self.data.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn into_wit(self) -> x::Captured {
        x::Captured {
            data: self.data,
            total_bytes: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_a_prefix_and_counts_everything() {
        let mut c = Capture::new(4);
        c.push(b"abc");
        c.push(b"defg");
        let w = c.into_wit();
        assert_eq!(w.data, b"abcd");
        assert_eq!(w.total_bytes, 7);
    }
}

//! Running a command in a container, on bollard, keeping a capped prefix of its output.

use super::{DockerError, Engine};
use async_trait::async_trait;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::StreamExt;
use wharf_core::engine::{self, Captured, ExecOutput, ExecSpec};

#[async_trait]
impl engine::Exec for Engine {
    async fn exec(&self, container: &str, spec: ExecSpec) -> Result<ExecOutput, DockerError> {
        let docker = self.long_client().await?;
        let exec = docker
            .create_exec(
                container,
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
            .map_err(|e| self.error(e))?;
        let started = docker
            .start_exec(&exec.id, None::<StartExecOptions>)
            .await
            .map_err(|e| self.error(e))?;
        let StartExecResults::Attached { mut output, .. } = started else {
            return Err(DockerError::new(
                super::ErrorKind::Engine,
                "the engine started the command detached",
            ));
        };
        let limit = spec.output_limit;
        let mut stdout = Captured::default();
        let mut stderr = Captured::default();
        let read_all = async {
            while let Some(frame) = output.next().await {
                match frame.map_err(|e| self.error(e))? {
                    LogOutput::StdErr { message } => stderr.push(&message, limit),
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        stdout.push(&message, limit)
                    }
                    LogOutput::StdIn { .. } => {}
                }
            }
            Ok::<_, DockerError>(())
        };
        let finished = match tokio::time::timeout(spec.timeout, read_all).await {
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
                .map_err(|e| self.error(e))?;
            info.exit_code
        } else {
            None
        };
        Ok(ExecOutput {
            exit_code,
            stdout,
            stderr,
        })
    }
}

#[async_trait]
impl engine::Archives for Engine {
    async fn put_archive(
        &self,
        container: &str,
        dir: &str,
        archive: Vec<u8>,
    ) -> Result<(), DockerError> {
        let docker = self.long_client().await?;
        let opts = bollard::query_parameters::UploadToContainerOptions {
            path: dir.to_owned(),
            ..Default::default()
        };
        docker
            .upload_to_container(container, Some(opts), bollard::body_full(archive.into()))
            .await
            .map_err(|e| self.error(e))
    }

    async fn get_archive(
        &self,
        container: &str,
        path: &str,
        limit: usize,
    ) -> Result<Vec<u8>, DockerError> {
        let docker = self.long_client().await?;
        let opts = bollard::query_parameters::DownloadFromContainerOptions {
            path: path.to_owned(),
        };
        let mut stream = docker.download_from_container(container, Some(opts));
        let mut archive = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.error(e))?;
            if archive.len() + chunk.len() > limit {
                return Err(engine::too_big(limit));
            }
            archive.extend_from_slice(&chunk);
        }
        Ok(archive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_a_prefix_and_counts_everything() {
        let mut c = Captured::default();
        c.push(b"abc", 4);
        c.push(b"defg", 4);
        assert_eq!(c.data, b"abcd");
        assert_eq!(c.total_bytes, 7);
    }
}

//! `containers-read`: the capability interface, on bollard, with its log stream.

use super::host::{DockerHost, WitResult, filter_map, sorted_labels, wit};
use super::{DockerError, Engine};
use crate::engine::Kind;
use crate::runtime::bindings::wharf::docker::{containers_read as r, types};
use bollard::container::LogOutput;
use bollard::models::{ContainerStateStatusEnum, HealthStatusEnum};
use bollard::query_parameters as q;
use futures::{Stream, StreamExt};
use std::pin::Pin;
use std::time::Duration;
use wasmtime::component::Resource;

pub(super) type LogOutputs =
    Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

/// A container's log output, streamed to the plugin chunk by chunk.
pub struct LogStream {
    endpoint: String,
    inner: LogOutputs,
    /// A followed log ends here, whether or not the container writes more.
    deadline: Option<tokio::time::Instant>,
}

impl LogStream {
    pub(crate) fn new(
        endpoint: &str,
        inner: LogOutputs,
        deadline: Option<tokio::time::Instant>,
    ) -> Self {
        LogStream {
            endpoint: endpoint.to_owned(),
            inner,
            deadline,
        }
    }
}

async fn inspect_state(
    engine: &Engine,
    id: &str,
) -> Result<bollard::models::ContainerState, DockerError> {
    let info = engine
        .request(|d| async move {
            d.inspect_container(id, None::<q::InspectContainerOptions>)
                .await
        })
        .await?;
    Ok(info.state.unwrap_or_default())
}

impl r::Host for DockerHost<'_> {
    async fn list(
        &mut self,
        all: bool,
        limit: Option<u32>,
        filters: Vec<types::Filter>,
    ) -> WitResult<Vec<r::ContainerSummary>> {
        let filters = self.scoped(filters);
        let engine = self.engine;
        wit(async {
            let opts = q::ListContainersOptions {
                all,
                limit: limit.map(|l| l.min(i32::MAX as u32) as i32),
                size: false,
                filters: filter_map(filters),
            };
            let list = engine
                .request(|d| async move { d.list_containers(Some(opts)).await })
                .await?;
            Ok(list.into_iter().map(summary).collect())
        })
        .await
    }

    async fn inspect(&mut self, id: String) -> WitResult<String> {
        let id =
            match super::scope::check_scope(self.engine, self.scope, Kind::Container, &id).await {
                Ok(id) => id,
                Err(e) => return Ok(Err(e.into())),
            };
        let engine = self.engine;
        wit(async {
            let info = engine
                .request(|d| async move {
                    d.inspect_container(&id, None::<q::InspectContainerOptions>)
                        .await
                })
                .await?;
            serde_json::to_string(&info)
                .map_err(|e| DockerError::new(super::error::ErrorKind::Engine, e.to_string()))
        })
        .await
    }

    async fn logs(&mut self, id: String, o: r::LogOptions) -> WitResult<Resource<LogStream>> {
        let id =
            match super::scope::check_scope(self.engine, self.scope, Kind::Container, &id).await {
                Ok(id) => id,
                Err(e) => return Ok(Err(e.into())),
            };
        let engine = self.engine;
        let opened: Result<LogStream, DockerError> = async {
            let docker = engine.client().await?;
            // Fail now on an unknown container rather than at the first read.
            docker
                .inspect_container(&id, None::<q::InspectContainerOptions>)
                .await
                .map_err(|e| engine.error(e))?;
            let docker = engine.long_client().await?;
            let opts = q::LogsOptions {
                follow: false,
                stdout: o.stdout,
                stderr: o.stderr,
                since: clamp_i32(o.since.unwrap_or(0)),
                until: clamp_i32(o.until.unwrap_or(0)),
                timestamps: o.timestamps,
                tail: o.tail.map_or_else(|| "all".to_owned(), |n| n.to_string()),
            };
            Ok(LogStream::new(
                engine.endpoint(),
                Box::pin(docker.logs(&id, Some(opts))),
                None,
            ))
        }
        .await;
        self.push_or_err(opened)
    }

    async fn follow_logs(
        &mut self,
        id: String,
        since: Option<i64>,
        timeout_ms: u32,
    ) -> WitResult<Resource<LogStream>> {
        let id =
            match super::scope::check_scope(self.engine, self.scope, Kind::Container, &id).await {
                Ok(id) => id,
                Err(e) => return Ok(Err(e.into())),
            };
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        let opened = super::observe::follow_logs(self.engine, &id, since, timeout).await;
        self.push_or_err(opened)
    }

    async fn stats(
        &mut self,
        id: String,
        stream: bool,
    ) -> WitResult<Resource<super::observe::StatsStream>> {
        let id =
            match super::scope::check_scope(self.engine, self.scope, Kind::Container, &id).await {
                Ok(id) => id,
                Err(e) => return Ok(Err(e.into())),
            };
        let opened = super::observe::stats(self.engine, id, stream).await;
        self.push_or_err(opened)
    }

    async fn top(&mut self, id: String, ps_args: Option<String>) -> WitResult<r::ProcessList> {
        let id =
            match super::scope::check_scope(self.engine, self.scope, Kind::Container, &id).await {
                Ok(id) => id,
                Err(e) => return Ok(Err(e.into())),
            };
        wit(super::observe::top(self.engine, id, ps_args)).await
    }

    async fn wait(
        &mut self,
        id: String,
        until: r::WaitUntil,
        timeout_ms: u32,
    ) -> WitResult<r::WaitOutcome> {
        let id =
            match super::scope::check_scope(self.engine, self.scope, Kind::Container, &id).await {
                Ok(id) => id,
                Err(e) => return Ok(Err(e.into())),
            };
        let engine = self.engine;
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        wit(async {
            let waited = match until {
                r::WaitUntil::Exited => tokio::time::timeout(timeout, wait_exit(engine, &id)).await,
                r::WaitUntil::Healthy => {
                    tokio::time::timeout(timeout, wait_healthy(engine, &id)).await
                }
            };
            match waited {
                Ok(outcome) => outcome,
                Err(_) => {
                    let s = inspect_state(engine, &id).await?;
                    let mut state = s
                        .status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "unknown".into());
                    if let Some(h) = s.health.and_then(|h| h.status) {
                        state.push_str(&format!(" ({h})"));
                    }
                    Ok(r::WaitOutcome::TimedOut(state))
                }
            }
        })
        .await
    }
}

async fn wait_exit(engine: &Engine, id: &str) -> Result<r::WaitOutcome, DockerError> {
    let docker = engine.long_client().await?;
    let opts = q::WaitContainerOptions {
        condition: "not-running".into(),
    };
    let mut stream = docker.wait_container(id, Some(opts));
    match stream.next().await {
        Some(Ok(r)) => Ok(r::WaitOutcome::Exited(r.status_code)),
        // bollard reports a non-zero exit code as an error; it is an outcome here.
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
            Ok(r::WaitOutcome::Exited(code))
        }
        Some(Err(e)) => Err(engine.error(e)),
        None => {
            let s = inspect_state(engine, id).await?;
            Ok(r::WaitOutcome::Exited(s.exit_code.unwrap_or(0)))
        }
    }
}

async fn wait_healthy(engine: &Engine, id: &str) -> Result<r::WaitOutcome, DockerError> {
    let info = engine
        .request(|d| async move {
            d.inspect_container(id, None::<q::InspectContainerOptions>)
                .await
        })
        .await?;
    let check = info.config.and_then(|c| c.healthcheck).and_then(|h| h.test);
    if check.is_none_or(|t| t.is_empty() || t[0] == "NONE") {
        return Err(DockerError::invalid(format!(
            "container `{id}` has no healthcheck; wait until=exited instead"
        )));
    }
    loop {
        let s = inspect_state(engine, id).await?;
        // Created, paused and restarting containers may still become healthy: keep waiting.
        let gone = matches!(
            s.status,
            Some(
                ContainerStateStatusEnum::EXITED
                    | ContainerStateStatusEnum::DEAD
                    | ContainerStateStatusEnum::REMOVING
            )
        );
        if gone {
            return Ok(r::WaitOutcome::Exited(s.exit_code.unwrap_or(0)));
        }
        match s.health.and_then(|h| h.status) {
            Some(HealthStatusEnum::HEALTHY) => return Ok(r::WaitOutcome::Healthy),
            Some(HealthStatusEnum::UNHEALTHY) => return Ok(r::WaitOutcome::Unhealthy),
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

impl r::HostLogStream for DockerHost<'_> {
    async fn next(&mut self, stream: Resource<LogStream>) -> WitResult<Option<r::LogChunk>> {
        let s = self.table.get_mut(&stream)?;
        Ok(s.next_chunk().await.map_err(Into::into))
    }

    async fn drop(&mut self, stream: Resource<LogStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

impl LogStream {
    /// The next chunk; none once the log ends (or, when followed, the time is up).
    pub(crate) async fn next_chunk(&mut self) -> Result<Option<r::LogChunk>, DockerError> {
        let s = self;
        let next = match s.deadline {
            // Time up ends the stream, as if the container had stopped writing.
            Some(deadline) => tokio::time::timeout_at(deadline, s.inner.next())
                .await
                .unwrap_or_default(),
            None => s.inner.next().await,
        };
        match next {
            None => Ok(None),
            Some(Ok(out)) => {
                let (source, data) = match out {
                    LogOutput::StdOut { message } => (r::LogSource::Stdout, message),
                    LogOutput::StdErr { message } => (r::LogSource::Stderr, message),
                    LogOutput::Console { message } | LogOutput::StdIn { message } => {
                        (r::LogSource::Console, message)
                    }
                };
                Ok(Some(r::LogChunk {
                    source,
                    data: data.to_vec(),
                }))
            }
            Some(Err(e)) => Err(DockerError::from_bollard(&s.endpoint, e)),
        }
    }
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(0, i64::from(i32::MAX)) as i32
}

fn summary(c: bollard::models::ContainerSummary) -> r::ContainerSummary {
    let labels = sorted_labels(c.labels);
    r::ContainerSummary {
        id: c.id.unwrap_or_default(),
        names: c
            .names
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.trim_start_matches('/').to_owned())
            .collect(),
        image: c.image.unwrap_or_default(),
        command: c.command.unwrap_or_default(),
        created: c.created.unwrap_or_default(),
        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
        status: c.status.unwrap_or_default(),
        ports: c
            .ports
            .unwrap_or_default()
            .into_iter()
            .map(|p| r::Port {
                private_port: p.private_port,
                public_port: p.public_port,
                ip: p.ip.filter(|ip| !ip.is_empty()),
                protocol: p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into()),
            })
            .collect(),
        labels,
        volumes: c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.typ.as_deref() == Some("volume"))
            .filter_map(|m| m.name)
            .collect(),
    }
}

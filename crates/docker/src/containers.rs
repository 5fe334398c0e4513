//! Reading containers, on bollard: list, inspect, logs, wait, stats, processes.

use super::{DockerError, Engine};
use super::{json, query};
use async_trait::async_trait;
use bollard::container::LogOutput;
use bollard::models::{ContainerStateStatusEnum, HealthStatusEnum};
use bollard::query_parameters as q;
use futures::StreamExt;
use std::pin::Pin;
use std::time::Duration;
use wharf_core::engine::{
    self, ContainerSummary, Filters, Json, LogChunk, LogOptions, LogSource, Port, ProcessList,
    Stream, WaitOutcome, WaitUntil,
};

pub(super) type LogOutputs =
    Pin<Box<dyn futures::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

/// The engine's log frames as chunks; a followed log also ends at `deadline`, whether or not
/// the container writes more.
/// Docker's container states that Podman 4 does not have (its compat layer rejects them
/// as filter values).
const PODMAN_UNKNOWN_STATES: &[&str] = &["restarting", "dead"];

fn chunks(
    engine: &Engine,
    frames: LogOutputs,
    deadline: Option<tokio::time::Instant>,
) -> Stream<LogChunk> {
    let errors = engine.errors();
    let chunks = frames.map(move |frame| {
        let (source, data) = match frame.map_err(|e| errors.map(e))? {
            LogOutput::StdOut { message } => (LogSource::Stdout, message),
            LogOutput::StdErr { message } => (LogSource::Stderr, message),
            LogOutput::Console { message } | LogOutput::StdIn { message } => {
                (LogSource::Console, message)
            }
        };
        Ok(LogChunk {
            source,
            data: data.to_vec(),
        })
    });
    match deadline {
        Some(deadline) => Box::pin(chunks.take_until(tokio::time::sleep_until(deadline))),
        None => Box::pin(chunks),
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

#[async_trait]
impl engine::ContainersRead for Engine {
    async fn list_containers(
        &self,
        all: bool,
        limit: Option<u32>,
        filters: Filters,
    ) -> Result<Vec<ContainerSummary>, DockerError> {
        let mut filters = filters;
        if self.product().await?.is_podman()
            && let Some(states) = filters.get_mut("status")
        {
            // Podman has no such state, and refuses the filter rather than matching
            // nothing.
            states.retain(|s| !PODMAN_UNKNOWN_STATES.contains(&s.as_str()));
            if states.is_empty() {
                return Ok(Vec::new());
            }
        }
        let opts = q::ListContainersOptions {
            all,
            limit: limit.map(|l| l.min(i32::MAX as u32) as i32),
            size: false,
            filters: query(filters),
        };
        let list = self
            .request(|d| async move { d.list_containers(Some(opts)).await })
            .await?;
        Ok(list.into_iter().map(summary).collect())
    }

    async fn inspect_container(&self, id: &str) -> Result<Json, DockerError> {
        let info = self
            .request(|d| async move {
                d.inspect_container(id, None::<q::InspectContainerOptions>)
                    .await
            })
            .await?;
        json(&info)
    }

    async fn logs(&self, id: &str, o: LogOptions) -> Result<Stream<LogChunk>, DockerError> {
        // Fail now on an unknown container rather than at the first read.
        inspect_state(self, id).await?;
        let docker = self.long_client().await?;
        let opts = q::LogsOptions {
            follow: false,
            stdout: o.stdout,
            stderr: o.stderr,
            since: clamp_i32(o.since.unwrap_or(0)),
            until: clamp_i32(o.until.unwrap_or(0)),
            timestamps: o.timestamps,
            tail: o.tail.map_or_else(|| "all".to_owned(), |n| n.to_string()),
        };
        Ok(chunks(self, Box::pin(docker.logs(id, Some(opts))), None))
    }

    async fn wait_container(
        &self,
        id: &str,
        until: WaitUntil,
        timeout: Duration,
    ) -> Result<WaitOutcome, DockerError> {
        let waited = match until {
            WaitUntil::Exited => tokio::time::timeout(timeout, wait_exit(self, id)).await,
            WaitUntil::Healthy => tokio::time::timeout(timeout, wait_healthy(self, id)).await,
        };
        match waited {
            Ok(outcome) => outcome,
            Err(_) => {
                let s = inspect_state(self, id).await?;
                let mut state = s
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unknown".into());
                if let Some(h) = s.health.and_then(|h| h.status) {
                    state.push_str(&format!(" ({h})"));
                }
                Ok(WaitOutcome::TimedOut(state))
            }
        }
    }

    async fn follow_logs(
        &self,
        id: &str,
        since: Option<i64>,
        timeout: Duration,
    ) -> Result<Stream<LogChunk>, DockerError> {
        inspect_state(self, id).await?;
        let docker = self.long_client().await?;
        let since = since.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        let opts = q::LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            since: clamp_i32(since),
            until: 0,
            timestamps: false,
            tail: "all".to_owned(),
        };
        Ok(chunks(
            self,
            Box::pin(docker.logs(id, Some(opts))),
            Some(tokio::time::Instant::now() + timeout),
        ))
    }

    async fn stats(&self, id: &str, stream: bool) -> Result<Stream<Json>, DockerError> {
        let docker = self.long_client().await?;
        let errors = self.errors();
        let id = id.to_owned();
        let pump = super::pump::Pump::spawn(move |tx| async move {
            // Not one-shot: the engine then waits for a second reading, so even a single
            // sample carries `precpu_stats` and CPU use can be computed from it.
            let opts = q::StatsOptions {
                stream,
                one_shot: false,
            };
            tx.forward(
                docker.stats(&id, Some(opts)),
                |sample| serde_json::to_value(&sample).into_iter().collect(),
                |e| errors.map(e),
            )
            .await;
        });
        Ok(pump.into_stream())
    }

    async fn top(&self, id: &str, ps_args: Option<String>) -> Result<ProcessList, DockerError> {
        let opts = q::TopOptions {
            ps_args: ps_args.unwrap_or_else(|| "-ef".to_owned()),
        };
        let top = self
            .request(|d| async move { d.top_processes(id, Some(opts)).await })
            .await?;
        Ok(ProcessList {
            titles: top.titles.unwrap_or_default(),
            processes: top.processes.unwrap_or_default(),
        })
    }
}

async fn wait_exit(engine: &Engine, id: &str) -> Result<WaitOutcome, DockerError> {
    let docker = engine.long_client().await?;
    let opts = q::WaitContainerOptions {
        condition: "not-running".into(),
    };
    let mut stream = docker.wait_container(id, Some(opts));
    match stream.next().await {
        Some(Ok(r)) => Ok(WaitOutcome::Exited(r.status_code)),
        // bollard reports a non-zero exit code as an error; it is an outcome here.
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
            Ok(WaitOutcome::Exited(code))
        }
        Some(Err(e)) => Err(engine.error(e)),
        None => {
            let s = inspect_state(engine, id).await?;
            Ok(WaitOutcome::Exited(s.exit_code.unwrap_or(0)))
        }
    }
}

async fn wait_healthy(engine: &Engine, id: &str) -> Result<WaitOutcome, DockerError> {
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
            return Ok(WaitOutcome::Exited(s.exit_code.unwrap_or(0)));
        }
        match s.health.and_then(|h| h.status) {
            Some(HealthStatusEnum::HEALTHY) => return Ok(WaitOutcome::Healthy),
            Some(HealthStatusEnum::UNHEALTHY) => return Ok(WaitOutcome::Unhealthy),
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(0, i64::from(i32::MAX)) as i32
}

fn summary(c: bollard::models::ContainerSummary) -> ContainerSummary {
    ContainerSummary {
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
            .map(|p| Port {
                private_port: p.private_port,
                public_port: p.public_port,
                ip: p.ip.filter(|ip| !ip.is_empty()),
                protocol: p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into()),
            })
            .collect(),
        labels: c.labels.unwrap_or_default().into_iter().collect(),
        volumes: c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.typ.as_deref() == Some("volume"))
            .filter_map(|m| m.name)
            .collect(),
    }
}

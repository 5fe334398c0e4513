//! Containers on the model: reading, changing, exec and archives.

use super::super::MockDocker;
use crate::model::{
    Extras, Filters as Known, RunState, Stream as LogStream, conflict, invalid, unix_secs,
};
use crate::render;
use async_trait::async_trait;
use futures::StreamExt;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wharf_core::engine::DockerError;
use wharf_core::engine::{
    Archives, Captured, ContainerCreateBody, ContainerSummary, ContainersRead, ContainersWrite,
    Created, Exec, ExecOutput, ExecSpec, Filters, Json, LogChunk, LogOptions, LogSource,
    ProcessList, Stream, WaitOutcome, WaitUntil,
};

type Result<T> = std::result::Result<T, DockerError>;

#[async_trait]
impl ContainersWrite for MockDocker {
    async fn create_container(
        &self,
        name: Option<String>,
        body: ContainerCreateBody,
    ) -> Result<Created> {
        self.record(
            "containers-write",
            "create",
            json!({ "name": name, "spec": body }),
        );
        self.change(|m| {
            m.create_container(name.as_deref(), body, Extras::default())
                .map(|id| Created {
                    id,
                    warnings: Vec::new(),
                })
        })
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.record("containers-write", "start", json!({ "id": id }));
        self.change(|m| m.start_container(id))
    }

    async fn stop_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()> {
        self.record(
            "containers-write",
            "stop",
            json!({ "id": id, "timeout_secs": timeout_secs }),
        );
        self.change(|m| m.stop_container(id))
    }

    async fn restart_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()> {
        self.record(
            "containers-write",
            "restart",
            json!({ "id": id, "timeout_secs": timeout_secs }),
        );
        self.change(|m| m.restart_container(id))
    }

    async fn kill_container(&self, id: &str, signal: Option<String>) -> Result<()> {
        self.record(
            "containers-write",
            "kill",
            json!({ "id": id, "signal": signal }),
        );
        self.change(|m| m.kill_container(id, signal.as_deref()))
    }

    async fn pause_container(&self, id: &str) -> Result<()> {
        self.record("containers-write", "pause", json!({ "id": id }));
        self.change(|m| m.pause_container(id))
    }

    async fn unpause_container(&self, id: &str) -> Result<()> {
        self.record("containers-write", "unpause", json!({ "id": id }));
        self.change(|m| m.unpause_container(id))
    }

    async fn remove_container(&self, id: &str, force: bool, volumes: bool) -> Result<()> {
        self.record(
            "containers-write",
            "remove",
            json!({ "id": id, "force": force, "volumes": volumes }),
        );
        self.change(|m| m.remove_container(id, force, volumes))
    }

    async fn rename_container(&self, id: &str, new_name: &str) -> Result<()> {
        self.record(
            "containers-write",
            "rename",
            json!({ "id": id, "new_name": new_name }),
        );
        self.change(|m| m.rename_container(id, new_name))
    }
}

const LIST_FILTERS: &[&str] = &[
    "id", "name", "label", "label!", "status", "exited", "ancestor", "network", "volume", "health",
];

fn secs(t: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t.max(0) as u64)
}

fn chunk(stream: LogStream, data: Vec<u8>) -> LogChunk {
    let source = match stream {
        LogStream::Stdout => LogSource::Stdout,
        LogStream::Stderr => LogSource::Stderr,
    };
    LogChunk { source, data }
}

#[async_trait]
impl ContainersRead for MockDocker {
    async fn list_containers(
        &self,
        all: bool,
        limit: Option<u32>,
        filters: Filters,
    ) -> Result<Vec<ContainerSummary>> {
        self.record(
            "containers-read",
            "list",
            json!({ "all": all, "limit": limit, "filters": filters }),
        );
        let m = self.model();
        let f = Known::new(filters, LIST_FILTERS)?;
        let mut out = Vec::new();
        // Newest first, as the engine lists them.
        for c in m.containers.iter().rev() {
            let shown =
                all || c.state.is_up() || f.get("status").is_some() || f.get("exited").is_some();
            if shown && m.container_matches(&f, c)? {
                out.push(render::container_summary(&m, c));
            }
        }
        if let Some(n) = limit.filter(|n| *n > 0) {
            out.truncate(n as usize);
        }
        Ok(out)
    }

    async fn inspect_container(&self, id: &str) -> Result<Json> {
        self.record("containers-read", "inspect", json!({ "id": id }));
        let m = self.model();
        m.container(id).map(|c| render::container_inspect(&m, c))
    }

    async fn logs(&self, id: &str, o: LogOptions) -> Result<Stream<LogChunk>> {
        self.record(
            "containers-read",
            "logs",
            json!({ "id": id, "stdout": o.stdout, "stderr": o.stderr, "since": o.since, "until": o.until, "tail": o.tail, "timestamps": o.timestamps }),
        );
        let m = self.model();
        let c = m.container(id)?;
        let mut entries: Vec<Result<LogChunk>> = c
            .logs
            .iter()
            .filter(|l| match l.stream {
                LogStream::Stdout => o.stdout,
                LogStream::Stderr => o.stderr,
            })
            .filter(|l| o.since.is_none_or(|s| unix_secs(l.time) >= s))
            .filter(|l| o.until.is_none_or(|u| u <= 0 || unix_secs(l.time) <= u))
            .map(|l| {
                let mut data = l.data.clone();
                if o.timestamps {
                    let mut stamped = format!("{} ", render::rfc3339(l.time)).into_bytes();
                    stamped.append(&mut data);
                    data = stamped;
                }
                Ok(chunk(l.stream, data))
            })
            .collect();
        if let Some(n) = o.tail {
            let skip = entries.len().saturating_sub(n as usize);
            entries.drain(..skip);
        }
        Ok(Box::pin(futures::stream::iter(entries)))
    }

    async fn wait_container(
        &self,
        id: &str,
        until: WaitUntil,
        timeout: Duration,
    ) -> Result<WaitOutcome> {
        let how = match until {
            WaitUntil::Exited => "exited",
            WaitUntil::Healthy => "healthy",
        };
        self.record(
            "containers-read",
            "wait",
            json!({ "id": id, "until": how, "timeout_ms": timeout.as_millis() as u64 }),
        );
        let mut changes = self.subscribe();
        let check = || -> Result<Option<WaitOutcome>> {
            let m = self.model();
            let c = m.container(id)?;
            Ok(match until {
                WaitUntil::Exited if !c.state.is_up() => Some(WaitOutcome::Exited(c.exit_code)),
                WaitUntil::Exited => None,
                WaitUntil::Healthy if !c.healthcheck => {
                    return Err(invalid(format!(
                        "container `{id}` has no healthcheck; wait until=exited instead"
                    )));
                }
                WaitUntil::Healthy if c.state == RunState::Exited => {
                    Some(WaitOutcome::Exited(c.exit_code))
                }
                WaitUntil::Healthy => match c.health.as_deref() {
                    Some("healthy") => Some(WaitOutcome::Healthy),
                    Some("unhealthy") => Some(WaitOutcome::Unhealthy),
                    _ => None,
                },
            })
        };
        let waited = tokio::time::timeout(timeout, async {
            loop {
                if let Some(outcome) = check()? {
                    return Ok(outcome);
                }
                if changes.changed().await.is_err() {
                    return Err(invalid("the mock engine went away"));
                }
            }
        })
        .await;
        match waited {
            Ok(outcome) => outcome,
            Err(_) => self.model().container(id).map(|c| {
                let mut state = c.state.as_str().to_owned();
                if let Some(h) = &c.health {
                    state.push_str(&format!(" ({h})"));
                }
                WaitOutcome::TimedOut(state)
            }),
        }
    }

    async fn follow_logs(
        &self,
        id: &str,
        since: Option<i64>,
        timeout: Duration,
    ) -> Result<Stream<LogChunk>> {
        self.record(
            "containers-read",
            "follow-logs",
            json!({ "id": id, "since": since, "timeout_ms": timeout.as_millis() as u64 }),
        );
        let docker = self.clone();
        let cid = docker.model().container(id)?.id.clone();
        let from = since.map_or_else(SystemTime::now, secs);
        let start = docker
            .model()
            .container(&cid)
            .map_or(0, |c| c.logs.iter().take_while(|l| l.time < from).count());
        let changes = docker.subscribe();
        let stream = futures::stream::unfold(
            (docker, cid, start, changes),
            |(docker, cid, at, mut changes)| async move {
                loop {
                    let next = {
                        let m = docker.model();
                        let c = m.container(&cid).ok()?;
                        match c.logs.get(at) {
                            Some(l) => Some((l.stream, l.data.clone())),
                            None if !c.state.is_up() => return None,
                            None => None,
                        }
                    };
                    if let Some((stream, data)) = next {
                        return Some((Ok(chunk(stream, data)), (docker, cid, at + 1, changes)));
                    }
                    changes.changed().await.ok()?;
                }
            },
        );
        let deadline = tokio::time::Instant::now() + timeout;
        Ok(Box::pin(
            stream.take_until(tokio::time::sleep_until(deadline)),
        ))
    }

    async fn stats(&self, id: &str, stream: bool) -> Result<Stream<Json>> {
        self.record(
            "containers-read",
            "stats",
            json!({ "id": id, "stream": stream }),
        );
        let docker = self.clone();
        let cid = docker.model().container(id)?.id.clone();
        let samples = futures::stream::unfold(Some(1u64), move |seq| {
            let docker = docker.clone();
            let cid = cid.clone();
            async move {
                let seq = seq?;
                if seq > 1 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                let sample = docker
                    .model()
                    .container(&cid)
                    .map(|c| render::stats_sample(c, seq));
                let more = (sample.is_ok() && stream).then_some(seq + 1);
                Some((sample, more))
            }
        });
        Ok(Box::pin(samples))
    }

    async fn top(&self, id: &str, ps_args: Option<String>) -> Result<ProcessList> {
        self.record(
            "containers-read",
            "top",
            json!({ "id": id, "ps_args": ps_args }),
        );
        let m = self.model();
        let c = m.container(id)?;
        if !c.state.is_up() {
            return Err(conflict(format!("Container {} is not running", c.id)));
        }
        let cmd = c
            .entrypoint
            .iter()
            .chain(c.cmd.iter())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(ProcessList {
            titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
                .map(str::to_owned)
                .to_vec(),
            processes: c.processes.clone().unwrap_or_else(|| {
                vec![
                    ["root", "4242", "4220", "0", "00:00", "?", "00:00:00", &cmd]
                        .map(str::to_owned)
                        .to_vec(),
                ]
            }),
        })
    }
}

#[async_trait]
impl Exec for MockDocker {
    async fn exec(&self, container: &str, spec: ExecSpec) -> Result<ExecOutput> {
        self.record(
            "exec",
            "run",
            json!({ "container": container, "cmd": spec.cmd, "env": spec.env, "working_dir": spec.working_dir, "user": spec.user }),
        );
        let reply = self.change(|m| m.exec(container, &spec.cmd, spec.working_dir.as_deref()))?;
        let captured = |data: Vec<u8>| {
            let mut c = Captured::default();
            c.push(&data, spec.output_limit);
            c
        };
        Ok(ExecOutput {
            exit_code: Some(reply.exit_code),
            stdout: captured(reply.stdout),
            stderr: captured(reply.stderr),
        })
    }
}

#[async_trait]
impl Archives for MockDocker {
    async fn put_archive(&self, container: &str, dir: &str, archive: Vec<u8>) -> Result<()> {
        self.record(
            "files",
            "copy-in",
            json!({ "container": container, "container_dir": dir, "bytes": archive.len() }),
        );
        self.change(|m| {
            let i = m.container_index(container)?;
            let name = m.containers[i].name.clone();
            m.containers[i].files.unpack_into(dir, &archive, &name)
        })
    }

    async fn get_archive(&self, container: &str, path: &str, limit: usize) -> Result<Vec<u8>> {
        self.record(
            "files",
            "copy-out",
            json!({ "container": container, "container_path": path }),
        );
        let m = self.model();
        let c = m.container(container)?;
        let archive = c.files.pack(path, &c.name)?;
        if archive.len() > limit {
            return Err(wharf_core::engine::too_big(limit));
        }
        Ok(archive)
    }
}

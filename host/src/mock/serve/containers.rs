//! containers-read, containers-write, exec and files on the model.

use super::{ModelHost, WitResult, done, filter_map, filters_json, render};
use crate::docker::{DockerError, LogStream, StatsStream, pump::Pump};
use crate::mock::model::{Filters, RunState, Stream, invalid, unix_secs};
use crate::runtime::bindings::wharf::docker::{containers_read as r, exec as x, files as f, types};
use bollard::container::LogOutput;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wasmtime::component::Resource;

const LIST_FILTERS: &[&str] = &[
    "id", "name", "label", "label!", "status", "exited", "ancestor", "network", "volume", "health",
];

fn secs(t: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t.max(0) as u64)
}

/// Log lines, framed as the engine's log stream.
fn frames(entries: Vec<(Stream, Vec<u8>)>) -> Vec<Result<LogOutput, bollard::errors::Error>> {
    entries
        .into_iter()
        .map(|(s, data)| {
            let message = bytes::Bytes::from(data);
            Ok(match s {
                Stream::Stdout => LogOutput::StdOut { message },
                Stream::Stderr => LogOutput::StdErr { message },
            })
        })
        .collect()
}

impl r::Host for ModelHost<'_> {
    async fn list(
        &mut self,
        all: bool,
        limit: Option<u32>,
        filters: Vec<types::Filter>,
    ) -> WitResult<Vec<r::ContainerSummary>> {
        self.record(
            "containers-read",
            "list",
            json!({ "all": all, "limit": limit, "filters": filters_json(&filters) }),
        );
        let m = self.docker.model();
        done((|| {
            let f = Filters::new(filter_map(filters), LIST_FILTERS)?;
            let mut out = Vec::new();
            // Newest first, as the engine lists them.
            for c in m.containers.iter().rev() {
                let shown = all
                    || c.state.is_up()
                    || f.get("status").is_some()
                    || f.get("exited").is_some();
                if shown && m.container_matches(&f, c)? {
                    out.push(render::container_summary(&m, c));
                }
            }
            if let Some(n) = limit.filter(|n| *n > 0) {
                out.truncate(n as usize);
            }
            Ok(out)
        })())
    }

    async fn inspect(&mut self, id: String) -> WitResult<String> {
        self.record("containers-read", "inspect", json!({ "id": id }));
        let m = self.docker.model();
        done(
            m.container(&id)
                .map(|c| render::container_inspect(&m, c).to_string()),
        )
    }

    async fn logs(&mut self, id: String, o: r::LogOptions) -> WitResult<Resource<LogStream>> {
        self.record(
            "containers-read",
            "logs",
            json!({ "id": id, "stdout": o.stdout, "stderr": o.stderr, "since": o.since, "until": o.until, "tail": o.tail, "timestamps": o.timestamps }),
        );
        let opened = self.docker.model().container(&id).map(|c| {
            let mut entries: Vec<(Stream, Vec<u8>)> = c
                .logs
                .iter()
                .filter(|l| match l.stream {
                    Stream::Stdout => o.stdout,
                    Stream::Stderr => o.stderr,
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
                    (l.stream, data)
                })
                .collect();
            if let Some(n) = o.tail {
                let skip = entries.len().saturating_sub(n as usize);
                entries.drain(..skip);
            }
            LogStream::new(
                "mock://",
                Box::pin(futures::stream::iter(frames(entries))),
                None,
            )
        });
        self.push(opened)
    }

    async fn wait(
        &mut self,
        id: String,
        until: r::WaitUntil,
        timeout_ms: u32,
    ) -> WitResult<r::WaitOutcome> {
        let how = match until {
            r::WaitUntil::Exited => "exited",
            r::WaitUntil::Healthy => "healthy",
        };
        self.record(
            "containers-read",
            "wait",
            json!({ "id": id, "until": how, "timeout_ms": timeout_ms }),
        );
        let docker = self.docker.clone();
        let mut changes = docker.subscribe();
        let check = || -> Result<Option<r::WaitOutcome>, DockerError> {
            let m = docker.model();
            let c = m.container(&id)?;
            Ok(match until {
                r::WaitUntil::Exited if !c.state.is_up() => {
                    Some(r::WaitOutcome::Exited(c.exit_code))
                }
                r::WaitUntil::Exited => None,
                r::WaitUntil::Healthy if !c.healthcheck => {
                    return Err(invalid(format!(
                        "container `{id}` has no healthcheck; wait until=exited instead"
                    )));
                }
                r::WaitUntil::Healthy if c.state == RunState::Exited => {
                    Some(r::WaitOutcome::Exited(c.exit_code))
                }
                r::WaitUntil::Healthy => match c.health.as_deref() {
                    Some("healthy") => Some(r::WaitOutcome::Healthy),
                    Some("unhealthy") => Some(r::WaitOutcome::Unhealthy),
                    _ => None,
                },
            })
        };
        let waited = tokio::time::timeout(Duration::from_millis(u64::from(timeout_ms)), async {
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
        done(match waited {
            Ok(outcome) => outcome,
            Err(_) => docker.model().container(&id).map(|c| {
                let mut state = c.state.as_str().to_owned();
                if let Some(h) = &c.health {
                    state.push_str(&format!(" ({h})"));
                }
                r::WaitOutcome::TimedOut(state)
            }),
        })
    }

    async fn follow_logs(
        &mut self,
        id: String,
        since: Option<i64>,
        timeout_ms: u32,
    ) -> WitResult<Resource<LogStream>> {
        self.record(
            "containers-read",
            "follow-logs",
            json!({ "id": id, "since": since, "timeout_ms": timeout_ms }),
        );
        let docker = self.docker.clone();
        let found = docker.model().container(&id).map(|c| c.id.clone());
        let opened = found.map(|cid| {
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
                        if let Some(entry) = next {
                            let item = frames(vec![entry]).pop()?;
                            return Some((item, (docker, cid, at + 1, changes)));
                        }
                        changes.changed().await.ok()?;
                    }
                },
            );
            LogStream::new(
                "mock://",
                Box::pin(stream),
                Some(tokio::time::Instant::now() + Duration::from_millis(u64::from(timeout_ms))),
            )
        });
        self.push(opened)
    }

    async fn stats(&mut self, id: String, stream: bool) -> WitResult<Resource<StatsStream>> {
        self.record(
            "containers-read",
            "stats",
            json!({ "id": id, "stream": stream }),
        );
        let docker = self.docker.clone();
        let found = docker.model().container(&id).map(|c| c.id.clone());
        let opened = found.map(|cid| {
            Pump::spawn(move |tx| async move {
                let mut seq = 1;
                loop {
                    let sample = docker
                        .model()
                        .container(&cid)
                        .map(|c| render::stats_sample(c, seq).to_string());
                    let last = sample.is_err() || !stream;
                    if !tx.send(sample).await || last {
                        return;
                    }
                    seq += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        });
        self.push(opened)
    }

    async fn top(&mut self, id: String, ps_args: Option<String>) -> WitResult<r::ProcessList> {
        self.record(
            "containers-read",
            "top",
            json!({ "id": id, "ps_args": ps_args }),
        );
        let m = self.docker.model();
        done(m.container(&id).and_then(|c| {
            if !c.state.is_up() {
                return Err(crate::mock::model::conflict(format!(
                    "Container {} is not running",
                    c.id
                )));
            }
            let cmd = c
                .entrypoint
                .iter()
                .chain(c.cmd.iter())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            Ok(r::ProcessList {
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
        }))
    }
}

impl r::HostLogStream for ModelHost<'_> {
    async fn next(&mut self, stream: Resource<LogStream>) -> WitResult<Option<r::LogChunk>> {
        let s = self.table.get_mut(&stream)?;
        Ok(s.next_chunk().await.map_err(Into::into))
    }

    async fn drop(&mut self, stream: Resource<LogStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

impl r::HostStatsStream for ModelHost<'_> {
    async fn next(&mut self, stream: Resource<StatsStream>) -> WitResult<Option<String>> {
        let s = self.table.get_mut(&stream)?;
        Ok(s.next().await.transpose().map_err(Into::into))
    }

    async fn drop(&mut self, stream: Resource<StatsStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

/// The first `limit` bytes, and how many there were.
fn captured(data: Vec<u8>, limit: u32) -> x::Captured {
    let total_bytes = data.len() as u64;
    let mut data = data;
    data.truncate(limit as usize);
    x::Captured { data, total_bytes }
}

impl x::Host for ModelHost<'_> {
    async fn run(&mut self, container: String, spec: x::ExecSpec) -> WitResult<x::ExecOutput> {
        self.record(
            "exec",
            "run",
            json!({ "container": container, "cmd": spec.cmd, "env": spec.env, "working_dir": spec.working_dir, "user": spec.user }),
        );
        if let Err(e) = self.writable() {
            return done(Err(e));
        }
        if spec.cmd.is_empty() {
            return done(Err(invalid("the command is empty")));
        }
        done(
            self.docker
                .change(|m| m.exec(&container, &spec.cmd, spec.working_dir.as_deref()))
                .map(|reply| x::ExecOutput {
                    exit_code: Some(reply.exit_code),
                    stdout: captured(reply.stdout, spec.output_limit),
                    stderr: captured(reply.stderr, spec.output_limit),
                }),
        )
    }
}

impl f::Host for ModelHost<'_> {
    async fn copy_in(
        &mut self,
        container: String,
        host_path: String,
        container_dir: String,
    ) -> WitResult<f::CopyReport> {
        self.record("files", "copy-in", json!({ "container": container, "host_path": host_path, "container_dir": container_dir }));
        if let Err(e) = self.writable() {
            return done(Err(e));
        }
        let packed = self
            .roots
            .existing(&host_path)
            .map_err(DockerError::from)
            .and_then(|source| crate::docker::files::pack(&source));
        done(packed.and_then(|(archive, report)| {
            self.docker.change(|m| {
                let i = m.container_index(&container)?;
                let name = m.containers[i].name.clone();
                m.containers[i]
                    .files
                    .unpack_into(&container_dir, &archive, &name)?;
                Ok(report)
            })
        }))
    }

    async fn copy_out(
        &mut self,
        container: String,
        container_path: String,
        host_dir: String,
        overwrite: bool,
    ) -> WitResult<f::CopyReport> {
        self.record(
            "files",
            "copy-out",
            json!({ "container": container, "container_path": container_path, "host_dir": host_dir, "overwrite": overwrite }),
        );
        if let Err(e) = self.writable() {
            return done(Err(e));
        }
        let archive = {
            let m = self.docker.model();
            m.container(&container)
                .and_then(|c| c.files.pack(&container_path, &c.name))
        };
        let roots = self.roots;
        done(archive.and_then(|archive| {
            let dest = roots.writable(&host_dir)?;
            std::fs::create_dir_all(&dest).map_err(|e| {
                DockerError::new(
                    crate::docker::ErrorKind::Engine,
                    format!("creating the destination: {e}"),
                )
            })?;
            let dest = roots.existing(&dest.to_string_lossy())?;
            crate::docker::files::unpack(&archive, &dest, overwrite)
        }))
    }
}

//! `containers-read`, with its log and stats streams.

use super::{
    Adapter, LogStream, StatsStream, WitResult, close, filters, labels, next, open, text, wit,
};
use crate::engine::{self, LogOptions, LogSource, WaitOutcome, WaitUntil};
use crate::runtime::bindings::wharf::docker::{containers_read as r, types};
use std::time::Duration;
use wasmtime::component::Resource;

fn summary(c: engine::ContainerSummary) -> r::ContainerSummary {
    r::ContainerSummary {
        id: c.id,
        names: c.names,
        image: c.image,
        command: c.command,
        created: c.created,
        state: c.state,
        status: c.status,
        ports: c
            .ports
            .into_iter()
            .map(|p| r::Port {
                private_port: p.private_port,
                public_port: p.public_port,
                ip: p.ip,
                protocol: p.protocol,
            })
            .collect(),
        labels: labels(c.labels),
        volumes: c.volumes,
    }
}

pub(super) fn chunk(c: engine::LogChunk) -> r::LogChunk {
    r::LogChunk {
        source: match c.source {
            LogSource::Stdout => r::LogSource::Stdout,
            LogSource::Stderr => r::LogSource::Stderr,
            LogSource::Console => r::LogSource::Console,
        },
        data: c.data,
    }
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

impl r::Host for Adapter<'_> {
    async fn list(
        &mut self,
        all: bool,
        limit: Option<u32>,
        f: Vec<types::Filter>,
    ) -> WitResult<Vec<r::ContainerSummary>> {
        wit(self
            .guard
            .list_containers(all, limit, filters(f))
            .await
            .map(|list| list.into_iter().map(summary).collect()))
    }

    async fn inspect(&mut self, id: String) -> WitResult<String> {
        wit(self.guard.inspect_container(&id).await.map(|v| text(&v)))
    }

    async fn logs(&mut self, id: String, o: r::LogOptions) -> WitResult<Resource<LogStream>> {
        let options = LogOptions {
            stdout: o.stdout,
            stderr: o.stderr,
            since: o.since,
            until: o.until,
            tail: o.tail,
            timestamps: o.timestamps,
        };
        open(self.table, self.streams, async {
            self.guard.logs(&id, options).await.map(LogStream)
        })
        .await
    }

    async fn wait(
        &mut self,
        id: String,
        until: r::WaitUntil,
        timeout_ms: u32,
    ) -> WitResult<r::WaitOutcome> {
        let until = match until {
            r::WaitUntil::Exited => WaitUntil::Exited,
            r::WaitUntil::Healthy => WaitUntil::Healthy,
        };
        let waited = self
            .guard
            .wait_container(&id, until, millis(timeout_ms))
            .await;
        wit(waited.map(|w| match w {
            WaitOutcome::Exited(code) => r::WaitOutcome::Exited(code),
            WaitOutcome::Healthy => r::WaitOutcome::Healthy,
            WaitOutcome::Unhealthy => r::WaitOutcome::Unhealthy,
            WaitOutcome::TimedOut(state) => r::WaitOutcome::TimedOut(state),
        }))
    }

    async fn follow_logs(
        &mut self,
        id: String,
        since: Option<i64>,
        timeout_ms: u32,
    ) -> WitResult<Resource<LogStream>> {
        open(self.table, self.streams, async {
            self.guard
                .follow_logs(&id, since, millis(timeout_ms))
                .await
                .map(LogStream)
        })
        .await
    }

    async fn stats(&mut self, id: String, stream: bool) -> WitResult<Resource<StatsStream>> {
        open(self.table, self.streams, async {
            self.guard.stats(&id, stream).await.map(StatsStream)
        })
        .await
    }

    async fn top(&mut self, id: String, ps_args: Option<String>) -> WitResult<r::ProcessList> {
        wit(self.guard.top(&id, ps_args).await.map(|p| r::ProcessList {
            titles: p.titles,
            processes: p.processes,
        }))
    }
}

impl r::HostLogStream for Adapter<'_> {
    async fn next(&mut self, stream: Resource<LogStream>) -> WitResult<Option<r::LogChunk>> {
        next(self.table, &stream, |s| &mut s.0, chunk).await
    }

    async fn drop(&mut self, stream: Resource<LogStream>) -> wasmtime::Result<()> {
        close(self.table, self.streams, stream)
    }
}

impl r::HostStatsStream for Adapter<'_> {
    async fn next(&mut self, stream: Resource<StatsStream>) -> WitResult<Option<String>> {
        next(self.table, &stream, |s| &mut s.0, |v| text(&v)).await
    }

    async fn drop(&mut self, stream: Resource<StatsStream>) -> wasmtime::Result<()> {
        close(self.table, self.streams, stream)
    }
}

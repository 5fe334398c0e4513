//! system on the model: info, version, disk usage and the event log.

use super::{ModelHost, WitResult, done, filter_map, filters_json, render};
use crate::docker::{EventStream, pump::Pump};
use crate::mock::model::{EventQuery, invalid, unix_nanos};
use crate::runtime::bindings::wharf::docker::{system as s, types};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wasmtime::component::Resource;

impl s::Host for ModelHost<'_> {
    async fn info(&mut self) -> WitResult<String> {
        self.record("system", "info", json!({}));
        done(Ok(render::info(&self.docker.model()).to_string()))
    }

    async fn version(&mut self) -> WitResult<String> {
        self.record("system", "version", json!({}));
        done(Ok(render::version().to_string()))
    }

    async fn disk_usage(&mut self) -> WitResult<String> {
        self.record("system", "disk-usage", json!({}));
        done(Ok(render::disk_usage(&self.docker.model()).to_string()))
    }

    async fn events(
        &mut self,
        since: i64,
        until: i64,
        filters: Vec<types::Filter>,
    ) -> WitResult<Resource<EventStream>> {
        self.record(
            "system",
            "events",
            json!({ "since": since, "until": until, "filters": filters_json(&filters) }),
        );
        let opened = if until < since {
            Err(invalid("the window ends before it starts"))
        } else {
            EventQuery::new(filter_map(filters)).map(|query| {
                let docker = self.docker.clone();
                let (from, to) = (
                    since.saturating_mul(1_000_000_000),
                    until.saturating_add(1).saturating_mul(1_000_000_000),
                );
                let end = UNIX_EPOCH + Duration::from_secs(until.saturating_add(1).max(0) as u64);
                Pump::spawn(move |tx| async move {
                    let mut changes = docker.subscribe();
                    let mut at = 0;
                    loop {
                        let batch: Vec<s::Event> = {
                            let m = docker.model();
                            let new = m.events.get(at..).unwrap_or_default();
                            at = m.events.len();
                            new.iter()
                                .filter(|e| {
                                    e.time_nano >= from && e.time_nano < to && query.matches(e)
                                })
                                .map(|e| s::Event {
                                    type_: e.kind.clone(),
                                    action: e.action.clone(),
                                    actor_id: e.actor.clone(),
                                    attributes: e
                                        .attributes
                                        .iter()
                                        .map(|(k, v)| (k.clone(), v.clone()))
                                        .collect(),
                                    time_nano: e.time_nano,
                                })
                                .collect()
                        };
                        for e in batch {
                            if !tx.send(Ok(e)).await {
                                return;
                            }
                        }
                        let now = SystemTime::now();
                        if unix_nanos(now) >= to {
                            return;
                        }
                        let left = end.duration_since(now).unwrap_or_default();
                        match tokio::time::timeout(left, changes.changed()).await {
                            Ok(Ok(())) => {}
                            _ => return,
                        }
                    }
                })
            })
        };
        self.push(opened)
    }
}

impl s::HostEventStream for ModelHost<'_> {
    async fn next(&mut self, stream: Resource<EventStream>) -> WitResult<Option<s::Event>> {
        let st = self.table.get_mut(&stream)?;
        Ok(st.next().await.transpose().map_err(Into::into))
    }

    async fn drop(&mut self, stream: Resource<EventStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

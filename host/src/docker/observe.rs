//! The engine as a whole (`system`): information, version, disk usage and events.

use super::DockerError;
use super::error::ErrorKind;
use super::host::{DockerHost, filter_map, wit};
use super::pump::Pump;
use crate::runtime::bindings::wharf::docker::{system as s, types};
use bollard::models::EventMessage;
use bollard::query_parameters as q;
use wasmtime::component::Resource;

type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

/// Engine events.
pub type EventStream = Pump<s::Event>;

fn json_error(e: serde_json::Error) -> DockerError {
    DockerError::new(
        ErrorKind::Engine,
        format!("unexpected answer from the engine: {e}"),
    )
}

fn event(m: EventMessage) -> Vec<s::Event> {
    let kind = m
        .typ
        .and_then(|t| serde_json::to_value(t).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let actor = m.actor.unwrap_or_default();
    let mut attributes: Vec<(String, String)> =
        actor.attributes.unwrap_or_default().into_iter().collect();
    attributes.sort();
    vec![s::Event {
        type_: kind,
        action: m.action.unwrap_or_default(),
        actor_id: actor.id.unwrap_or_default(),
        attributes,
        time_nano: m
            .time_nano
            .or_else(|| m.time.map(|t| t.saturating_mul(1_000_000_000)))
            .unwrap_or(0),
    }]
}

impl s::Host for DockerHost<'_> {
    async fn info(&mut self) -> WitResult<String> {
        let engine = self.engine;
        wit(async {
            let info = engine.request(|d| async move { d.info().await }).await?;
            serde_json::to_string(&info).map_err(json_error)
        })
        .await
    }

    async fn version(&mut self) -> WitResult<String> {
        let engine = self.engine;
        wit(async {
            let v = engine.request(|d| async move { d.version().await }).await?;
            serde_json::to_string(&v).map_err(json_error)
        })
        .await
    }

    async fn disk_usage(&mut self) -> WitResult<String> {
        let engine = self.engine;
        wit(async {
            // Sizing every layer and volume can take a while on a big engine. The raw
            // answer: bollard's model would drop an older engine's fields.
            let body = super::raw::get(engine, "/system/df", super::LONG_REQUEST_TIMEOUT).await?;
            String::from_utf8(body.to_vec())
                .map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))
        })
        .await
    }

    async fn events(
        &mut self,
        since: i64,
        until: i64,
        filters: Vec<types::Filter>,
    ) -> WitResult<Resource<EventStream>> {
        let engine = self.engine;
        let opened = async {
            if until < since {
                return Err(DockerError::invalid("the window ends before it starts"));
            }
            let docker = engine.long_client().await?;
            let endpoint = engine.endpoint().to_owned();
            let opts = q::EventsOptions {
                since: Some(since.to_string()),
                until: Some(until.to_string()),
                filters: filter_map(filters),
            };
            Ok(Pump::spawn(move |tx| async move {
                tx.forward(docker.events(Some(opts)), event, |e| {
                    DockerError::from_bollard(&endpoint, e)
                })
                .await;
            }))
        };
        let opened = opened.await;
        self.push_or_err(opened)
    }
}

impl s::HostEventStream for DockerHost<'_> {
    async fn next(&mut self, stream: Resource<EventStream>) -> WitResult<Option<s::Event>> {
        let stream = self.table.get_mut(&stream)?;
        Ok(stream.next().await.transpose().map_err(Into::into))
    }

    async fn drop(&mut self, stream: Resource<EventStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

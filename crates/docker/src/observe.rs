//! The engine as a whole, on bollard: information, version, disk usage and events.

use super::ErrorKind;
use super::pump::Pump;
use super::query;
use super::{DockerError, Engine};
use async_trait::async_trait;
use bollard::models::EventMessage;
use bollard::query_parameters as q;
use wharf_core::engine::{self, Event, Filters, Json, Stream};

fn json_error(e: serde_json::Error) -> DockerError {
    DockerError::new(
        ErrorKind::Engine,
        format!("unexpected answer from the engine: {e}"),
    )
}

fn event(m: EventMessage) -> Vec<Event> {
    let kind = m
        .typ
        .and_then(|t| serde_json::to_value(t).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let actor = m.actor.unwrap_or_default();
    let mut attributes: Vec<(String, String)> =
        actor.attributes.unwrap_or_default().into_iter().collect();
    attributes.sort();
    vec![Event {
        kind,
        action: m.action.unwrap_or_default(),
        actor_id: actor.id.unwrap_or_default(),
        attributes,
        time_nano: m
            .time_nano
            .or_else(|| m.time.map(|t| t.saturating_mul(1_000_000_000)))
            .unwrap_or(0),
    }]
}

#[async_trait]
impl engine::System for Engine {
    async fn info(&self) -> Result<Json, DockerError> {
        let info = self.request(|d| async move { d.info().await }).await?;
        serde_json::to_value(&info).map_err(json_error)
    }

    async fn version(&self) -> Result<Json, DockerError> {
        let v = self.request(|d| async move { d.version().await }).await?;
        serde_json::to_value(&v).map_err(json_error)
    }

    async fn disk_usage(&self) -> Result<Json, DockerError> {
        // Sizing every layer and volume can take a while on a big engine. The raw answer:
        // bollard's model would drop an older engine's fields.
        let body = super::raw::get(self, "/system/df", super::LONG_REQUEST_TIMEOUT).await?;
        serde_json::from_slice(&body).map_err(json_error)
    }

    async fn events(
        &self,
        since: i64,
        until: i64,
        filters: Filters,
    ) -> Result<Stream<Event>, DockerError> {
        let docker = self.long_client().await?;
        let errors = self.errors();
        let opts = q::EventsOptions {
            since: Some(since.to_string()),
            until: Some(until.to_string()),
            filters: query(filters),
        };
        let pump = Pump::spawn(move |tx| async move {
            tx.forward(docker.events(Some(opts)), event, |e| errors.map(e))
                .await;
        });
        Ok(pump.into_stream())
    }
}

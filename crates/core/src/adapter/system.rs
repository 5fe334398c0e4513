//! `system`, with its event stream.

use super::{Adapter, EventStream, WitResult, close, filters, next, open, text, wit};
use crate::engine::Event;
use crate::runtime::bindings::wharf::docker::{system as s, types};
use wasmtime::component::Resource;

fn event(e: Event) -> s::Event {
    s::Event {
        type_: e.kind,
        action: e.action,
        actor_id: e.actor_id,
        attributes: e.attributes,
        time_nano: e.time_nano,
    }
}

impl s::Host for Adapter<'_> {
    async fn info(&mut self) -> WitResult<String> {
        wit(self.guard.info().await.map(|v| text(&v)))
    }

    async fn version(&mut self) -> WitResult<String> {
        wit(self.guard.version().await.map(|v| text(&v)))
    }

    async fn disk_usage(&mut self) -> WitResult<String> {
        wit(self.guard.disk_usage().await.map(|v| text(&v)))
    }

    async fn events(
        &mut self,
        since: i64,
        until: i64,
        f: Vec<types::Filter>,
    ) -> WitResult<Resource<EventStream>> {
        open(self.table, self.streams, async {
            self.guard
                .events(since, until, filters(f))
                .await
                .map(EventStream)
        })
        .await
    }
}

impl s::HostEventStream for Adapter<'_> {
    async fn next(&mut self, stream: Resource<EventStream>) -> WitResult<Option<s::Event>> {
        next(self.table, &stream, |s| &mut s.0, event).await
    }

    async fn drop(&mut self, stream: Resource<EventStream>) -> wasmtime::Result<()> {
        close(self.table, self.streams, stream)
    }
}

//! The WIT adapter: the Docker capability interfaces plugins import, served for every
//! engine. It only converts: WIT records and JSON text in, domain types out, and back. Every
//! request goes through the call's [`Guard`], then the engine the call is routed to.

mod build;
mod containers_read;
mod containers_write;
mod exec;
mod files;
mod images;
mod networks;
mod registry;
mod swarm;
mod system;
mod volumes;

use crate::engine::DockerError;
use crate::engine::{DockerEngine, Filters, JobEvent, Labels, LogChunk, Stream};
use crate::policy::{Guard, Rules};
use crate::runtime::bindings::wharf::docker::types;
use crate::runtime::state::CallState;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use wasmtime::component::{HasData, Resource, ResourceTable};

type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

/// Streams and jobs one call may hold open at once. Each can hold a connection to the
/// engine, which the host pays for, not the plugin's memory limit. Set above what a
/// built-in tool needs: container_stats reads 30 containers side by side.
pub const MAX_OPEN_STREAMS: usize = 64;

/// The capability functions' view of a call: its guard, its resource table, and how many
/// streams and jobs it holds open.
pub struct Adapter<'a> {
    guard: Guard<'a>,
    table: &'a mut ResourceTable,
    streams: &'a mut usize,
}

/// A container's log output, as the plugin's `log-stream` resource.
pub struct LogStream(Stream<LogChunk>);
/// Stats samples, as the plugin's `stats-stream` resource.
pub struct StatsStream(Stream<serde_json::Value>);
/// A pull, push or build, as the plugin's `job` resource; dropping it abandons the job.
pub struct Job(Stream<JobEvent>);
/// Engine events, as the plugin's `event-stream` resource.
pub struct EventStream(Stream<crate::engine::Event>);
/// A swarm task's log output, as the plugin's `task-log-stream` resource.
pub struct TaskLogStream(Stream<LogChunk>);

/// Open a stream or job with `opening`, unless the call already holds
/// [`MAX_OPEN_STREAMS`]; then the engine is not asked at all.
async fn open<T: Send + 'static>(
    table: &mut ResourceTable,
    streams: &mut usize,
    opening: impl Future<Output = Result<T, DockerError>>,
) -> WitResult<Resource<T>> {
    if *streams >= MAX_OPEN_STREAMS {
        return Ok(Err(DockerError::denied(format!(
            "a call may hold at most {MAX_OPEN_STREAMS} streams and jobs open at once; drop \
             one before opening another"
        ))
        .into()));
    }
    match opening.await {
        Ok(r) => {
            let r = table.push(r)?;
            *streams += 1;
            Ok(Ok(r))
        }
        Err(e) => Ok(Err(e.into())),
    }
}

/// Drop a stream or job the plugin is done with.
fn close<T: 'static>(
    table: &mut ResourceTable,
    streams: &mut usize,
    r: Resource<T>,
) -> wasmtime::Result<()> {
    table.delete(r)?;
    *streams = streams.saturating_sub(1);
    Ok(())
}

/// The next item of a stream resource, converted; none at its end.
async fn next<S, T, W>(
    table: &mut ResourceTable,
    resource: &Resource<S>,
    stream: impl FnOnce(&mut S) -> &mut Stream<T>,
    convert: impl FnOnce(T) -> W,
) -> WitResult<Option<W>>
where
    S: 'static,
{
    let s = stream(table.get_mut(resource)?);
    Ok(match s.next().await {
        None => Ok(None),
        Some(Ok(item)) => Ok(Some(convert(item))),
        Some(Err(e)) => Err(e.into()),
    })
}

/// Marker for `add_to_linker`: the capability functions see an [`Adapter`].
pub struct AdapterData;

impl HasData for AdapterData {
    type Data<'a> = Adapter<'a>;
}

impl AdapterData {
    pub fn view(s: &mut CallState) -> Adapter<'_> {
        let services = &*s.services;
        let engine: &dyn DockerEngine = &*s.engine;
        let rules = Rules {
            read_only: services.read_only || engine.is_read_only(),
            no_destructive: services.no_destructive,
            dry_run: s.hooks.dry_run,
            removals: &s.hooks.removals,
            called: &s.called,
            changes: &s.hooks.changes,
            scope: services.scope.as_ref(),
            allow: &services.allow,
            roots: &services.roots,
            credentials: &services.credentials,
        };
        Adapter {
            guard: Guard::new(engine, rules),
            table: &mut s.table,
            streams: &mut s.streams,
        }
    }
}

impl From<DockerError> for types::DockerError {
    fn from(e: DockerError) -> Self {
        use crate::engine::ErrorKind as K;
        let kind = match e.kind {
            K::NotFound => types::ErrorKind::NotFound,
            K::Conflict => types::ErrorKind::Conflict,
            K::Invalid => types::ErrorKind::Invalid,
            K::Denied => types::ErrorKind::Denied,
            K::Unavailable => types::ErrorKind::Unavailable,
            K::Timeout => types::ErrorKind::Timeout,
            K::Engine => types::ErrorKind::Engine,
        };
        types::DockerError {
            kind,
            message: e.message,
        }
    }
}

/// The plugin's answer: the value, or the error it sees.
fn wit<T>(r: Result<T, DockerError>) -> WitResult<T> {
    Ok(r.map_err(Into::into))
}

/// WIT filters as the domain's map.
fn filters(list: Vec<types::Filter>) -> Filters {
    let mut f = Filters::new();
    for filter in list {
        f.entry(filter.key).or_default().extend(filter.values);
    }
    f
}

fn labels(labels: Labels) -> Vec<(String, String)> {
    labels.into_iter().collect()
}

/// A JSON body the plugin sent, as the Engine API model it must be.
fn body<T: DeserializeOwned>(what: &str, model: &str, json: &str) -> Result<T, DockerError> {
    serde_json::from_str(json)
        .map_err(|e| DockerError::invalid(format!("the {what} is not a Docker {model}: {e}")))
}

/// JSON text for the plugin.
fn text(value: &serde_json::Value) -> String {
    value.to_string()
}

fn job_event(e: JobEvent) -> types::JobEvent {
    match e {
        JobEvent::Layer(l) => types::JobEvent::Layer(types::LayerProgress {
            id: l.id,
            status: l.status,
            current: l.current,
            total: l.total,
        }),
        JobEvent::Message(m) => types::JobEvent::Message(m),
        JobEvent::ImageId(id) => types::JobEvent::ImageId(id),
    }
}

impl types::Host for Adapter<'_> {}

impl types::HostJob for Adapter<'_> {
    async fn next(&mut self, job: Resource<Job>) -> WitResult<Option<types::JobEvent>> {
        next(self.table, &job, |j| &mut j.0, job_event).await
    }

    async fn drop(&mut self, job: Resource<Job>) -> wasmtime::Result<()> {
        close(self.table, self.streams, job)
    }
}

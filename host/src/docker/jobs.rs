//! Long engine operations (pull, push, build) as the WIT `job` resource.
//!
//! The engine answers these with a stream of JSON progress messages. A task owns the request
//! and forwards what it reads, translated to [`JobEvent`]s, over a small channel the plugin
//! drains with `next`. Dropping the job (the plugin drops it, or its call is cancelled and its
//! store goes away) aborts the task, which drops the request: the engine sees the client go
//! and stops the operation.

use super::DockerError;
use super::containers::DockerHost;
use crate::runtime::bindings::wharf::docker::types::{self, JobEvent, LayerProgress};
use bollard::models::{BuildInfo, CreateImageInfo, ProgressDetail, PushImageInfo};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use wasmtime::component::Resource;

/// Events read ahead of the plugin; the engine's stream waits beyond that.
const READ_AHEAD: usize = 64;

type Item = Result<JobEvent, DockerError>;

/// A running engine operation; see the module docs.
pub struct Job {
    events: mpsc::Receiver<Item>,
    task: AbortHandle,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The producing side of a [`Job`].
pub(super) struct JobSender(mpsc::Sender<Item>);

impl JobSender {
    /// False once the job is gone: stop producing.
    pub(super) async fn send(&self, item: Item) -> bool {
        self.0.send(item).await.is_ok()
    }

    /// Forward `stream`'s messages until it ends (true) or fails or the job is gone (false).
    pub(super) async fn forward<T>(
        &self,
        stream: impl Stream<Item = Result<T, bollard::errors::Error>>,
        events: impl Fn(T) -> Vec<JobEvent>,
        error: impl Fn(bollard::errors::Error) -> DockerError,
    ) -> bool {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match item {
                Ok(message) => {
                    for e in events(message) {
                        if !self.send(Ok(e)).await {
                            return false;
                        }
                    }
                }
                Err(e) => {
                    self.send(Err(error(e))).await;
                    return false;
                }
            }
        }
        true
    }
}

impl Job {
    /// Run `produce` as the job's task.
    pub(super) fn spawn<Fut>(produce: impl FnOnce(JobSender) -> Fut) -> Job
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(READ_AHEAD);
        let task = tokio::spawn(produce(JobSender(tx))).abort_handle();
        Job { events: rx, task }
    }
}

impl types::HostJob for DockerHost<'_> {
    async fn next(
        &mut self,
        job: Resource<Job>,
    ) -> wasmtime::Result<Result<Option<JobEvent>, types::DockerError>> {
        let job = self.table.get_mut(&job)?;
        Ok(match job.events.recv().await {
            None => Ok(None),
            Some(Ok(e)) => Ok(Some(e)),
            Some(Err(e)) => Err(e.into()),
        })
    }

    async fn drop(&mut self, job: Resource<Job>) -> wasmtime::Result<()> {
        self.table.delete(job)?;
        Ok(())
    }
}

/// A layer's or a line's event, from the fields every progress message shares.
fn status_event(
    id: Option<String>,
    status: Option<String>,
    detail: Option<ProgressDetail>,
) -> Option<JobEvent> {
    let status = status.filter(|s| !s.is_empty())?;
    Some(match id.filter(|i| !i.is_empty()) {
        Some(id) => {
            let detail = detail.unwrap_or_default();
            // The engine sends 0/0 or negative numbers for "unknown"; say unknown.
            let known = |n: Option<i64>| n.filter(|n| *n > 0).map(|n| n as u64);
            JobEvent::Layer(LayerProgress {
                id,
                status,
                current: known(detail.current),
                total: known(detail.total),
            })
        }
        None => JobEvent::Message(status),
    })
}

pub(super) fn pull_events(m: CreateImageInfo) -> Vec<JobEvent> {
    status_event(m.id, m.status, m.progress_detail)
        .into_iter()
        .collect()
}

pub(super) fn push_events(m: PushImageInfo) -> Vec<JobEvent> {
    // A push's messages carry the layer id in `id` too, but bollard's model drops it; the
    // status text ("Pushed", "Layer already exists") is still worth passing on.
    status_event(None, m.status, m.progress_detail)
        .into_iter()
        .collect()
}

pub(super) fn build_events(m: BuildInfo) -> Vec<JobEvent> {
    let mut events = Vec::new();
    if let Some(text) = m.stream {
        events.extend(
            text.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(|l| JobEvent::Message(l.to_owned())),
        );
    }
    events.extend(status_event(m.id, m.status, m.progress_detail));
    if let Some(id) = m.aux.and_then(|a| a.id) {
        events.push(JobEvent::ImageId(id));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_progress_keeps_only_known_numbers() {
        let e = pull_events(CreateImageInfo {
            id: Some("abc".into()),
            status: Some("Downloading".into()),
            progress_detail: Some(ProgressDetail {
                current: Some(10),
                total: Some(-1),
            }),
            ..Default::default()
        });
        assert_eq!(
            e,
            [JobEvent::Layer(LayerProgress {
                id: "abc".into(),
                status: "Downloading".into(),
                current: Some(10),
                total: None,
            })]
        );
        let e = pull_events(CreateImageInfo {
            status: Some("Digest: sha256:1".into()),
            ..Default::default()
        });
        assert_eq!(e, [JobEvent::Message("Digest: sha256:1".into())]);
    }

    #[test]
    fn build_output_is_split_into_lines() {
        let e = build_events(BuildInfo {
            stream: Some("Step 1/2 : FROM x\n ---> 123\n\n".into()),
            ..Default::default()
        });
        assert_eq!(
            e,
            [
                JobEvent::Message("Step 1/2 : FROM x".into()),
                JobEvent::Message(" ---> 123".into())
            ]
        );
    }
}

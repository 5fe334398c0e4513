//! A stream from the engine, read ahead by a task of its own: the WIT resources for jobs,
//! stats and events are all one of these.
//!
//! The task owns the engine request and forwards what it reads over a small channel the
//! plugin drains with `next`, so opening several streams starts their requests at once.
//! Dropping the pump (the plugin drops the resource, or its call ends and its store goes)
//! aborts the task, which drops the request: the engine sees the client go.

use super::DockerError;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Items read ahead of the plugin; the engine's stream waits beyond that.
const READ_AHEAD: usize = 64;

type Item<T> = Result<T, DockerError>;

pub struct Pump<T> {
    items: mpsc::Receiver<Item<T>>,
    task: AbortHandle,
}

impl<T> Drop for Pump<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<T: Send + 'static> Pump<T> {
    /// Run `produce` as the pump's task.
    pub(crate) fn spawn<Fut>(produce: impl FnOnce(PumpSender<T>) -> Fut) -> Self
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(READ_AHEAD);
        let task = tokio::spawn(produce(PumpSender(tx))).abort_handle();
        Pump { items: rx, task }
    }

    /// The next item; none once the stream ended (after an error, too).
    pub(crate) async fn next(&mut self) -> Option<Item<T>> {
        self.items.recv().await
    }

    /// As a stream on the engine boundary; dropping it still aborts the task.
    pub(crate) fn into_stream(self) -> wharf_core::engine::Stream<T> {
        Box::pin(futures::stream::unfold(self, |mut pump| async move {
            let item = pump.next().await?;
            Some((item, pump))
        }))
    }
}

/// The producing side of a [`Pump`].
pub(crate) struct PumpSender<T>(mpsc::Sender<Item<T>>);

impl<T> PumpSender<T> {
    /// False once the pump is gone: stop producing.
    pub(crate) async fn send(&self, item: Item<T>) -> bool {
        self.0.send(item).await.is_ok()
    }

    /// Forward `stream`'s messages, each mapped to zero or more items, until it ends (true)
    /// or fails or the pump is gone (false).
    pub(super) async fn forward<M>(
        &self,
        stream: impl Stream<Item = Result<M, bollard::errors::Error>>,
        items: impl Fn(M) -> Vec<T>,
        error: impl Fn(bollard::errors::Error) -> DockerError,
    ) -> bool {
        let mut stream = std::pin::pin!(stream);
        while let Some(message) = stream.next().await {
            match message {
                Ok(m) => {
                    for item in items(m) {
                        if !self.send(Ok(item)).await {
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

//! The per-call context a plugin receives: progress, cancellation, logging.

use super::bindings::wharf::plugin::context::{Host, HostCallContext};
use super::bindings::wharf::plugin::types::LogLevel;
use super::state::CallState;
use crate::engine::DockerEngine;
use std::sync::Arc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use wasmtime::component::Resource;

/// The WIT `call-context` resource. The call's data lives in the store; the resource is
/// only the handle the plugin holds.
pub struct CallContext;

/// One progress report from a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
    pub message: Option<String>,
}

/// What the caller of a tool hands to the call: where progress goes, the token that says
/// the client cancelled, and the engine the call works on (none: the default engine).
#[derive(Clone, Default)]
pub struct CallHooks {
    pub progress: Option<ProgressSender>,
    pub cancel: CancellationToken,
    pub engine: Option<Arc<dyn DockerEngine>>,
    /// Where the guard records the Docker changes the call asks for; the caller reads it
    /// after the call (the audit).
    pub changes: Arc<crate::policy::Changes>,
    /// What the call may remove (see [`crate::policy::plan`]).
    pub removals: crate::policy::Removals,
    /// A dry run: the guard refuses every change, whatever the tool's label.
    pub dry_run: bool,
}

/// Where a call's progress reports go. Only the latest report is kept: a reader that lags
/// skips to the newest rather than queueing stale ones, so a chatty plugin costs nothing.
pub type ProgressSender = watch::Sender<Option<Progress>>;

/// The reading side of [`progress_channel`].
pub struct ProgressReceiver(watch::Receiver<Option<Progress>>);

impl ProgressReceiver {
    /// The next report not yet seen; none once the call is over and all were seen.
    pub async fn next(&mut self) -> Option<Progress> {
        loop {
            self.0.changed().await.ok()?;
            if let Some(p) = self.0.borrow_and_update().clone() {
                return Some(p);
            }
        }
    }
}

pub fn progress_channel() -> (ProgressSender, ProgressReceiver) {
    let (tx, rx) = watch::channel(None);
    (tx, ProgressReceiver(rx))
}

impl Host for CallState {}

impl super::bindings::wharf::plugin::types::Host for CallState {}

impl HostCallContext for CallState {
    async fn progress(
        &mut self,
        _ctx: Resource<CallContext>,
        done: u64,
        total: Option<u64>,
        message: Option<String>,
    ) -> wasmtime::Result<()> {
        if let Some(tx) = &self.hooks.progress {
            tx.send_replace(Some(Progress {
                done,
                total,
                message,
            }));
        }
        Ok(())
    }

    async fn cancelled(&mut self, _ctx: Resource<CallContext>) -> wasmtime::Result<bool> {
        Ok(self.hooks.cancel.is_cancelled())
    }

    async fn log(
        &mut self,
        _ctx: Resource<CallContext>,
        level: LogLevel,
        message: String,
    ) -> wasmtime::Result<()> {
        let plugin = &*self.plugin;
        match level {
            LogLevel::Debug => tracing::debug!(plugin, "{message}"),
            LogLevel::Info => tracing::info!(plugin, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, "{message}"),
            LogLevel::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }

    async fn drop(&mut self, ctx: Resource<CallContext>) -> wasmtime::Result<()> {
        self.table.delete(ctx)?;
        Ok(())
    }
}

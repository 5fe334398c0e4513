use crate::bindings::wharf::plugin::context::CallContext;
use crate::bindings::wharf::plugin::types::LogLevel;

/// The running call's channel back to the host and the client.
pub struct Context<'a> {
    inner: &'a CallContext,
}

impl<'a> Context<'a> {
    pub(crate) fn new(inner: &'a CallContext) -> Self {
        Context { inner }
    }

    /// Report progress to the client, if it asked for progress.
    pub fn progress(&self, done: u64, total: Option<u64>, message: &str) {
        let message = (!message.is_empty()).then(|| message.to_owned());
        self.inner.progress(done, total, message.as_deref());
    }

    /// True once the client cancelled the call.
    pub fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }

    /// Log through the host (stderr), tagged with the plugin's name.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.inner.log(level, message);
    }
}

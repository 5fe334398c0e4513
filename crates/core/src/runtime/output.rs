//! A plugin's stdout and stderr. They are never the host's: the host's stdout carries the
//! MCP stream, and its stderr is the log a user reads (Claude Desktop keeps it as a file).
//! So each line a plugin prints becomes one log record marked with the plugin's name, its
//! control characters escaped (no forged lines, no terminal escapes), and a call prints at
//! most [`MAX_PER_CALL`] bytes; the rest is dropped with one record saying so.

use bytes::Bytes;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// What one call may print, on stdout and stderr together.
pub const MAX_PER_CALL: usize = 64 << 10;
/// A line longer than this is logged in pieces.
const MAX_LINE: usize = 4 << 10;

/// One call's output; stdout and stderr share its budget.
#[derive(Clone)]
pub struct GuestOutput {
    lines: Arc<Mutex<Lines>>,
    stream: &'static str,
}

struct Lines {
    plugin: Arc<str>,
    partial: Vec<u8>,
    printed: usize,
    dropped: usize,
}

impl GuestOutput {
    /// The stdout and stderr of one call of `plugin`.
    pub fn pair(plugin: Arc<str>) -> (GuestOutput, GuestOutput) {
        let lines = Arc::new(Mutex::new(Lines {
            plugin,
            partial: Vec::new(),
            printed: 0,
            dropped: 0,
        }));
        (
            GuestOutput {
                lines: lines.clone(),
                stream: "stdout",
            },
            GuestOutput {
                lines,
                stream: "stderr",
            },
        )
    }

    fn take(&self, bytes: &[u8]) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let room = MAX_PER_CALL.saturating_sub(lines.printed);
        let (kept, dropped) = bytes.split_at(bytes.len().min(room));
        lines.printed += kept.len();
        lines.dropped += dropped.len();
        for &b in kept {
            if b == b'\n' || lines.partial.len() >= MAX_LINE {
                lines.emit(self.stream);
            }
            if b != b'\n' {
                lines.partial.push(b);
            }
        }
    }
}

impl Lines {
    fn emit(&mut self, stream: &str) {
        let line = escaped(&self.partial);
        self.partial.clear();
        tracing::info!(target: "wharf::plugin", plugin = %self.plugin, stream, "{line}");
    }
}

impl Drop for Lines {
    /// The call is over: its last unfinished line, and what was dropped.
    fn drop(&mut self) {
        if !self.partial.is_empty() {
            self.emit("output");
        }
        if self.dropped > 0 {
            tracing::warn!(
                target: "wharf::plugin",
                plugin = %self.plugin,
                "the plugin printed {} bytes more than the {MAX_PER_CALL} a call may; dropped",
                self.dropped
            );
        }
    }
}

/// `line` as text with every control character escaped (`\u{1b}`, `\r`, `\t`).
fn escaped(line: &[u8]) -> String {
    let mut out = String::with_capacity(line.len());
    for c in String::from_utf8_lossy(line).chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.take(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Always ready: past the budget output is dropped, not refused, so a chatty plugin
        // keeps working.
        Ok(MAX_LINE)
    }
}

#[async_trait::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for GuestOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.take(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escaped(b"\x1b[31mred\r"), "\\u{1b}[31mred\\r");
        assert_eq!(escaped("café".as_bytes()), "café");
    }

    #[test]
    fn a_call_prints_at_most_its_budget() {
        let (out, err) = GuestOutput::pair("p".into());
        out.take(&vec![b'x'; MAX_PER_CALL - 10]);
        err.take(&[b'y'; 100]);
        let lines = out.lines.lock().unwrap();
        assert_eq!(lines.printed, MAX_PER_CALL);
        assert_eq!(lines.dropped, 90);
    }
}

//! Steps of a long compose operation: each reported to the client as progress as it
//! happens, checked for cancellation, and kept for the final answer.

use wharf_plugin_sdk::{Context, ToolError, ToolResult};

pub struct Steps<'a> {
    ctx: &'a Context<'a>,
    done: u64,
    total: u64,
    lines: Vec<(String, String)>,
}

impl<'a> Steps<'a> {
    /// `total`: the steps expected, for the client's progress bar.
    pub fn new(ctx: &'a Context<'a>, total: u64) -> Self {
        Steps {
            ctx,
            done: 0,
            total,
            lines: Vec::new(),
        }
    }

    /// One step finished; an error if the client has cancelled, so the next one does not
    /// begin.
    pub fn done(&mut self, object: String, action: &str) -> ToolResult<()> {
        self.done += 1;
        self.total = self.total.max(self.done);
        self.ctx
            .progress(self.done, Some(self.total), &format!("{object}: {action}"));
        self.lines.push((object, action.to_owned()));
        if self.ctx.cancelled() {
            return Err(ToolError::cancelled().context(format!(
                "stopped after {} of {} steps",
                self.done, self.total
            )));
        }
        Ok(())
    }

    /// Something done beside the planned steps: kept and reported, not counted.
    pub fn note(&mut self, object: String, action: &str) {
        self.ctx
            .progress(self.done, Some(self.total), &format!("{object}: {action}"));
        self.lines.push((object, action.to_owned()));
    }

    pub fn lines(&self) -> &[(String, String)] {
        &self.lines
    }

    pub fn into_lines(self) -> Vec<(String, String)> {
        self.lines
    }
}

//! The Docker changes a call asks for, judged against what its tool says of itself.
//!
//! A tool's annotations are the plugin's own words, and clients act on them: a read-only
//! tool is run without asking, a non-destructive one is served in no-destructive mode. So
//! the guard holds every request to its tool's label, and the audit records what was asked
//! of Docker, not what the label promised.

use crate::runtime::Annotations;
use std::fmt;
use std::sync::Mutex;

/// Requests listed in a call's audit record; past this only their number is kept.
const MAX_LISTED: usize = 32;

/// A Docker request that changes state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Creates, starts, runs or writes something.
    Write,
    /// Removes, kills or prunes: what it does cannot be undone.
    Destroy,
}

/// The tool a call runs, as its plugin declared it.
#[derive(Debug, Clone, Default)]
pub struct Called {
    pub tool: String,
    pub annotations: Annotations,
}

impl Called {
    /// A call that may change nothing: a tool without a label, or a plugin being loaded.
    pub fn read_only(tool: &str) -> Called {
        Called {
            tool: tool.to_owned(),
            annotations: Annotations {
                read_only: true,
                ..Annotations::default()
            },
        }
    }

    /// A plugin saying who it is and what tools it has, which changes nothing.
    pub fn loading() -> Called {
        Called::read_only("list-tools")
    }
}

/// What one call asked Docker to change, refused requests included, in order.
#[derive(Debug, Default)]
pub struct Changes {
    inner: Mutex<Listed>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listed {
    pub requests: Vec<String>,
    /// Requests beyond [`MAX_LISTED`], counted only.
    pub more: usize,
}

impl Listed {
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }
}

impl Changes {
    pub(crate) fn record(&self, request: impl fmt::Display) {
        let mut listed = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if listed.requests.len() < MAX_LISTED {
            listed.requests.push(request.to_string());
        } else {
            listed.more += 1;
        }
    }

    /// What was recorded so far.
    pub fn listed(&self) -> Listed {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_that_asks_for_much_is_listed_up_to_a_bound_and_counted() {
        let changes = Changes::default();
        for i in 0..MAX_LISTED + 5 {
            changes.record(format!("remove container c{i}"));
        }
        let listed = changes.listed();
        assert_eq!(listed.requests.len(), MAX_LISTED);
        assert_eq!(listed.requests[0], "remove container c0");
        assert_eq!(listed.more, 5);
    }
}

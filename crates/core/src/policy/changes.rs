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
/// Bytes kept of each listed request: its names come from the plugin.
const MAX_REQUEST: usize = 256;
/// Objects remembered as made by the call; past this, removing one counts as destroying.
const MAX_CREATED: usize = 256;

/// A Docker request that changes state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Creates, starts, runs or writes something.
    Write,
    /// Removes, kills or prunes: what it does cannot be undone.
    Destroy,
    /// Replaces host files under an allowed root, which the call's arguments asked for by
    /// name: cannot be undone either, but removes no Docker object a plan could list.
    Overwrite,
}

impl Change {
    /// A write to host files that may replace what is there.
    pub fn replacing(overwrite: bool) -> Change {
        if overwrite {
            Change::Overwrite
        } else {
            Change::Write
        }
    }
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

/// What one call asked Docker to change, refused requests included, in order; and what
/// it created, which it may remove again without destroying anything it found.
#[derive(Debug, Default)]
pub struct Changes {
    inner: Mutex<Listed>,
    created: Mutex<Vec<(crate::engine::Kind, String)>>,
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
            listed.requests.push(cut(request.to_string()));
        } else {
            listed.more += 1;
        }
    }

    pub(crate) fn created(&self, kind: crate::engine::Kind, id: &str) {
        let mut created = self.created.lock().unwrap_or_else(|e| e.into_inner());
        if created.len() < MAX_CREATED {
            created.push((kind, id.to_owned()));
        }
    }

    /// Whether this call created `id`.
    pub(crate) fn made(&self, kind: crate::engine::Kind, id: &str) -> bool {
        self.created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|(k, i)| *k == kind && i == id)
    }

    /// What was recorded so far.
    pub fn listed(&self) -> Listed {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// `text` cut to [`MAX_REQUEST`] bytes, at a character boundary.
pub(crate) fn cut(mut text: String) -> String {
    if text.len() > MAX_REQUEST {
        let mut end = MAX_REQUEST;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
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
        let long = Changes::default();
        long.record(format!("kill container {}", "é".repeat(100_000)));
        let kept = &long.listed().requests[0];
        assert!(kept.len() <= MAX_REQUEST + '…'.len_utf8(), "{}", kept.len());
    }
}

//! Which tools a wharf instance serves: its mode (everything, nothing destructive, or only
//! what reads) and the tools its config disables. A refused tool is neither listed nor
//! callable; a call to it is answered with the reason.

use crate::runtime::ToolDef;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Every tool.
    #[default]
    Full,
    /// Every tool but the destructive ones (remove, kill, prune...).
    NoDestructive,
    /// Only the tools that never change state; the host also refuses every Docker write.
    ReadOnly,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::NoDestructive => "no-destructive",
            Mode::ReadOnly => "read-only",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The mode plus the disabled tools: decides, per tool, whether wharf serves it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolPolicy {
    pub mode: Mode,
    pub disabled: BTreeSet<String>,
}

impl ToolPolicy {
    /// Why `tool` is not served, or `None` when it is.
    pub fn refusal(&self, tool: &ToolDef) -> Option<String> {
        let a = tool.annotations;
        if self.disabled.contains(&tool.name) {
            return Some(format!(
                "`{}` is disabled by wharf's configuration (disabled_tools)",
                tool.name
            ));
        }
        match self.mode {
            Mode::ReadOnly if !a.read_only => Some(format!(
                "wharf runs in read-only mode and `{}` changes state",
                tool.name
            )),
            // A tool that says it only reads cannot destroy, whatever else it claims.
            Mode::NoDestructive if a.destructive && !a.read_only => Some(format!(
                "wharf runs in no-destructive mode and `{}` is destructive",
                tool.name
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn tool(name: &str, read_only: bool, destructive: bool) -> ToolDef {
        ToolDef::for_tests(name, read_only, destructive)
    }

    #[test]
    fn each_mode_keeps_what_it_promises() {
        let list = tool("list_containers", true, false);
        let start = tool("start_container", false, false);
        let remove = tool("remove_container", false, true);
        let policy = |mode| ToolPolicy {
            mode,
            disabled: BTreeSet::new(),
        };
        let full = policy(Mode::Full);
        assert!(
            [&list, &start, &remove]
                .iter()
                .all(|t| full.refusal(t).is_none())
        );
        let safe = policy(Mode::NoDestructive);
        assert!(safe.refusal(&list).is_none() && safe.refusal(&start).is_none());
        assert!(
            safe.refusal(&remove)
                .unwrap()
                .contains("no-destructive mode")
        );
        let ro = policy(Mode::ReadOnly);
        assert!(ro.refusal(&list).is_none());
        assert!(ro.refusal(&start).unwrap().contains("read-only mode"));
        assert!(ro.refusal(&remove).is_some());
    }

    #[test]
    fn disabled_tools_are_refused_in_every_mode() {
        let p = ToolPolicy {
            mode: Mode::Full,
            disabled: BTreeSet::from(["list_containers".to_owned()]),
        };
        let r = p.refusal(&tool("list_containers", true, false)).unwrap();
        assert!(r.contains("disabled"), "{r}");
        assert!(p.refusal(&tool("list_images", true, false)).is_none());
    }
}

//! Which tools a wharf instance serves: the toolsets (tool groups) and tools chosen, its
//! mode (everything, nothing destructive, or only what reads) and the tools its config
//! disables. A refused tool is neither listed nor callable; a call to it is answered with
//! the reason. The choice is made once, at start: the list never changes while serving.

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

/// The tool groups served, by plugin name, and single tools served besides them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolsets {
    /// Every plugin's tools, off-by-default plugins included.
    all: bool,
    /// The tools of the plugins on by default (or enabled in the config).
    default: bool,
    named: BTreeSet<String>,
    tools: BTreeSet<String>,
}

/// What `toolsets` names besides plugin names.
pub const ALL: &str = "all";
pub const DEFAULT: &str = "default";

impl Default for Toolsets {
    fn default() -> Self {
        Toolsets::new(None, BTreeSet::new())
    }
}

impl Toolsets {
    /// `toolsets` as configured (none: `default`, unless `tools` names some tools, which
    /// then are all that is served) and single `tools` on top.
    pub fn new(toolsets: Option<&[String]>, tools: BTreeSet<String>) -> Self {
        let trimmed = |names: &mut dyn Iterator<Item = &String>| -> BTreeSet<String> {
            names
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect()
        };
        let named = trimmed(&mut toolsets.unwrap_or_default().iter());
        let tools = trimmed(&mut tools.iter());
        Toolsets {
            all: named.contains(ALL),
            default: named.contains(DEFAULT) || (toolsets.is_none() && tools.is_empty()),
            named: named
                .into_iter()
                .filter(|n| n != ALL && n != DEFAULT)
                .collect(),
            tools,
        }
    }

    /// Nothing at all is chosen (`toolsets = []` and no tools).
    pub fn serves_nothing(&self) -> bool {
        !self.all && !self.default && self.named.is_empty() && self.tools.is_empty()
    }

    /// The plugins named, besides `all` and `default`.
    pub fn named(&self) -> &BTreeSet<String> {
        &self.named
    }

    /// The single tools named.
    pub fn tools(&self) -> &BTreeSet<String> {
        &self.tools
    }

    /// Whether plugin `name` must load: some of its tools may be served. `on` says whether
    /// it is on by default (or enabled in the config). Single tools may be anyone's.
    pub fn loads(&self, name: &str, on: bool) -> bool {
        self.all || (self.default && on) || self.named.contains(name) || !self.tools.is_empty()
    }

    fn serves(&self, plugin: &str, on: bool, tool: &str) -> bool {
        self.all || (self.default && on) || self.named.contains(plugin) || self.tools.contains(tool)
    }

    fn describe(&self) -> String {
        let mut sets: Vec<&str> = Vec::new();
        if self.all {
            sets.push(ALL);
        }
        if self.default {
            sets.push(DEFAULT);
        }
        sets.extend(self.named.iter().map(String::as_str));
        if sets.is_empty() {
            "none".to_owned()
        } else {
            sets.join(",")
        }
    }
}

/// The toolsets, the mode and the disabled tools: decides, per tool, whether wharf serves
/// it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolPolicy {
    pub mode: Mode,
    pub disabled: BTreeSet<String>,
    pub toolsets: Toolsets,
}

impl ToolPolicy {
    /// Why `tool` of `plugin` is not served, or `None` when it is. `on` says whether the
    /// plugin is on by default (or enabled in the config).
    pub fn refusal(&self, plugin: &str, on: bool, tool: &ToolDef) -> Option<String> {
        let a = tool.annotations;
        if self.disabled.contains(&tool.name) {
            return Some(format!(
                "`{}` is disabled by wharf's configuration (disabled_tools)",
                tool.name
            ));
        }
        if !self.toolsets.serves(plugin, on, &tool.name) {
            return Some(format!(
                "`{}` is not in the served toolsets ({}); serve it with --toolsets {plugin} \
                 or --tools {}",
                tool.name,
                self.toolsets.describe(),
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
            ..ToolPolicy::default()
        };
        let full = policy(Mode::Full);
        assert!(
            [&list, &start, &remove]
                .iter()
                .all(|t| full.refusal("containers", true, t).is_none())
        );
        let safe = policy(Mode::NoDestructive);
        assert!(
            safe.refusal("containers", true, &list).is_none()
                && safe.refusal("containers", true, &start).is_none()
        );
        assert!(
            safe.refusal("containers", true, &remove)
                .unwrap()
                .contains("no-destructive mode")
        );
        let ro = policy(Mode::ReadOnly);
        assert!(ro.refusal("containers", true, &list).is_none());
        assert!(
            ro.refusal("containers", true, &start)
                .unwrap()
                .contains("read-only mode")
        );
        assert!(ro.refusal("containers", true, &remove).is_some());
    }

    #[test]
    fn disabled_tools_are_refused_in_every_mode() {
        let p = ToolPolicy {
            disabled: BTreeSet::from(["list_containers".to_owned()]),
            ..ToolPolicy::default()
        };
        let r = p
            .refusal("containers", true, &tool("list_containers", true, false))
            .unwrap();
        assert!(r.contains("disabled"), "{r}");
        assert!(
            p.refusal("images", true, &tool("list_images", true, false))
                .is_none()
        );
    }

    #[test]
    fn toolsets_choose_groups_and_single_tools() {
        let list = tool("list_containers", true, false);
        let services = tool("swarm_services", true, false);
        let served = |sets: Option<&[&str]>, tools: &[&str]| {
            let sets: Option<Vec<String>> = sets.map(|s| s.iter().map(|n| n.to_string()).collect());
            let policy = ToolPolicy {
                toolsets: Toolsets::new(
                    sets.as_deref(),
                    tools.iter().map(|t| t.to_string()).collect(),
                ),
                ..ToolPolicy::default()
            };
            (
                policy.refusal("containers", true, &list).is_none(),
                policy.refusal("swarm", false, &services).is_none(),
                policy.toolsets.loads("swarm", false),
            )
        };
        // Nothing said: the plugins on by default, and swarm does not even load.
        assert_eq!(served(None, &[]), (true, false, false));
        assert_eq!(served(Some(&["default"]), &[]), (true, false, false));
        assert_eq!(served(Some(&["all"]), &[]), (true, true, true));
        assert_eq!(served(Some(&["swarm"]), &[]), (false, true, true));
        assert_eq!(served(Some(&["default", "swarm"]), &[]), (true, true, true));
        // Single tools alone serve only themselves; beside toolsets they add to them.
        assert_eq!(served(None, &["swarm_services"]), (false, true, true));
        assert_eq!(
            served(Some(&["containers"]), &["swarm_services"]),
            (true, true, true)
        );
        assert_eq!(served(Some(&[]), &[]), (false, false, false));
        let policy = ToolPolicy {
            toolsets: Toolsets::new(Some(&["images".to_owned()]), BTreeSet::new()),
            ..ToolPolicy::default()
        };
        let r = policy.refusal("containers", true, &list).unwrap();
        assert_eq!(
            r,
            "`list_containers` is not in the served toolsets (images); serve it with \
             --toolsets containers or --tools list_containers"
        );
    }
}

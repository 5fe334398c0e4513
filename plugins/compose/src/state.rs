//! A project as the engine has it: its containers, networks and volumes, found by the
//! Compose labels (so projects another Compose tool brought up are found too).

use crate::names::{self, label};
use wharf_plugin_sdk::docker::containers_read::{self, ContainerSummary};
use wharf_plugin_sdk::docker::{networks, volumes};
use wharf_plugin_sdk::plan::made_by_wharf;
use wharf_plugin_sdk::{Filters, ToolResult};

/// One of a project's containers.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub service: String,
    /// 0 when the label is missing or not a number.
    pub number: u32,
    pub oneoff: bool,
    pub config_hash: String,
    /// It carries wharf's provenance label: wharf created it.
    pub made_by_wharf: bool,
    pub summary: ContainerSummary,
}

impl Member {
    fn from_summary(c: ContainerSummary) -> Member {
        let get = |k: &str| {
            c.labels
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Member {
            id: c.id.clone(),
            name: c.names.first().cloned().unwrap_or_else(|| c.id.clone()),
            service: get(label::SERVICE),
            number: get(label::NUMBER).parse().unwrap_or(0),
            // docker-compose writes "True"/"False", Compose v2 the same.
            oneoff: get(label::ONEOFF).eq_ignore_ascii_case("true"),
            config_hash: get(label::CONFIG_HASH),
            made_by_wharf: made_by_wharf(c.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            summary: c,
        }
    }

    pub fn running(&self) -> bool {
        matches!(
            self.summary.state.as_str(),
            "running" | "restarting" | "paused"
        )
    }
}

/// The project's containers, stopped ones included, ordered by service then number.
/// `oneoff`: also the containers of one-off `run`s.
pub fn containers(project: &str, oneoff: bool) -> ToolResult<Vec<Member>> {
    let mut labels = vec![names::is(label::PROJECT, project)];
    if !oneoff {
        labels.push(names::is(label::ONEOFF, "False"));
    }
    let filters = Filters::new().any("label", labels);
    let mut members: Vec<Member> = containers_read::list(true, None, filters.as_slice())?
        .into_iter()
        .map(Member::from_summary)
        .collect();
    members.sort_by(|a, b| (&a.service, a.number, &a.name).cmp(&(&b.service, b.number, &b.name)));
    Ok(members)
}

fn project_filter(project: &str) -> Filters {
    Filters::new().any("label", vec![names::is(label::PROJECT, project)])
}

/// Names of the networks labelled as the project's.
pub fn networks(project: &str) -> ToolResult<Vec<String>> {
    Ok(networks::list(project_filter(project).as_slice())?
        .into_iter()
        .map(|n| n.name)
        .collect())
}

/// Names of the volumes labelled as the project's.
pub fn volumes(project: &str) -> ToolResult<Vec<String>> {
    Ok(volumes::list(project_filter(project).as_slice())?
        .into_iter()
        .map(|v| v.name)
        .collect())
}

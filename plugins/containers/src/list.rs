use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wharf_plugin_sdk::docker::containers_read::{self, ContainerSummary, Port};
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Context, Filters, Output, ToolError, ToolResult};

/// Rows shown when no limit is given; more would flood the model's context.
const DEFAULT_ROWS: u32 = 50;
const MAX_ROWS: u32 = 500;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Stopped ones too.
    #[serde(default)]
    all: bool,
    /// Part of the name.
    #[serde(default)]
    name: Option<String>,
    /// `key` or `key=value` each.
    #[serde(default)]
    label: Vec<String>,
    /// Implies all=true.
    #[serde(default)]
    status: Option<Status>,
    /// Default 50, at most 500; newest first.
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Status {
    Created,
    Restarting,
    Running,
    Removing,
    Paused,
    Exited,
    Dead,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Restarting => "restarting",
            Status::Running => "running",
            Status::Removing => "removing",
            Status::Paused => "paused",
            Status::Exited => "exited",
            Status::Dead => "dead",
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Row {
    id: String,
    name: String,
    image: String,
    state: String,
    status: String,
    // Left out when there are none (most containers): a long list stays short. A plain
    // comment, not a doc comment, which would lengthen the output schema of every listing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ports: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ListOutput {
    containers: Vec<Row>,
    /// More containers matched than were shown.
    truncated: bool,
}

pub fn list_containers(args: ListArgs, _ctx: &Context) -> ToolResult<Output> {
    let rows_wanted = args.limit.unwrap_or(DEFAULT_ROWS);
    if rows_wanted == 0 || rows_wanted > MAX_ROWS {
        return Err(ToolError::invalid(format!(
            "limit must be between 1 and {MAX_ROWS}"
        )));
    }
    let all = args.all || args.status.is_some();
    let filters = Filters::new()
        .opt("name", args.name)
        .any("label", args.label)
        .opt("status", args.status.map(Status::as_str))
        // The engine includes stopped containers whenever a limit is given, so "running
        // only" must be asked for explicitly.
        .any(
            "status",
            if all {
                vec![]
            } else {
                vec!["running".into(), "paused".into(), "restarting".into()]
            },
        );
    // One more than shown tells whether the list was cut.
    let found = containers_read::list(all, Some(rows_wanted + 1), filters.as_slice())?;
    let truncated = found.len() > rows_wanted as usize;
    let rows: Vec<Row> = found
        .into_iter()
        .take(rows_wanted as usize)
        .map(row)
        .collect();

    let text = render(&rows, truncated, all);
    Ok(Output::structured(
        text,
        &ListOutput {
            containers: rows,
            truncated,
        },
    ))
}

fn row(c: ContainerSummary) -> Row {
    Row {
        id: short_id(&c.id).to_owned(),
        name: c.names.into_iter().next().unwrap_or_default(),
        image: c.image,
        state: c.state,
        status: c.status,
        ports: format_ports(&c.ports),
    }
}

/// `0.0.0.0:8080->80/tcp` as `docker ps` prints it; unpublished ports as `80/tcp`.
pub fn format_ports(ports: &[Port]) -> Vec<String> {
    let mut out: Vec<String> = ports
        .iter()
        .map(|p| match p.public_port {
            Some(public) => {
                let ip = p.ip.as_deref().unwrap_or("0.0.0.0");
                let ip = if ip.contains(':') {
                    format!("[{ip}]")
                } else {
                    ip.to_owned()
                };
                format!("{ip}:{public}->{}/{}", p.private_port, p.protocol)
            }
            None => format!("{}/{}", p.private_port, p.protocol),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn render(rows: &[Row], truncated: bool, all: bool) -> String {
    if rows.is_empty() {
        return if all {
            "No containers.".to_owned()
        } else {
            "No running containers (all=true includes stopped ones).".to_owned()
        };
    }
    let mut text = String::from("ID | NAME | IMAGE | STATE | STATUS | PORTS\n");
    for r in rows {
        text.push_str(&format!(
            "{} | {} | {} | {} | {} | {}\n",
            r.id,
            r.name,
            r.image,
            r.state,
            r.status,
            r.ports.join(", ")
        ));
    }
    if truncated {
        text.push_str(&format!(
            "(truncated: showing {} containers; narrow with name/label/status or raise limit)\n",
            rows.len()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(private: u16, public: Option<u16>, ip: Option<&str>) -> Port {
        Port {
            private_port: private,
            public_port: public,
            ip: ip.map(str::to_owned),
            protocol: "tcp".into(),
        }
    }

    #[test]
    fn ports_render_like_docker_ps() {
        let ports = [
            port(80, Some(8080), Some("0.0.0.0")),
            port(80, Some(8080), Some("::")),
            port(443, None, None),
        ];
        assert_eq!(
            format_ports(&ports),
            vec!["0.0.0.0:8080->80/tcp", "443/tcp", "[::]:8080->80/tcp"]
        );
    }

    #[test]
    fn empty_list_says_how_to_see_more() {
        assert!(render(&[], false, false).contains("all=true"));
    }
}

//! `compose_config`: the project as wharf understands it, short enough for a model to
//! read, with the full normalised form as structured output.

use schemars::JsonSchema;
use serde::Serialize;
use wharf_compose_project::{open, project_args};
use wharf_compose_spec::{Condition, Loaded, Project, Service};
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfigOutput {
    /// The normalised project (services, networks, volumes).
    #[schemars(with = "serde_json::Value")]
    project: serde_json::Value,
    /// Keys wharf does not act on.
    warnings: Vec<String>,
}

fn service_line(name: &str, s: &Service) -> String {
    let mut parts = Vec::new();
    match (&s.image, &s.build) {
        (Some(i), _) => parts.push(i.clone()),
        (None, Some(b)) => parts.push(format!("build {}", b.context)),
        (None, None) => {}
    }
    if s.replicas != 1 {
        parts.push(format!("x{}", s.replicas));
    }
    if !s.ports.is_empty() {
        let ports: Vec<String> = s
            .ports
            .iter()
            .map(|p| match &p.published {
                Some(h) => format!("{h}->{}/{}", p.target, p.protocol),
                None => format!("{}/{}", p.target, p.protocol),
            })
            .collect();
        parts.push(format!("ports {}", ports.join(" ")));
    }
    if !s.depends_on.is_empty() {
        let deps: Vec<String> = s
            .depends_on
            .iter()
            .map(|(d, c)| match c.condition {
                Condition::ServiceStarted => d.clone(),
                Condition::ServiceHealthy => format!("{d} (healthy)"),
                Condition::ServiceCompletedSuccessfully => format!("{d} (completed)"),
            })
            .collect();
        parts.push(format!("after {}", deps.join(", ")));
    }
    if !s.volumes.is_empty() {
        parts.push(format!("{} mounts", s.volumes.len()));
    }
    format!("- {name}: {}", parts.join("; "))
}

fn summary(p: &Project, warnings: &[String]) -> String {
    let mut text = format!("project {}: {} services\n", p.name, p.services.len());
    for (name, s) in &p.services {
        text.push_str(&service_line(name, s));
        text.push('\n');
    }
    if !p.networks.is_empty() {
        let nets: Vec<String> = p.networks.values().map(|n| n.name.clone()).collect();
        text.push_str(&format!("networks: {}\n", nets.join(", ")));
    }
    if !p.volumes.is_empty() {
        let vols: Vec<String> = p.volumes.values().map(|v| v.name.clone()).collect();
        text.push_str(&format!("volumes: {}\n", vols.join(", ")));
    }
    for w in warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    text
}

project_args! {
    pub struct ConfigArgs {}
}

/// The keys wharf does not act on, and those only a swarm stack acts on.
pub fn compose_warnings(loaded: &Loaded) -> Vec<String> {
    let mut warnings = loaded.warnings.clone();
    warnings.extend(
        loaded
            .project
            .swarm_only()
            .into_iter()
            .map(|k| format!("{k}: only a swarm stack acts on it (stack_deploy); ignored")),
    );
    warnings
}

pub fn compose_config(args: ConfigArgs, _: &Context) -> ToolResult<Output> {
    let loaded = open(&args.source())?.loaded;
    let warnings = compose_warnings(&loaded);
    let text = summary(&loaded.project, &warnings);
    Ok(Output::structured(
        text,
        &ConfigOutput {
            project: serde_json::to_value(&loaded.project).unwrap_or_default(),
            warnings,
        },
    ))
}

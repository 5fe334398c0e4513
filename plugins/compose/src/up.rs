//! `compose_up`: bring the engine to what the files say, doing only what differs. Networks
//! and volumes are created if missing; images pulled or built if missing; each service's
//! containers created, started, recreated (config hash changed) or scaled down, services in
//! dependency order, each after its depends_on conditions hold.

use crate::blueprint::{Blueprint, Site, blueprint};
use crate::images::{Obtained, ensure};
use crate::names::{self, label};
use crate::order::{ordered, select};
use crate::progress::Steps;
use crate::state::{self, Member};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use wharf_compose_project::{Opened, open, project_args};
use wharf_compose_spec::{Condition, Network, Project, Volume};
use wharf_plugin_sdk::docker::containers_read::{self, WaitOutcome, WaitUntil};
use wharf_plugin_sdk::docker::types::ErrorKind as DockerErrorKind;
use wharf_plugin_sdk::docker::{containers_write, networks, volumes};
use wharf_plugin_sdk::plan::{Planned, Removal};
use wharf_plugin_sdk::{Context, ErrorKind, Output, ToolError, ToolResult};

const DEFAULT_WAIT_SECS: u32 = 120;
/// Seconds a container gets to stop before it is killed, as in Compose.
pub const STOP_TIMEOUT: u32 = 10;

project_args! {
    pub struct UpArgs {
        /// And their dependencies (default: all).
        #[serde(default)]
        pub services: Vec<String>,
        /// Profiles to enable.
        #[serde(default)]
        pub profiles: Vec<String>,
        /// Rebuild images with a build section.
        #[serde(default)]
        pub build: bool,
        #[serde(default)]
        pub force_recreate: bool,
        #[serde(default)]
        pub remove_orphans: bool,
        /// For each depends_on condition (default 120).
        #[serde(default)]
        pub wait_timeout_secs: Option<u32>,
        /// Recreate or remove the project's containers wharf did not create.
        #[serde(default)]
        pub adopt: bool,
        /// Change nothing; list under `plan` what would be removed or replaced.
        #[serde(default)]
        pub dry_run: bool,
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UpOutput {
    project: String,
    /// What was done (in a dry run: would be done), in order: (object, action).
    steps: Vec<(String, String)>,
    warnings: Vec<String>,
    /// A dry run's removals and replacements.
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<Vec<Planned>>,
}

pub fn compose_up(args: UpArgs, ctx: &Context) -> ToolResult<Output> {
    let opened = open(&args.source())?;
    let p = opened.project();
    let chosen = select(p, &args.services, &args.profiles)?;
    let order = ordered(&p.services, &chosen)?;
    let mut warnings = crate::config::compose_warnings(&opened.loaded);

    let used_networks: Vec<(&String, &Network)> = p
        .networks
        .iter()
        .filter(|(k, _)| {
            order
                .iter()
                .any(|s| p.services[*s].networks.contains_key(*k))
        })
        .collect();
    let used_volumes: Vec<(&String, &Volume)> = p
        .volumes
        .iter()
        .filter(|(k, _)| {
            order.iter().any(|s| {
                p.services[*s]
                    .volumes
                    .iter()
                    .any(|m| m.source.as_deref() == Some(k.as_str()))
            })
        })
        .collect();
    for name in &order {
        let s = &p.services[*name];
        if s.container_name.is_some() && s.replicas > 1 {
            return Err(ToolError::invalid(format!(
                "services.{name}: container_name is set, so it cannot have {} replicas",
                s.replicas
            )));
        }
    }
    if args.dry_run {
        return dry_run(
            &args,
            &opened,
            &order,
            &used_networks,
            &used_volumes,
            warnings,
        );
    }
    let replicas: u32 = order.iter().map(|s| p.services[*s].replicas).sum();
    let total =
        (used_networks.len() + used_volumes.len() + 2 * order.len()) as u64 + replicas as u64;
    let mut steps = Steps::new(ctx, total);

    for (key, net) in used_networks.iter().copied() {
        let action = ensure_network(p, key, net)?;
        steps.done(format!("network {}", net.name), action)?;
    }
    for (key, vol) in used_volumes.iter().copied() {
        let action = ensure_volume(p, key, vol)?;
        steps.done(format!("volume {}", vol.name), action)?;
    }

    let site = Site {
        dir: &opened.dir,
        config_files: &opened.files,
    };
    let mut blueprints = Vec::new();
    for name in &order {
        let s = &p.services[*name];
        let (reference, id, obtained) = ensure(&opened, name, s, args.build, ctx)?;
        let action = match obtained {
            Obtained::Present => "present",
            Obtained::Pulled => "pulled",
            Obtained::Built => "built",
        };
        steps.done(format!("image {reference}"), action)?;
        let env = opened.environment(s)?;
        blueprints.push(blueprint(p, name, s, &env, &reference, &id, &site)?);
    }

    let members = state::containers(&p.name, false)?;
    let wait_secs = args.wait_timeout_secs.unwrap_or(DEFAULT_WAIT_SECS);
    for bp in &blueprints {
        let s = &p.services[&bp.service];
        for (dep, d) in &s.depends_on {
            if d.condition != Condition::ServiceStarted {
                wait_for(&p.name, dep, d.condition, wait_secs)?;
                let what = match d.condition {
                    Condition::ServiceHealthy => "healthy",
                    _ => "completed",
                };
                steps.note(format!("service {dep}"), what);
            }
        }
        let mine: Vec<&Member> = members.iter().filter(|m| m.service == bp.service).collect();
        reconcile(
            &opened,
            bp,
            s.replicas,
            &mine,
            args.force_recreate,
            args.adopt,
            &mut steps,
        )?;
        steps.done(format!("service {}", bp.service), "ready")?;
    }

    let orphans: Vec<&Member> = members
        .iter()
        .filter(|m| !p.services.contains_key(&m.service))
        .collect();
    for m in orphans {
        if args.remove_orphans {
            remove_container(m, args.adopt)?;
            steps.note(m.name.clone(), "removed (orphan)");
        } else {
            warnings.push(orphan_warning(m));
        }
    }

    let header = format!("project {}: up", p.name);
    let text = report(
        &header,
        steps.lines().iter().map(|(o, a)| (o, a)),
        &warnings,
    );
    Ok(Output::structured(
        text,
        &UpOutput {
            project: p.name.clone(),
            steps: steps.into_lines(),
            warnings,
            plan: None,
        },
    ))
}

/// `compose_up` with `dry_run`: what it would do, found by reading only. An image that
/// would be pulled or built may differ from any there now, so the containers made from it
/// are planned as replaced.
fn dry_run(
    args: &UpArgs,
    opened: &Opened,
    order: &[&str],
    used_networks: &[(&String, &Network)],
    used_volumes: &[(&String, &Volume)],
    mut warnings: Vec<String>,
) -> ToolResult<Output> {
    let p = opened.project();
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut step = |object: String, action: &str| steps.push((object, action.to_owned()));
    for (_, net) in used_networks {
        let there = networks::inspect(&net.name).is_ok();
        step(
            format!("network {}", net.name),
            if there { "exists" } else { "would be created" },
        );
    }
    for (_, vol) in used_volumes {
        let there = volumes::inspect(&vol.name).is_ok();
        step(
            format!("volume {}", vol.name),
            if there { "exists" } else { "would be created" },
        );
    }
    let site = Site {
        dir: &opened.dir,
        config_files: &opened.files,
    };
    let members = state::containers(&p.name, false)?;
    let mut plan = Vec::new();
    let mut planned = |m: &Member, action: Removal| -> ToolResult<()> {
        let verb = match action {
            Removal::Remove => "remove",
            Removal::Replace => "replace",
        };
        adoptable(m, args.adopt, verb)?;
        plan.push(Planned::new(action, "container", &m.name, Some(&m.id)));
        Ok(())
    };
    // The images the run would build or pull first, as `ensure` decides: every service
    // using one of them, its own or not, gets an image that may differ from today's.
    let mut images = BTreeMap::new();
    for name in order {
        let s = &p.services[*name];
        let reference = crate::images::reference(&p.name, name, s);
        let have = crate::images::local_id(&reference)?;
        let obtain = match (&s.build, &have) {
            (Some(_), None) => Some("would be built"),
            (Some(_), Some(_)) if args.build => Some("would be built"),
            (None, None) => Some("would be pulled"),
            _ => None,
        };
        let known = images.entry(reference.clone()).or_insert((have, None));
        known.1 = known.1.or(obtain);
    }
    for name in order {
        let s = &p.services[*name];
        let reference = crate::images::reference(&p.name, name, s);
        let (have, obtain) = &images[&reference];
        step(format!("image {reference}"), obtain.unwrap_or("present"));
        // The config hash the containers would carry, when the image is known.
        let hash = match (obtain, have) {
            (None, Some(id)) => {
                let env = opened.environment(s)?;
                Some(blueprint(p, name, s, &env, &reference, id, &site)?.hash)
            }
            _ => None,
        };
        let mine: Vec<&Member> = members.iter().filter(|m| m.service == *name).collect();
        for n in 1..=s.replicas {
            match mine.iter().find(|m| m.number == n) {
                Some(m) if !args.force_recreate && hash.as_deref() == Some(&m.config_hash) => {
                    let action = if m.running() {
                        "up to date"
                    } else {
                        "would be started"
                    };
                    step(m.name.clone(), action);
                }
                Some(m) => {
                    planned(m, Removal::Replace)?;
                    step(m.name.clone(), "would be recreated");
                }
                None => step(format!("service {name} replica {n}"), "would be created"),
            }
        }
        for m in mine
            .iter()
            .filter(|m| m.number > s.replicas || m.number == 0)
        {
            planned(m, Removal::Remove)?;
            step(m.name.clone(), "would be removed (scaled down)");
        }
    }
    for m in members
        .iter()
        .filter(|m| !p.services.contains_key(&m.service))
    {
        if args.remove_orphans {
            planned(m, Removal::Remove)?;
            step(m.name.clone(), "would be removed (orphan)");
        } else {
            warnings.push(orphan_warning(m));
        }
    }
    let header = format!("project {}: up (dry run: nothing was changed)", p.name);
    let text = report(&header, steps.iter().map(|(o, a)| (o, a)), &warnings);
    Ok(Output::structured(
        text,
        &UpOutput {
            project: p.name.clone(),
            steps,
            warnings,
            plan: Some(plan),
        },
    ))
}

fn compose_labels(
    p: &Project,
    kind: &str,
    key: &str,
    own: &std::collections::BTreeMap<String, String>,
) -> Value {
    let mut labels: Map<String, Value> = own
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    labels.insert(label::PROJECT.into(), p.name.clone().into());
    labels.insert(kind.into(), key.into());
    labels.insert(label::VERSION.into(), names::COMPOSE_VERSION.into());
    Value::Object(labels)
}

pub fn ensure_network(p: &Project, key: &str, net: &Network) -> ToolResult<&'static str> {
    match networks::inspect(&net.name) {
        Ok(_) => Ok("exists"),
        Err(e) if e.kind == DockerErrorKind::NotFound => {
            if net.external {
                return Err(ToolError::not_found(format!(
                    "network {} is declared external but does not exist; create it first",
                    net.name
                )));
            }
            let mut spec = json!({
                "Name": net.name,
                "Internal": net.internal,
                "Labels": compose_labels(p, label::NETWORK, key, &net.labels),
            });
            if let Some(d) = &net.driver {
                spec["Driver"] = d.clone().into();
            }
            networks::create(&spec.to_string())
                .map_err(|e| ToolError::from(e).context(format!("network {}", net.name)))?;
            Ok("created")
        }
        Err(e) => Err(e.into()),
    }
}

pub fn ensure_volume(p: &Project, key: &str, vol: &Volume) -> ToolResult<&'static str> {
    match volumes::inspect(&vol.name) {
        Ok(_) => Ok("exists"),
        Err(e) if e.kind == DockerErrorKind::NotFound => {
            if vol.external {
                return Err(ToolError::not_found(format!(
                    "volume {} is declared external but does not exist; create it first",
                    vol.name
                )));
            }
            let mut spec = json!({
                "Name": vol.name,
                "Labels": compose_labels(p, label::VOLUME, key, &vol.labels),
            });
            if let Some(d) = &vol.driver {
                spec["Driver"] = d.clone().into();
            }
            volumes::create(&spec.to_string())
                .map_err(|e| ToolError::from(e).context(format!("volume {}", vol.name)))?;
            Ok("created")
        }
        Err(e) => Err(e.into()),
    }
}

/// Wait until every container of service `dep` meets `condition`.
fn wait_for(project: &str, dep: &str, condition: Condition, secs: u32) -> ToolResult<()> {
    let members: Vec<Member> = state::containers(project, false)?
        .into_iter()
        .filter(|m| m.service == dep)
        .collect();
    if members.is_empty() {
        return Err(ToolError::not_found(format!(
            "dependency {dep} has no container to wait for"
        )));
    }
    let until = match condition {
        Condition::ServiceHealthy => WaitUntil::Healthy,
        _ => WaitUntil::Exited,
    };
    for m in members {
        let outcome = containers_read::wait(&m.id, until, secs.saturating_mul(1000))
            .map_err(|e| ToolError::from(e).context(format!("waiting for {}", m.name)))?;
        match (outcome, condition) {
            (WaitOutcome::Healthy, _)
            | (WaitOutcome::Exited(0), Condition::ServiceCompletedSuccessfully) => {}
            (WaitOutcome::Exited(code), _) => {
                return Err(ToolError::failed(format!(
                    "dependency {} exited with code {code}",
                    m.name
                )));
            }
            (WaitOutcome::Unhealthy, _) => {
                return Err(ToolError::failed(format!(
                    "dependency {} is unhealthy",
                    m.name
                )));
            }
            (WaitOutcome::TimedOut(state), _) => {
                return Err(ToolError::new(
                    ErrorKind::Timeout,
                    format!(
                        "dependency {} was still {state} after {secs}s (wait_timeout_secs)",
                        m.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Give the service `replicas` containers matching `bp`, reusing those that match.
fn reconcile(
    opened: &Opened,
    bp: &Blueprint,
    replicas: u32,
    existing: &[&Member],
    force: bool,
    adopt: bool,
    steps: &mut Steps,
) -> ToolResult<()> {
    let project = &opened.project().name;
    for n in 1..=replicas {
        match existing.iter().find(|m| m.number == n) {
            Some(m) if m.config_hash == bp.hash && !force => {
                if m.running() {
                    steps.done(m.name.clone(), "up to date")?;
                } else {
                    containers_write::start(&m.id)
                        .map_err(|e| ToolError::from(e).context(format!("start {}", m.name)))?;
                    steps.done(m.name.clone(), "started")?;
                }
            }
            Some(m) => {
                remove_container(m, adopt)?;
                let name = create_and_start(project, bp, n)?;
                steps.done(name, "recreated")?;
            }
            None => {
                let name = create_and_start(project, bp, n)?;
                steps.done(name, "created")?;
            }
        }
    }
    for m in existing
        .iter()
        .filter(|m| m.number > replicas || m.number == 0)
    {
        remove_container(m, adopt)?;
        steps.note(m.name.clone(), "removed (scaled down)");
    }
    Ok(())
}

fn orphan_warning(m: &Member) -> String {
    format!(
        "container {} belongs to service {}, which the files no longer define; \
         remove_orphans=true removes it",
        m.name, m.service
    )
}

/// `header`, then a line per step and per warning.
fn report<'a>(
    header: &str,
    steps: impl Iterator<Item = (&'a String, &'a String)>,
    warnings: &[String],
) -> String {
    let mut text = format!("{header}\n");
    for (object, action) in steps {
        text.push_str(&format!("{object}: {action}\n"));
    }
    for w in warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    text
}

/// `m` may be removed or replaced: wharf created it, or the call adopts it.
fn adoptable(m: &Member, adopt: bool, action: &str) -> ToolResult<()> {
    if m.made_by_wharf || adopt {
        return Ok(());
    }
    Err(ToolError::invalid(format!(
        "container {} was not created by wharf (docker compose made it, say), and compose_up \
         would {action} it: adopt=true lets it",
        m.name
    )))
}

pub fn remove_container(m: &Member, adopt: bool) -> ToolResult<()> {
    adoptable(m, adopt, "remove")?;
    let was_running = m.running();
    if was_running {
        containers_write::stop(&m.id, Some(STOP_TIMEOUT))
            .map_err(|e| ToolError::from(e).context(format!("stop {}", m.name)))?;
    }
    containers_write::remove(&m.id, false, false).map_err(|e| {
        // The host refuses removals in no-destructive mode: leave the service as it was.
        if was_running && e.kind == DockerErrorKind::Denied {
            let _ = containers_write::start(&m.id);
        }
        ToolError::from(e).context(format!("remove {}", m.name))
    })
}

fn create_and_start(project: &str, bp: &Blueprint, number: u32) -> ToolResult<String> {
    let (name, body) = bp.replica(project, number);
    let created = containers_write::create(Some(&name), &body.to_string())
        .map_err(|e| ToolError::from(e).context(format!("create {name}")))?;
    for (net, endpoint) in &bp.more_networks {
        networks::connect(net, &created.id, &endpoint.to_string())
            .map_err(|e| ToolError::from(e).context(format!("connect {name} to {net}")))?;
    }
    containers_write::start(&created.id)
        .map_err(|e| ToolError::from(e).context(format!("start {name}")))?;
    Ok(name)
}

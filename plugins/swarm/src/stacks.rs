//! Stacks: a Compose project deployed to the swarm, as `docker stack deploy` does it. The
//! project is read by the same crates the compose plugin uses; the swarm objects get the
//! names and the `com.docker.stack.namespace` label docker stack gives them, so
//! `docker stack ls/ps/rm` and wharf see and manage each other's stacks.

use crate::converge::{self, Goal};
use crate::rows::{self, text};
use crate::services::{self, service_json};
use crate::spec::{UpdatePolicy, cores, env_list};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use wharf_compose_project::{Opened, healthcheck, join, open, project_args};
use wharf_compose_spec::{FileObject, MountKind, Project, Service, UpdateConfig};
use wharf_plugin_sdk::docker::swarm_write::ObjectData;
use wharf_plugin_sdk::docker::types::ErrorKind as DockerErrorKind;
use wharf_plugin_sdk::docker::{networks, swarm_read, swarm_write};
use wharf_plugin_sdk::plan::{self, PROVENANCE, Planned, Removal};
use wharf_plugin_sdk::spec::parse_duration;
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Context, Filters, Hints, Output, ToolError, ToolResult, Toolbox};

/// The label docker stack puts on everything of a stack.
pub const NAMESPACE: &str = "com.docker.stack.namespace";
const IMAGE_LABEL: &str = "com.docker.stack.image";

pub fn tools(t: Toolbox) -> Toolbox {
    t.tool(
        "stack_deploy",
        "Deploy a stack",
        "Deploy a Compose project to the swarm as a stack (docker stack deploy): overlay \
         networks, secrets, configs and services named {stack}_{name}; creates or updates \
         each service and waits until they converge, with progress. prune removes services \
         the files no longer have.",
        Hints::write(),
        stack_deploy,
    )
    .tool(
        "stack_list",
        "List stacks",
        "The swarm's stacks (wharf's and docker stack's) and how many services each has.",
        Hints::read_only(),
        stack_list,
    )
    .output::<StacksOutput>()
    .tool(
        "stack_services",
        "A stack's services",
        "The services of a stack: mode, replicas running/desired, image, ports.",
        Hints::read_only(),
        stack_services,
    )
    .tool(
        "stack_ps",
        "A stack's tasks",
        "Where each task of a stack runs, its state and error (docker stack ps); `all` adds \
         the tasks that ended.",
        Hints::read_only(),
        stack_ps,
    )
    .tool(
        "stack_remove",
        "Remove a stack",
        "Remove a stack's services, networks, secrets and configs (docker stack rm). Named \
         volumes stay on the nodes.",
        Hints::destructive(),
        stack_remove,
    )
}

project_args! {
    pub struct DeployArgs {
        /// Remove the stack's services that the files no longer define.
        #[serde(default)]
        pub prune: bool,
        /// Wait until every service converges (default true).
        #[serde(default = "crate::stacks::yes")]
        pub wait: bool,
        /// How long to wait for all of them (default 120, at most 600).
        #[serde(default)]
        pub wait_secs: Option<u32>,
        /// Let it update or remove services of the stack that wharf did not create
        /// (docker stack deploy made them, say); without it such a call is refused.
        #[serde(default)]
        pub adopt: bool,
        /// Change nothing: say what would be done, and list under `plan` the services
        /// that would be removed.
        #[serde(default)]
        pub dry_run: bool,
    }
}

pub(crate) fn yes() -> bool {
    true
}

fn labels_json(labels: &BTreeMap<String, String>) -> Value {
    Value::Object(labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn nanos(s: &Option<String>, field: &str) -> ToolResult<Option<i64>> {
    s.as_deref().map(|d| parse_duration(d, field)).transpose()
}

/// What a deploy made and changed, line by line.
struct Report {
    lines: Vec<String>,
    warnings: Vec<String>,
}

/// The services with the stack's label, by name.
fn stack_services_by_name(stack: &str) -> ToolResult<BTreeMap<String, Value>> {
    let filters = Filters::new().opt("label", Some(format!("{NAMESPACE}={stack}")));
    Ok(
        rows::array(&swarm_read::list_services(filters.as_slice())?)?
            .into_iter()
            .map(|s| (text(&s["Spec"]["Name"]).to_owned(), s))
            .collect(),
    )
}

/// The stack's networks: external ones must exist, the others are made as overlay networks
/// unless they are there.
fn ensure_networks(p: &Project, stack: &str, used: &[&String], r: &mut Report) -> ToolResult<()> {
    for key in used {
        let n = &p.networks[*key];
        let filters = Filters::new().opt("name", Some(&n.name));
        let exists = networks::list(filters.as_slice())?
            .iter()
            .any(|e| e.name == n.name);
        if exists {
            continue;
        }
        if n.external {
            return Err(ToolError::not_found(format!(
                "network {} is external but does not exist: create it (driver overlay) first",
                n.name
            )));
        }
        let mut labels = n.labels.clone();
        labels.insert(NAMESPACE.into(), stack.into());
        let spec = json!({
            "Name": n.name,
            "Driver": n.driver.as_deref().unwrap_or("overlay"),
            "Internal": n.internal,
            "Attachable": n.attachable,
            "Labels": labels_json(&labels),
        });
        networks::create(&spec.to_string())
            .map_err(|e| ToolError::from(e).context(format!("network {}", n.name)))?;
        r.lines.push(format!("network {}: created", n.name));
    }
    Ok(())
}

/// The ids of the stack's secrets or configs that `services` use, made from their files
/// when they do not exist yet (the swarm cannot change a secret's or config's value).
fn ensure_objects(
    opened: &Opened,
    objects: &BTreeMap<String, FileObject>,
    used: Vec<&String>,
    secret: bool,
    stack: &str,
    r: &mut Report,
) -> ToolResult<BTreeMap<String, (String, String)>> {
    let kind = if secret { "secret" } else { "config" };
    let mut ids = BTreeMap::new();
    for key in used {
        let o = &objects[key];
        let id = match crate::spec::resolve(&o.name, secret) {
            Ok(id) => {
                if !o.external {
                    r.lines.push(format!(
                        "{kind} {}: exists, kept (a {kind}'s value cannot change; remove the \
                         stack, or rename it, to change it)",
                        o.name
                    ));
                }
                id
            }
            Err(e) if o.external => {
                return Err(e.context(format!("{kind} {} is external", o.name)));
            }
            Err(_) => {
                let file = o.file.as_deref().unwrap_or_default();
                let mut labels = o.labels.clone();
                labels.insert(NAMESPACE.into(), stack.into());
                let labels: Vec<(String, String)> = labels.into_iter().collect();
                let data = ObjectData::HostFile(join(&opened.dir, file));
                let made = if secret {
                    swarm_write::create_secret(&o.name, &data, &labels)
                } else {
                    swarm_write::create_config(&o.name, &data, &labels)
                };
                let id =
                    made.map_err(|e| ToolError::from(e).context(format!("{kind} {}", o.name)))?;
                r.lines.push(format!("{kind} {}: created", o.name));
                id
            }
        };
        ids.insert(key.clone(), (id, o.name.clone()));
    }
    Ok(ids)
}

/// `deploy.update_config` or `rollback_config` as the API's, built as create_service builds
/// its own.
fn update_json(u: &UpdateConfig, field: &str) -> ToolResult<Value> {
    UpdatePolicy::from_compose(u, field)?.apply(&Value::Null, field)
}

/// Resolved secrets or configs: key -> (id, engine name).
type Objects = BTreeMap<String, (String, String)>;

/// The ServiceSpec docker stack deploy would send for service `key`.
fn service_spec(
    opened: &Opened,
    stack: &str,
    key: &str,
    s: &Service,
    secrets: &Objects,
    configs: &Objects,
) -> ToolResult<Value> {
    let p = opened.project();
    let path = format!("services.{key}");
    let image = s.image.as_deref().ok_or_else(|| {
        ToolError::invalid(format!(
            "{path} has only a build: a stack runs images the nodes can pull; build and push \
             it, then name it in image"
        ))
    })?;
    let mut container = json!({ "Image": image });
    if let Some(e) = &s.entrypoint {
        container["Command"] = json!(e);
    }
    if let Some(c) = &s.command {
        container["Args"] = json!(c);
    }
    let env = opened.environment(s)?;
    if !env.is_empty() {
        container["Env"] = json!(env_list(&env));
    }
    let mut labels = s.labels.clone();
    labels.insert(NAMESPACE.into(), stack.into());
    container["Labels"] = labels_json(&labels);
    for (field, value) in [
        ("Hostname", &s.hostname),
        ("Dir", &s.working_dir),
        ("User", &s.user),
    ] {
        if let Some(v) = value {
            container[field] = json!(v);
        }
    }
    if !s.extra_hosts.is_empty() {
        let hosts: Vec<String> = s
            .extra_hosts
            .iter()
            .map(|(host, ip)| format!("{ip} {host}"))
            .collect();
        container["Hosts"] = json!(hosts);
    }
    let mut mounts = Vec::new();
    for m in &s.volumes {
        let target = &m.target;
        let mount = match (m.kind, &m.source) {
            (MountKind::Volume, Some(source)) => {
                let v = &p.volumes[source];
                let mut mount = json!({ "Type": "volume", "Source": v.name, "Target": target });
                if !v.external {
                    let mut labels = v.labels.clone();
                    labels.insert(NAMESPACE.into(), stack.into());
                    let mut options = json!({ "Labels": labels_json(&labels) });
                    if let Some(d) = &v.driver {
                        options["DriverConfig"] = json!({ "Name": d });
                    }
                    mount["VolumeOptions"] = options;
                }
                mount
            }
            (MountKind::Volume, None) => json!({ "Type": "volume", "Target": target }),
            (MountKind::Bind, Some(source)) => {
                if source.starts_with('~') {
                    return Err(ToolError::invalid(format!(
                        "{path}.volumes: `{source}`: write the path without ~"
                    )));
                }
                json!({ "Type": "bind", "Source": join(&opened.dir, source), "Target": target })
            }
            (MountKind::Bind, None) => {
                return Err(ToolError::invalid(format!(
                    "{path}.volumes: a bind mount needs a source"
                )));
            }
            (MountKind::Tmpfs, _) => json!({ "Type": "tmpfs", "Target": target }),
        };
        let mut mount = mount;
        if m.read_only {
            mount["ReadOnly"] = json!(true);
        }
        mounts.push(mount);
    }
    if !mounts.is_empty() {
        container["Mounts"] = json!(mounts);
    }
    let file = |r: &wharf_compose_spec::FileRef, default: String| {
        json!({
            "Name": r.target.clone().unwrap_or(default),
            "UID": r.uid.as_deref().unwrap_or("0"),
            "GID": r.gid.as_deref().unwrap_or("0"),
            "Mode": r.mode.unwrap_or(0o444),
        })
    };
    if !s.swarm.secrets.is_empty() {
        let refs: Vec<Value> = s
            .swarm
            .secrets
            .iter()
            .map(|r| {
                let (id, name) = &secrets[&r.source];
                json!({ "SecretID": id, "SecretName": name, "File": file(r, r.source.clone()) })
            })
            .collect();
        container["Secrets"] = json!(refs);
    }
    if !s.swarm.configs.is_empty() {
        let refs: Vec<Value> = s
            .swarm
            .configs
            .iter()
            .map(|r| {
                let (id, name) = &configs[&r.source];
                json!({ "ConfigID": id, "ConfigName": name, "File": file(r, format!("/{}", r.source)) })
            })
            .collect();
        container["Configs"] = json!(refs);
    }
    if let Some(h) = &s.healthcheck {
        container["HealthCheck"] = healthcheck(h, &format!("{path}.healthcheck"))?;
    }

    let mut task = json!({ "ContainerSpec": container });
    let nets: Vec<Value> = s
        .networks
        .iter()
        .map(|(k, a)| {
            // Other services reach it by its name in the file, as in docker stack.
            let mut aliases = vec![key.to_owned()];
            aliases.extend(a.aliases.iter().cloned());
            json!({ "Target": p.networks[k].name, "Aliases": aliases })
        })
        .collect();
    if !nets.is_empty() {
        task["Networks"] = json!(nets);
    }
    let mut limits = Map::new();
    if let Some(c) = s.cpus {
        limits.insert(
            "NanoCPUs".into(),
            json!(cores(c, &format!("{path}.deploy.resources.limits.cpus"))?),
        );
    }
    if let Some(m) = s.memory {
        limits.insert("MemoryBytes".into(), json!(m));
    }
    let mut reservations = Map::new();
    if let Some(c) = s.swarm.reserve_cpus {
        reservations.insert(
            "NanoCPUs".into(),
            json!(cores(
                c,
                &format!("{path}.deploy.resources.reservations.cpus")
            )?),
        );
    }
    if let Some(m) = s.swarm.reserve_memory {
        reservations.insert("MemoryBytes".into(), json!(m));
    }
    if !limits.is_empty() || !reservations.is_empty() {
        task["Resources"] = json!({ "Limits": limits, "Reservations": reservations });
    }
    if let Some(r) = &s.swarm.restart_policy {
        let mut rp = Map::new();
        if let Some(c) = &r.condition {
            rp.insert("Condition".into(), json!(c));
        }
        if let Some(d) = nanos(&r.delay, &format!("{path}.deploy.restart_policy.delay"))? {
            rp.insert("Delay".into(), json!(d));
        }
        if let Some(n) = r.max_attempts {
            rp.insert("MaxAttempts".into(), json!(n));
        }
        if let Some(w) = nanos(&r.window, &format!("{path}.deploy.restart_policy.window"))? {
            rp.insert("Window".into(), json!(w));
        }
        task["RestartPolicy"] = Value::Object(rp);
    }
    if !s.swarm.constraints.is_empty() {
        task["Placement"] = json!({ "Constraints": s.swarm.constraints });
    }

    let mut service_labels = s.swarm.labels.clone();
    service_labels.insert(NAMESPACE.into(), stack.into());
    service_labels.insert(IMAGE_LABEL.into(), image.into());
    let mode = if s.swarm.global {
        json!({ "Global": {} })
    } else {
        json!({ "Replicated": { "Replicas": s.replicas } })
    };
    let mut spec = json!({
        "Name": format!("{stack}_{key}"),
        "Labels": labels_json(&service_labels),
        "TaskTemplate": task,
        "Mode": mode,
    });
    if !s.ports.is_empty() {
        let ports = s
            .ports
            .iter()
            .map(|port| {
                let published = match &port.published {
                    None => None,
                    Some(p) => Some(p.parse::<u16>().map_err(|_| {
                        ToolError::invalid(format!(
                            "{path}.ports: `{p}`: a stack publishes single ports, not ranges"
                        ))
                    })?),
                };
                let mut v = json!({
                    "Protocol": port.protocol,
                    "TargetPort": port.target,
                    "PublishMode": port.mode.as_deref().unwrap_or("ingress"),
                });
                if let Some(p) = published {
                    v["PublishedPort"] = json!(p);
                }
                Ok(v)
            })
            .collect::<ToolResult<Vec<Value>>>()?;
        spec["EndpointSpec"] = json!({ "Mode": "vip", "Ports": ports });
    }
    if let Some(u) = &s.swarm.update_config {
        spec["UpdateConfig"] = update_json(u, &format!("{path}.deploy.update_config"))?;
    }
    if let Some(u) = &s.swarm.rollback_config {
        spec["RollbackConfig"] = update_json(u, &format!("{path}.deploy.rollback_config"))?;
    }
    Ok(spec)
}

/// What a stack leaves aside from a Compose file, as docker stack does.
fn ignored(p: &Project) -> Vec<String> {
    let mut out = Vec::new();
    for (key, s) in &p.services {
        for (set, what) in [
            (s.build.is_some(), "build"),
            (s.container_name.is_some(), "container_name"),
            (!s.depends_on.is_empty(), "depends_on"),
            (s.restart.is_some(), "restart (use deploy.restart_policy)"),
            (!s.expose.is_empty(), "expose"),
            (!s.profiles.is_empty(), "profiles"),
        ] {
            if set {
                out.push(format!(
                    "services.{key}.{what}: not used by swarm stacks; ignored"
                ));
            }
        }
        for port in &s.ports {
            if port.host_ip.is_some() {
                out.push(format!(
                    "services.{key}.ports: host_ip is not used by swarm stacks; ignored"
                ));
            }
        }
    }
    out
}

pub fn stack_deploy(a: DeployArgs, ctx: &Context) -> ToolResult<Output> {
    let opened = open(&a.source())?;
    let p = opened.project();
    let stack = p.name.clone();
    let mut r = Report {
        lines: Vec::new(),
        warnings: opened.loaded.warnings.clone(),
    };
    r.warnings.extend(ignored(p));
    let existing = stack_services_by_name(&stack)?;
    let defined: Vec<String> = p.services.keys().map(|k| format!("{stack}_{k}")).collect();
    adoptable(&existing, &defined, a.prune, a.adopt)?;
    if a.dry_run {
        return dry_run(&stack, &existing, &defined, a.prune, r);
    }

    let mut used_networks: Vec<&String> = p
        .services
        .values()
        .flat_map(|s| s.networks.keys())
        .collect();
    used_networks.sort();
    used_networks.dedup();
    ensure_networks(p, &stack, &used_networks, &mut r)?;
    let used = |refs: fn(&Service) -> &Vec<wharf_compose_spec::FileRef>| {
        let mut keys: Vec<&String> = p
            .services
            .values()
            .flat_map(|s| refs(s).iter().map(|r| &r.source))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let secrets = ensure_objects(
        &opened,
        &p.secrets,
        used(|s| &s.swarm.secrets),
        true,
        &stack,
        &mut r,
    )?;
    let configs = ensure_objects(
        &opened,
        &p.configs,
        used(|s| &s.swarm.configs),
        false,
        &stack,
        &mut r,
    )?;

    let mut goals = Vec::new();
    for (key, s) in &p.services {
        let mut spec = service_spec(&opened, &stack, key, s, &secrets, &configs)?;
        let name = format!("{stack}_{key}");
        match existing.get(&name) {
            Some(current) => {
                // A forced update is not undone by a redeploy, as with docker stack.
                if let Some(n) = current["Spec"]["TaskTemplate"]["ForceUpdate"].as_u64() {
                    spec["TaskTemplate"]["ForceUpdate"] = json!(n);
                }
                let id = text(&current["ID"]).to_owned();
                let version = current["Version"]["Index"].as_u64().unwrap_or(0);
                let before = current["UpdateStatus"]["StartedAt"]
                    .as_str()
                    .map(str::to_owned);
                for w in swarm_write::update_service(&id, version, &spec.to_string(), false)
                    .map_err(|e| ToolError::from(e).context(format!("service {name}")))?
                {
                    r.warnings.push(format!("{name}: {w}"));
                }
                // The engine keeps the spec in its own form: compare its forms before and
                // after to know whether tasks will be replaced.
                let after = service_json(&id)?;
                let replaced = after["Spec"]["TaskTemplate"] != current["Spec"]["TaskTemplate"];
                r.lines.push(format!(
                    "service {name}: updated{}",
                    if replaced {
                        ", tasks being replaced"
                    } else {
                        ", tasks unchanged"
                    }
                ));
                goals.push((
                    name,
                    Goal {
                        service: id,
                        update_from: replaced.then_some(before),
                        rollback: false,
                    },
                ));
            }
            None => {
                let created = swarm_write::create_service(&spec.to_string())
                    .map_err(|e| ToolError::from(e).context(format!("service {name}")))?;
                for w in created.warnings {
                    r.warnings.push(format!("{name}: {w}"));
                }
                r.lines.push(format!(
                    "service {name}: created ({})",
                    short_id(&created.id)
                ));
                goals.push((
                    name,
                    Goal {
                        service: created.id,
                        update_from: None,
                        rollback: false,
                    },
                ));
            }
        }
    }
    for (name, s) in &existing {
        if defined.contains(name) {
            continue;
        }
        if a.prune {
            swarm_write::remove_service(text(&s["ID"]))
                .map_err(|e| ToolError::from(e).context(format!("service {name}")))?;
            r.lines.push(format!("service {name}: removed (prune)"));
        } else {
            r.warnings.push(format!(
                "service {name} is in the stack but not in the files; prune removes it"
            ));
        }
    }

    if a.wait {
        let secs = a.wait_secs.unwrap_or(120).min(converge::MAX_WAIT_SECS);
        let deadline = Instant::now() + Duration::from_secs(u64::from(secs));
        let total = goals.len() as u64;
        for (i, (name, goal)) in goals.iter().enumerate() {
            let done = i as u64;
            let waited = converge::wait_until(goal, deadline, ctx, &mut |s| {
                ctx.progress(done, Some(total), &format!("{name}: {}", s.describe()));
            })
            .map_err(|e| e.context(format!("stack {stack} was deployed, but service {name}")))?;
            ctx.progress(done + 1, Some(total), &format!("{name}: converged"));
            r.lines.push(format!("service {name}: {waited}"));
        }
    }
    let mut out = format!("stack {stack}:\n{}", r.lines.join("\n"));
    for w in &r.warnings {
        out.push_str(&format!("\nwarning: {w}"));
    }
    Ok(Output::structured(
        out,
        &json!({ "stack": stack, "changes": r.lines, "warnings": r.warnings }),
    ))
}

/// The services a deploy would update, or with `prune` remove, must be wharf's own unless
/// the call adopts them: another tool (docker stack deploy, say) made the others.
fn adoptable(
    existing: &BTreeMap<String, Value>,
    defined: &[String],
    prune: bool,
    adopt: bool,
) -> ToolResult<()> {
    let foreign: Vec<&str> = existing
        .iter()
        .filter(|(name, s)| {
            (prune || defined.contains(name)) && s["Spec"]["Labels"][PROVENANCE.0] != PROVENANCE.1
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if adopt || foreign.is_empty() {
        return Ok(());
    }
    let (what, were, them) = match foreign.len() {
        1 => ("service", "was", "it"),
        _ => ("services", "were", "them"),
    };
    Err(ToolError::invalid(format!(
        "{what} {} {were} not created by wharf (docker stack deploy made {them}, say), and \
         stack_deploy would update or remove {them}: adopt=true lets it",
        foreign.join(", ")
    )))
}

/// `stack_deploy` with `dry_run`: the services it would create, update and (with `prune`)
/// remove, found by reading only.
fn dry_run(
    stack: &str,
    existing: &BTreeMap<String, Value>,
    defined: &[String],
    prune: bool,
    mut r: Report,
) -> ToolResult<Output> {
    for name in defined {
        let action = match existing.contains_key(name) {
            true => "would be updated",
            false => "would be created",
        };
        r.lines.push(format!("service {name}: {action}"));
    }
    let mut plan = Vec::new();
    for (name, s) in existing {
        if defined.contains(name) {
            continue;
        }
        if prune {
            plan.push(Planned::new(
                Removal::Remove,
                "service",
                name,
                Some(text(&s["ID"])),
            ));
            r.lines
                .push(format!("service {name}: would be removed (prune)"));
        } else {
            r.warnings.push(format!(
                "service {name} is in the stack but not in the files; prune removes it"
            ));
        }
    }
    let mut out = format!(
        "stack {stack} (dry run: nothing was changed):\n{}",
        r.lines.join("\n")
    );
    for w in &r.warnings {
        out.push_str(&format!("\nwarning: {w}"));
    }
    Ok(Output::structured(
        out,
        &json!({ "stack": stack, "changes": r.lines, "warnings": r.warnings, "plan": plan }),
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StackRow {
    name: String,
    services: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StacksOutput {
    stacks: Vec<StackRow>,
}

pub fn stack_list(_: ListArgs, _: &Context) -> ToolResult<Output> {
    let filters = Filters::new().opt("label", Some(NAMESPACE));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in rows::array(&swarm_read::list_services(filters.as_slice())?)? {
        let stack = text(&s["Spec"]["Labels"][NAMESPACE]).to_owned();
        *counts.entry(stack).or_default() += 1;
    }
    let stacks: Vec<StackRow> = counts
        .into_iter()
        .map(|(name, services)| StackRow { name, services })
        .collect();
    let mut text = if stacks.is_empty() {
        "No stacks.".to_owned()
    } else {
        "NAME | SERVICES\n".to_owned()
    };
    for s in &stacks {
        text.push_str(&format!("{} | {}\n", s.name, s.services));
    }
    Ok(Output::structured(text, &StacksOutput { stacks }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackArgs {
    /// The stack's name.
    stack: String,
}

pub fn stack_services(a: StackArgs, _: &Context) -> ToolResult<Output> {
    services::services_output(
        &Filters::new().opt("label", Some(format!("{NAMESPACE}={}", a.stack))),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PsArgs {
    /// The stack's name.
    stack: String,
    /// Also the tasks that ended.
    #[serde(default)]
    all: bool,
}

pub fn stack_ps(a: PsArgs, _: &Context) -> ToolResult<Output> {
    let names: BTreeMap<String, String> = stack_services_by_name(&a.stack)?
        .into_iter()
        .map(|(name, s)| (text(&s["ID"]).to_owned(), name))
        .collect();
    if names.is_empty() {
        return Err(ToolError::not_found(format!("no stack named {}", a.stack)));
    }
    services::tasks_output(&names, a.all, &format!("Stack {} has no tasks.", a.stack))
}

/// A network a stack's tasks used is freed only once they are gone.
const NETWORK_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveArgs {
    /// The stack's name.
    stack: String,
    /// Change nothing: list under `plan` what would be removed.
    #[serde(default)]
    dry_run: bool,
}

pub fn stack_remove(a: RemoveArgs, ctx: &Context) -> ToolResult<Output> {
    let label = Filters::new().opt("label", Some(format!("{NAMESPACE}={}", a.stack)));
    let services = stack_services_by_name(&a.stack)?;
    let secrets = rows::array(&swarm_read::list_secrets(label.as_slice())?)?;
    let configs = rows::array(&swarm_read::list_configs(label.as_slice())?)?;
    let nets = networks::list(label.as_slice())?;
    if a.dry_run {
        let mut plan = Vec::new();
        let objects = services
            .values()
            .map(|s| ("service", s))
            .chain(secrets.iter().map(|s| ("secret", s)))
            .chain(configs.iter().map(|c| ("config", c)));
        for (kind, o) in objects {
            let name = text(&o["Spec"]["Name"]);
            plan.push(Planned::new(
                Removal::Remove,
                kind,
                name,
                Some(text(&o["ID"])),
            ));
        }
        for n in &nets {
            plan.push(Planned::new(
                Removal::Remove,
                "network",
                &n.name,
                Some(&n.id),
            ));
        }
        if plan.is_empty() {
            return Err(ToolError::not_found(format!("no stack named {}", a.stack)));
        }
        let lines: Vec<String> = plan
            .iter()
            .map(|p| format!("{} {}: would be removed", p.kind, p.name))
            .collect();
        return Ok(plan::dry_run(
            format!("stack {}:\n{}", a.stack, lines.join("\n")),
            plan,
        ));
    }
    let mut lines = Vec::new();
    for (name, s) in &services {
        swarm_write::remove_service(text(&s["ID"]))
            .map_err(|e| ToolError::from(e).context(format!("service {name}")))?;
        lines.push(format!("service {name}: removed"));
    }
    for s in &secrets {
        let name = text(&s["Spec"]["Name"]);
        swarm_write::remove_secret(text(&s["ID"]))
            .map_err(|e| ToolError::from(e).context(format!("secret {name}")))?;
        lines.push(format!("secret {name}: removed"));
    }
    for c in &configs {
        let name = text(&c["Spec"]["Name"]);
        swarm_write::remove_config(text(&c["ID"]))
            .map_err(|e| ToolError::from(e).context(format!("config {name}")))?;
        lines.push(format!("config {name}: removed"));
    }
    let deadline = Instant::now() + NETWORK_GRACE;
    for n in nets {
        loop {
            match networks::remove(&n.id) {
                Ok(()) => {
                    lines.push(format!("network {}: removed", n.name));
                    break;
                }
                Err(e) if e.kind == DockerErrorKind::NotFound => break,
                // Its tasks' endpoints go as the tasks stop.
                Err(_) if Instant::now() < deadline && !ctx.cancelled() => {
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => {
                    return Err(ToolError::from(e).context(format!("network {}", n.name)));
                }
            }
        }
    }
    if lines.is_empty() {
        return Err(ToolError::not_found(format!("no stack named {}", a.stack)));
    }
    Ok(Output::text(format!(
        "stack {}:\n{}",
        a.stack,
        lines.join("\n")
    )))
}

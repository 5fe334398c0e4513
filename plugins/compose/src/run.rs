//! `compose_run`: a one-off command in a new container of a service, with the service's
//! configuration, networks and volumes; its output is returned and the container removed.

use crate::blueprint::{Site, blueprint};
use crate::images::ensure;
use crate::names::label;
use crate::up::{ensure_network, ensure_volume};
use serde_json::json;
use wharf_compose_project::{open, project_args};
use wharf_plugin_sdk::docker::containers_read::{self, LogOptions, WaitOutcome, WaitUntil};
use wharf_plugin_sdk::docker::{containers_write, networks};
use wharf_plugin_sdk::exec::Command;
use wharf_plugin_sdk::logs::{LogLines, LogQuery, read_lines};
use wharf_plugin_sdk::text::nonce;
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

const DEFAULT_TIMEOUT_SECS: u32 = 60;
const MAX_TIMEOUT_SECS: u32 = 600;

project_args! {
    pub struct RunArgs {
        pub service: String,
        /// Instead of the service's: `["ls", "/"]`, or a string for /bin/sh -c.
        #[serde(default)]
        pub command: Option<Command>,
        /// Default 60, at most 600.
        #[serde(default)]
        pub timeout_secs: Option<u32>,
        /// Keep the container after it exits.
        #[serde(default)]
        pub keep: bool,
    }
}

pub fn compose_run(a: RunArgs, ctx: &Context) -> ToolResult<Output> {
    let timeout = a.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if timeout == 0 || timeout > MAX_TIMEOUT_SECS {
        return Err(ToolError::invalid(format!(
            "timeout_secs must be between 1 and {MAX_TIMEOUT_SECS}"
        )));
    }
    let opened = open(&a.source())?;
    let p = opened.project();
    let Some(s) = p.services.get(&a.service) else {
        return Err(ToolError::not_found(format!(
            "no service {} in project {}",
            a.service, p.name
        )));
    };
    for (key, net) in p
        .networks
        .iter()
        .filter(|(k, _)| s.networks.contains_key(*k))
    {
        ensure_network(p, key, net)?;
    }
    for m in &s.volumes {
        if let Some(src) = &m.source
            && let Some(vol) = p.volumes.get(src)
        {
            ensure_volume(p, src, vol)?;
        }
    }
    let (image, image_id, _) = ensure(&opened, &a.service, s, false, ctx)?;
    let env = opened.environment(s)?;
    let site = Site {
        dir: &opened.dir,
        config_files: &opened.files,
    };
    let bp = blueprint(p, &a.service, s, &env, &image, &image_id, &site)?;
    let (_, mut body) = bp.replica(&p.name, 1);
    body["Labels"][label::ONEOFF] = "True".into();
    if let Some(labels) = body["Labels"].as_object_mut() {
        labels.remove(label::CONFIG_HASH);
    }
    if let Some(c) = a.command {
        body["Cmd"] = json!(c.argv()?);
    }
    // A one-off keeps no restart policy: it would restart the command forever.
    if let Some(host) = body["HostConfig"].as_object_mut() {
        host.remove("RestartPolicy");
    }
    let suffix = nonce();
    let name = format!("{}-{}-run-{}", p.name, a.service, &suffix[..12]);
    let created = containers_write::create(Some(&name), &body.to_string())
        .map_err(|e| ToolError::from(e).context(format!("create {name}")))?;
    let started = bp
        .more_networks
        .iter()
        .try_for_each(|(net, endpoint)| networks::connect(net, &created.id, &endpoint.to_string()))
        .and_then(|_| containers_write::start(&created.id));
    if let Err(e) = started {
        let _ = containers_write::remove(&created.id, true, true);
        return Err(ToolError::from(e).context(format!("start {name}")));
    }
    let outcome = containers_read::wait(&created.id, WaitUntil::Exited, timeout * 1000)?;
    let q = LogQuery::parse(Some(0), None, None, None, None)?;
    let stream = containers_read::logs(
        &created.id,
        LogOptions {
            stdout: true,
            stderr: true,
            since: None,
            until: None,
            tail: None,
            timestamps: false,
        },
    )?;
    let mut lines = LogLines::new(&q, true);
    read_lines(&stream, ctx, |line, stderr| lines.push(line, stderr))?;
    let output = lines.render(&name);
    let (status, keep) = match outcome {
        WaitOutcome::Exited(code) => (format!("exit code {code}"), a.keep),
        WaitOutcome::TimedOut(state) => (
            format!(
                "still {state} after {timeout}s; the container is kept (compose_down removes it)"
            ),
            true,
        ),
        WaitOutcome::Healthy | WaitOutcome::Unhealthy => ("finished".to_owned(), a.keep),
    };
    if !keep {
        containers_write::remove(&created.id, true, true)
            .map_err(|e| ToolError::from(e).context(format!("remove {name}")))?;
    }
    Ok(Output::text(format!("{name}: {status}\n{output}")))
}

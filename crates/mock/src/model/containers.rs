//! Containers: create from a Docker create body, the lifecycle with the engine's refusals,
//! removal with anonymous volumes, and exec answered from scripts and built-in commands.

use super::fs::{Node, normalize as normalize_path};
use super::{
    Attachment, Container, ExecReply, LogEntry, Model, Mount, MountSource, PortMapping, RunState,
    Stream, Usage, conflict, engine, invalid, names, not_found, resolve,
};
use bollard_stubs::models::{ContainerCreateBody, MountType};
use std::collections::BTreeMap;
use std::time::SystemTime;
use wharf_core::engine::DockerError;

/// What a container gets beyond its create body when a seed makes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    pub stop_exit_code: i64,
    pub health: Option<String>,
    pub usage: Option<Usage>,
    pub processes: Option<Vec<Vec<String>>>,
}

impl Model {
    pub fn container_index(&self, reference: &str) -> Result<usize, DockerError> {
        resolve(
            &self.containers,
            reference,
            |c| &c.id,
            |c| &c.name,
            "container",
        )?
        .ok_or_else(|| not_found(format!("No such container: {reference}")))
    }

    pub fn container(&self, reference: &str) -> Result<&Container, DockerError> {
        Ok(&self.containers[self.container_index(reference)?])
    }

    fn container_mut(&mut self, reference: &str) -> Result<&mut Container, DockerError> {
        let i = self.container_index(reference)?;
        Ok(&mut self.containers[i])
    }

    fn name_taken(&self, name: &str) -> Result<(), DockerError> {
        match self.containers.iter().find(|c| c.name == name) {
            Some(c) => Err(conflict(format!(
                "Conflict. The container name \"/{name}\" is already in use by container \
                 \"{}\". You have to remove (or rename) that container to be able to reuse \
                 that name.",
                c.id
            ))),
            None => Ok(()),
        }
    }

    /// `POST /containers/create`: the new container's id.
    pub fn create_container(
        &mut self,
        name: Option<&str>,
        body: ContainerCreateBody,
        extras: Extras,
    ) -> Result<String, DockerError> {
        let name = match name {
            Some(n) => names::checked(n)?,
            None => names::generated(self.containers.len()),
        };
        let reference = body
            .image
            .clone()
            .filter(|i| !i.is_empty())
            .ok_or_else(|| invalid("config.Image is required"))?;
        let image = self
            .image(&reference)
            .map_err(|_| not_found(format!("No such image: {}", super::normalize(&reference))))?
            .clone();
        self.name_taken(&name)?;
        let host = body.host_config.clone().unwrap_or_default();

        let network_mode = host
            .network_mode
            .clone()
            .filter(|m| !m.is_empty() && m != "default")
            .unwrap_or_else(|| "bridge".to_owned());
        let mut networks = vec![network_mode.clone()];
        if let Some(endpoints) = body
            .networking_config
            .as_ref()
            .and_then(|n| n.endpoints_config.as_ref())
        {
            for n in endpoints.keys() {
                if !networks.contains(n) {
                    networks.push(n.clone());
                }
            }
        }
        let mut network_ids = Vec::new();
        if !network_mode.starts_with("container:") {
            for n in &networks {
                network_ids.push(self.network_index(n).map(|i| self.networks[i].id.clone())?);
            }
        }

        let mut mounts = Vec::new();
        let mut volumes_made = Vec::new();
        for bind in host.binds.iter().flatten() {
            let mut parts = bind.splitn(3, ':');
            let (Some(src), Some(dst)) = (parts.next(), parts.next()) else {
                return Err(invalid(format!("invalid volume specification: '{bind}'")));
            };
            let read_write = !parts
                .next()
                .is_some_and(|o| o.split(',').any(|o| o == "ro"));
            let source = if src.starts_with('/') {
                MountSource::Bind {
                    source: src.to_owned(),
                }
            } else {
                volumes_made.push(src.to_owned());
                MountSource::Volume {
                    name: src.to_owned(),
                    anonymous: false,
                }
            };
            mounts.push(Mount {
                source,
                destination: dst.to_owned(),
                read_write,
            });
        }
        for m in host.mounts.iter().flatten() {
            let destination = m.target.clone().unwrap_or_default();
            let read_write = m.read_only != Some(true);
            let source = match m.typ {
                Some(MountType::BIND) => MountSource::Bind {
                    source: m.source.clone().unwrap_or_default(),
                },
                Some(MountType::TMPFS) => MountSource::Tmpfs,
                _ => match m.source.clone().filter(|s| !s.is_empty()) {
                    Some(name) => {
                        volumes_made.push(name.clone());
                        MountSource::Volume {
                            name,
                            anonymous: false,
                        }
                    }
                    None => MountSource::Volume {
                        name: String::new(),
                        anonymous: true,
                    },
                },
            };
            mounts.push(Mount {
                source,
                destination,
                read_write,
            });
        }
        // Volume paths of the body and the image not covered by a mount get anonymous ones.
        let declared: Vec<String> = body
            .volumes
            .iter()
            .flatten()
            .chain(image.config.volumes.iter())
            .cloned()
            .collect();
        for path in declared {
            if !mounts.iter().any(|m| m.destination == path) {
                mounts.push(Mount {
                    source: MountSource::Volume {
                        name: String::new(),
                        anonymous: true,
                    },
                    destination: path,
                    read_write: true,
                });
            }
        }

        let mut ports = Vec::new();
        for (spec, bindings) in host.port_bindings.iter().flatten() {
            let (private, protocol) = port_spec(spec)?;
            for b in bindings.iter().flatten() {
                let public = match b.host_port.as_deref().filter(|p| !p.is_empty()) {
                    Some(p) => Some(
                        p.parse::<u16>()
                            .map_err(|_| invalid(format!("invalid port specification: \"{p}\"")))?,
                    ),
                    None => None,
                };
                ports.push(PortMapping {
                    private,
                    protocol: protocol.clone(),
                    public,
                    ip: b.host_ip.clone().filter(|i| !i.is_empty()),
                });
            }
        }
        for spec in body.exposed_ports.iter().flatten() {
            let (private, protocol) = port_spec(spec)?;
            if !ports
                .iter()
                .any(|p| p.private == private && p.protocol == protocol)
            {
                ports.push(PortMapping {
                    private,
                    protocol,
                    public: None,
                    ip: None,
                });
            }
        }
        ports.sort_by(|a, b| (a.private, &a.protocol).cmp(&(b.private, &b.protocol)));

        // Only now that nothing can fail: create what the container needs.
        for v in volumes_made {
            if self.volume_index(&v).is_err() {
                self.create_volume(&v, "local", BTreeMap::new(), BTreeMap::new());
            }
        }
        for m in &mut mounts {
            if let MountSource::Volume {
                name,
                anonymous: true,
            } = &mut m.source
            {
                *name = self.new_id("volume");
                let n = name.clone();
                self.create_volume(&n, "local", BTreeMap::new(), BTreeMap::new());
            }
        }
        let id = self.new_id("container");
        let mut attachments = Vec::new();
        for net in network_ids {
            let ip = self.allocate_ip(&net);
            attachments.push(Attachment {
                network_id: net,
                ip,
                aliases: Vec::new(),
            });
        }
        let mut labels = image.config.labels.clone();
        labels.extend(body.labels.clone().unwrap_or_default());
        let mut env = image.config.env.clone();
        env.extend(body.env.clone().unwrap_or_default());
        let healthcheck = body
            .healthcheck
            .as_ref()
            .and_then(|h| h.test.as_ref())
            .or(image.config.healthcheck.as_ref())
            .is_some_and(|t| !t.is_empty() && t[0] != "NONE");
        let container = Container {
            id: id.clone(),
            name: name.clone(),
            image: reference,
            image_id: image.id.clone(),
            created: SystemTime::now(),
            state: RunState::Created,
            exit_code: 0,
            started_at: None,
            finished_at: None,
            cmd: body.cmd.clone().unwrap_or_else(|| image.config.cmd.clone()),
            entrypoint: body
                .entrypoint
                .clone()
                .unwrap_or_else(|| image.config.entrypoint.clone()),
            env,
            labels: labels.clone(),
            working_dir: body
                .working_dir
                .clone()
                .filter(|w| !w.is_empty())
                .unwrap_or_else(|| image.config.working_dir.clone()),
            user: body
                .user
                .clone()
                .unwrap_or_else(|| image.config.user.clone()),
            healthcheck,
            health: None,
            health_on_start: extras.health.unwrap_or_else(|| "healthy".to_owned()),
            attachments,
            network_mode,
            mounts,
            ports,
            logs: Vec::new(),
            files: image.files.clone(),
            stop_exit_code: extras.stop_exit_code,
            usage: extras.usage.unwrap_or_default(),
            processes: extras.processes,
            auto_remove: host.auto_remove == Some(true),
            restart_count: 0,
            spec: body,
        };
        self.containers.push(container);
        let image_name = self
            .containers
            .last()
            .map(|c| c.image.clone())
            .unwrap_or_default();
        self.record_with(
            "container",
            "create",
            &id,
            &[("image", &image_name), ("name", &name)],
            &labels,
        );
        Ok(id)
    }

    fn container_event(&mut self, i: usize, action: &str, extra: &[(&str, &str)]) {
        let c = &self.containers[i];
        let (id, image, name, labels) = (
            c.id.clone(),
            c.image.clone(),
            c.name.clone(),
            c.labels.clone(),
        );
        let mut attrs = vec![("image", image.as_str()), ("name", name.as_str())];
        attrs.extend_from_slice(extra);
        self.record_with("container", action, &id, &attrs, &labels);
    }

    fn run(&mut self, i: usize) {
        let c = &mut self.containers[i];
        c.state = RunState::Running;
        c.started_at = Some(SystemTime::now());
        c.exit_code = 0;
        c.health = c.healthcheck.then(|| c.health_on_start.clone());
        self.container_event(i, "start", &[]);
    }

    /// The process ended with `code`; an auto-remove container goes with it.
    fn end(&mut self, i: usize, code: i64) -> bool {
        let c = &mut self.containers[i];
        c.state = RunState::Exited;
        c.exit_code = code;
        c.finished_at = Some(SystemTime::now());
        c.health = None;
        let code = code.to_string();
        self.container_event(i, "die", &[("exitCode", &code)]);
        if self.containers[i].auto_remove {
            self.destroy(i, true);
            return true;
        }
        false
    }

    pub fn start_container(&mut self, reference: &str) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        match self.containers[i].state {
            // The engine's 304, which bollard (and so the real host) takes as success.
            RunState::Running => Ok(()),
            RunState::Paused => Err(conflict(
                "cannot start a paused container, try unpause instead",
            )),
            RunState::Created | RunState::Exited => {
                self.run(i);
                Ok(())
            }
        }
    }

    pub fn stop_container(&mut self, reference: &str) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        if !self.containers[i].state.is_up() {
            // The engine's 304, taken as success.
            return Ok(());
        }
        self.container_event(i, "kill", &[("signal", "15")]);
        let code = self.containers[i].stop_exit_code;
        if !self.end(i, code) {
            self.container_event(i, "stop", &[]);
        }
        Ok(())
    }

    pub fn restart_container(&mut self, reference: &str) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        if self.containers[i].state.is_up() {
            self.container_event(i, "kill", &[("signal", "15")]);
            let code = self.containers[i].stop_exit_code;
            // A restart never removes an auto-remove container: the engine restarts it.
            let auto = std::mem::replace(&mut self.containers[i].auto_remove, false);
            self.end(i, code);
            self.containers[i].auto_remove = auto;
            self.container_event(i, "stop", &[]);
        }
        self.run(i);
        self.container_event(i, "restart", &[]);
        Ok(())
    }

    pub fn kill_container(
        &mut self,
        reference: &str,
        signal: Option<&str>,
    ) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        let signo = signal_number(signal.unwrap_or("SIGKILL"))?;
        let c = &self.containers[i];
        if !c.state.is_up() {
            return Err(conflict(format!(
                "Cannot kill container: {reference}: Container {} is not running",
                c.id
            )));
        }
        let signal = signo.to_string();
        self.container_event(i, "kill", &[("signal", &signal)]);
        match signo {
            9 => {
                self.end(i, 137);
            }
            2 | 3 | 15 => {
                let code = self.containers[i].stop_exit_code;
                self.end(i, code);
            }
            // Signals a process handles and lives on (HUP, USR1...).
            _ => {}
        }
        Ok(())
    }

    pub fn pause_container(&mut self, reference: &str) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        let c = &mut self.containers[i];
        match c.state {
            RunState::Running => {
                c.state = RunState::Paused;
                self.container_event(i, "pause", &[]);
                Ok(())
            }
            RunState::Paused => Err(conflict(format!("Container {} is already paused", c.id))),
            _ => Err(conflict(format!("Container {} is not running", c.id))),
        }
    }

    pub fn unpause_container(&mut self, reference: &str) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        let c = &mut self.containers[i];
        if c.state != RunState::Paused {
            return Err(engine(format!("Container {} is not paused", c.id)));
        }
        c.state = RunState::Running;
        self.container_event(i, "unpause", &[]);
        Ok(())
    }

    pub fn remove_container(
        &mut self,
        reference: &str,
        force: bool,
        volumes: bool,
    ) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        let c = &self.containers[i];
        match (c.state, force) {
            (RunState::Running, false) => {
                return Err(conflict(format!(
                    "You cannot remove a running container {}. Stop the container before \
                     attempting removal or force remove",
                    c.id
                )));
            }
            (RunState::Paused, false) => {
                return Err(conflict(format!(
                    "You cannot remove a paused container {}. Unpause and then stop the \
                     container before attempting removal or force remove",
                    c.id
                )));
            }
            (state, true) if state.is_up() => {
                self.container_event(i, "kill", &[("signal", "9")]);
                let c = &mut self.containers[i];
                c.auto_remove = false;
                self.end(i, 137);
            }
            _ => {}
        }
        self.destroy(i, volumes);
        Ok(())
    }

    /// Remove container `i`, its anonymous volumes too when `volumes`.
    fn destroy(&mut self, i: usize, volumes: bool) {
        self.container_event(i, "destroy", &[]);
        let c = self.containers.remove(i);
        if volumes {
            for m in &c.mounts {
                if let MountSource::Volume {
                    name,
                    anonymous: true,
                } = &m.source
                    && let Ok(v) = self.volume_index(name)
                {
                    let name = self.volumes.remove(v).name;
                    self.record("volume", "destroy", &name, &[]);
                }
            }
        }
    }

    pub fn rename_container(&mut self, reference: &str, new_name: &str) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        let new_name = names::checked(new_name)?;
        if self.containers[i].name == new_name {
            return Err(invalid(
                "Renaming a container with the same name as its current name",
            ));
        }
        self.name_taken(&new_name)?;
        let old = std::mem::replace(&mut self.containers[i].name, new_name);
        let old = format!("/{old}");
        self.container_event(i, "rename", &[("oldName", &old)]);
        Ok(())
    }

    /// The container's process ends by itself (for tests: a job finishing, a crash).
    pub fn exit_container(&mut self, reference: &str, code: i64) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        if !self.containers[i].state.is_up() {
            return Err(conflict(format!(
                "Container {} is not running",
                self.containers[i].id
            )));
        }
        self.end(i, code);
        Ok(())
    }

    pub fn set_health(&mut self, reference: &str, health: &str) -> Result<(), DockerError> {
        let i = self.container_index(reference)?;
        let c = &mut self.containers[i];
        if !c.healthcheck {
            return Err(invalid(format!("container {} has no healthcheck", c.name)));
        }
        c.health_on_start = health.to_owned();
        if c.state.is_up() {
            c.health = Some(health.to_owned());
            let status = format!("health_status: {health}");
            self.container_event(i, &status, &[]);
        }
        Ok(())
    }

    pub fn append_log(
        &mut self,
        reference: &str,
        stream: Stream,
        data: &[u8],
    ) -> Result<(), DockerError> {
        let c = self.container_mut(reference)?;
        c.logs.push(LogEntry {
            time: SystemTime::now(),
            stream,
            data: data.to_vec(),
        });
        Ok(())
    }

    /// `docker exec`: the reply of the first scripted rule that matches, else a built-in
    /// command, else "not found" as a shell would say it.
    pub fn exec(
        &mut self,
        reference: &str,
        cmd: &[String],
        working_dir: Option<&str>,
    ) -> Result<ExecReply, DockerError> {
        let c = self.container(reference)?;
        match c.state {
            RunState::Running => {}
            RunState::Paused => {
                return Err(conflict(format!(
                    "Container {reference} is paused, unpause the container before exec"
                )));
            }
            _ => return Err(conflict(format!("Container {} is not running", c.id))),
        }
        if let Some(rule) = self.exec_rules.iter().find(|r| {
            r.container
                .as_deref()
                .is_none_or(|want| want == c.name || c.id.starts_with(want))
                && cmd.starts_with(&r.cmd)
        }) {
            return Ok(rule.reply.clone());
        }
        let cwd = working_dir
            .filter(|w| !w.is_empty())
            .unwrap_or(if c.working_dir.is_empty() {
                "/"
            } else {
                &c.working_dir
            })
            .to_owned();
        let env = c.env.clone();
        let i = self.container_index(reference)?;
        Ok(builtin(&mut self.containers[i].files, cmd, &cwd, &env))
    }
}

/// `80/tcp` (or `80`) as (port, protocol).
fn port_spec(spec: &str) -> Result<(u16, String), DockerError> {
    let (port, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let port = port
        .parse::<u16>()
        .map_err(|_| invalid(format!("invalid port specification: \"{spec}\"")))?;
    Ok((port, proto.to_owned()))
}

fn signal_number(signal: &str) -> Result<i64, DockerError> {
    if let Ok(n) = signal.parse::<i64>() {
        return if (1..=64).contains(&n) {
            Ok(n)
        } else {
            Err(invalid(format!("Invalid signal: {signal}")))
        };
    }
    let name = signal.to_ascii_uppercase();
    let name = name.strip_prefix("SIG").unwrap_or(&name);
    Ok(match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "KILL" => 9,
        "USR1" => 10,
        "USR2" => 12,
        "TERM" => 15,
        "WINCH" => 28,
        _ => return Err(invalid(format!("Invalid signal: {signal}"))),
    })
}

fn reply(exit_code: i64, stdout: impl Into<Vec<u8>>, stderr: impl Into<Vec<u8>>) -> ExecReply {
    ExecReply {
        exit_code,
        stdout: stdout.into(),
        stderr: stderr.into(),
    }
}

/// The few commands the mock answers without a script, on the container's files: enough
/// for a plugin's exec plumbing to be tested (output, exit codes, stderr) honestly.
pub(crate) fn builtin(fs: &mut super::Fs, cmd: &[String], cwd: &str, env: &[String]) -> ExecReply {
    let Some((program, args)) = cmd.split_first() else {
        return reply(126, "", "empty command\n");
    };
    let program = program.rsplit('/').next().unwrap_or(program);
    match program {
        "sh" | "bash" if args.first().map(String::as_str) == Some("-c") && args.len() >= 2 => {
            let words: Vec<String> = args[1].split_whitespace().map(str::to_owned).collect();
            builtin(fs, &words, cwd, env)
        }
        "true" => reply(0, "", ""),
        "false" => reply(1, "", ""),
        "exit" => reply(
            args.first().and_then(|a| a.parse().ok()).unwrap_or(0),
            "",
            "",
        ),
        "echo" => reply(0, format!("{}\n", args.join(" ")), ""),
        "pwd" => reply(0, format!("{cwd}\n"), ""),
        "env" => reply(
            0,
            env.iter().map(|e| format!("{e}\n")).collect::<String>(),
            "",
        ),
        "cat" => {
            let mut out = Vec::new();
            let mut err = String::new();
            for a in args {
                match fs.get(&normalize_path(a, cwd)) {
                    Some(Node::File { data, .. }) => out.extend_from_slice(data),
                    Some(Node::Dir { .. }) => err.push_str("cat: read error: Is a directory\n"),
                    _ => err.push_str(&format!(
                        "cat: can't open '{a}': No such file or directory\n"
                    )),
                }
            }
            reply(if err.is_empty() { 0 } else { 1 }, out, err)
        }
        "ls" => {
            let dir = normalize_path(
                args.iter().find(|a| !a.starts_with('-')).map_or(".", |a| a),
                cwd,
            );
            match fs.get(&dir) {
                Some(Node::Dir { .. }) => {
                    let names: String = fs.list(&dir).iter().map(|n| format!("{n}\n")).collect();
                    reply(0, names, "")
                }
                Some(_) => reply(0, format!("{dir}\n"), ""),
                None => reply(1, "", format!("ls: {dir}: No such file or directory\n")),
            }
        }
        "mkdir" => {
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                fs.mkdir_p(&normalize_path(a, cwd));
            }
            reply(0, "", "")
        }
        "touch" => {
            for a in args {
                let p = normalize_path(a, cwd);
                if fs.get(&p).is_none() {
                    fs.write(&p, Vec::new(), 0o644);
                }
            }
            reply(0, "", "")
        }
        other => reply(127, "", format!("sh: {other}: not found\n")),
    }
}

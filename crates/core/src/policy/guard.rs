//! The guard: every rule on a Docker request, checked once, between the WIT adapter and the
//! engine. Both engines sit below it, so the mock host refuses exactly what the real host
//! refuses, and the rules are tested here with no engine at all.
//!
//! A check that depends on an existing object (is it in scope?) finds the object once and
//! hands the action its full id, so the action works on the object that was checked even if
//! a name is renamed or reused meanwhile.

use super::binds;
use super::changes::{Called, Change, Changes};
use super::copy::{self, CopyReport, MAX_ARCHIVE};
use super::{AllowedRoots, CreateAllowances, PROVENANCE, Scope};
use crate::credentials::CredentialStore;
use crate::engine::{
    BuildContext, BuildOptions, HistoryEntry, ImageRemoved, ImageSummary, JobEvent, split_reference,
};
use crate::engine::{
    ConfigSpec, Event, NodeSpec, SecretSpec, ServiceCreated, ServiceSpec, SwarmInitRequest,
    TaskLogOptions,
};
use crate::engine::{
    ContainerCreateBody, ContainerSummary, Created, DockerEngine, EndpointSettings, ExecOutput,
    ExecSpec, Filters, Json, Kind, LogChunk, LogOptions, Lookup, NetworkCreateRequest,
    NetworkSummary, ProcessList, Pruned, Stream, VolumeCreateRequest, VolumeSummary, WaitOutcome,
    WaitUntil,
};
use crate::engine::{DockerError, ErrorKind, Found, Holder, HostMount, MountKind};
use std::collections::HashMap;
use std::time::Duration;

type Result<T> = std::result::Result<T, DockerError>;

/// Bytes kept of each exec output stream, whatever a plugin asks for: the host buffers them.
pub const MAX_EXEC_OUTPUT: usize = 1 << 20;

/// The rules of one call: what the configuration and the engine it goes to allow.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    /// Global read-only mode, or the engine's own.
    pub read_only: bool,
    /// No-destructive mode: nothing is removed, killed or pruned, whatever tool asks.
    pub no_destructive: bool,
    /// A dry run: every change is refused, whatever the tool's label.
    pub dry_run: bool,
    /// What the call may remove when its tool is not labelled destructive.
    pub removals: &'a super::Removals,
    /// The tool the call runs: its requests are held to its label.
    pub called: &'a Called,
    /// Where the call's requests for changes are recorded, for the audit.
    pub changes: &'a Changes,
    pub scope: Option<&'a Scope>,
    pub allow: &'a CreateAllowances,
    pub roots: &'a AllowedRoots,
    /// The registry logins the host adds to pulls, pushes and services.
    pub credentials: &'a CredentialStore,
}

impl<'a> Rules<'a> {
    /// Whether the call may make `change`, described by `request` ("kill container web"):
    /// not while wharf (or this engine) is read-only, never for a tool labelled read-only,
    /// and no destruction in no-destructive mode, whatever the tool's label says. Recorded
    /// for the audit either way.
    pub fn change(&self, change: Change, request: impl std::fmt::Display) -> Result<()> {
        let request = super::changes::cut(request.to_string());
        self.admit(change, &request)?;
        self.changes.record(&request);
        Ok(())
    }

    /// [`Rules::change`]'s refusal, recorded as refused, but the request itself not yet
    /// recorded: for a request other checks may still refuse (see [`Rules::checked`]). A
    /// removal of no one object (a prune) needs a tool labelled destructive.
    fn admit(&self, change: Change, request: &str) -> Result<()> {
        self.admit_on(change, request, self.removals.allows_any())
    }

    /// [`Rules::admit`] for a request whose removal, if it is one, `removable` says the
    /// call may make: a tool not labelled destructive may remove only what the user said
    /// yes to.
    fn admit_on(&self, change: Change, request: &str, removable: bool) -> Result<()> {
        let tool = &self.called.tool;
        let refusal = if self.dry_run {
            Some(DockerError::denied(format!(
                "a dry run changes nothing: `{tool}` asked to {request}"
            )))
        } else if self.read_only {
            Some(read_only_refusal())
        } else if self.called.annotations.read_only {
            Some(DockerError::denied(format!(
                "`{tool}` is labelled read-only, so wharf refuses the Docker changes it asks \
                 for (here: {request})"
            )))
        } else if change != Change::Write && self.no_destructive {
            Some(DockerError::denied(format!(
                "wharf runs in no-destructive mode: `{tool}` asked to {request}, which cannot \
                 be undone"
            )))
        } else if change == Change::Destroy && !removable {
            Some(DockerError::denied(if self.removals.plans() {
                format!(
                    "`{tool}` is not labelled destructive, so it may remove only what the user \
                     was shown and said yes to, and it asked to {request}: call it with \
                     dry_run=true to see what it would remove"
                )
            } else {
                format!(
                    "`{tool}` is not labelled destructive, so it may remove only what it \
                     created, and it asked to {request}: use a tool labelled destructive, \
                     which asks first"
                )
            }))
        } else {
            None
        };
        match refusal {
            None => Ok(()),
            Some(e) => {
                self.changes.record(format_args!("{request} (refused)"));
                Err(e)
            }
        }
    }

    /// Record `request` once the checks that follow its admission are done: refused if
    /// they refused it.
    fn checked<T>(&self, request: &str, checks: Result<T>) -> Result<T> {
        match &checks {
            Err(e) if e.kind == ErrorKind::Denied => {
                self.changes.record(format_args!("{request} (refused)"))
            }
            _ => self.changes.record(request),
        }
        checks
    }

    /// The id to act on for `reference`: without a scope, the reference as given (the
    /// engine resolves it); with one, the full id of the object found, once it is known to
    /// carry the scope label.
    pub async fn in_scope(
        &self,
        engine: &dyn Lookup,
        kind: Kind,
        reference: &str,
    ) -> Result<String> {
        in_scope(self.scope, engine, kind, reference).await
    }

    /// [`Rules::in_scope`] for a request that changes the object: `verb` it ("kill").
    pub async fn to_change(
        &self,
        engine: &dyn Lookup,
        change: Change,
        verb: &str,
        kind: Kind,
        reference: &str,
    ) -> Result<String> {
        let request = super::changes::cut(format!("{verb} {kind} {reference}"));
        if change != Change::Destroy {
            self.admit(change, &request)?;
            let found = self.in_scope(engine, kind, reference).await;
            return self.checked(&request, found);
        }
        // A removal is judged on the object the reference names now, by its full id, and
        // acts on that id: a rename cannot pass another object off as one the call created
        // or the user was shown. An object that is not there is left for the lookup's
        // error to say so.
        let found = engine.lookup(kind, reference).await;
        let (change, removable) = match &found {
            // Removing what this very call created destroys nothing that was there before.
            Ok(f) if self.changes.made(kind, &f.id) => (Change::Write, true),
            Ok(f) => (Change::Destroy, self.removals.allows(kind, &f.id)),
            Err(_) => (Change::Destroy, true),
        };
        self.admit_on(change, &request, removable)?;
        let checks = found.and_then(|f| scoped_id(self.scope, kind, reference, f));
        self.checked(&request, checks)
    }

    /// `filters` narrowed to the scope, for a list or a prune.
    pub fn scoped(&self, filters: Filters) -> Filters {
        scoped(self.scope, filters)
    }

    /// The labels of something wharf creates: the provenance label and, with a scope, the
    /// scope label, over whatever the plugin asked for.
    pub fn label(&self, labels: &mut Option<HashMap<String, String>>) {
        label(self.scope, labels.get_or_insert_default());
    }

    /// What a new container would use must be in scope too: its networks (by network mode
    /// or endpoint, host config or not), the containers it would share a namespace with,
    /// link to or take volumes from, and its named volumes. A named volume that does not
    /// exist yet would be created without the label, so it is refused with a pointer to
    /// create_volume.
    pub async fn create_references(
        &self,
        engine: &dyn Lookup,
        body: &ContainerCreateBody,
    ) -> Result<()> {
        if self.scope.is_none() {
            return Ok(());
        }
        let host = body.host_config.as_ref();
        let mut networks: Vec<&str> = host
            .and_then(|h| h.network_mode.as_deref())
            .into_iter()
            .collect();
        if let Some(endpoints) = body
            .networking_config
            .as_ref()
            .and_then(|n| n.endpoints_config.as_ref())
        {
            networks.extend(endpoints.keys().map(String::as_str));
        }
        let mut containers: Vec<&str> = Vec::new();
        for network in networks {
            if let Some(container) = network.strip_prefix("container:") {
                containers.push(container);
            } else if !["", "default", "bridge", "host", "none"].contains(&network) {
                self.in_scope(engine, Kind::Network, network).await?;
            }
        }
        let Some(host) = host else {
            return Ok(());
        };
        for mode in [&host.pid_mode, &host.ipc_mode] {
            if let Some(container) = mode.as_deref().and_then(|m| m.strip_prefix("container:")) {
                containers.push(container);
            }
        }
        // `name:alias` links and `name[:ro|rw]` volumes_from name a container first.
        let first = |s: &'_ String| -> String {
            s.split(':')
                .next()
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_owned()
        };
        let named: Vec<String> = host
            .links
            .iter()
            .flatten()
            .chain(host.volumes_from.iter().flatten())
            .map(first)
            .collect();
        containers.extend(named.iter().map(String::as_str));
        for container in containers {
            self.in_scope(engine, Kind::Container, container).await?;
        }
        let mut volumes: Vec<&str> = host
            .binds
            .iter()
            .flatten()
            .filter_map(|b| b.split(':').next())
            .filter(|src| !src.starts_with('/'))
            .collect();
        volumes.extend(
            host.mounts
                .iter()
                .flatten()
                .filter(|m| m.typ == Some(bollard_stubs::models::MountType::VOLUME))
                .filter_map(|m| m.source.as_deref())
                .filter(|src| !src.is_empty()),
        );
        for volume in volumes {
            self.volume_in_scope(engine, volume).await?;
        }
        Ok(())
    }

    /// A new container may join another's network, PID or IPC namespace (`container:X`),
    /// but not when that namespace is the host's, X's own or through the container X joined:
    /// that is the host namespace the create check refuses when asked for directly.
    pub async fn joined_namespaces(
        &self,
        engine: &dyn Lookup,
        body: &ContainerCreateBody,
    ) -> Result<()> {
        if self.allow.host_namespaces {
            return Ok(());
        }
        let Some(host) = &body.host_config else {
            return Ok(());
        };
        type Pick = fn(&crate::engine::Namespaces) -> &str;
        let kinds: [(&str, &Option<String>, Pick); 3] = [
            ("network", &host.network_mode, |n| n.network.as_str()),
            ("PID", &host.pid_mode, |n| n.pid.as_str()),
            ("IPC", &host.ipc_mode, |n| n.ipc.as_str()),
        ];
        for (what, mode, pick) in kinds {
            let Some(first) = mode.as_deref().and_then(|m| m.strip_prefix("container:")) else {
                continue;
            };
            // Docker does not let a container join one that joined another, but a chain
            // is followed all the same, a few links deep.
            let mut next = Some(first.to_owned());
            for _ in 0..4 {
                let Some(container) = next.take() else {
                    break;
                };
                let found = engine.lookup(Kind::Container, &container).await?;
                let mode = pick(&found.namespaces);
                if mode == "host" {
                    return Err(DockerError::denied(format!(
                        "joining container `{first}`'s {what} namespace is refused: it is the \
                         host's; to allow it, set host_namespaces = true in [allow] of wharf.toml"
                    )));
                }
                next = mode.strip_prefix("container:").map(str::to_owned);
            }
        }
        Ok(())
    }

    /// A named volume a new container or service would mount: in scope, and existing (an
    /// implicitly created one would lack the scope label).
    pub async fn volume_in_scope(&self, engine: &dyn Lookup, volume: &str) -> Result<()> {
        match self.in_scope(engine, Kind::Volume, volume).await {
            Err(e) if e.kind == ErrorKind::NotFound => Err(DockerError::denied(format!(
                "volume `{volume}` does not exist, and creating it implicitly would leave it \
                 outside wharf's scope; create it with create_volume first"
            ))),
            other => other.map(drop),
        }
    }
}

fn read_only_refusal() -> DockerError {
    DockerError::denied("wharf runs in read-only mode: Docker changes are refused")
}

/// See [`Rules::in_scope`].
pub async fn in_scope(
    scope: Option<&Scope>,
    engine: &dyn Lookup,
    kind: Kind,
    reference: &str,
) -> Result<String> {
    let Some(scope) = scope else {
        return Ok(reference.to_owned());
    };
    scoped_id(
        Some(scope),
        kind,
        reference,
        engine.lookup(kind, reference).await?,
    )
}

/// The full id of `found`, which `reference` named, if it carries the scope label.
fn scoped_id(scope: Option<&Scope>, kind: Kind, reference: &str, found: Found) -> Result<String> {
    let Some(scope) = scope else {
        return Ok(found.id);
    };
    if scope.matches(&found.labels) {
        Ok(found.id)
    } else {
        Err(DockerError::denied(format!(
            "{kind} `{reference}` is outside wharf's scope: it does not carry the label \
             `{scope}`"
        )))
    }
}

/// `filters` narrowed to the scope, for a list or a prune.
pub fn scoped(scope: Option<&Scope>, mut filters: Filters) -> Filters {
    if let Some(scope) = scope {
        filters
            .entry("label".into())
            .or_default()
            .push(scope.to_string());
    }
    filters
}

/// See [`Rules::label`].
pub fn label(scope: Option<&Scope>, labels: &mut HashMap<String, String>) {
    labels.insert(PROVENANCE.0.into(), PROVENANCE.1.into());
    if let Some(scope) = scope {
        let (k, v) = scope.label();
        labels.insert(k, v);
    }
}

/// Where a secret's or a config's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectData {
    Value(Vec<u8>),
    /// A file under the allowed roots, read by the host.
    HostFile(String),
}

/// Secrets and configs are small (the engine refuses values over 500 KB and 1000 KB);
/// a larger file is refused before it is read whole.
const MAX_OBJECT_DATA: u64 = 1 << 20;

/// A small regular file under the roots, opened beneath its root
/// ([`AllowedRoots::open_file`]): never a FIFO, which would block the thread for good.
fn read_small_file(roots: &AllowedRoots, path: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| DockerError::invalid(format!("cannot read `{path}`: {e}"));
    let file = roots.open_file(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_OBJECT_DATA + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_OBJECT_DATA {
        return Err(DockerError::invalid(format!(
            "`{path}` is larger than {} KiB, more than a swarm keeps",
            MAX_OBJECT_DATA >> 10
        )));
    }
    Ok(bytes)
}

/// A temporary file beside `name` in `dir`, moved onto it once complete, or removed.
struct Beside<'d> {
    dir: &'d cap_std::fs::Dir,
    temp: String,
    name: std::ffi::OsString,
    kept: bool,
}

impl<'d> Beside<'d> {
    /// The temporary file, made new (never one a container put there) and readable by
    /// this user only: image layers may hold secrets. Its handle is the one written to.
    fn new(
        dir: &'d cap_std::fs::Dir,
        name: &std::ffi::OsStr,
    ) -> std::io::Result<(Self, std::fs::File)> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // Cut so the name stays within a file name's 255 bytes.
        let stem: String = name.to_string_lossy().chars().take(160).collect();
        let temp = format!(".{stem}.wharf-{}-{n}-{nanos:x}.part", std::process::id());
        let mut options = cap_std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use cap_std::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = dir.open_with(&temp, &options)?.into_std();
        let beside = Beside {
            dir,
            temp,
            name: name.to_owned(),
            kept: false,
        };
        Ok((beside, file))
    }

    /// Onto the destination, replacing what is there only with `overwrite`: without it, a
    /// link that fails if the destination appeared meanwhile, then the temporary name
    /// removed.
    fn persist(mut self, overwrite: bool) -> std::io::Result<()> {
        if overwrite {
            self.dir.rename(&self.temp, self.dir, &self.name)?;
        } else {
            self.dir.hard_link(&self.temp, self.dir, &self.name)?;
            self.dir.remove_file(&self.temp)?;
        }
        self.kept = true;
        Ok(())
    }
}

impl Drop for Beside<'_> {
    fn drop(&mut self) {
        if !self.kept {
            let _ = self.dir.remove_file(&self.temp);
        }
    }
}

fn io_error(what: &str, e: std::io::Error) -> DockerError {
    DockerError::new(ErrorKind::Engine, format!("{what}: {e}"))
}

/// What a plugin asks to build: the context from the host, and the build's options.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// A context directory under an allowed root.
    pub context_dir: Option<String>,
    /// Dockerfile text; with a context directory it replaces the context's Dockerfile.
    pub dockerfile: Option<String>,
    /// The Dockerfile's path inside the context directory.
    pub dockerfile_path: Option<String>,
    /// Files added to the context: (path inside it, content).
    pub files: Vec<(String, Vec<u8>)>,
    pub options: BuildOptions,
}

/// Every request of one call, checked against its [`Rules`] before it reaches the engine.
pub struct Guard<'a> {
    engine: &'a dyn DockerEngine,
    rules: Rules<'a>,
}

impl<'a> Guard<'a> {
    pub fn new(engine: &'a dyn DockerEngine, rules: Rules<'a>) -> Self {
        Guard { engine, rules }
    }

    /// The id of the object a change works on; `verb` names the change for the record.
    async fn target(
        &self,
        change: Change,
        verb: &str,
        kind: Kind,
        reference: &str,
    ) -> Result<String> {
        self.rules
            .to_change(self.engine, change, verb, kind, reference)
            .await
    }

    async fn visible(&self, kind: Kind, reference: &str) -> Result<String> {
        self.rules.in_scope(self.engine, kind, reference).await
    }

    // containers-read

    pub async fn list_containers(
        &self,
        all: bool,
        limit: Option<u32>,
        filters: Filters,
    ) -> Result<Vec<ContainerSummary>> {
        self.engine
            .list_containers(all, limit, self.rules.scoped(filters))
            .await
    }

    pub async fn inspect_container(&self, id: &str) -> Result<Json> {
        let id = self.visible(Kind::Container, id).await?;
        self.engine.inspect_container(&id).await
    }

    pub async fn logs(&self, id: &str, options: LogOptions) -> Result<Stream<LogChunk>> {
        let id = self.visible(Kind::Container, id).await?;
        self.engine.logs(&id, options).await
    }

    pub async fn wait_container(
        &self,
        id: &str,
        until: WaitUntil,
        timeout: Duration,
    ) -> Result<WaitOutcome> {
        let id = self.visible(Kind::Container, id).await?;
        self.engine.wait_container(&id, until, timeout).await
    }

    pub async fn follow_logs(
        &self,
        id: &str,
        since: Option<i64>,
        timeout: Duration,
    ) -> Result<Stream<LogChunk>> {
        let id = self.visible(Kind::Container, id).await?;
        self.engine.follow_logs(&id, since, timeout).await
    }

    pub async fn stats(&self, id: &str, stream: bool) -> Result<Stream<Json>> {
        let id = self.visible(Kind::Container, id).await?;
        self.engine.stats(&id, stream).await
    }

    pub async fn top(&self, id: &str, ps_args: Option<String>) -> Result<ProcessList> {
        let id = self.visible(Kind::Container, id).await?;
        self.engine.top(&id, ps_args).await
    }

    // exec

    /// A command runs with the container's privileges: a change, and in scope.
    pub async fn exec(&self, container: &str, mut spec: ExecSpec) -> Result<ExecOutput> {
        let container = self
            .target(
                Change::Write,
                "run a command in",
                Kind::Container,
                container,
            )
            .await?;
        if spec.cmd.is_empty() {
            return Err(DockerError::invalid("the command is empty"));
        }
        spec.output_limit = spec.output_limit.min(MAX_EXEC_OUTPUT);
        self.engine.exec(&container, spec).await
    }

    // files

    /// Copy `host_path`, which must resolve under an allowed root, into `container_dir`.
    pub async fn copy_in(
        &self,
        container: &str,
        host_path: &str,
        container_dir: &str,
    ) -> Result<CopyReport> {
        let roots = self.rules.roots;
        // Opened by handle now, walked by handle: see `super::tree`.
        let (container, (top, name)) = self
            .copy_target(Change::Write, "copy files into", container, || {
                Ok(roots.open_tree(host_path)?)
            })
            .await?;
        let (archive, report) = tokio::task::spawn_blocking(move || copy::pack(top, &name))
            .await
            .map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))??;
        self.engine
            .put_archive(&container, container_dir, archive)
            .await?;
        Ok(report)
    }

    /// Copy `container_path` into `host_dir` (created if missing) under an allowed root.
    pub async fn copy_out(
        &self,
        container: &str,
        container_path: &str,
        host_dir: &str,
        overwrite: bool,
    ) -> Result<CopyReport> {
        let verb = match overwrite {
            true => "copy files, replacing any, out of",
            false => "copy files out of",
        };
        let roots = self.rules.roots;
        let (container, _) = self
            .copy_target(Change::replacing(overwrite), verb, container, || {
                Ok(roots.writable(host_dir)?)
            })
            .await?;
        let archive = self
            .engine
            .get_archive(&container, container_path, MAX_ARCHIVE)
            .await?;
        // The download took a while: the destination is made and opened beneath its root
        // only now, and written through that handle (see `copy::unpack`).
        let dest = roots.create_dir(host_dir)?;
        tokio::task::spawn_blocking(move || copy::unpack(&archive, &dest, overwrite))
            .await
            .map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))?
    }

    // images

    pub async fn list_images(&self, all: bool, filters: Filters) -> Result<Vec<ImageSummary>> {
        self.engine.list_images(all, filters).await
    }

    pub async fn inspect_image(&self, name: &str) -> Result<Json> {
        self.engine.inspect_image(name).await
    }

    pub async fn image_history(&self, name: &str) -> Result<Vec<HistoryEntry>> {
        self.engine.image_history(name).await
    }

    pub async fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<()> {
        self.rules.change(
            Change::Write,
            format_args!("tag image {name} as {repo}:{tag}"),
        )?;
        self.engine.tag_image(name, repo, tag).await
    }

    pub async fn remove_image(
        &self,
        name: &str,
        force: bool,
        no_prune: bool,
    ) -> Result<ImageRemoved> {
        self.rules
            .change(Change::Destroy, format_args!("remove image {name}"))?;
        self.engine.remove_image(name, force, no_prune).await
    }

    pub async fn prune_images(&self, filters: Filters) -> Result<Pruned> {
        self.rules.change(Change::Destroy, "prune images")?;
        self.engine.prune_images(filters).await
    }

    /// Write the images to `host_path`, a file under an allowed root. The tar is written
    /// beside it and renamed into place at the end, so a failed or cancelled save never
    /// leaves half a tar, nor destroys the file it replaces. Returns the bytes written.
    pub async fn save_images(
        &self,
        images: Vec<String>,
        host_path: &str,
        overwrite: bool,
    ) -> Result<u64> {
        use tokio::io::AsyncWriteExt;
        self.rules.change(
            Change::replacing(overwrite),
            format_args!("save images to {host_path}"),
        )?;
        if images.is_empty() {
            return Err(DockerError::invalid("name at least one image to save"));
        }
        // Every step goes through the directory's handle, opened beneath its root, so a
        // directory on the path swapped for a symlink meanwhile changes nothing.
        let (dir, name) = self.rules.roots.parent_dir(host_path)?;
        match dir.symlink_metadata(&name) {
            Ok(m) if m.is_dir() => {
                return Err(DockerError::invalid(format!(
                    "`{host_path}` is a directory; give a file name like images.tar"
                )));
            }
            Ok(_) if !overwrite => {
                return Err(DockerError::new(
                    ErrorKind::Conflict,
                    format!("`{host_path}` exists; set overwrite to replace it"),
                ));
            }
            _ => {}
        }
        let (temp, file) = Beside::new(&dir, &name)
            .map_err(|e| io_error("cannot create a file beside the destination", e))?;
        let mut file = tokio::fs::File::from_std(file);
        let mut tar = self.engine.export_images(images).await?;
        let mut written = 0u64;
        while let Some(chunk) = futures::StreamExt::next(&mut tar).await {
            let chunk = chunk?;
            file.write_all(&chunk)
                .await
                .map_err(|e| io_error("cannot write the tar", e))?;
            written += chunk.len() as u64;
        }
        file.sync_all()
            .await
            .map_err(|e| io_error("cannot write the tar", e))?;
        temp.persist(overwrite).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => DockerError::new(
                ErrorKind::Conflict,
                format!("`{host_path}` exists; set overwrite to replace it"),
            ),
            _ => io_error("cannot move the tar into place", e),
        })?;
        Ok(written)
    }

    /// Load the images of `host_path`, a tar file under an allowed root.
    pub async fn load_images(&self, host_path: &str) -> Result<Vec<String>> {
        self.rules
            .change(Change::Write, format_args!("load images from {host_path}"))?;
        let file = tokio::fs::File::from_std(self.rules.roots.open_file(host_path)?);
        let tar = futures::StreamExt::map(tokio_util::io::ReaderStream::new(file), |chunk| {
            chunk.map_err(|e| io_error("cannot read the tar", e))
        });
        self.engine.import_images(Box::pin(tar)).await
    }

    // registry

    /// Pull with the login the host holds for the reference's registry.
    pub async fn pull_image(
        &self,
        reference: &str,
        platform: Option<String>,
    ) -> Result<Stream<JobEvent>> {
        self.rules
            .change(Change::Write, format_args!("pull image {reference}"))?;
        split_reference(reference)?;
        let credentials = self.rules.credentials.for_reference(reference).await?;
        self.engine
            .pull_image(reference, platform, credentials)
            .await
    }

    pub async fn push_image(&self, reference: &str) -> Result<Stream<JobEvent>> {
        self.rules
            .change(Change::Write, format_args!("push image {reference}"))?;
        split_reference(reference)?;
        if reference.contains('@') {
            return Err(DockerError::invalid(
                "push takes name:tag; a digest names what a registry already has",
            ));
        }
        let credentials = self.rules.credentials.for_reference(reference).await?;
        self.engine.push_image(reference, credentials).await
    }

    // images-build

    /// A build runs the Dockerfile's commands in containers: a change. Its context comes
    /// from under an allowed root, packed here with its `.dockerignore` applied.
    pub async fn build_image(&self, request: BuildRequest) -> Result<Stream<JobEvent>> {
        self.rules.change(Change::Write, "build an image")?;
        let dir = match request.context_dir.as_deref() {
            // Opened by handle now, walked by handle: see `super::tree`.
            Some(d) => match self.rules.roots.open_tree(d)? {
                (super::tree::Node::Dir(dir), _) => Some(dir),
                _ => {
                    return Err(DockerError::invalid(format!(
                        "build context `{d}` is not a directory"
                    )));
                }
            },
            None => None,
        };
        for t in &request.options.tags {
            split_reference(t)?;
            if t.contains('@') {
                return Err(DockerError::invalid(format!(
                    "tag `{t}` must be name[:tag], not a digest"
                )));
            }
        }
        let BuildRequest {
            dockerfile,
            dockerfile_path,
            files,
            options,
            ..
        } = request;
        let packed = tokio::task::spawn_blocking(move || {
            super::build_context::pack(&super::build_context::Spec {
                dir: dir.as_ref(),
                dockerfile: dockerfile.as_deref(),
                dockerfile_path: dockerfile_path.as_deref(),
                files: &files,
            })
        })
        .await
        .map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))??;
        let sending = JobEvent::Message(format!(
            "Sending build context: {} entries, {} bytes",
            packed.entries, packed.bytes
        ));
        let context = BuildContext {
            tar: packed.tar,
            dockerfile: packed.dockerfile,
        };
        let built = self.engine.build_image(context, options).await?;
        Ok(Box::pin(futures::StreamExt::chain(
            futures::stream::iter([Ok(sending)]),
            built,
        )))
    }

    // system

    pub async fn info(&self) -> Result<Json> {
        self.engine.info().await
    }

    pub async fn version(&self) -> Result<Json> {
        self.engine.version().await
    }

    pub async fn disk_usage(&self) -> Result<Json> {
        self.engine.disk_usage().await
    }

    pub async fn events(&self, since: i64, until: i64, filters: Filters) -> Result<Stream<Event>> {
        if until < since {
            return Err(DockerError::invalid("the window ends before it starts"));
        }
        self.engine.events(since, until, filters).await
    }

    // swarm-read

    /// The node's place in a swarm and, on a manager, the cluster, without its join tokens:
    /// they admit machines to the cluster, and only `join_token` hands one out.
    pub async fn swarm_status(&self) -> Result<Json> {
        let swarm = self.engine.swarm_info().await?;
        let mut status = serde_json::json!({ "Swarm": swarm });
        if swarm["ControlAvailable"].as_bool() == Some(true) {
            let mut cluster = self.engine.inspect_swarm().await?;
            if let Some(c) = cluster.as_object_mut() {
                c.remove("JoinTokens");
            }
            status["Cluster"] = cluster;
        }
        Ok(status)
    }

    pub async fn list_nodes(&self, filters: Filters) -> Result<Json> {
        self.engine.list_nodes(filters).await
    }

    pub async fn inspect_node(&self, id: &str) -> Result<Json> {
        self.engine.inspect_node(id).await
    }

    pub async fn list_services(&self, filters: Filters) -> Result<Json> {
        self.engine.list_services(self.rules.scoped(filters)).await
    }

    pub async fn inspect_service(&self, id: &str) -> Result<Json> {
        let id = self.visible(Kind::Service, id).await?;
        self.engine.inspect_service(&id).await
    }

    /// Tasks carry no labels of their own: in a scope, they are listed by service, and
    /// every service named must be in scope.
    pub async fn list_tasks(&self, filters: Filters) -> Result<Json> {
        if self.rules.scope.is_some() {
            let services = filters
                .get("service")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    DockerError::denied(
                        "with a scope label set, tasks are listed by service: give a \
                         `service` filter",
                    )
                })?;
            for service in services {
                self.visible(Kind::Service, service).await?;
            }
        }
        self.engine.list_tasks(filters).await
    }

    /// A task is in scope when its service is.
    pub async fn task_logs(&self, task: &str, options: TaskLogOptions) -> Result<Stream<LogChunk>> {
        // Looked up first in any case: an unknown task fails now, not at the first read.
        let info = self.engine.inspect_task(task).await?;
        if self.rules.scope.is_some() {
            let service = info["ServiceID"].as_str().unwrap_or_default();
            self.visible(Kind::Service, service).await?;
        }
        let id = info["ID"].as_str().unwrap_or(task).to_owned();
        self.engine.task_logs(&id, options).await
    }

    pub async fn list_secrets(&self, filters: Filters) -> Result<Json> {
        self.engine.list_secrets(self.rules.scoped(filters)).await
    }

    pub async fn inspect_secret(&self, id: &str) -> Result<Json> {
        let id = self.visible(Kind::Secret, id).await?;
        self.engine.inspect_secret(&id).await
    }

    pub async fn list_configs(&self, filters: Filters) -> Result<Json> {
        self.engine.list_configs(self.rules.scoped(filters)).await
    }

    pub async fn inspect_config(&self, id: &str) -> Result<Json> {
        let id = self.visible(Kind::Config, id).await?;
        self.engine.inspect_config(&id).await
    }

    // swarm-write

    /// The refusals of any change, then the scope's for a change to the swarm as a whole.
    fn whole_swarm(&self, change: Change, what: &str) -> Result<()> {
        self.rules.change(change, what)?;
        match self.rules.scope {
            Some(_) => Err(DockerError::denied(format!(
                "wharf is limited to a scope label, and to {what} would change the whole swarm"
            ))),
            None => Ok(()),
        }
    }

    pub async fn init_swarm(&self, request: SwarmInitRequest) -> Result<String> {
        self.whole_swarm(Change::Write, "create a swarm")?;
        self.engine.init_swarm(request).await
    }

    pub async fn leave_swarm(&self, force: bool) -> Result<()> {
        self.whole_swarm(Change::Destroy, "leave the swarm")?;
        self.engine.leave_swarm(force).await
    }

    /// The token a machine joins with; it admits machines to the cluster, so it is a
    /// change to the whole swarm.
    /// A manager's token makes its holder a manager of the cluster, outside all policy:
    /// handed out only when `[allow]` says so.
    pub async fn join_token(&self, manager: bool) -> Result<String> {
        self.whole_swarm(Change::Write, "hand out a join token")?;
        if manager && !self.rules.allow.manager_join_tokens {
            return Err(DockerError::denied(super::create::refused(
                "the manager join token (whoever holds it joins a machine as a manager of the \
                 whole swarm)",
                "manager_join_tokens = true",
            )));
        }
        let swarm = self.engine.inspect_swarm().await?;
        let role = if manager { "Manager" } else { "Worker" };
        swarm["JoinTokens"][role]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| DockerError::invalid("the swarm has no join token for that role"))
    }

    pub async fn update_node(&self, id: &str, version: u64, spec: NodeSpec) -> Result<()> {
        // Draining or demoting a node stops what runs on it.
        self.whole_swarm(Change::Destroy, "change a node")?;
        self.engine.update_node(id, version, spec).await
    }

    /// A service spec as it will be sent: labelled, checked against the create policy, its
    /// networks, volumes, secrets and configs in scope.
    /// The caller holds [`binds::CREATING`] while it makes the change, if the spec binds
    /// host paths.
    ///
    /// An update sends the whole spec back (a scale, say), so a setting the service
    /// already has (`current`) is kept, not refused as if it were asked for now.
    async fn service_spec(
        &self,
        mut spec: ServiceSpec,
        current: Option<&ServiceSpec>,
    ) -> Result<ServiceSpec> {
        self.rules.label(&mut spec.labels);
        let socket = self.engine.socket_path();
        let check = |s: &ServiceSpec| {
            super::check_service(s, self.rules.allow, self.rules.roots, socket.as_deref())
        };
        if let Err(e) = check(&spec)
            && current.map(check) != Some(Err(e.clone()))
        {
            return Err(DockerError::denied(e));
        }
        self.service_host_network(&spec).await?;
        self.service_references(&mut spec).await?;
        self.nesting(&binds::of_service(&spec), "this service")
            .await?;
        Ok(spec)
    }

    /// The engine takes a network's id (or a prefix of it) as well as its name: the host
    /// network is refused by what the engine finds.
    async fn service_host_network(&self, spec: &ServiceSpec) -> Result<()> {
        if self.rules.allow.host_namespaces {
            return Ok(());
        }
        let targets = spec
            .task_template
            .iter()
            .flat_map(|t| t.networks.iter().flatten())
            .chain(spec.networks.iter().flatten())
            .filter_map(|n| n.target.as_deref());
        for target in targets {
            // An unknown network is the engine's to refuse when the service is created.
            if let Ok(n) = self.engine.inspect_network(target).await
                && (n["Name"] == "host" || n["Driver"] == "host")
            {
                return Err(DockerError::denied(
                    "the host network namespace is refused; to allow it, set host_namespaces = \
                     true in [allow] of wharf.toml",
                ));
            }
        }
        Ok(())
    }

    /// The networks, secrets and configs a service uses must be in scope. A named volume
    /// that exists must be too; one the swarm will make on a node gets the scope label.
    async fn service_references(&self, spec: &mut ServiceSpec) -> Result<()> {
        let Some(scope) = self.rules.scope else {
            return Ok(());
        };
        let networks: Vec<String> = spec
            .task_template
            .iter()
            .flat_map(|t| t.networks.iter().flatten())
            .chain(spec.networks.iter().flatten())
            .filter_map(|n| n.target.clone())
            .collect();
        for network in &networks {
            self.visible(Kind::Network, network).await?;
        }
        let Some(container) = spec
            .task_template
            .as_mut()
            .and_then(|t| t.container_spec.as_mut())
        else {
            return Ok(());
        };
        for mount in container.mounts.iter_mut().flatten() {
            let (Some(bollard_stubs::models::MountType::VOLUME), Some(source)) =
                (mount.typ, &mount.source)
            else {
                continue;
            };
            if source.is_empty() {
                continue;
            }
            match self.visible(Kind::Volume, source).await {
                Err(e) if e.kind == ErrorKind::NotFound => {
                    let (k, v) = scope.label();
                    mount
                        .volume_options
                        .get_or_insert_default()
                        .labels
                        .get_or_insert_default()
                        .insert(k, v);
                }
                other => drop(other?),
            }
        }
        for secret in container.secrets.iter().flatten() {
            if let Some(id) = secret
                .secret_id
                .as_deref()
                .or(secret.secret_name.as_deref())
            {
                self.visible(Kind::Secret, id).await?;
            }
        }
        for config in container.configs.iter().flatten() {
            if let Some(id) = config
                .config_id
                .as_deref()
                .or(config.config_name.as_deref())
            {
                self.visible(Kind::Config, id).await?;
            }
        }
        Ok(())
    }

    /// The login the host holds for the service's image, so every node can pull it.
    async fn image_login(&self, spec: &ServiceSpec) -> Result<Option<crate::engine::Credentials>> {
        let image = spec
            .task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.as_deref());
        match image {
            Some(image) => self.rules.credentials.for_reference(image).await,
            None => Ok(None),
        }
    }

    pub async fn create_service(&self, spec: ServiceSpec) -> Result<ServiceCreated> {
        self.rules.change(Change::Write, "create a service")?;
        let _turn = binds::turn(!binds::of_service(&spec).is_empty()).await;
        let spec = self.service_spec(spec, None).await?;
        let login = self.image_login(&spec).await?;
        let created = self.engine.create_service(spec, login).await?;
        self.rules.changes.created(Kind::Service, &created.id);
        Ok(created)
    }

    pub async fn update_service(
        &self,
        id: &str,
        version: u64,
        spec: ServiceSpec,
        rollback: bool,
    ) -> Result<Vec<String>> {
        let id = self
            .target(Change::Write, "update", Kind::Service, id)
            .await?;
        let current = self.engine.inspect_service(&id).await?;
        let unreadable = |what: &str, e: serde_json::Error| {
            DockerError::new(ErrorKind::Engine, format!("the service's {what}: {e}"))
        };
        let kept: Option<ServiceSpec> = match &current["Spec"] {
            Json::Null => None,
            s => Some(serde_json::from_value(s.clone()).map_err(|e| unreadable("spec", e))?),
        };
        // A rollback brings back the previous spec, whatever spec is sent: that is the
        // one checked, as if it were asked for now.
        let previous: Option<ServiceSpec> = match (rollback, &current["PreviousSpec"]) {
            (true, Json::Null) | (false, _) => None,
            (true, p) => Some(
                serde_json::from_value(p.clone()).map_err(|e| unreadable("previous spec", e))?,
            ),
        };
        let restored = previous.as_ref().map(binds::of_service).unwrap_or_default();
        let _turn = binds::turn(!binds::of_service(&spec).is_empty() || !restored.is_empty()).await;
        if let Some(previous) = previous {
            self.service_spec(previous, None).await?;
        }
        let mut spec = self.service_spec(spec, kept.as_ref()).await?;
        // A service wharf did not make is not marked as if it had.
        if current["Spec"]["Labels"][PROVENANCE.0] != PROVENANCE.1
            && let Some(labels) = spec.labels.as_mut()
        {
            labels.remove(PROVENANCE.0);
        }
        let login = self.image_login(&spec).await?;
        self.engine
            .update_service(&id, version, spec, rollback, login)
            .await
    }

    pub async fn remove_service(&self, id: &str) -> Result<()> {
        let id = self
            .target(Change::Destroy, "remove", Kind::Service, id)
            .await?;
        self.engine.remove_service(&id).await
    }

    /// A secret's value: given, or read from a host file under the allowed roots.
    pub async fn create_secret(
        &self,
        name: String,
        data: ObjectData,
        labels: Vec<(String, String)>,
    ) -> Result<String> {
        self.rules
            .change(Change::Write, format_args!("create secret {name}"))?;
        let spec = SecretSpec {
            name: Some(name),
            labels: Some(self.created_labels(labels)),
            data: Some(self.object_data(data)?),
            ..Default::default()
        };
        let id = self.engine.create_secret(spec).await?;
        self.rules.changes.created(Kind::Secret, &id);
        Ok(id)
    }

    pub async fn remove_secret(&self, id: &str) -> Result<()> {
        let id = self
            .target(Change::Destroy, "remove", Kind::Secret, id)
            .await?;
        self.engine.remove_secret(&id).await
    }

    pub async fn create_config(
        &self,
        name: String,
        data: ObjectData,
        labels: Vec<(String, String)>,
    ) -> Result<String> {
        self.rules
            .change(Change::Write, format_args!("create config {name}"))?;
        let spec = ConfigSpec {
            name: Some(name),
            labels: Some(self.created_labels(labels)),
            data: Some(self.object_data(data)?),
            ..Default::default()
        };
        let id = self.engine.create_config(spec).await?;
        self.rules.changes.created(Kind::Config, &id);
        Ok(id)
    }

    pub async fn remove_config(&self, id: &str) -> Result<()> {
        let id = self
            .target(Change::Destroy, "remove", Kind::Config, id)
            .await?;
        self.engine.remove_config(&id).await
    }

    fn created_labels(&self, labels: Vec<(String, String)>) -> HashMap<String, String> {
        let mut labels = Some(labels.into_iter().collect());
        self.rules.label(&mut labels);
        labels.unwrap_or_default()
    }

    /// The value as the engine takes it (base64).
    fn object_data(&self, data: ObjectData) -> Result<String> {
        use base64::Engine as _;
        let bytes = match data {
            ObjectData::Value(v) => v,
            ObjectData::HostFile(path) => read_small_file(self.rules.roots, &path)?,
        };
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    // containers-write

    /// Refuse what would hand the container the host ([`super::check_create`]) or reach
    /// outside the scope; label it.
    pub async fn create_container(
        &self,
        name: Option<String>,
        mut body: ContainerCreateBody,
    ) -> Result<Created> {
        let request = super::changes::cut(format!(
            "create container {}",
            name.as_deref().unwrap_or("(unnamed)")
        ));
        self.rules.admit(Change::Write, &request)?;
        self.rules.label(&mut body.labels);
        let wanted = binds::of_body(&body);
        // Held until the container exists, so a create that would nest with it waits.
        let _turn = binds::turn(!wanted.is_empty()).await;
        let checks = async {
            let socket = self.engine.socket_path();
            super::check_create(&body, self.rules.allow, self.rules.roots, socket.as_deref())
                .map_err(DockerError::denied)?;
            self.rules.joined_namespaces(self.engine, &body).await?;
            self.rules.create_references(self.engine, &body).await?;
            self.nesting(&wanted, "this container").await
        };
        self.rules.checked(&request, checks.await)?;
        let created = self.engine.create_container(name, body).await?;
        // By id only: a name can be given to another container later in the call.
        self.rules.changes.created(Kind::Container, &created.id);
        Ok(created)
    }

    pub async fn start_container(&self, id: &str) -> Result<()> {
        let id = self.to_start("start", id).await?;
        self.engine.start_container(&id).await
    }

    /// The id of a container to start or restart. Docker mounts each bind's source again,
    /// following symlinks, so what the create check saw is checked again (see
    /// [`super::binds`]).
    async fn to_start(&self, verb: &str, reference: &str) -> Result<String> {
        let request = super::changes::cut(format!("{verb} container {reference}"));
        self.rules.admit(Change::Write, &request)?;
        let checks = async {
            let (id, own, others) = self.mounts_of(reference).await?;
            let refused = |e: String| {
                DockerError::denied(format!("cannot {verb} container `{reference}`: {e}"))
            };
            self.still_inside(&own).map_err(refused)?;
            let wanted: Vec<binds::Wanted> = own
                .iter()
                .filter(|m| m.kind == MountKind::Bind)
                .map(|m| binds::Wanted {
                    source: m.source.clone(),
                    writable: m.writable,
                })
                .collect();
            if !wanted.is_empty() && !self.rules.allow.nested_binds {
                let mut others = others;
                others.extend(self.engine.service_mounts().await?);
                binds::check_nesting(
                    &wanted,
                    &others,
                    "this container",
                    &|h| self.shown(h),
                    self.rules.allow,
                )
                .map_err(refused)?;
            }
            Ok(id)
        };
        self.rules.checked(&request, checks.await)
    }

    /// The full id of container `reference`, its mounts, and every other container's.
    async fn mounts_of(&self, reference: &str) -> Result<(String, Vec<HostMount>, Vec<HostMount>)> {
        let id = match self.rules.scope {
            Some(_) => self.visible(Kind::Container, reference).await?,
            None => self.engine.lookup(Kind::Container, reference).await?.id,
        };
        let (own, others) = self
            .engine
            .container_mounts()
            .await?
            .into_iter()
            .partition(|m| m.holder.id == id);
        Ok((id, own, others))
    }

    /// [`binds::still_inside`] for each of a container's mounts.
    fn still_inside(&self, own: &[HostMount]) -> std::result::Result<(), String> {
        let socket = self.engine.socket_path();
        own.iter()
            .try_for_each(|m| binds::still_inside(m, self.rules.roots, socket.as_deref()))
    }

    /// The id of the container a copy works on, and its host path (checked by `host_path`).
    /// A copy mounts the container's binds afresh in the daemon, following symlinks, running
    /// or not: each must still lead inside the roots.
    async fn copy_target<T>(
        &self,
        change: Change,
        verb: &str,
        reference: &str,
        host_path: impl FnOnce() -> Result<T>,
    ) -> Result<(String, T)> {
        // What a copy may destroy is on the host, so a container this call made changes
        // nothing about that.
        let request = super::changes::cut(format!("{verb} container {reference}"));
        self.rules.admit(change, &request)?;
        let checks = async {
            // The host path first: it needs no engine.
            let path = host_path()?;
            let (id, own, _) = self.mounts_of(reference).await?;
            self.still_inside(&own).map_err(|e| {
                DockerError::denied(format!("cannot {verb} container `{reference}`: {e}"))
            })?;
            Ok((id, path))
        };
        self.rules.checked(&request, checks.await)
    }

    /// [`binds::check_nesting`] of what a new container or service binds against every
    /// other mount on the engine. A service's own tasks count as others: until they stop
    /// they write what they bind.
    async fn nesting(&self, wanted: &[binds::Wanted], this: &str) -> Result<()> {
        if wanted.is_empty() || self.rules.allow.nested_binds {
            return Ok(());
        }
        let mut others = self.engine.container_mounts().await?;
        others.extend(self.engine.service_mounts().await?);
        binds::check_nesting(wanted, &others, this, &|h| self.shown(h), self.rules.allow)
            .map_err(DockerError::denied)
    }

    /// Whether a refusal may name `holder`: not when it is outside the scope.
    fn shown(&self, holder: &Holder) -> bool {
        self.shown_labels(&holder.labels)
    }

    fn shown_labels(&self, labels: &HashMap<String, String>) -> bool {
        self.rules.scope.is_none_or(|s| s.matches(labels))
    }

    pub async fn stop_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()> {
        // The engine removes a container started with auto-remove once it stops. One
        // outside the scope is left for the scope check to refuse, saying no more.
        let removes = self
            .engine
            .lookup(Kind::Container, id)
            .await
            .is_ok_and(|found| found.auto_remove && self.shown_labels(&found.labels));
        let (change, verb) = match removes {
            true => (Change::Destroy, "stop (and so remove)"),
            false => (Change::Write, "stop"),
        };
        let id = self.target(change, verb, Kind::Container, id).await?;
        self.engine.stop_container(&id, timeout_secs).await
    }

    pub async fn restart_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()> {
        let id = self.to_start("restart", id).await?;
        self.engine.restart_container(&id, timeout_secs).await
    }

    pub async fn kill_container(&self, id: &str, signal: Option<String>) -> Result<()> {
        let id = self
            .target(Change::Destroy, "kill", Kind::Container, id)
            .await?;
        self.engine.kill_container(&id, signal).await
    }

    pub async fn pause_container(&self, id: &str) -> Result<()> {
        let id = self
            .target(Change::Write, "pause", Kind::Container, id)
            .await?;
        self.engine.pause_container(&id).await
    }

    pub async fn unpause_container(&self, id: &str) -> Result<()> {
        let id = self
            .target(Change::Write, "unpause", Kind::Container, id)
            .await?;
        self.engine.unpause_container(&id).await
    }

    pub async fn remove_container(&self, id: &str, force: bool, volumes: bool) -> Result<()> {
        let id = self
            .target(Change::Destroy, "remove", Kind::Container, id)
            .await?;
        self.engine.remove_container(&id, force, volumes).await
    }

    pub async fn rename_container(&self, id: &str, new_name: &str) -> Result<()> {
        let id = self
            .target(Change::Write, "rename", Kind::Container, id)
            .await?;
        self.engine.rename_container(&id, new_name).await
    }

    // networks

    pub async fn list_networks(&self, filters: Filters) -> Result<Vec<NetworkSummary>> {
        self.engine.list_networks(self.rules.scoped(filters)).await
    }

    pub async fn inspect_network(&self, id: &str) -> Result<Json> {
        let id = self.visible(Kind::Network, id).await?;
        self.engine.inspect_network(&id).await
    }

    pub async fn create_network(&self, mut spec: NetworkCreateRequest) -> Result<String> {
        let request = super::changes::cut(format!("create network {}", spec.name));
        self.rules.admit(Change::Write, &request)?;
        let fields =
            super::fields::network_fields(&spec, self.rules.allow).map_err(DockerError::denied);
        self.rules.checked(&request, fields)?;
        self.rules.label(&mut spec.labels);
        let id = self.engine.create_network(spec).await?;
        self.rules.changes.created(Kind::Network, &id);
        Ok(id)
    }

    pub async fn remove_network(&self, id: &str) -> Result<()> {
        let id = self
            .target(Change::Destroy, "remove", Kind::Network, id)
            .await?;
        self.engine.remove_network(&id).await
    }

    /// Both ends of a (dis)connection must be in scope.
    async fn attachment(&self, network: &str, container: &str) -> Result<(String, String)> {
        self.rules.change(
            Change::Write,
            format_args!("connect or disconnect container {container} and network {network}"),
        )?;
        let network = self.visible(Kind::Network, network).await?;
        let container = self.visible(Kind::Container, container).await?;
        Ok((network, container))
    }

    pub async fn connect_network(
        &self,
        network: &str,
        container: &str,
        endpoint: EndpointSettings,
    ) -> Result<()> {
        let (network, container) = self.attachment(network, container).await?;
        self.engine
            .connect_network(&network, &container, endpoint)
            .await
    }

    pub async fn disconnect_network(
        &self,
        network: &str,
        container: &str,
        force: bool,
    ) -> Result<()> {
        let (network, container) = self.attachment(network, container).await?;
        self.engine
            .disconnect_network(&network, &container, force)
            .await
    }

    pub async fn prune_networks(&self, filters: Filters) -> Result<Vec<String>> {
        self.rules.change(Change::Destroy, "prune networks")?;
        self.engine.prune_networks(self.rules.scoped(filters)).await
    }

    // volumes

    pub async fn list_volumes(&self, filters: Filters) -> Result<Vec<VolumeSummary>> {
        self.engine.list_volumes(self.rules.scoped(filters)).await
    }

    pub async fn inspect_volume(&self, name: &str) -> Result<Json> {
        let name = self.visible(Kind::Volume, name).await?;
        self.engine.inspect_volume(&name).await
    }

    pub async fn create_volume(&self, mut spec: VolumeCreateRequest) -> Result<Json> {
        self.rules.change(
            Change::Write,
            format_args!(
                "create volume {}",
                spec.name.as_deref().unwrap_or("(unnamed)")
            ),
        )?;
        // The local driver's `device` option mounts any host path as the volume.
        if spec
            .driver_opts
            .as_ref()
            .is_some_and(|o| o.contains_key("device"))
        {
            return Err(DockerError::denied(
                "volume driver option `device` is refused: it binds a host path",
            ));
        }
        self.rules.label(&mut spec.labels);
        let created = self.engine.create_volume(spec).await?;
        // A volume's name is its id.
        if let Some(name) = created["Name"].as_str() {
            self.rules.changes.created(Kind::Volume, name);
        }
        Ok(created)
    }

    pub async fn remove_volume(&self, name: &str, force: bool) -> Result<()> {
        let name = self
            .target(Change::Destroy, "remove", Kind::Volume, name)
            .await?;
        self.engine.remove_volume(&name, force).await
    }

    pub async fn prune_volumes(&self, filters: Filters) -> Result<Pruned> {
        self.rules.change(Change::Destroy, "prune volumes")?;
        self.engine.prune_volumes(self.rules.scoped(filters)).await
    }
}

#[cfg(test)]
mod tests;

//! `swarm-write`: the capability interface, on bollard. Service specs are checked as they
//! will be sent, with the same create policy as containers; what wharf creates carries the
//! provenance (and scope) label. The swarm itself and its nodes are engine-wide, so a
//! scoped wharf leaves them alone.

use super::host::{DockerHost, WitResult, wit};
use super::scope::check_scope;
use super::{DockerError, Engine};
use crate::engine::Kind;
use crate::policy::{PROVENANCE, Scope};
use crate::runtime::bindings::wharf::docker::swarm_write as w;
use base64::Engine as _;
use bollard::models::{ConfigSpec, NodeSpec, SecretSpec, ServiceSpec, SwarmInitRequest};
use bollard::query_parameters as q;
use std::collections::HashMap;
use std::io::Read;

/// Secrets and configs are small (the engine refuses values over 500 KB and 1000 KB);
/// a larger file is refused before it is read whole.
const MAX_OBJECT_DATA: u64 = 1 << 20;

struct NewObject {
    name: String,
    labels: HashMap<String, String>,
    data: String,
}

fn scope_refusal(what: &str) -> DockerError {
    DockerError::denied(format!(
        "wharf is limited to a scope label, and {what} would change the whole swarm"
    ))
}

impl DockerHost<'_> {
    /// The read-only refusal, then the scope's for a change to the swarm as a whole.
    fn swarm_guard(&self, what: &str) -> Result<(), DockerError> {
        super::refuse_if_read_only(self.read_only)?;
        match self.scope {
            Some(_) => Err(scope_refusal(what)),
            None => Ok(()),
        }
    }

    /// `labels` plus the provenance label and, if a scope is set, the scope's.
    fn created_labels(&self, labels: Vec<(String, String)>) -> HashMap<String, String> {
        let mut labels: HashMap<String, String> = labels.into_iter().collect();
        crate::policy::guard::label(self.scope, &mut labels);
        labels
    }

    /// What a new secret or config is made of: its name, its labels with wharf's added,
    /// and its value (base64), after the read-only refusal.
    fn new_object(
        &self,
        name: String,
        data: w::ObjectData,
        labels: Vec<(String, String)>,
    ) -> Result<NewObject, DockerError> {
        super::refuse_if_read_only(self.read_only)?;
        Ok(NewObject {
            data: self.object_data(data)?,
            labels: self.created_labels(labels),
            name,
        })
    }

    /// A secret's or config's value, read from a host file under the allowed roots if it
    /// names one.
    fn object_data(&self, data: w::ObjectData) -> Result<String, DockerError> {
        let bytes = match data {
            w::ObjectData::Value(v) => v,
            w::ObjectData::HostFile(path) => {
                let real = self.roots.existing(&path)?;
                let unreadable =
                    |e: std::io::Error| DockerError::invalid(format!("cannot read `{path}`: {e}"));
                // Opened without blocking and checked to be a regular file before it is
                // read: opening a FIFO would block this thread for good.
                let file = open_nonblocking(&real).map_err(unreadable)?;
                if !file.metadata().map_err(unreadable)?.is_file() {
                    return Err(DockerError::invalid(format!(
                        "`{path}` is not a regular file"
                    )));
                }
                let mut bytes = Vec::new();
                file.take(MAX_OBJECT_DATA + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| DockerError::invalid(format!("cannot read `{path}`: {e}")))?;
                if bytes.len() as u64 > MAX_OBJECT_DATA {
                    return Err(DockerError::invalid(format!(
                        "`{path}` is larger than {} KiB, more than a swarm keeps",
                        MAX_OBJECT_DATA >> 10
                    )));
                }
                bytes
            }
        };
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

fn open_nonblocking(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// A service spec as it will be sent: parsed, given the scope label, and checked against
/// the create policy and the scope.
async fn service_spec(
    engine: &Engine,
    scope: Option<&Scope>,
    allow: &crate::policy::CreateAllowances,
    roots: &crate::policy::AllowedRoots,
    spec: &str,
) -> Result<ServiceSpec, DockerError> {
    let mut spec: ServiceSpec = serde_json::from_str(spec).map_err(|e| {
        DockerError::invalid(format!(
            "the service spec is not a Docker service spec: {e}"
        ))
    })?;
    if let Some(scope) = scope {
        let (k, v) = scope.label();
        spec.labels.get_or_insert_default().insert(k, v);
    }
    crate::policy::check_service(&spec, allow, roots, engine.socket_path().as_deref())
        .map_err(DockerError::denied)?;
    check_host_network(engine, allow, &spec).await?;
    check_service_references(engine, scope, &mut spec).await?;
    Ok(spec)
}

/// The engine takes a network's id (or a prefix of it) as well as its name: what a target
/// names is the engine's to say, so the host network is refused by what the engine finds.
async fn check_host_network(
    engine: &Engine,
    allow: &crate::policy::CreateAllowances,
    spec: &ServiceSpec,
) -> Result<(), DockerError> {
    if allow.host_namespaces {
        return Ok(());
    }
    let targets = spec
        .task_template
        .iter()
        .flat_map(|t| t.networks.iter().flatten())
        .chain(spec.networks.iter().flatten())
        .filter_map(|n| n.target.clone());
    for target in targets {
        let found = engine
            .request(|d| async move {
                d.inspect_network(&target, None::<q::InspectNetworkOptions>)
                    .await
            })
            .await;
        // An unknown network is the engine's to refuse when the service is created.
        if let Ok(n) = found
            && (n.name.as_deref() == Some("host") || n.driver.as_deref() == Some("host"))
        {
            return Err(DockerError::denied(
                "the host network namespace is refused; to allow it, set host_namespaces = \
                 true in [allow] of wharf.toml",
            ));
        }
    }
    Ok(())
}

/// The networks, secrets and configs a service uses must be in scope too.
async fn check_service_references(
    engine: &Engine,
    scope: Option<&Scope>,
    spec: &mut ServiceSpec,
) -> Result<(), DockerError> {
    let Some(scope_label) = scope else {
        return Ok(());
    };
    let Some(task) = &mut spec.task_template else {
        return Ok(());
    };
    for network in task
        .networks
        .iter()
        .flatten()
        .chain(spec.networks.iter().flatten())
        .filter_map(|n| n.target.as_deref())
    {
        check_scope(engine, scope, Kind::Network, network).await?;
    }
    let Some(container) = &mut task.container_spec else {
        return Ok(());
    };
    // A named volume that exists must be in scope; one the swarm will make on a node when a
    // task starts gets the scope label with it.
    for mount in container.mounts.iter_mut().flatten() {
        let (Some(bollard::models::MountType::VOLUME), Some(source)) = (mount.typ, &mount.source)
        else {
            continue;
        };
        if source.is_empty() {
            continue;
        }
        match check_scope(engine, scope, Kind::Volume, source).await {
            Err(e) if e.kind == super::error::ErrorKind::NotFound => {
                let (k, v) = scope_label.label();
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
            check_scope(engine, scope, Kind::Secret, id).await?;
        }
    }
    for config in container.configs.iter().flatten() {
        if let Some(id) = config
            .config_id
            .as_deref()
            .or(config.config_name.as_deref())
        {
            check_scope(engine, scope, Kind::Config, id).await?;
        }
    }
    Ok(())
}

fn image_of(spec: &ServiceSpec) -> Option<&str> {
    spec.task_template
        .as_ref()?
        .container_spec
        .as_ref()?
        .image
        .as_deref()
}

impl w::Host for DockerHost<'_> {
    async fn init(&mut self, spec: String) -> WitResult<String> {
        if let Err(e) = self.swarm_guard("creating a swarm") {
            return Ok(Err(e.into()));
        }
        let engine = self.engine;
        wit(async {
            let body: SwarmInitRequest = serde_json::from_str(&spec).map_err(|e| {
                DockerError::invalid(format!("the init request is not a swarm init body: {e}"))
            })?;
            engine
                .request(|d| async move { d.init_swarm(body).await })
                .await
        })
        .await
    }

    async fn leave(&mut self, force: bool) -> WitResult<()> {
        if let Err(e) = self.swarm_guard("leaving the swarm") {
            return Ok(Err(e.into()));
        }
        let opts = q::LeaveSwarmOptions { force };
        wit(self
            .engine
            .request(|d| async move { d.leave_swarm(Some(opts)).await }))
        .await
    }

    async fn join_token(&mut self, role: w::NodeRole) -> WitResult<String> {
        if let Err(e) = self.swarm_guard("admitting machines to it") {
            return Ok(Err(e.into()));
        }
        let engine = self.engine;
        wit(async {
            let swarm = engine
                .request(|d| async move { d.inspect_swarm().await })
                .await?;
            let tokens = swarm.join_tokens.unwrap_or_default();
            match role {
                w::NodeRole::Worker => tokens.worker,
                w::NodeRole::Manager => tokens.manager,
            }
            .ok_or_else(|| DockerError::invalid("the swarm has no join token for that role"))
        })
        .await
    }

    async fn update_node(&mut self, id: String, version: u64, spec: String) -> WitResult<()> {
        if let Err(e) = self.swarm_guard("changing a node") {
            return Ok(Err(e.into()));
        }
        let engine = self.engine;
        wit(async {
            let spec: NodeSpec = serde_json::from_str(&spec).map_err(|e| {
                DockerError::invalid(format!("the node spec is not a Docker node spec: {e}"))
            })?;
            let opts = q::UpdateNodeOptions {
                version: i64::try_from(version)
                    .map_err(|_| DockerError::invalid("the node version is out of range"))?,
            };
            engine
                .request(|d| async move { d.update_node(&id, spec, opts).await })
                .await
        })
        .await
    }

    async fn create_service(&mut self, spec: String) -> WitResult<w::ServiceCreated> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let spec = match self.labelled(spec) {
            Ok(spec) => spec,
            Err(e) => return Ok(Err(e.into())),
        };
        let (engine, credentials) = (self.engine, self.credentials);
        let (scope, allow, roots) = (self.scope, self.allow, self.roots);
        wit(async {
            let spec = service_spec(engine, scope, allow, roots, &spec).await?;
            let auth = match image_of(&spec) {
                Some(image) => credentials.for_reference(image).await?,
                None => None,
            };
            let created = engine
                .request(|d| async move {
                    d.create_service(spec, super::push_pull::login(auth).0)
                        .await
                })
                .await?;
            Ok(w::ServiceCreated {
                id: created.id.unwrap_or_default(),
                warnings: created.warnings.unwrap_or_default(),
            })
        })
        .await
    }

    async fn update_service(
        &mut self,
        id: String,
        version: u64,
        spec: String,
        rollback: bool,
    ) -> WitResult<Vec<String>> {
        if let Err(e) = self.guard(Kind::Service, &id).await {
            return Ok(Err(e));
        }
        let (engine, credentials) = (self.engine, self.credentials);
        let (scope, allow, roots) = (self.scope, self.allow, self.roots);
        wit(async {
            let mut spec = service_spec(engine, scope, allow, roots, &spec).await?;
            // A service wharf made stays marked so, whatever labels the new spec has.
            let current = super::swarm::inspect_scoped(engine, None, Kind::Service, &id).await?;
            if super::swarm::spec_labels(&current)
                .get(PROVENANCE.0)
                .map(String::as_str)
                == Some(PROVENANCE.1)
            {
                spec.labels
                    .get_or_insert_default()
                    .insert(PROVENANCE.0.into(), PROVENANCE.1.into());
            }
            let auth = match image_of(&spec) {
                Some(image) => credentials.for_reference(image).await?,
                None => None,
            };
            // Sent by hand: the version is a 64-bit raft index.
            let mut path = format!(
                "/services/{}/update?version={version}&registryAuthFrom=spec",
                super::swarm::segment(&id)?
            );
            if rollback {
                path.push_str("&rollback=previous");
            }
            let mut headers = Vec::new();
            if let (Some(login), _) = super::push_pull::login(auth) {
                let json = serde_json::to_string(&login)
                    .map_err(|e| DockerError::invalid(e.to_string()))?;
                headers.push((
                    "X-Registry-Auth",
                    base64::engine::general_purpose::STANDARD.encode(json),
                ));
            }
            let body =
                serde_json::to_vec(&spec).map_err(|e| DockerError::invalid(e.to_string()))?;
            let answer =
                super::raw::post_json(engine, &path, body, &headers, super::REQUEST_TIMEOUT)
                    .await?;
            let updated: bollard::models::ServiceUpdateResponse =
                serde_json::from_slice(&answer).unwrap_or_default();
            Ok(updated.warnings.unwrap_or_default())
        })
        .await
    }

    async fn remove_service(&mut self, id: String) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Service, &id).await {
            return Ok(Err(e));
        }
        wit(self
            .engine
            .request(|d| async move { d.delete_service(&id).await }))
        .await
    }

    async fn create_secret(
        &mut self,
        name: String,
        data: w::ObjectData,
        labels: Vec<(String, String)>,
    ) -> WitResult<String> {
        let spec = match self.new_object(name, data, labels) {
            Ok(o) => SecretSpec {
                name: Some(o.name),
                labels: Some(o.labels),
                data: Some(o.data),
                ..Default::default()
            },
            Err(e) => return Ok(Err(e.into())),
        };
        let engine = self.engine;
        wit(async {
            Ok(engine
                .request(|d| async move { d.create_secret(spec).await })
                .await?
                .id)
        })
        .await
    }

    async fn remove_secret(&mut self, id: String) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Secret, &id).await {
            return Ok(Err(e));
        }
        wit(self
            .engine
            .request(|d| async move { d.delete_secret(&id).await }))
        .await
    }

    async fn create_config(
        &mut self,
        name: String,
        data: w::ObjectData,
        labels: Vec<(String, String)>,
    ) -> WitResult<String> {
        let spec = match self.new_object(name, data, labels) {
            Ok(o) => ConfigSpec {
                name: Some(o.name),
                labels: Some(o.labels),
                data: Some(o.data),
                ..Default::default()
            },
            Err(e) => return Ok(Err(e.into())),
        };
        let engine = self.engine;
        wit(async {
            Ok(engine
                .request(|d| async move { d.create_config(spec).await })
                .await?
                .id)
        })
        .await
    }

    async fn remove_config(&mut self, id: String) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Config, &id).await {
            return Ok(Err(e));
        }
        wit(self
            .engine
            .request(|d| async move { d.delete_config(&id).await }))
        .await
    }
}

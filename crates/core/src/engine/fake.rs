//! A recording engine for the core's own tests: it knows the objects a test gives it and
//! writes down every request that reaches it, so a test can show what the guard let
//! through.

use super::*;
use crate::engine::{
    Archives, BuildContext, BuildOptions, Builds, Bytes, ContainersRead, ContainersWrite,
    Credentials, Exec, Found, HistoryEntry, HostMount, ImageRemoved, ImageSummary, Images,
    JobEvent, Networks, ProcessList, Registry, Swarm, System, Volumes,
};
use crate::engine::{
    ConfigSpec, Event, NodeSpec, SecretSpec, ServiceCreated, ServiceSpec, SwarmInitRequest,
    TaskLogOptions,
};
use async_trait::async_trait;
use std::sync::Mutex;
use std::time::Duration;

/// Objects it knows (kind, reference → id and labels), and the requests that reached it.
#[derive(Default)]
pub(crate) struct Fake {
    name: Option<String>,
    read_only: bool,
    pub(crate) objects: Vec<(Kind, &'static str, Found)>,
    reached: Mutex<Vec<String>>,
    pub(crate) socket: Option<std::path::PathBuf>,
    /// What containers and services mount, for the bind checks. Like lookups, these
    /// reads are not recorded as reaching the engine.
    pub(crate) mounts: Vec<HostMount>,
    /// A service's `PreviousSpec`, what a rollback restores.
    pub(crate) previous_spec: Option<Json>,
    /// A service's `Spec` beyond its labels.
    pub(crate) spec: Option<Json>,
}

impl Fake {
    /// A fake called `name`, refusing writes when `read_only`.
    pub(crate) fn named(name: &str, read_only: bool) -> Self {
        Fake {
            name: Some(name.to_owned()),
            read_only,
            ..Fake::default()
        }
    }

    pub(crate) fn with(
        mut self,
        kind: Kind,
        names: &[&'static str],
        id: &str,
        labels: &[(&str, &str)],
    ) -> Self {
        let found = Found {
            id: id.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            namespaces: Default::default(),
            auto_remove: false,
        };
        for name in names {
            self.objects.push((kind, name, found.clone()));
        }
        self
    }

    pub(crate) fn reach(&self, what: String) {
        self.reached.lock().unwrap().push(what);
    }

    pub(crate) fn reached(&self) -> Vec<String> {
        self.reached.lock().unwrap().clone()
    }
}

#[async_trait]
impl Lookup for Fake {
    async fn lookup(&self, kind: Kind, reference: &str) -> Result<Found> {
        self.objects
            .iter()
            .find(|(k, name, _)| *k == kind && *name == reference)
            .map(|(_, _, found)| found.clone())
            .ok_or_else(|| {
                DockerError::new(ErrorKind::NotFound, format!("No such {kind}: {reference}"))
            })
    }
    async fn container_mounts(&self) -> Result<Vec<HostMount>> {
        Ok(self.of(Kind::Container))
    }
    async fn service_mounts(&self) -> Result<Vec<HostMount>> {
        Ok(self.of(Kind::Service))
    }
}

impl Fake {
    fn of(&self, kind: Kind) -> Vec<HostMount> {
        self.mounts
            .iter()
            .filter(|m| m.holder.kind == kind)
            .cloned()
            .collect()
    }
}

#[async_trait]
impl ContainersWrite for Fake {
    async fn create_container(
        &self,
        name: Option<String>,
        body: ContainerCreateBody,
    ) -> Result<Created> {
        let mut labels: Vec<_> = body.labels.unwrap_or_default().into_iter().collect();
        labels.sort();
        self.reach(format!("create {name:?} {labels:?}"));
        Ok(Created {
            id: "new".into(),
            warnings: Vec::new(),
        })
    }
    async fn start_container(&self, id: &str) -> Result<()> {
        self.reach(format!("start {id}"));
        Ok(())
    }
    async fn stop_container(&self, id: &str, _: Option<u32>) -> Result<()> {
        self.reach(format!("stop {id}"));
        Ok(())
    }
    async fn restart_container(&self, id: &str, _: Option<u32>) -> Result<()> {
        self.reach(format!("restart {id}"));
        Ok(())
    }
    async fn kill_container(&self, id: &str, _: Option<String>) -> Result<()> {
        self.reach(format!("kill {id}"));
        Ok(())
    }
    async fn pause_container(&self, id: &str) -> Result<()> {
        self.reach(format!("pause {id}"));
        Ok(())
    }
    async fn unpause_container(&self, id: &str) -> Result<()> {
        self.reach(format!("unpause {id}"));
        Ok(())
    }
    async fn remove_container(&self, id: &str, _: bool, _: bool) -> Result<()> {
        self.reach(format!("remove {id}"));
        Ok(())
    }
    async fn rename_container(&self, id: &str, new_name: &str) -> Result<()> {
        self.reach(format!("rename {id} {new_name}"));
        Ok(())
    }
}

#[async_trait]
impl Networks for Fake {
    async fn list_networks(&self, filters: Filters) -> Result<Vec<NetworkSummary>> {
        self.reach(format!("list networks {filters:?}"));
        Ok(Vec::new())
    }
    async fn inspect_network(&self, id: &str) -> Result<Json> {
        self.reach(format!("inspect network {id}"));
        Ok(Json::Null)
    }
    async fn create_network(&self, spec: NetworkCreateRequest) -> Result<String> {
        let mut labels: Vec<_> = spec.labels.unwrap_or_default().into_iter().collect();
        labels.sort();
        self.reach(format!("create network {} {labels:?}", spec.name));
        Ok("net".into())
    }
    async fn remove_network(&self, id: &str) -> Result<()> {
        self.reach(format!("remove network {id}"));
        Ok(())
    }
    async fn connect_network(
        &self,
        network: &str,
        container: &str,
        _: EndpointSettings,
    ) -> Result<()> {
        self.reach(format!("connect {network} {container}"));
        Ok(())
    }
    async fn disconnect_network(&self, network: &str, container: &str, _: bool) -> Result<()> {
        self.reach(format!("disconnect {network} {container}"));
        Ok(())
    }
    async fn prune_networks(&self, filters: Filters) -> Result<Vec<String>> {
        self.reach(format!("prune networks {filters:?}"));
        Ok(Vec::new())
    }
}

#[async_trait]
impl Volumes for Fake {
    async fn list_volumes(&self, filters: Filters) -> Result<Vec<VolumeSummary>> {
        self.reach(format!("list volumes {filters:?}"));
        Ok(Vec::new())
    }
    async fn inspect_volume(&self, name: &str) -> Result<Json> {
        self.reach(format!("inspect volume {name}"));
        Ok(Json::Null)
    }
    async fn create_volume(&self, spec: VolumeCreateRequest) -> Result<Json> {
        self.reach(format!("create volume {:?}", spec.name));
        Ok(Json::Null)
    }
    async fn remove_volume(&self, name: &str, _: bool) -> Result<()> {
        self.reach(format!("remove volume {name}"));
        Ok(())
    }
    async fn prune_volumes(&self, filters: Filters) -> Result<Pruned> {
        self.reach(format!("prune volumes {filters:?}"));
        Ok(Pruned::default())
    }
}

#[async_trait]
impl ContainersRead for Fake {
    async fn list_containers(
        &self,
        _: bool,
        _: Option<u32>,
        filters: Filters,
    ) -> Result<Vec<ContainerSummary>> {
        self.reach(format!("list containers {filters:?}"));
        Ok(Vec::new())
    }
    async fn inspect_container(&self, id: &str) -> Result<Json> {
        self.reach(format!("inspect {id}"));
        Ok(Json::Null)
    }
    async fn logs(&self, id: &str, _: LogOptions) -> Result<Stream<LogChunk>> {
        self.reach(format!("logs {id}"));
        Ok(Box::pin(futures::stream::empty()))
    }
    async fn wait_container(&self, id: &str, _: WaitUntil, _: Duration) -> Result<WaitOutcome> {
        self.reach(format!("wait {id}"));
        Ok(WaitOutcome::Exited(0))
    }
    async fn follow_logs(&self, id: &str, _: Option<i64>, _: Duration) -> Result<Stream<LogChunk>> {
        self.reach(format!("follow {id}"));
        Ok(Box::pin(futures::stream::empty()))
    }
    async fn stats(&self, id: &str, _: bool) -> Result<Stream<Json>> {
        self.reach(format!("stats {id}"));
        Ok(Box::pin(futures::stream::empty()))
    }
    async fn top(&self, id: &str, _: Option<String>) -> Result<ProcessList> {
        self.reach(format!("top {id}"));
        Ok(ProcessList {
            titles: Vec::new(),
            processes: Vec::new(),
        })
    }
}

#[async_trait]
impl Exec for Fake {
    async fn exec(&self, container: &str, spec: ExecSpec) -> Result<ExecOutput> {
        self.reach(format!(
            "exec {container} {:?} limit {}",
            spec.cmd, spec.output_limit
        ));
        Ok(ExecOutput {
            exit_code: Some(0),
            stdout: Default::default(),
            stderr: Default::default(),
        })
    }
}

#[async_trait]
impl Archives for Fake {
    async fn put_archive(&self, container: &str, dir: &str, archive: Vec<u8>) -> Result<()> {
        self.reach(format!("put {container} {dir} {} bytes", archive.len()));
        Ok(())
    }
    async fn get_archive(&self, container: &str, path: &str, _: usize) -> Result<Vec<u8>> {
        self.reach(format!("get {container} {path}"));
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "out.txt", &b"hi"[..]).unwrap();
        Ok(b.into_inner().unwrap())
    }
}

#[async_trait]
impl Images for Fake {
    async fn list_images(&self, _: bool, filters: Filters) -> Result<Vec<ImageSummary>> {
        self.reach(format!("list images {filters:?}"));
        Ok(Vec::new())
    }
    async fn inspect_image(&self, name: &str) -> Result<Json> {
        self.reach(format!("inspect image {name}"));
        Ok(Json::Null)
    }
    async fn image_history(&self, name: &str) -> Result<Vec<HistoryEntry>> {
        self.reach(format!("history {name}"));
        Ok(Vec::new())
    }
    async fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<()> {
        self.reach(format!("tag {name} {repo}:{tag}"));
        Ok(())
    }
    async fn remove_image(&self, name: &str, _: bool, _: bool) -> Result<ImageRemoved> {
        self.reach(format!("remove image {name}"));
        Ok(ImageRemoved::default())
    }
    async fn prune_images(&self, filters: Filters) -> Result<Pruned> {
        self.reach(format!("prune images {filters:?}"));
        Ok(Pruned::default())
    }
    async fn export_images(&self, names: Vec<String>) -> Result<Stream<Bytes>> {
        self.reach(format!("save {names:?}"));
        Ok(Box::pin(futures::stream::iter([Ok(Bytes::from_static(
            b"tar",
        ))])))
    }
    async fn import_images(&self, _: Stream<Bytes>) -> Result<Vec<String>> {
        self.reach("load".into());
        Ok(Vec::new())
    }
}

#[async_trait]
impl Registry for Fake {
    async fn pull_image(
        &self,
        reference: &str,
        _: Option<String>,
        c: Option<Credentials>,
    ) -> Result<Stream<JobEvent>> {
        self.reach(format!("pull {reference} login {}", c.is_some()));
        Ok(Box::pin(futures::stream::empty()))
    }
    async fn push_image(
        &self,
        reference: &str,
        c: Option<Credentials>,
    ) -> Result<Stream<JobEvent>> {
        self.reach(format!("push {reference} login {}", c.is_some()));
        Ok(Box::pin(futures::stream::empty()))
    }
}

#[async_trait]
impl Builds for Fake {
    async fn build_image(
        &self,
        context: BuildContext,
        options: BuildOptions,
    ) -> Result<Stream<JobEvent>> {
        self.reach(format!("build {} {:?}", context.dockerfile, options.tags));
        Ok(Box::pin(futures::stream::empty()))
    }
}

#[async_trait]
impl System for Fake {
    async fn info(&self) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn version(&self) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn disk_usage(&self) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn events(&self, since: i64, until: i64, _: Filters) -> Result<Stream<Event>> {
        self.reach(format!("events {since}..{until}"));
        Ok(Box::pin(futures::stream::empty()))
    }
}

#[async_trait]
impl Swarm for Fake {
    async fn swarm_info(&self) -> Result<Json> {
        Ok(serde_json::json!({ "LocalNodeState": "active", "ControlAvailable": true }))
    }
    async fn inspect_swarm(&self) -> Result<Json> {
        Ok(
            serde_json::json!({ "ID": "s", "JoinTokens": { "Worker": "SWMTKN-w", "Manager": "SWMTKN-m" } }),
        )
    }
    async fn list_nodes(&self, _: Filters) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn inspect_node(&self, _: &str) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn list_services(&self, filters: Filters) -> Result<Json> {
        self.reach(format!("list services {filters:?}"));
        Ok(Json::Null)
    }
    async fn inspect_service(&self, id: &str) -> Result<Json> {
        self.reach(format!("inspect service {id}"));
        let found = self.lookup(Kind::Service, id).await?;
        let mut spec = self.spec.clone().unwrap_or_else(|| serde_json::json!({}));
        spec["Labels"] = serde_json::json!(found.labels);
        Ok(serde_json::json!({ "ID": found.id, "Spec": spec, "PreviousSpec": self.previous_spec }))
    }
    async fn list_tasks(&self, filters: Filters) -> Result<Json> {
        self.reach(format!("list tasks {filters:?}"));
        Ok(Json::Null)
    }
    async fn inspect_task(&self, id: &str) -> Result<Json> {
        let service = if id == "t-web" { "s0web" } else { "s0db" };
        Ok(serde_json::json!({ "ID": id, "ServiceID": service }))
    }
    async fn task_logs(&self, task: &str, _: TaskLogOptions) -> Result<Stream<LogChunk>> {
        self.reach(format!("task logs {task}"));
        Ok(Box::pin(futures::stream::empty()))
    }
    async fn list_secrets(&self, _: Filters) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn inspect_secret(&self, _: &str) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn list_configs(&self, _: Filters) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn inspect_config(&self, _: &str) -> Result<Json> {
        Ok(Json::Null)
    }
    async fn init_swarm(&self, _: SwarmInitRequest) -> Result<String> {
        self.reach("init".into());
        Ok("node".into())
    }
    async fn leave_swarm(&self, _: bool) -> Result<()> {
        self.reach("leave".into());
        Ok(())
    }
    async fn update_node(&self, id: &str, _: u64, _: NodeSpec) -> Result<()> {
        self.reach(format!("update node {id}"));
        Ok(())
    }
    async fn create_service(
        &self,
        spec: ServiceSpec,
        _: Option<Credentials>,
    ) -> Result<ServiceCreated> {
        let mut labels: Vec<_> = spec.labels.unwrap_or_default().into_iter().collect();
        labels.sort();
        self.reach(format!("create service {labels:?}"));
        Ok(ServiceCreated {
            id: "svc".into(),
            warnings: Vec::new(),
        })
    }
    async fn update_service(
        &self,
        id: &str,
        _: u64,
        spec: ServiceSpec,
        _: bool,
        _: Option<Credentials>,
    ) -> Result<Vec<String>> {
        let mut labels: Vec<_> = spec.labels.unwrap_or_default().into_iter().collect();
        labels.sort();
        self.reach(format!("update service {id} {labels:?}"));
        Ok(Vec::new())
    }
    async fn remove_service(&self, id: &str) -> Result<()> {
        self.reach(format!("remove service {id}"));
        Ok(())
    }
    async fn create_secret(&self, spec: SecretSpec) -> Result<String> {
        self.reach(format!("create secret {:?} {:?}", spec.name, spec.data));
        Ok("sec".into())
    }
    async fn remove_secret(&self, id: &str) -> Result<()> {
        self.reach(format!("remove secret {id}"));
        Ok(())
    }
    async fn create_config(&self, spec: ConfigSpec) -> Result<String> {
        self.reach(format!("create config {:?}", spec.name));
        Ok("cfg".into())
    }
    async fn remove_config(&self, id: &str) -> Result<()> {
        self.reach(format!("remove config {id}"));
        Ok(())
    }
}

impl DockerEngine for Fake {
    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("fake")
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn describe(&self) -> String {
        "the guard's test engine".into()
    }

    fn socket_path(&self) -> Option<std::path::PathBuf> {
        self.socket.clone()
    }
}

//! The guard's rules with no engine: a recording fake stands below it.

use super::*;
use crate::docker::CredentialStore;
use crate::engine::{
    Archives, BuildContext, BuildOptions, Builds, Bytes, ContainersRead, ContainersWrite,
    Credentials, Exec, Found, HistoryEntry, ImageRemoved, ImageSummary, Images, JobEvent, Networks,
    ProcessList, Registry, Swarm, System, Volumes,
};
use crate::engine::{
    ConfigSpec, Event, NodeSpec, SecretSpec, ServiceCreated, ServiceSpec, SwarmInitRequest,
    TaskLogOptions,
};
use crate::policy::{AllowedRoots, CreateAllowances, Scope};
use async_trait::async_trait;
use std::sync::Mutex;
use std::time::Duration;

/// Objects it knows (kind, reference → id and labels), and the requests that reached it.
#[derive(Default)]
struct Fake {
    objects: Vec<(Kind, &'static str, Found)>,
    reached: Mutex<Vec<String>>,
    socket: Option<std::path::PathBuf>,
}

impl Fake {
    fn with(
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
        };
        for name in names {
            self.objects.push((kind, name, found.clone()));
        }
        self
    }

    fn reach(&self, what: String) {
        self.reached.lock().unwrap().push(what);
    }

    fn reached(&self) -> Vec<String> {
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
        Ok(serde_json::json!({ "ID": found.id, "Spec": { "Labels": found.labels } }))
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
        "fake"
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        "the guard's test engine".into()
    }

    fn socket_path(&self) -> Option<std::path::PathBuf> {
        self.socket.clone()
    }
}

const WEB: &str = "c0ffee00web";
const DB: &str = "c0ffee00db";

/// `web` is in the scope team=web, `db` is not.
fn engine() -> Fake {
    Fake::default()
        .with(Kind::Container, &["web", WEB], WEB, &[("team", "web")])
        .with(Kind::Container, &["db", DB], DB, &[("team", "db")])
        .with(Kind::Network, &["front"], "n0front", &[("team", "web")])
        .with(Kind::Network, &["back"], "n0back", &[])
        .with(Kind::Volume, &["data"], "data", &[("team", "web")])
        .with(Kind::Volume, &["other"], "other", &[])
        .with(
            Kind::Service,
            &["svc-web", "s0web"],
            "s0web",
            &[("team", "web")],
        )
        .with(
            Kind::Service,
            &["svc-db", "s0db"],
            "s0db",
            &[("team", "db")],
        )
}

struct Setup {
    scope: Option<Scope>,
    read_only: bool,
    allow: CreateAllowances,
    roots: AllowedRoots,
    credentials: CredentialStore,
}

impl Setup {
    fn new() -> Self {
        Setup {
            scope: None,
            read_only: false,
            allow: CreateAllowances::default(),
            roots: AllowedRoots::new(Vec::new()),
            credentials: CredentialStore::default(),
        }
    }

    fn scoped(mut self) -> Self {
        self.scope = Some("team=web".parse().unwrap());
        self
    }

    fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    fn guard<'a>(&'a self, engine: &'a Fake) -> Guard<'a> {
        Guard::new(
            engine,
            Rules {
                read_only: self.read_only,
                scope: self.scope.as_ref(),
                allow: &self.allow,
                roots: &self.roots,
                credentials: &self.credentials,
            },
        )
    }
}

fn denied(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(e) if e.kind == ErrorKind::Denied => e.message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn create_body(json: serde_json::Value) -> ContainerCreateBody {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn read_only_refuses_every_change_before_the_engine_and_lets_reads_through() {
    let engine = engine();
    let setup = Setup::new().read_only();
    let g = setup.guard(&engine);
    let body = create_body(serde_json::json!({ "Image": "busybox" }));
    let refusals = [
        denied(g.create_container(None, body).await),
        denied(g.start_container("web").await),
        denied(g.stop_container("web", None).await),
        denied(g.remove_container("web", true, false).await),
        denied(g.rename_container("web", "x").await),
        denied(
            g.create_network(NetworkCreateRequest {
                name: "n".into(),
                ..Default::default()
            })
            .await,
        ),
        denied(g.remove_network("front").await),
        denied(g.connect_network("front", "web", Default::default()).await),
        denied(g.prune_networks(Filters::new()).await),
        denied(g.create_volume(VolumeCreateRequest::default()).await),
        denied(g.remove_volume("data", false).await),
        denied(g.prune_volumes(Filters::new()).await),
    ];
    for r in refusals {
        assert!(r.contains("read-only mode"), "{r}");
    }
    assert_eq!(engine.reached(), Vec::<String>::new());
    g.list_volumes(Filters::new()).await.unwrap();
    g.inspect_network("back").await.unwrap();
    assert_eq!(
        engine.reached(),
        ["list volumes {}", "inspect network back"]
    );
}

#[tokio::test]
async fn a_scope_refuses_objects_without_its_label_and_acts_on_the_id_it_checked() {
    let engine = engine();
    let setup = Setup::new().scoped();
    let g = setup.guard(&engine);

    let e = denied(g.stop_container("db", None).await);
    assert_eq!(
        e,
        "container `db` is outside wharf's scope: it does not carry the label `team=web`"
    );
    denied(g.remove_network("back").await);
    denied(g.inspect_volume("other").await);
    denied(g.connect_network("front", "db", Default::default()).await);
    denied(g.connect_network("back", "web", Default::default()).await);
    denied(g.disconnect_network("front", "db", false).await);
    assert_eq!(engine.reached(), Vec::<String>::new());

    // The action gets the full id the check found, not the name asked for.
    g.stop_container("web", None).await.unwrap();
    g.connect_network("front", "web", Default::default())
        .await
        .unwrap();
    g.remove_volume("data", false).await.unwrap();
    assert_eq!(
        engine.reached(),
        [
            format!("stop {WEB}"),
            format!("connect n0front {WEB}"),
            "remove volume data".into()
        ]
    );
}

#[tokio::test]
async fn without_a_scope_references_pass_as_given_and_nothing_is_looked_up() {
    let engine = engine();
    let setup = Setup::new();
    let g = setup.guard(&engine);
    g.stop_container("db", None).await.unwrap();
    g.remove_network("unknown-to-the-fake").await.unwrap();
    assert_eq!(
        engine.reached(),
        ["stop db", "remove network unknown-to-the-fake"]
    );
}

#[tokio::test]
async fn what_wharf_creates_carries_provenance_and_the_scope_label() {
    let engine = engine();
    let setup = Setup::new().scoped();
    let g = setup.guard(&engine);
    let body = create_body(
        serde_json::json!({ "Image": "busybox", "Labels": { "app": "x", "team": "db" } }),
    );
    g.create_container(Some("a".into()), body).await.unwrap();
    g.create_network(NetworkCreateRequest {
        name: "n".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let reached = engine.reached();
    assert_eq!(
        reached[0],
        r#"create Some("a") [("app", "x"), ("org.wharf.created-by", "wharf"), ("team", "web")]"#
    );
    assert_eq!(
        reached[1],
        r#"create network n [("org.wharf.created-by", "wharf"), ("team", "web")]"#
    );
}

#[tokio::test]
async fn lists_and_prunes_are_narrowed_to_the_scope() {
    let engine = engine();
    let setup = Setup::new().scoped();
    let g = setup.guard(&engine);
    let asked = Filters::from([("label".into(), vec!["app".into()])]);
    g.list_networks(asked.clone()).await.unwrap();
    g.prune_volumes(asked).await.unwrap();
    assert_eq!(
        engine.reached(),
        [
            r#"list networks {"label": ["app", "team=web"]}"#,
            r#"prune volumes {"label": ["app", "team=web"]}"#
        ]
    );
}

#[tokio::test]
async fn a_new_container_may_use_only_networks_and_existing_volumes_in_scope() {
    let engine = engine();
    let setup = Setup::new().scoped();
    let g = setup.guard(&engine);
    let with = |host: serde_json::Value| {
        create_body(serde_json::json!({ "Image": "busybox", "HostConfig": host }))
    };
    let e = denied(
        g.create_container(None, with(serde_json::json!({ "NetworkMode": "back" })))
            .await,
    );
    assert!(e.contains("network `back` is outside"), "{e}");
    let e = denied(
        g.create_container(None, with(serde_json::json!({ "Binds": ["other:/d"] })))
            .await,
    );
    assert!(e.contains("volume `other` is outside"), "{e}");
    let e = denied(
        g.create_container(None, with(serde_json::json!({ "Binds": ["fresh:/d"] })))
            .await,
    );
    assert!(e.contains("create it with create_volume first"), "{e}");
    assert_eq!(engine.reached(), Vec::<String>::new());
    g.create_container(
        None,
        with(serde_json::json!({ "NetworkMode": "front", "Binds": ["data:/d"] })),
    )
    .await
    .unwrap();
    assert_eq!(engine.reached().len(), 1);
}

#[tokio::test]
async fn host_escapes_are_refused_at_create() {
    // The engine's socket lies under an allowed root: binding it is refused all the same.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    std::fs::write(&socket, "").unwrap();
    let mut engine = engine();
    engine.socket = Some(socket.canonicalize().unwrap());
    let mut setup = Setup::new();
    setup.roots = AllowedRoots::new([dir.path().to_owned()]);
    let g = setup.guard(&engine);
    let with = |host: serde_json::Value| {
        create_body(serde_json::json!({ "Image": "busybox", "HostConfig": host }))
    };
    let e = denied(
        g.create_container(None, with(serde_json::json!({ "Privileged": true })))
            .await,
    );
    assert!(e.contains("privileged"), "{e}");
    let bind = format!("{}:/s", socket.display());
    let e = denied(
        g.create_container(None, with(serde_json::json!({ "Binds": [bind] })))
            .await,
    );
    assert!(e.contains("Docker socket"), "{e}");
    let e = denied(
        g.create_container(None, with(serde_json::json!({ "Binds": ["/etc:/e"] })))
            .await,
    );
    assert!(e.contains("outside the allowed roots"), "{e}");
    let device = VolumeCreateRequest {
        driver_opts: Some(HashMap::from([("device".into(), "/etc".into())])),
        ..Default::default()
    };
    let e = denied(g.create_volume(device).await);
    assert!(e.contains("`device` is refused"), "{e}");
    assert_eq!(engine.reached(), Vec::<String>::new());
}

#[tokio::test]
async fn exec_is_a_change_in_scope_with_its_output_capped_by_the_host() {
    let engine = engine();
    let setup = Setup::new().scoped();
    let g = setup.guard(&engine);
    let spec = |cmd: &[&str]| ExecSpec {
        cmd: cmd.iter().map(|s| (*s).to_owned()).collect(),
        env: Vec::new(),
        working_dir: None,
        user: None,
        output_limit: usize::MAX,
        timeout: Duration::from_secs(1),
    };
    denied(g.exec("db", spec(&["id"])).await);
    let e = g.exec("web", spec(&[])).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    g.exec("web", spec(&["id"])).await.unwrap();
    assert_eq!(
        engine.reached(),
        [format!("exec {WEB} [\"id\"] limit {MAX_EXEC_OUTPUT}")]
    );
    let read_only = Setup::new().read_only();
    denied(read_only.guard(&engine).exec("web", spec(&["id"])).await);
}

#[tokio::test]
async fn copies_touch_only_host_paths_under_the_allowed_roots() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("in.txt"), "x").unwrap();
    std::fs::write(outside.path().join("secret"), "s").unwrap();
    // A link inside the root that points out of it.
    std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
    let engine = engine();
    let mut setup = Setup::new();
    setup.roots = AllowedRoots::new([root.path().to_owned()]);
    let g = setup.guard(&engine);

    let secret = outside.path().join("secret");
    let e = denied(g.copy_in("web", &secret.to_string_lossy(), "/").await);
    assert!(e.contains("outside the allowed roots"), "{e}");
    let through_link = root.path().join("escape/secret");
    denied(g.copy_in("web", &through_link.to_string_lossy(), "/").await);
    let e = denied(
        g.copy_out("web", "/etc", &outside.path().to_string_lossy(), false)
            .await,
    );
    assert!(e.contains("outside the allowed roots"), "{e}");
    denied(
        g.copy_out(
            "web",
            "/etc",
            &root.path().join("escape/new").to_string_lossy(),
            false,
        )
        .await,
    );
    assert_eq!(engine.reached(), Vec::<String>::new());

    let report = g
        .copy_in("web", &root.path().join("in.txt").to_string_lossy(), "/tmp")
        .await
        .unwrap();
    assert_eq!((report.entries, report.bytes), (1, 1));
    let dest = root.path().join("got");
    g.copy_out("web", "/out.txt", &dest.to_string_lossy(), false)
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(dest.join("out.txt")).unwrap(), "hi");
    assert!(!outside.path().join("out.txt").exists());
    assert_eq!(engine.reached().len(), 2);
}

#[tokio::test]
async fn image_changes_are_refused_read_only_and_saves_stay_under_the_roots() {
    let engine = engine();
    let setup = Setup::new().read_only();
    let g = setup.guard(&engine);
    denied(g.tag_image("a", "b", "c").await);
    denied(g.remove_image("a", false, false).await);
    denied(g.prune_images(Filters::new()).await);
    denied(g.pull_image("busybox", None).await.map(drop));
    denied(g.push_image("busybox:1").await.map(drop));
    denied(g.build_image(Default::default()).await.map(drop));
    denied(g.save_images(vec!["a".into()], "/tmp/x.tar", false).await);
    denied(g.load_images("/tmp/x.tar").await);
    assert_eq!(engine.reached(), Vec::<String>::new());

    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let mut setup = Setup::new();
    setup.roots = AllowedRoots::new([root.path().to_owned()]);
    let g = setup.guard(&engine);
    let e = denied(
        g.save_images(
            vec!["a".into()],
            &outside.path().join("x.tar").to_string_lossy(),
            false,
        )
        .await,
    );
    assert!(e.contains("outside the allowed roots"), "{e}");
    let e = denied(
        g.build_image(BuildRequest {
            context_dir: Some(outside.path().to_string_lossy().into_owned()),
            ..Default::default()
        })
        .await
        .map(drop),
    );
    assert!(e.contains("outside the allowed roots"), "{e}");
    assert_eq!(engine.reached(), Vec::<String>::new());

    let saved = root.path().join("x.tar");
    let n = g
        .save_images(vec!["a".into()], &saved.to_string_lossy(), false)
        .await
        .unwrap();
    assert_eq!((n, std::fs::read(&saved).unwrap()), (3, b"tar".to_vec()));
    let e = g
        .save_images(vec!["a".into()], &saved.to_string_lossy(), false)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    let e = g
        .push_image("busybox@sha256:abc")
        .await
        .map(drop)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
}

#[tokio::test]
async fn join_tokens_stay_out_of_the_status_and_a_scope_leaves_the_swarm_alone() {
    let engine = engine();
    let setup = Setup::new();
    let g = setup.guard(&engine);
    let status = g.swarm_status().await.unwrap();
    assert!(!status.to_string().contains("SWMTKN"), "{status}");
    assert_eq!(g.join_token(false).await.unwrap(), "SWMTKN-w");

    let scoped = Setup::new().scoped();
    let g = scoped.guard(&engine);
    for e in [
        denied(g.join_token(true).await),
        denied(g.init_swarm(Default::default()).await),
        denied(g.leave_swarm(true).await),
        denied(g.update_node("n", 1, Default::default()).await),
    ] {
        assert!(e.contains("would change the whole swarm"), "{e}");
    }
    denied(g.remove_service("svc-db").await);
    let e = denied(g.list_tasks(Filters::new()).await);
    assert!(e.contains("give a `service` filter"), "{e}");
    denied(
        g.list_tasks(Filters::from([("service".into(), vec!["svc-db".into()])]))
            .await,
    );
    denied(
        g.task_logs("t-db", TaskLogOptions::default())
            .await
            .map(drop),
    );
    drop(
        g.task_logs("t-web", TaskLogOptions::default())
            .await
            .unwrap(),
    );
    g.remove_service("svc-web").await.unwrap();
    assert_eq!(
        engine.reached(),
        ["task logs t-web", "remove service s0web"]
    );
}

#[tokio::test]
async fn services_are_labelled_checked_and_never_marked_as_made_by_wharf_when_they_were_not() {
    let engine = engine();
    let setup = Setup::new().scoped();
    let g = setup.guard(&engine);
    let spec = |json: serde_json::Value| -> ServiceSpec { serde_json::from_value(json).unwrap() };
    let e = denied(
        g.create_service(spec(serde_json::json!({
            "TaskTemplate": { "ContainerSpec": { "Image": "busybox" }, "Networks": [{ "Target": "back" }] }
        })))
        .await,
    );
    assert!(e.contains("network `back` is outside"), "{e}");
    g.create_service(spec(
        serde_json::json!({ "TaskTemplate": { "ContainerSpec": { "Image": "busybox" } } }),
    ))
    .await
    .unwrap();
    // svc-web carries the scope label but not wharf's: an update does not forge it.
    g.update_service(
        "svc-web",
        3,
        spec(serde_json::json!({ "Labels": { "org.wharf.created-by": "wharf" } })),
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        engine.reached(),
        [
            // The host-network check reads what the target names; nothing is changed.
            "inspect network back",
            r#"create service [("org.wharf.created-by", "wharf"), ("team", "web")]"#,
            "inspect service s0web",
            r#"update service s0web [("team", "web")]"#,
        ]
    );
}

/// A new container must not reach an out-of-scope one or an out-of-scope network by any
/// field: endpoints without a host config, shared namespaces, links, volumes_from.
#[tokio::test]
async fn a_new_container_cannot_reach_out_of_scope_objects_by_another_field() {
    let engine = engine();
    let mut setup = Setup::new().scoped();
    setup.allow.volumes_from = true;
    let g = setup.guard(&engine);
    let attempts = [
        serde_json::json!({ "Image": "busybox", "NetworkingConfig": { "EndpointsConfig": { "back": {} } } }),
        serde_json::json!({ "Image": "busybox", "HostConfig": { "NetworkMode": "container:db" } }),
        serde_json::json!({ "Image": "busybox", "HostConfig": { "PidMode": "container:db" } }),
        serde_json::json!({ "Image": "busybox", "HostConfig": { "IpcMode": "container:db" } }),
        serde_json::json!({ "Image": "busybox", "HostConfig": { "Links": ["/db:database"] } }),
        serde_json::json!({ "Image": "busybox", "HostConfig": { "VolumesFrom": ["db:ro"] } }),
    ];
    for body in attempts {
        let e = denied(g.create_container(None, create_body(body.clone())).await);
        assert!(e.contains("is outside wharf's scope"), "{body}: {e}");
    }
    assert_eq!(engine.reached(), Vec::<String>::new());
    // The same fields naming what is in scope are let through.
    let body = serde_json::json!({ "Image": "busybox",
        "HostConfig": { "PidMode": "container:web", "Links": ["web:w"], "VolumesFrom": ["web"] },
        "NetworkingConfig": { "EndpointsConfig": { "front": {} } } });
    g.create_container(None, create_body(body)).await.unwrap();
    assert_eq!(engine.reached().len(), 1);
}

#[tokio::test]
async fn a_host_namespace_cannot_be_joined_through_another_container() {
    let mut engine = engine();
    let mut agent = Found {
        id: "c0agent".into(),
        ..Default::default()
    };
    agent.namespaces.network = "host".into();
    agent.namespaces.pid = "host".into();
    engine.objects.push((Kind::Container, "agent", agent));
    let mut sidecar = Found {
        id: "c0sidecar".into(),
        ..Default::default()
    };
    sidecar.namespaces.network = "container:agent".into();
    engine.objects.push((Kind::Container, "sidecar", sidecar));
    let setup = Setup::new();
    let g = setup.guard(&engine);
    let with = |host: serde_json::Value| {
        create_body(serde_json::json!({ "Image": "busybox", "HostConfig": host }))
    };
    let e = denied(
        g.create_container(
            None,
            with(serde_json::json!({ "NetworkMode": "container:agent" })),
        )
        .await,
    );
    assert_eq!(
        e,
        "joining container `agent`'s network namespace is refused: it is the host's; to allow \
         it, set host_namespaces = true in [allow] of wharf.toml"
    );
    denied(
        g.create_container(
            None,
            with(serde_json::json!({ "PidMode": "container:agent" })),
        )
        .await,
    );
    denied(
        g.create_container(
            None,
            with(serde_json::json!({ "NetworkMode": "container:sidecar" })),
        )
        .await,
    );
    assert_eq!(engine.reached(), Vec::<String>::new());
    // The agent's IPC namespace is its own: joining that is fine, as is a plain container's.
    g.create_container(
        None,
        with(serde_json::json!({ "IpcMode": "container:agent" })),
    )
    .await
    .unwrap();
    g.create_container(
        None,
        with(serde_json::json!({ "NetworkMode": "container:web" })),
    )
    .await
    .unwrap();
    let mut allowed = Setup::new();
    allowed.allow.host_namespaces = true;
    allowed
        .guard(&engine)
        .create_container(
            None,
            with(serde_json::json!({ "NetworkMode": "container:agent" })),
        )
        .await
        .unwrap();
    assert_eq!(engine.reached().len(), 3);
}

//! The guard's rules with no engine: a recording fake stands below it.

use super::*;
use crate::credentials::CredentialStore;
use crate::engine::fake::Fake;
use crate::engine::{Found, ServiceSpec};
use crate::policy::{AllowedRoots, CreateAllowances, Scope};
use std::time::Duration;

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
    no_destructive: bool,
    dry_run: bool,
    removals: crate::policy::Removals,
    called: Called,
    changes: Changes,
    allow: CreateAllowances,
    roots: AllowedRoots,
    credentials: CredentialStore,
}

impl Setup {
    fn new() -> Self {
        Setup {
            scope: None,
            read_only: false,
            no_destructive: false,
            dry_run: false,
            removals: crate::policy::Removals::Any,
            called: Called {
                tool: "a_tool".into(),
                annotations: Default::default(),
            },
            changes: Changes::default(),
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

    fn no_destructive(mut self) -> Self {
        self.no_destructive = true;
        self
    }

    /// The call may remove only what `plan` (a dry run's structured result) lists.
    fn planned(mut self, plan: serde_json::Value) -> Self {
        let plan = crate::policy::Plan::of_result(Some(&plan)).unwrap();
        self.removals = crate::policy::Removals::Confirmed(std::sync::Arc::new(plan));
        self
    }

    fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// The call runs `tool`, labelled as `annotations` say.
    fn calling(mut self, tool: &str, annotations: crate::runtime::Annotations) -> Self {
        self.called = Called {
            tool: tool.into(),
            annotations,
        };
        self
    }

    fn guard<'a>(&'a self, engine: &'a Fake) -> Guard<'a> {
        Guard::new(
            engine,
            Rules {
                read_only: self.read_only,
                no_destructive: self.no_destructive,
                dry_run: self.dry_run,
                removals: &self.removals,
                called: &self.called,
                changes: &self.changes,
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

/// A tool's label is what clients act on (a read-only tool runs unasked), so a plugin that
/// labels a killing tool read-only is refused the kill, and what it asked is recorded.
#[tokio::test]
async fn a_tool_is_held_to_its_label_and_what_it_asks_is_recorded() {
    use crate::runtime::Annotations;
    let engine = engine();
    let setup = Setup::new().calling(
        "list_things",
        Annotations {
            read_only: true,
            ..Default::default()
        },
    );
    let g = setup.guard(&engine);
    let body = create_body(serde_json::json!({ "Image": "busybox" }));
    for r in [
        denied(g.kill_container("web", None).await),
        denied(g.create_container(Some("x".into()), body).await),
        denied(
            g.exec(
                "web",
                ExecSpec {
                    cmd: vec!["true".into()],
                    env: Vec::new(),
                    working_dir: None,
                    user: None,
                    output_limit: 0,
                    timeout: Duration::from_secs(1),
                },
            )
            .await,
        ),
        denied(g.prune_images(Filters::new()).await),
        denied(g.leave_swarm(false).await),
    ] {
        assert!(
            r.starts_with("`list_things` is labelled read-only, so wharf refuses"),
            "{r}"
        );
    }
    assert_eq!(engine.reached(), Vec::<String>::new());
    g.inspect_container("web").await.unwrap();
    let listed = setup.changes.listed();
    assert_eq!(
        listed.requests,
        [
            "kill container web (refused)",
            "create container x (refused)",
            "run a command in container web (refused)",
            "prune images (refused)",
            "leave the swarm (refused)",
        ]
    );

    // No-destructive mode: a tool labelled as only writing may write, never destroy.
    let engine = self::engine().with(Kind::Container, &["new", "scratch"], "new", &[]);
    let setup = Setup::new()
        .no_destructive()
        .calling("compose_up", Annotations::default());
    let g = setup.guard(&engine);
    g.start_container("web").await.unwrap();
    let r = denied(g.remove_container("web", true, false).await);
    assert_eq!(
        r,
        "wharf runs in no-destructive mode: `compose_up` asked to remove container web, \
         which cannot be undone"
    );
    for r in [
        denied(g.kill_container("web", None).await),
        denied(g.remove_volume("data", false).await),
        denied(g.remove_network("front").await),
        denied(g.prune_networks(Filters::new()).await),
        denied(g.remove_service("svc-web").await),
        denied(g.remove_secret("s").await),
        denied(g.remove_config("c").await),
        denied(g.remove_image("busybox", false, false).await),
        denied(g.prune_images(Filters::new()).await),
        denied(g.prune_volumes(Filters::new()).await),
        denied(g.leave_swarm(false).await),
        denied(g.copy_out("web", "/etc", "/tmp/x", true).await),
        denied(
            g.save_images(vec!["busybox".into()], "/tmp/x.tar", true)
                .await,
        ),
    ] {
        assert!(r.starts_with("wharf runs in no-destructive mode"), "{r}");
    }
    // A start acts on the full id it found, having checked the container's binds.
    assert_eq!(engine.reached(), [format!("start {WEB}")]);
    assert_eq!(
        setup.changes.listed().requests[..2],
        ["start container web", "remove container web (refused)"]
    );
    // What the call itself created it may remove again: nothing it found is lost.
    let created = g
        .create_container(
            Some("scratch".into()),
            create_body(serde_json::json!({ "Image": "busybox" })),
        )
        .await
        .unwrap();
    g.remove_container(&created.id, true, false).await.unwrap();
    g.remove_container("scratch", true, false).await.unwrap();

    // A request the scope refuses after the mode admitted it is recorded as refused too.
    let engine = self::engine();
    let setup = Setup::new().scoped();
    let g = setup.guard(&engine);
    denied(g.kill_container("db", None).await);
    assert_eq!(
        setup.changes.listed().requests,
        ["kill container db (refused)"]
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
async fn without_a_scope_references_pass_as_given_and_removals_act_on_the_id_found() {
    let engine = engine();
    let setup = Setup::new();
    let g = setup.guard(&engine);
    g.stop_container("db", None).await.unwrap();
    // A removal is judged on the object its reference names now, and acts on that one.
    g.remove_network("front").await.unwrap();
    let e = g.remove_network("unknown-to-the-fake").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert_eq!(engine.reached(), ["stop db", "remove network n0front"]);
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
    // A manager's token makes a manager of whoever holds it: only when [allow] says so.
    let e = denied(g.join_token(true).await);
    assert!(e.contains("manager_join_tokens = true"), "{e}");
    let mut allowing = Setup::new();
    allowing.allow.manager_join_tokens = true;
    assert_eq!(
        allowing.guard(&engine).join_token(true).await.unwrap(),
        "SWMTKN-m"
    );

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

/// A service's bind is held to the nesting rule of [`super::binds`] against every container
/// and service on the engine, its own tasks too (they write what they bind until they
/// stop), and a rollback against the spec it restores, whatever spec is sent.
#[tokio::test]
async fn a_service_bind_may_not_nest_under_what_another_writes() {
    use crate::engine::{Holder, HostMount, MountKind};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("x")).unwrap();
    let r = root.display().to_string();
    let inner = format!("{r}/x");
    let mount = |kind, id: &str, name: &str, source: &str, writable| HostMount {
        holder: Holder {
            kind,
            id: id.into(),
            name: name.into(),
            labels: Default::default(),
        },
        source: source.to_owned(),
        kind: MountKind::Bind,
        writable,
    };
    let spec = |source: &str| -> ServiceSpec {
        serde_json::from_value(serde_json::json!({ "Name": "svc-web", "TaskTemplate": {
            "ContainerSpec": { "Image": "busybox",
                "Mounts": [{ "Type": "bind", "Source": source, "Target": "/x" }] } } }))
        .unwrap()
    };
    let mut setup = Setup::new();
    setup.roots = AllowedRoots::new([root.clone()]);

    // Its own task writes `root` until the update stops it.
    let mut engine = engine();
    engine.mounts = vec![mount(Kind::Container, "t0task", "svc-web.1.abc", &r, true)];
    let e = denied(
        setup
            .guard(&engine)
            .update_service("svc-web", 1, spec(&inner), false)
            .await,
    );
    assert!(
        e.starts_with(&format!(
            "bind mount of `{inner}` refused: it lies inside `{r}`, which container \
             `svc-web.1.abc` can write"
        )),
        "{e}"
    );
    // Read-only there, it is fine; and so is a new service.
    engine.mounts = vec![mount(Kind::Service, "s0web", "svc-web", &r, false)];
    let g = setup.guard(&engine);
    g.update_service("svc-web", 1, spec(&inner), false)
        .await
        .unwrap();
    g.create_service(spec(&inner)).await.unwrap();

    // A rollback restores `PreviousSpec`, which binds `inner` while a container writes
    // `root`: refused, though the spec sent binds nothing that nests.
    engine.mounts = vec![mount(Kind::Container, "c0writer", "writer", &r, true)];
    engine.previous_spec = Some(serde_json::to_value(spec(&inner)).unwrap());
    let g = setup.guard(&engine);
    let e = denied(
        g.update_service("svc-web", 1, spec(&format!("{r}/elsewhere")), true)
            .await,
    );
    assert!(e.contains("which container `writer` can write"), "{e}");
}

/// An update sends the whole spec back, so what the service already has (a gelf log
/// driver made elsewhere) is kept; a setting it does not have yet is refused.
#[tokio::test]
async fn an_update_keeps_what_the_service_has_and_refuses_what_is_new() {
    let spec = |task: serde_json::Value| -> ServiceSpec {
        serde_json::from_value(serde_json::json!({ "Name": "svc-web", "TaskTemplate": task }))
            .unwrap()
    };
    let gelf = serde_json::json!({ "ContainerSpec": { "Image": "busybox" },
                                   "LogDriver": { "Name": "gelf" } });
    let mut engine = engine();
    engine.spec = Some(serde_json::to_value(spec(gelf.clone())).unwrap());
    let setup = Setup::new();
    let g = setup.guard(&engine);
    g.update_service("svc-web", 1, spec(gelf.clone()), false)
        .await
        .unwrap();
    let e = denied(
        g.update_service(
            "svc-web",
            1,
            spec(serde_json::json!({ "ContainerSpec": { "Image": "busybox" },
                                     "LogDriver": { "Name": "syslog" } })),
            false,
        )
        .await,
    );
    assert!(e.starts_with("log driver `syslog`"), "{e}");
    // A new service gets no such grace.
    let e = denied(g.create_service(spec(gelf)).await);
    assert!(e.starts_with("log driver `gelf`"), "{e}");
}

/// Stopping a container started with auto-remove removes it, so in no-destructive mode
/// it is refused like a removal; a container that stays once stopped may be stopped.
#[tokio::test]
async fn stopping_a_container_that_removes_itself_is_a_removal() {
    let mut engine = engine();
    let rm = Found {
        id: "c0rm".into(),
        auto_remove: true,
        ..Default::default()
    };
    engine.objects.push((Kind::Container, "temp", rm));
    let setup = Setup::new()
        .no_destructive()
        .calling("stop_container", Default::default());
    let g = setup.guard(&engine);
    let e = denied(g.stop_container("temp", None).await);
    assert_eq!(
        e,
        "wharf runs in no-destructive mode: `stop_container` asked to stop (and so remove) \
         container temp, which cannot be undone"
    );
    g.stop_container("web", None).await.unwrap();
    assert_eq!(engine.reached(), ["stop web"]);
}

#[tokio::test]
async fn a_tool_not_labelled_destructive_removes_only_what_its_plan_named() {
    // The engine names the container the call creates `new`; `scratch`, the name the call
    // gives it, names db by the time of the removal (a rename in between).
    let engine = engine().with(Kind::Container, &["new"], "new", &[]).with(
        Kind::Container,
        &["scratch"],
        DB,
        &[],
    );
    let s = Setup::new().planned(serde_json::json!({"plan": [
        {"action": "replace", "kind": "container", "name": "web", "id": WEB}
    ]}));
    let g = s.guard(&engine);
    g.remove_container(WEB, true, false).await.unwrap();
    let e = denied(g.remove_container(DB, true, false).await);
    assert!(
        e.contains("`a_tool` is not labelled destructive")
            && e.contains(&format!("remove container {DB}"))
            && e.contains("dry_run=true"),
        "{e}"
    );
    // A prune removes no one object a plan could name.
    let e = denied(g.prune_volumes(Filters::default()).await);
    assert!(e.contains("prune volumes"), "{e}");
    // What the call made itself it may remove again.
    let made = g
        .create_container(
            Some("scratch".into()),
            create_body(serde_json::json!({ "Image": "busybox" })),
        )
        .await
        .unwrap();
    g.remove_container(&made.id, true, false).await.unwrap();
    // Its name is not what it made: the object the name names now is judged.
    let e = denied(g.remove_container("scratch", true, false).await);
    assert!(e.contains("remove container scratch"), "{e}");
    let requests = s.changes.listed().requests;
    assert!(
        requests.contains(&format!("remove container {DB} (refused)")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn a_plan_covers_an_object_by_any_reference_that_resolves_to_its_id() {
    let engine = engine();
    let s = Setup::new().planned(serde_json::json!({"plan": [
        {"action": "remove", "kind": "container", "name": "shop-web-1", "id": WEB}
    ]}));
    let g = s.guard(&engine);
    // `web` is not the planned name, but it is the planned container.
    g.remove_container("web", true, false).await.unwrap();
    denied(g.remove_container("db", true, false).await);
}

#[tokio::test]
async fn a_plan_is_held_to_the_objects_its_names_show() {
    // `c0ffee00d` names nothing but is a prefix of db's id, as the engine resolves it.
    let engine = Fake::default()
        .with(Kind::Container, &["web", WEB], WEB, &[])
        .with(Kind::Container, &["db", DB, "c0ffee00d"], DB, &[]);
    let plan = |entry: serde_json::Value| {
        crate::policy::Plan::of_result(Some(&serde_json::json!({ "plan": [entry] }))).unwrap()
    };
    let e =
        plan(serde_json::json!({"action": "remove", "kind": "container", "name": "web", "id": DB}))
            .resolved(&engine)
            .await
            .unwrap_err();
    assert!(e.contains("which is another container's"), "{e}");
    let e = plan(serde_json::json!({"action": "remove", "kind": "container", "name": "c0ffee00d"}))
        .resolved(&engine)
        .await
        .unwrap_err();
    assert!(e.contains("is a prefix of container"), "{e}");
    let p = plan(serde_json::json!({"action": "remove", "kind": "container", "name": "web"}))
        .resolved(&engine)
        .await
        .unwrap();
    assert!(p.covers(Kind::Container, WEB) && !p.covers(Kind::Container, DB));
    let gone = plan(serde_json::json!({"action": "remove", "kind": "container", "name": "gone"}))
        .resolved(&engine)
        .await
        .unwrap();
    assert!(gone.is_empty(), "nothing to remove");
}

#[tokio::test]
async fn a_tool_without_a_dry_run_removes_only_what_it_created() {
    let engine = engine();
    let mut s = Setup::new();
    s.removals = crate::policy::Removals::Created;
    let g = s.guard(&engine);
    let e = denied(g.remove_container(WEB, true, false).await);
    assert!(
        e.contains("may remove only what it created")
            && e.contains(&format!("remove container {WEB}"))
            && !e.contains("dry_run"),
        "{e}"
    );
    g.stop_container(WEB, None).await.unwrap();
}

#[tokio::test]
async fn a_dry_run_changes_nothing_whatever_the_label() {
    let engine = engine();
    let s = Setup::new().dry_run();
    let g = s.guard(&engine);
    let e = denied(g.start_container(WEB).await);
    assert!(e.contains("a dry run changes nothing"), "{e}");
    g.list_containers(true, None, Filters::default())
        .await
        .unwrap();
}

//! The built-in plugins against the mock host: every tool group's main paths and the
//! engine's refusals, with no Docker engine. (tests/mock_parity.rs checks the mock against
//! a real engine.)

use serde_json::{Value, json};
use wharf_core::policy::Capability;
use wharf_core::registry::RegistryError;
use wharf_core::runtime::{CallError, Output, ToolError};
use wharf_mock::{
    ContainerSeed, ExecSeed, ImageSeed, MockDocker, MockHost, NetworkSeed, VolumeSeed,
};

async fn host(docker: &MockDocker) -> MockHost {
    let mut b = MockHost::builder(docker);
    for p in ["containers", "networks", "volumes", "images", "monitoring"] {
        b = b.builtin(wharf::plugins::named(p).unwrap());
    }
    b.start()
        .await
        .expect("the built-in plugins load on the mock")
}

async fn ok(host: &MockHost, tool: &str, args: Value) -> Output {
    match host.call(tool, args.clone()).await {
        Ok(out) => out,
        Err(e) => panic!("{tool} {args} failed: {e}"),
    }
}

async fn refused(host: &MockHost, tool: &str, args: Value) -> ToolError {
    match host.call(tool, args.clone()).await {
        Err(RegistryError::Call(CallError::Tool(e))) => e,
        Err(e) => panic!("{tool} {args}: expected a tool error, got {e}"),
        Ok(out) => panic!("{tool} {args}: expected a tool error, got {}", out.text),
    }
}

fn seeded() -> MockDocker {
    MockDocker::builder()
        .image(ImageSeed::new("busybox:latest").cmd(&["sh"]))
        .container(
            ContainerSeed::new("web", "busybox:latest")
                .label("app", "web")
                .port("8080:80")
                .log("listening on :80")
                .log_stderr("warning: no config"),
        )
        .container(ContainerSeed::new("job", "busybox:latest").exited(3))
        .build()
        .unwrap()
}

#[tokio::test]
async fn containers_list_and_lifecycle_follow_the_engine() {
    let docker = seeded();
    let host = host(&docker).await;

    let out = ok(&host, "list_containers", json!({})).await;
    assert!(out.text.contains("web"), "{}", out.text);
    assert!(
        !out.text.contains("job"),
        "running only by default: {}",
        out.text
    );
    let out = ok(&host, "list_containers", json!({ "all": true })).await;
    assert!(
        out.text.contains("job") && out.text.contains("Exited (3)"),
        "{}",
        out.text
    );

    // Starting a running container is the engine's 304: nothing to do, no error.
    let web = docker.container("web").unwrap().id;
    ok(&host, "start_container", json!({ "container": "web" })).await;
    assert!(docker.is_running("web"));

    let e = refused(&host, "remove_container", json!({ "container": "web" })).await;
    assert!(
        e.message.contains("You cannot remove a running container"),
        "{}",
        e.message
    );
    assert!(docker.container("web").is_some());

    ok(&host, "stop_container", json!({ "container": "web" })).await;
    assert_eq!(docker.container("web").unwrap().state, "exited");
    ok(&host, "remove_container", json!({ "container": "web" })).await;
    assert!(docker.container("web").is_none());

    let e = refused(&host, "stop_container", json!({ "container": "nope" })).await;
    assert_eq!(e.message, "No such container: nope");

    let calls: Vec<String> = docker
        .calls()
        .iter()
        .filter(|c| c.interface == "containers-write")
        .map(|c| {
            format!(
                "{}({})",
                c.function,
                c.args["id"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            // A start is checked on the container it found (its binds), and acts on that.
            format!("start({web})").as_str(),
            // A removal, judged on the container the reference names, acts on its id.
            format!("remove({web})").as_str(),
            "stop(web)",
            format!("remove({web})").as_str(),
            // No `stop(nope)`: the stop's dry run, which asks whether the stop removes the
            // container, found no such container first.
        ]
    );
}

#[tokio::test]
async fn run_container_creates_starts_and_refuses_a_taken_name() {
    let docker = seeded();
    let host = host(&docker).await;
    let out = ok(
        &host,
        "run_container",
        json!({ "image": "busybox", "name": "api", "labels": { "tier": "back" }, "ports": ["9000:90"], "volumes": ["data:/data"] }),
    )
    .await;
    assert!(out.text.contains("api"), "{}", out.text);
    let api = docker.container("api").unwrap();
    assert_eq!(api.state, "running");
    assert_eq!(api.labels.get("tier").map(String::as_str), Some("back"));
    assert_eq!(api.volumes, ["data"]);
    assert!(
        docker.volumes().iter().any(|v| v.name == "data"),
        "named volumes are created"
    );

    let e = refused(
        &host,
        "run_container",
        json!({ "image": "busybox", "name": "api" }),
    )
    .await;
    assert!(
        e.message.contains("is already in use by container"),
        "{}",
        e.message
    );
    let e = refused(&host, "run_container", json!({ "image": "nope:1" })).await;
    assert!(e.message.contains("No such image: nope:1"), "{}", e.message);
}

#[tokio::test]
async fn logs_exec_and_files_work_on_the_models_containers() {
    let docker = MockDocker::builder()
        .image(ImageSeed::new("busybox:latest").file("/etc/motd", "hello from the image\n"))
        .container(
            ContainerSeed::new("web", "busybox:latest")
                .log("one")
                .log("two")
                .log_stderr("oops"),
        )
        .exec(
            ExecSeed::new(&["nginx", "-t"])
                .stderr("syntax is ok\n")
                .exit_code(0),
        )
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let host = MockHost::builder(&docker)
        .builtin(wharf::plugins::named("containers").unwrap())
        .allowed_root(dir.path())
        .start()
        .await
        .unwrap();

    let out = ok(
        &host,
        "get_container_logs",
        json!({ "container": "web", "tail": 2 }),
    )
    .await;
    assert!(
        out.text.contains("two") && out.text.contains("oops") && !out.text.contains("one"),
        "{}",
        out.text
    );

    let out = ok(
        &host,
        "exec_container",
        json!({ "container": "web", "command": ["cat", "/etc/motd"] }),
    )
    .await;
    assert!(out.text.contains("hello from the image"), "{}", out.text);
    let out = ok(
        &host,
        "exec_container",
        json!({ "container": "web", "command": ["nginx", "-t"] }),
    )
    .await;
    assert!(out.text.contains("syntax is ok"), "{}", out.text);
    let out = ok(
        &host,
        "exec_container",
        json!({ "container": "web", "command": ["nope"] }),
    )
    .await;
    assert!(
        out.text.contains("127"),
        "an unknown command exits 127: {}",
        out.text
    );

    std::fs::write(dir.path().join("app.conf"), "port=80\n").unwrap();
    let source = dir.path().join("app.conf");
    ok(
        &host,
        "copy_to_container",
        json!({ "container": "web", "source": source, "destination": "/etc" }),
    )
    .await;
    let out = ok(
        &host,
        "exec_container",
        json!({ "container": "web", "command": "cat /etc/app.conf" }),
    )
    .await;
    assert!(out.text.contains("port=80"), "{}", out.text);
    let back = dir.path().join("back");
    ok(
        &host,
        "copy_from_container",
        json!({ "container": "web", "source": "/etc/app.conf", "destination": back }),
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(back.join("app.conf")).unwrap(),
        "port=80\n"
    );
    let e = refused(
        &host,
        "copy_to_container",
        json!({ "container": "web", "source": "/etc/passwd", "destination": "/tmp" }),
    )
    .await;
    assert_eq!(
        e.kind,
        wharf_core::runtime::bindings::wharf::plugin::types::ErrorKind::Denied,
        "{}",
        e.message
    );

    ok(&host, "pause_container", json!({ "container": "web" })).await;
    let e = refused(
        &host,
        "exec_container",
        json!({ "container": "web", "command": ["true"] }),
    )
    .await;
    assert!(e.message.contains("is paused"), "{}", e.message);
}

#[tokio::test]
async fn wait_returns_when_the_container_exits() {
    let docker = seeded();
    let host = host(&docker).await;
    let exiting = docker.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        exiting.exit("web", 42).unwrap();
    });
    let out = ok(
        &host,
        "wait_container",
        json!({ "container": "web", "timeout_secs": 10 }),
    )
    .await;
    assert!(out.text.contains("42"), "{}", out.text);
    let out = ok(
        &host,
        "wait_container",
        json!({ "container": "job", "timeout_secs": 1 }),
    )
    .await;
    assert!(out.text.contains('3'), "{}", out.text);
}

#[tokio::test]
async fn images_tag_remove_pull_push_and_build() {
    let docker = MockDocker::builder()
        .image(ImageSeed::new("busybox:latest").label("base", "yes"))
        .registry_image(ImageSeed::new("127.0.0.1:5000/tools:1.0").label("org", "acme"))
        .container(ContainerSeed::new("web", "busybox:latest"))
        .build()
        .unwrap();
    let host = host(&docker).await;

    ok(
        &host,
        "tag_image",
        json!({ "image": "busybox", "repo": "mine/box", "tag": "v1" }),
    )
    .await;
    assert_eq!(
        docker.image("mine/box:v1").unwrap().id,
        docker.image("busybox").unwrap().id
    );
    // busybox:latest keeps the image that `web` uses once mine/box:v1 is gone.
    ok(&host, "remove_image", json!({ "image": "mine/box:v1" })).await;
    let e = refused(&host, "remove_image", json!({ "image": "busybox:latest" })).await;
    assert!(
        e.message.contains("is using its referenced image"),
        "{}",
        e.message
    );
    ok(
        &host,
        "tag_image",
        json!({ "image": "busybox", "repo": "mine/box", "tag": "v1" }),
    )
    .await;
    let out = ok(&host, "remove_image", json!({ "image": "mine/box:v1" })).await;
    assert!(out.text.contains("mine/box:v1"), "{}", out.text);

    let out = ok(
        &host,
        "pull_image",
        json!({ "reference": "127.0.0.1:5000/tools:1.0" }),
    )
    .await;
    assert!(
        out.text.contains("127.0.0.1:5000/tools:1.0"),
        "{}",
        out.text
    );
    assert_eq!(
        docker.image("127.0.0.1:5000/tools:1.0").unwrap().labels["org"],
        "acme"
    );
    let e = refused(
        &host,
        "pull_image",
        json!({ "reference": "127.0.0.1:5000/nope" }),
    )
    .await;
    assert!(e.message.contains("manifest unknown"), "{}", e.message);

    let out = ok(
        &host,
        "build_image",
        json!({
            "dockerfile": "FROM busybox\nLABEL stage=test\nCOPY app.txt /srv/\nRUN echo built\nCMD [\"cat\", \"/srv/app.txt\"]\n",
            "files": { "app.txt": "payload" },
            "tags": ["127.0.0.1:5000/app:dev"],
        }),
    )
    .await;
    assert!(out.text.contains("127.0.0.1:5000/app:dev"), "{}", out.text);
    let built = docker.image("127.0.0.1:5000/app:dev").unwrap();
    assert_eq!(built.labels["stage"], "test");
    assert_eq!(
        built.labels["base"], "yes",
        "labels come down from the base image"
    );
    ok(
        &host,
        "push_image",
        json!({ "reference": "127.0.0.1:5000/app:dev" }),
    )
    .await;
    assert!(
        docker
            .registry()
            .contains(&"127.0.0.1:5000/app:dev".to_owned())
    );

    let e = refused(
        &host,
        "build_image",
        json!({ "dockerfile": "FROM busybox\nRUN false\n" }),
    )
    .await;
    assert!(
        e.message.contains("returned a non-zero code: 1"),
        "{}",
        e.message
    );
    let e = refused(
        &host,
        "build_image",
        json!({ "dockerfile": "FROM busybox\nCOPY missing.txt /\n" }),
    )
    .await;
    assert!(e.message.contains("missing.txt"), "{}", e.message);
}

#[tokio::test]
async fn networks_and_volumes_keep_the_engines_rules() {
    let docker = MockDocker::builder()
        .image(ImageSeed::new("busybox:latest"))
        .network(NetworkSeed::new("backend").subnet("10.10.0.0/24"))
        .volume(VolumeSeed::new("data").label("keep", "yes"))
        .container(
            ContainerSeed::new("db", "busybox:latest")
                .network("backend")
                .volume("data:/var/lib/db"),
        )
        .build()
        .unwrap();
    let host = host(&docker).await;

    let out = ok(&host, "list_networks", json!({})).await;
    assert!(
        out.text.contains("backend") && out.text.contains("bridge"),
        "{}",
        out.text
    );
    let e = refused(&host, "remove_network", json!({ "network": "backend" })).await;
    assert!(e.message.contains("has active endpoints"), "{}", e.message);
    let e = refused(&host, "remove_network", json!({ "network": "bridge" })).await;
    assert!(e.message.contains("pre-defined network"), "{}", e.message);
    let e = refused(&host, "create_network", json!({ "name": "backend" })).await;
    assert!(e.message.contains("already exists"), "{}", e.message);
    ok(&host, "create_network", json!({ "name": "frontend" })).await;
    ok(
        &host,
        "connect_network",
        json!({ "network": "frontend", "container": "db" }),
    )
    .await;
    assert_eq!(
        docker.container("db").unwrap().networks,
        ["backend", "frontend"]
    );
    let e = refused(
        &host,
        "connect_network",
        json!({ "network": "frontend", "container": "db" }),
    )
    .await;
    assert!(
        e.message.contains("already exists in network frontend"),
        "{}",
        e.message
    );

    let e = refused(&host, "remove_volume", json!({ "volume": "data" })).await;
    assert!(e.message.contains("in use by db"), "{}", e.message);
    ok(&host, "create_volume", json!({ "name": "scratch" })).await;
    let out = ok(
        &host,
        "prune_volumes",
        json!({ "dry_run": true, "all": true }),
    )
    .await;
    assert_eq!(
        out.text,
        "would remove 1 volumes and their data: scratch (dry run: nothing was changed)"
    );
    let out = ok(&host, "prune_volumes", json!({})).await;
    assert!(out.text.contains("scratch"), "{}", out.text);
    assert!(
        docker.volumes().iter().any(|v| v.name == "data"),
        "a used volume is not pruned"
    );
}

#[tokio::test]
async fn monitoring_reads_info_stats_and_the_event_log() {
    let docker = MockDocker::builder()
        .image(ImageSeed::new("busybox:latest"))
        .container(ContainerSeed::new("web", "busybox:latest").usage(25.0, 64 << 20))
        .build()
        .unwrap();
    let host = host(&docker).await;
    let out = ok(&host, "system_info", json!({})).await;
    assert!(out.text.contains("1 running"), "{}", out.text);
    let out = ok(&host, "container_stats", json!({ "containers": ["web"] })).await;
    assert!(out.text.contains("web | 25.00 | 67.109MB"), "{}", out.text);
    ok(&host, "stop_container", json!({ "container": "web" })).await;
    let out = ok(&host, "docker_events", json!({ "since": "1m" })).await;
    assert!(
        out.text.contains("die") && out.text.contains("stop"),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn read_only_mode_and_narrowed_grants_are_enforced() {
    let docker = seeded();
    let host = MockHost::builder(&docker)
        .builtin(wharf::plugins::named("containers").unwrap())
        .read_only(true)
        .start()
        .await
        .unwrap();
    assert!(host.tools().iter().all(|t| t.annotations.read_only));
    assert!(matches!(
        host.call("stop_container", json!({ "container": "web" }))
            .await,
        Err(RegistryError::Refused { .. })
    ));
    assert_eq!(docker.container("web").unwrap().state, "running");

    let host = MockHost::builder(&docker)
        .builtin(wharf::plugins::named("containers").unwrap())
        .grants("containers", &[Capability::ContainersRead])
        .start()
        .await
        .unwrap();
    let e = host
        .call("stop_container", json!({ "container": "web" }))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("containers-write"), "{e}");
    assert!(docker.is_running("web"));
}

#[tokio::test]
async fn a_fixture_file_seeds_the_engine_and_a_bad_one_says_where() {
    let docker = MockDocker::from_fixture_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/mock/fixture.toml"
    ))
    .unwrap();
    assert_eq!(docker.container("web").unwrap().state, "running");
    assert_eq!(docker.container("old").unwrap().exit_code, 1);
    assert!(docker.networks().iter().any(|n| n.name == "backend"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[containers]]\nname = \"x\"\nimage = \"busybox\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let e = MockDocker::from_fixture_file(&bad).unwrap_err().to_string();
    assert!(e.contains("colour") && e.contains("bad.toml"), "{e}");
    std::fs::write(
        &bad,
        "[[containers]]\nname = \"app\"\nimage = \"missing:1\"\n",
    )
    .unwrap();
    let e = MockDocker::from_fixture_file(&bad).unwrap_err().to_string();
    assert!(e.contains("No such image: missing:1"), "{e}");
}

/// Compose on the mock: the same plugin, no engine. Services come up in dependency order
/// with Compose's labels, a second up changes nothing, and down keeps the named volume.
#[tokio::test]
async fn compose_up_and_down_on_the_mock() {
    let docker = MockDocker::builder()
        .image(ImageSeed::new("busybox:latest").cmd(&["sh"]))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: busybox:latest\n    depends_on: [db]\n    \
         deploy: {replicas: 2}\n  db:\n    image: busybox:latest\n    volumes: ['data:/data']\n\
         volumes:\n  data: {}\n",
    )
    .unwrap();
    let host = MockHost::builder(&docker)
        .builtin(wharf::plugins::named("compose").unwrap())
        .allowed_root(dir.path())
        .start()
        .await
        .expect("compose loads on the mock");
    let args = json!({ "project_dir": dir.path(), "project_name": "shop" });

    let out = ok(&host, "compose_up", args.clone()).await;
    assert!(
        out.text.contains("network shop_default: created"),
        "{}",
        out.text
    );
    let created: Vec<String> = docker
        .calls_to("containers-write", "create")
        .iter()
        .map(|c| c.args.to_string())
        .collect();
    assert_eq!(created.len(), 3, "{created:?}");
    assert!(created[0].contains("shop-db-1"), "db first: {created:?}");
    let web = docker.container("shop-web-2").expect("shop-web-2");
    assert_eq!(web.state, "running");
    assert_eq!(web.labels["com.docker.compose.project"], "shop");
    assert_eq!(web.labels["com.docker.compose.service"], "web");
    assert_eq!(web.labels["com.docker.compose.container-number"], "2");
    assert_eq!(web.networks, ["shop_default"]);
    assert_eq!(
        docker.container("shop-db-1").unwrap().volumes,
        ["shop_data"]
    );

    docker.take_calls();
    let out = ok(&host, "compose_up", args.clone()).await;
    assert!(out.text.contains("shop-web-1: up to date"), "{}", out.text);
    assert!(docker.calls_to("containers-write", "create").is_empty());

    let out = ok(&host, "compose_down", json!({ "project_name": "shop" })).await;
    assert!(out.text.contains("kept volumes"), "{}", out.text);
    assert!(docker.containers().is_empty());
    assert!(docker.networks().iter().all(|n| n.name != "shop_default"));
    assert!(docker.volumes().iter().any(|v| v.name == "shop_data"));
}

#[tokio::test]
async fn the_swarm_plugin_meets_an_engine_outside_any_swarm() {
    let docker = MockDocker::builder().build().unwrap();
    let host = MockHost::builder(&docker)
        .builtin(wharf::plugins::named("swarm").unwrap())
        .start()
        .await
        .expect("the swarm plugin loads on the mock");
    let out = ok(&host, "swarm_status", json!({})).await;
    assert!(out.text.contains("not in a swarm"), "{}", out.text);
    // What dockerd answers a swarm request on an engine that is in none.
    let e = refused(&host, "list_services", json!({})).await;
    assert!(e.message.contains("not a swarm manager"), "{}", e.message);
    let e = refused(
        &host,
        "swarm_init",
        json!({ "advertise_addr": "127.0.0.1" }),
    )
    .await;
    assert!(
        e.message.contains("test swarm tools against a real engine"),
        "{}",
        e.message
    );
    // A secret's value is never part of the recorded calls.
    let e = refused(
        &host,
        "create_secret",
        json!({ "name": "pw", "value": "hunter2" }),
    )
    .await;
    assert!(e.message.contains("not a swarm manager"), "{}", e.message);
    let calls = docker.calls_to("swarm-write", "create-secret");
    assert_eq!(calls.len(), 1);
    assert!(!calls[0].to_string().contains("hunter2"), "{}", calls[0]);
}

/// The mock host sits below the same guard as the real host: a scope, wharf's labels on what
/// it creates and the refusal of a volume that binds a host path hold here as they do
/// against dockerd (tests/policy.rs), so a plugin author's green test means what it says.
#[tokio::test]
async fn the_mock_refuses_what_the_real_host_refuses() {
    let docker = MockDocker::builder()
        .image(ImageSeed::new("busybox:latest").cmd(&["sh"]))
        .container(ContainerSeed::new("ours", "busybox:latest").label("team", "web"))
        .container(ContainerSeed::new("theirs", "busybox:latest"))
        .volume(VolumeSeed::new("foreign"))
        .build()
        .unwrap();
    let host = MockHost::builder(&docker)
        .builtin(wharf::plugins::named("containers").unwrap())
        .builtin(wharf::plugins::named("volumes").unwrap())
        .scope("team=web")
        .start()
        .await
        .expect("the plugins load on the mock");

    let e = refused(&host, "stop_container", json!({ "container": "theirs" })).await;
    assert_eq!(
        e.message,
        "container `theirs` is outside wharf's scope: it does not carry the label `team=web`"
    );
    assert_eq!(docker.container("theirs").unwrap().state, "running");
    let e = refused(&host, "remove_volume", json!({ "volume": "foreign" })).await;
    assert!(e.message.contains("outside wharf's scope"), "{}", e.message);
    assert!(docker.volumes().iter().any(|v| v.name == "foreign"));

    // The stop that is let through reaches the engine with the id the scope check found.
    ok(&host, "stop_container", json!({ "container": "ours" })).await;
    let ours = docker.container("ours").unwrap();
    assert_eq!(ours.state, "exited");
    let stops = docker.calls_to("containers-write", "stop");
    assert_eq!(stops.len(), 1, "refused requests never reach the engine");
    assert_eq!(stops[0].args["id"], ours.id);

    ok(&host, "create_volume", json!({ "name": "made" })).await;
    let made = docker
        .volumes()
        .into_iter()
        .find(|v| v.name == "made")
        .unwrap();
    assert_eq!(made.labels["org.wharf.created-by"], "wharf");
    assert_eq!(made.labels["team"], "web");
    let e = refused(
        &host,
        "create_volume",
        json!({ "name": "etc", "options": { "type": "none", "o": "bind", "device": "/etc" } }),
    )
    .await;
    assert!(e.message.contains("`device` is refused"), "{}", e.message);
    assert!(docker.volumes().iter().all(|v| v.name != "etc"));
}

/// The bind nesting rule (issue 18, case 1) holds on the mock as on dockerd: the same
/// refusal, word for word, and nothing reaches the engine.
#[tokio::test]
async fn the_mock_refuses_a_bind_that_nests_under_a_writable_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().display().to_string();
    std::fs::create_dir(format!("{root}/x")).unwrap();
    let docker = MockDocker::builder()
        .image(ImageSeed::new("busybox:latest").cmd(&["sh"]))
        .build()
        .unwrap();
    let host = MockHost::builder(&docker)
        .builtin(wharf::plugins::named("containers").unwrap())
        .allowed_root(&root)
        .start()
        .await
        .expect("the plugins load on the mock");
    ok(
        &host,
        "run_container",
        json!({ "image": "busybox", "name": "writer", "volumes": [format!("{root}:/w")] }),
    )
    .await;
    let e = refused(
        &host,
        "run_container",
        json!({ "image": "busybox", "name": "reader", "volumes": [format!("{root}/x:/host")] }),
    )
    .await;
    assert_eq!(
        e.message,
        format!(
            "bind mount of `{root}/x` refused: it lies inside `{root}`, which container \
             `writer` can write through a mount of its own, so it could swap `{root}/x` for a \
             symlink that Docker follows at the next start (to the host's `/`, say); bind \
             paths that do not nest, or `{root}` read-only; to allow it, set nested_binds = \
             true in [allow] of wharf.toml"
        )
    );
    assert!(docker.container("reader").is_none());
}

/// A registry the test controls, as the mock's network: it answers every request with an
/// empty-but-one catalog and writes down where each went.
#[derive(Default)]
struct ScriptedRegistry {
    sent: std::sync::Mutex<Vec<(wharf_mock::Destination, String)>>,
}

#[async_trait::async_trait]
impl wharf_mock::Network for ScriptedRegistry {
    async fn exchange(
        &self,
        to: &wharf_mock::Destination,
        request: http::Request<bytes::Bytes>,
        _limit: usize,
    ) -> Result<http::Response<Vec<u8>>, wharf_mock::NetworkError> {
        self.sent
            .lock()
            .unwrap()
            .push((to.clone(), request.uri().to_string()));
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(br#"{"repositories":["shop/web"]}"#.to_vec())
            .unwrap())
    }
}

/// The http capability in the mock: `http_hosts` is checked by the same code as in wharf,
/// before anything is sent; what passes goes to the network the test gives, and without
/// one it finds none (no test reaches the internet by accident).
#[tokio::test]
async fn the_mock_checks_http_grants_as_wharf_does_and_sends_only_through_its_network() {
    let docker = MockDocker::builder().build().unwrap();
    let wasm = std::fs::read(env!("WHARF_REGISTRY_PLUGIN_WASM")).unwrap();
    let config = || {
        wharf_mock::Config::parse(
            std::path::Path::new("wharf.toml"),
            "[plugin.registry]\ngrants = [\"http\"]\nhttp_hosts = [\"registry.test:5000\"]\n",
        )
        .unwrap()
    };
    let network = std::sync::Arc::new(ScriptedRegistry::default());
    let host = MockHost::builder(&docker)
        .plugin("registry", wasm.clone())
        .config(config())
        .network(network.clone())
        .start()
        .await
        .unwrap();

    let listed = host
        .call(
            "registry_list_repositories",
            json!({ "registry": "http://registry.test:5000" }),
        )
        .await
        .unwrap();
    assert_eq!(
        listed.structured.as_ref().unwrap()["repositories"],
        json!(["shop/web"])
    );
    let sent = network.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].0,
        wharf_mock::Destination {
            host: "registry.test".into(),
            port: 5000,
            https: false
        }
    );
    assert!(sent[0].1.starts_with("/v2/_catalog"), "{sent:?}");

    // Another host (or port) is refused by the grant, naming it, and nothing is sent.
    for other in ["http://registry.test:5001", "http://127.0.0.1:5000"] {
        let refused = host
            .call("registry_list_repositories", json!({ "registry": other }))
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains("http_hosts"), "{refused}");
        assert!(
            refused.contains("plugin `registry` may not reach"),
            "{refused}"
        );
    }
    assert_eq!(network.sent.lock().unwrap().len(), 1);

    // No network given: a granted request is unreachable, said so.
    let offline = MockHost::builder(&docker)
        .plugin("registry", wasm)
        .config(config())
        .start()
        .await
        .unwrap();
    let e = offline
        .call(
            "registry_list_repositories",
            json!({ "registry": "http://registry.test:5000" }),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no network"), "{e}");
}

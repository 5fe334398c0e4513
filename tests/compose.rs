//! The compose plugin end to end: a project read from files under the allowed roots (only
//! through `read-files`), interpolated, merged and shown; mistakes named.

#[path = "support/mod.rs"]
mod support;

use rmcp::model::ElicitationAction;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use support::{Cleanup, FIXTURE, LocalRegistry, Recorder, Wharf, docker, require_docker, unique};

const BASE: &str = "services:
  web:
    image: nginx:${TAG:-1}
    ports: ['${PORT:-80}:80']
    depends_on:
      db:
        condition: service_healthy
    colour: blue
  db:
    image: postgres:16
    volumes: ['data:/var/lib/postgresql/data']
volumes:
  data: {}
";

#[tokio::test]
async fn compose_config_shows_the_normalised_project() {
    let w = Wharf::start().await;
    let dir = w.dir.path();
    std::fs::write(dir.join("compose.yaml"), BASE).unwrap();
    std::fs::write(
        dir.join("compose.override.yaml"),
        "services:\n  web:\n    deploy:\n      replicas: 2\n",
    )
    .unwrap();
    std::fs::write(dir.join(".env"), "TAG=from-dotenv\nPORT=8080\n").unwrap();

    let out = w
        .ok("compose_config", json!({ "project_name": "shop" }))
        .await;
    assert!(out.starts_with("project shop: 2 services"), "{out}");
    assert!(
        out.contains("- web: nginx:from-dotenv; x2; ports 8080->80/tcp; after db (healthy)"),
        "{out}"
    );
    assert!(out.contains("volumes: shop_data"), "{out}");
    assert!(
        out.contains("warning: services.web.colour: unknown or unsupported key"),
        "{out}"
    );

    // Variables given in the call win over .env.
    let out = w
        .ok(
            "compose_config",
            json!({ "project_name": "shop", "env": { "TAG": "given" } }),
        )
        .await;
    assert!(out.contains("nginx:given"), "{out}");

    // Inline YAML, and a broken file named with its line.
    let out = w
        .ok(
            "compose_config",
            json!({ "yaml": "services:\n  one:\n    image: busybox\n", "project_name": "p" }),
        )
        .await;
    assert!(out.starts_with("project p: 1 services"), "{out}");
    std::fs::write(
        dir.join("broken.yaml"),
        "services:\n  web:\n    image: [oops\n",
    )
    .unwrap();
    let err = w
        .err("compose_config", json!({ "files": ["broken.yaml"] }))
        .await;
    assert!(err.contains("broken.yaml") && err.contains("line"), "{err}");
    let err = w
        .err(
            "compose_config",
            json!({ "yaml": "services:\n  web:\n    image: x\n    depends_on: [db]\n" }),
        )
        .await;
    assert!(
        err.contains("services.web.depends_on: refers to undefined service db"),
        "{err}"
    );

    // Only the allowed roots are readable.
    let err = w
        .err("compose_config", json!({ "project_dir": "/etc" }))
        .await;
    assert!(err.contains("outside the allowed roots"), "{err}");
    std::fs::create_dir(dir.join("empty")).unwrap();
    let err = w
        .err("compose_config", json!({ "project_dir": "empty" }))
        .await;
    assert!(
        err.contains("no compose file in") && err.contains("compose.yaml"),
        "{err}"
    );
}

/// A command that runs until stopped and stops at once on SIGTERM (as PID 1, busybox's
/// `sleep` would ignore it and every stop would wait out its timeout).
const LOOP: &str = r#"["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]"#;

fn shop_yaml() -> String {
    format!(
        r#"services:
  db:
    image: {FIXTURE}
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; trap 'exit 0' TERM; while true; do sleep 1; done"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 1s
      retries: 30
    volumes: ["data:/data"]
    networks:
      back:
        aliases: [database]
  cache:
    image: {FIXTURE}
    command: {LOOP}
    networks: [back]
  web:
    image: {FIXTURE}
    command: {LOOP}
    environment:
      MODE: ${{MODE:-one}}
    depends_on:
      db: {{condition: service_healthy}}
      cache: {{condition: service_started}}
    networks: [front, back]
    deploy:
      replicas: 2
networks:
  front: {{}}
  back: {{}}
volumes:
  data: {{}}
"#
    )
}

/// `docker-compose` (1.29, the reference) on project `project` in `dir`.
fn docker_compose(dir: &Path, project: &str, args: &[&str]) -> String {
    let out = Command::new("docker-compose")
        .arg("-p")
        .arg(project)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("the reference, docker-compose, cannot run ({e}): apt-get install docker-compose, or run .ci/run")
        });
    assert!(
        out.status.success(),
        "docker-compose {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Container name -> id, for the containers labelled as `project`'s.
fn project_containers(project: &str) -> BTreeMap<String, String> {
    docker(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
        "--format",
        "{{.Names}} {{.ID}}",
    ])
    .lines()
    .filter_map(|l| l.split_once(' '))
    .map(|(n, id)| (n.to_owned(), id.to_owned()))
    .collect()
}

fn labelled(kind: &str, project: &str) -> Vec<String> {
    docker(&[
        kind,
        "ls",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
    .split_whitespace()
    .map(str::to_owned)
    .collect()
}

#[tokio::test]
async fn up_is_seen_by_docker_compose_recreates_only_what_changed_and_keeps_volumes() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let project = cleanup.project(&unique("shop"));
    let w = Wharf::start().await;
    let dir = w.dir.path();
    std::fs::write(dir.join("compose.yaml"), shop_yaml()).unwrap();
    let up = json!({ "project_name": project });

    let (out, progress) = w.ok_with_progress("compose_up", up.clone()).await;
    for line in [
        format!("network {project}_back: created"),
        format!("volume {project}_data: created"),
        "service db: healthy".to_owned(),
        format!("{project}-web-2: created"),
    ] {
        assert!(out.contains(&line), "{line} missing from {out}");
    }
    // db is healthy before web is created, because web waits for it.
    assert!(
        out.find("service db: healthy") < out.find(&format!("{project}-web-1")),
        "{out}"
    );
    // Progress per step (the host may coalesce close ones), ending at the total.
    let last = progress.last().expect("progress notifications");
    assert_eq!(Some(last.progress), last.total, "{progress:?}");
    assert!(
        progress.windows(2).all(|p| p[0].progress <= p[1].progress),
        "{progress:?}"
    );

    let wharf_made = project_containers(&project);
    let expected: Vec<String> = ["cache-1", "db-1", "web-1", "web-2"]
        .iter()
        .map(|s| format!("{project}-{s}"))
        .collect();
    assert_eq!(wharf_made.keys().cloned().collect::<Vec<_>>(), expected);
    // The reference finds the same containers through the labels.
    let mut seen: Vec<String> = docker_compose(dir, &project, &["ps", "-q"])
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    seen.sort();
    let mut ids: Vec<String> = wharf_made.values().cloned().collect();
    ids.sort();
    assert_eq!(
        seen.iter().map(|s| &s[..12]).collect::<Vec<_>>(),
        ids.iter().map(|s| &s[..12]).collect::<Vec<_>>()
    );
    let ps = w.ok("compose_ps", json!({ "project_name": project })).await;
    assert!(
        ps.contains(&format!("project {project}: 4 containers")),
        "{ps}"
    );

    // Aliases work on the network they were given for.
    docker(&[
        "exec",
        &format!("{project}-web-1"),
        "ping",
        "-c",
        "1",
        "-W",
        "5",
        "database",
    ]);
    docker(&[
        "exec",
        &format!("{project}-db-1"),
        "sh",
        "-c",
        "echo kept > /data/file",
    ]);

    // Nothing changed: nothing recreated, and so nothing asked.
    let asked = w.recorder.questions.lock().unwrap().len();
    let out = w.ok("compose_up", up.clone()).await;
    assert!(
        !out.contains("recreated") && !out.contains(": created"),
        "{out}"
    );
    assert_eq!(project_containers(&project), wharf_made);
    assert_eq!(w.recorder.questions.lock().unwrap().len(), asked);

    // One service's environment changed: that service only is recreated.
    let before = w.recorder.asked().len();
    let out = w
        .ok(
            "compose_up",
            json!({ "project_name": project, "env": { "MODE": "two" } }),
        )
        .await;
    assert!(
        out.contains(&format!("{project}-web-1: recreated")),
        "{out}"
    );
    // The user was asked first, once, shown the containers to be replaced and no others.
    let asked = w.recorder.asked();
    assert_eq!(asked.len(), before + 1, "{asked:?}");
    let question = &asked[before];
    assert!(
        question.contains(&format!("- replace container {project}-web-1\n"))
            && question.contains(&format!("- replace container {project}-web-2\n"))
            && !question.contains("-db-"),
        "{question}"
    );
    let after = project_containers(&project);
    for (name, id) in &wharf_made {
        assert_eq!(after[name] == *id, !name.contains("-web-"), "{name}: {out}");
    }
    assert_eq!(
        docker(&[
            "exec",
            &format!("{project}-web-2"),
            "sh",
            "-c",
            "echo $MODE"
        ]),
        "two"
    );

    // Down keeps the named volume; the next up finds the data.
    let out = w
        .ok("compose_down", json!({ "project_name": project }))
        .await;
    assert!(
        out.contains(&format!(
            "kept volumes (volumes=true removes them): {project}_data"
        )),
        "{out}"
    );
    assert!(project_containers(&project).is_empty());
    assert!(labelled("network", &project).is_empty());
    w.ok(
        "compose_up",
        json!({ "project_name": project, "services": ["db"] }),
    )
    .await;
    assert_eq!(
        docker(&["exec", &format!("{project}-db-1"), "cat", "/data/file"]),
        "kept"
    );

    // The reference takes down what wharf brought up.
    docker_compose(dir, &project, &["down", "-v"]);
    assert!(project_containers(&project).is_empty());
    assert!(labelled("volume", &project).is_empty());
    assert!(labelled("network", &project).is_empty());
}

#[tokio::test]
async fn a_project_docker_compose_brought_up_is_listed_and_taken_down_by_wharf() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let project = cleanup.project(&unique("ref"));
    let w = Wharf::start().await;
    let dir = w.dir.path();
    std::fs::write(
        dir.join("docker-compose.yml"),
        format!(
            "version: '3.8'\nservices:\n  app:\n    image: {FIXTURE}\n    command: {LOOP}\n    \
             volumes: ['store:/store']\n  side:\n    image: {FIXTURE}\n    command: {LOOP}\n\
             volumes:\n  store: {{}}\n"
        ),
    )
    .unwrap();
    docker_compose(dir, &project, &["up", "-d"]);

    let ps = w.ok("compose_ps", json!({ "project_name": project })).await;
    assert!(
        ps.contains(&format!("project {project}: 2 containers")),
        "{ps}"
    );
    assert!(ps.contains("  app  running"), "{ps}");

    let containers = project_containers(&project);
    assert_eq!(containers.len(), 2, "{containers:?}");
    let before = w.recorder.asked().len();
    let out = w
        .ok(
            "compose_down",
            json!({ "project_name": project, "volumes": true }),
        )
        .await;
    // It was asked about once, with what it would remove, found by its dry run.
    let asked = w.recorder.asked();
    assert_eq!(asked.len(), before + 1, "{asked:?}");
    let question = &asked[before];
    let lines = containers
        .keys()
        .map(|c| format!("- remove container {c}\n"))
        .chain([
            format!("- remove network {project}_default\n"),
            format!("- remove volume {project}_store\n"),
        ]);
    for line in lines {
        assert!(question.contains(&line), "{line} missing from {question}");
    }
    assert!(
        out.contains(&format!("removed networks: {project}_default")),
        "{out}"
    );
    assert!(
        out.contains(&format!("removed volumes: {project}_store")),
        "{out}"
    );
    assert!(project_containers(&project).is_empty());
    assert!(labelled("volume", &project).is_empty());
    assert!(labelled("network", &project).is_empty());
    // Down again: nothing left, and no error.
    let out = w
        .ok("compose_down", json!({ "project_name": project }))
        .await;
    assert!(out.contains("nothing to remove"), "{out}");
}

/// In no-destructive mode nothing is removed, whatever tool asks: `compose_up` is labelled
/// as only writing, yet with `remove_orphans` it removed containers of a project it was
/// pointed at (seen with a project docker-compose made). Here the project is wharf's own,
/// so nothing needs recreating and the orphan is what `compose_up` would remove.
#[tokio::test]
async fn no_destructive_mode_keeps_compose_up_from_removing_containers() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let project = cleanup.project(&unique("orphans"));
    let full = Wharf::start().await;
    let dir = full.dir.path().to_str().unwrap();
    let limited = Wharf::start_with(
        &["--allowed-root", dir],
        Some("mode = \"no-destructive\"\n"),
    )
    .await;
    let app = format!("  app:\n    image: {FIXTURE}\n    command: {LOOP}\n");
    let side = format!("  side:\n    image: {FIXTURE}\n    command: {LOOP}\n");
    let file = |services: &str| {
        std::fs::write(
            full.dir.path().join("docker-compose.yml"),
            format!("services:\n{services}"),
        )
        .unwrap()
    };
    file(&format!("{app}{side}"));
    full.ok("compose_up", json!({ "project_name": project }))
        .await;
    file(&app);
    let before = project_containers(&project);
    assert_eq!(before.len(), 2, "{before:?}");

    let e = limited
        .err(
            "compose_up",
            json!({ "project_name": project, "project_dir": dir, "remove_orphans": true }),
        )
        .await;
    let side = before.keys().find(|n| n.contains("side")).unwrap();
    assert!(
        e.contains("wharf runs in no-destructive mode: `compose_up` asked to remove container")
            && e.contains(&format!("remove {side}")),
        "{e}"
    );
    assert_eq!(
        project_containers(&project),
        before,
        "nothing removed or replaced"
    );
    for name in before.keys() {
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Running}}", name]),
            "true",
            "{name} must still run"
        );
    }
}

/// In full mode `compose_up` is labelled as only writing, yet with `remove_orphans` it
/// removed, unasked, a container of the project another tool had made (seen with a project
/// docker-compose made). Now its dry run plans the removal, the user is asked with the plan
/// in the question, and a no leaves the container; `dry_run` alone shows the same plan and
/// changes nothing.
#[tokio::test]
async fn compose_up_shows_what_it_would_remove_and_removes_it_only_after_a_yes() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let project = cleanup.project(&unique("plan"));
    let decline = Wharf::start_client(
        &[],
        None,
        &[],
        Recorder::answering(Some(ElicitationAction::Decline)),
    )
    .await;
    let dir = decline.dir.path().to_str().unwrap();
    std::fs::write(
        decline.dir.path().join("docker-compose.yml"),
        format!("services:\n  app:\n    image: {FIXTURE}\n    command: {LOOP}\n"),
    )
    .unwrap();
    // The other tool's container: Compose's labels, made with the docker CLI.
    let other = format!("{project}-side-1");
    docker(&[
        "run",
        "-d",
        "--name",
        &other,
        "--label",
        &format!("com.docker.compose.project={project}"),
        "--label",
        "com.docker.compose.service=side",
        "--label",
        "com.docker.compose.container-number=1",
        "--label",
        "com.docker.compose.oneoff=False",
        FIXTURE,
        "sleep",
        "300",
    ]);

    // Another tool made it: compose_up leaves it alone unless told to adopt it.
    let e = decline
        .err(
            "compose_up",
            json!({ "project_name": project, "remove_orphans": true }),
        )
        .await;
    assert!(
        e.contains(&format!(
            "container {other} was not created by wharf (docker compose made it, say), and \
             compose_up would remove it: adopt=true lets it"
        )),
        "{e}"
    );
    assert!(decline.recorder.questions.lock().unwrap().is_empty());

    let r = decline
        .call(
            "compose_up",
            json!({ "project_name": project, "remove_orphans": true, "adopt": true, "dry_run": true }),
        )
        .await;
    let out = support::text(&r);
    assert_ne!(r.is_error, Some(true), "{out}");
    assert!(
        out.contains(&format!("{other}: would be removed (orphan)")),
        "{out}"
    );
    let plan = &r.structured_content.as_ref().unwrap()["plan"];
    assert_eq!(plan[0]["action"], "remove", "{plan}");
    assert_eq!(
        plan[0]["name"].as_str().unwrap().trim_start_matches('/'),
        other
    );
    assert!(
        decline.recorder.questions.lock().unwrap().is_empty(),
        "a dry run asks nothing"
    );
    assert_eq!(
        project_containers(&project).keys().collect::<Vec<_>>(),
        [&other],
        "a dry run changes nothing"
    );

    let e = decline
        .err(
            "compose_up",
            json!({ "project_name": project, "remove_orphans": true, "adopt": true }),
        )
        .await;
    assert!(e.contains("declined"), "{e}");
    let asked = decline.recorder.questions.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].starts_with("Allow wharf to run `compose_up`")
            && asked[0].contains(&format!("- remove container {other}")),
        "{}",
        asked[0]
    );
    assert_eq!(
        project_containers(&project).keys().collect::<Vec<_>>(),
        [&other],
        "after a no, nothing was created or removed"
    );

    let accept = Wharf::start_with(&["--allowed-root", dir], None).await;
    let out = accept
        .ok(
            "compose_up",
            json!({
                "project_name": project,
                "project_dir": dir,
                "remove_orphans": true,
                "adopt": true,
            }),
        )
        .await;
    assert!(out.contains(&format!("{other}: removed (orphan)")), "{out}");
    let asked = accept.recorder.questions.lock().unwrap().clone();
    assert!(asked.len() == 1 && asked[0].contains(&other), "{asked:?}");
    let left = project_containers(&project);
    assert!(!left.contains_key(&other), "{left:?}");
    assert_eq!(left.len(), 1, "the app's container: {left:?}");
}

#[tokio::test]
async fn up_builds_from_a_context_and_fails_clearly() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let project = cleanup.project(&unique("build"));
    let w = Wharf::start().await;
    let dir = w.dir.path();
    std::fs::create_dir(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/Dockerfile"),
        format!("FROM {FIXTURE}\nARG GREETING\nRUN echo \"$GREETING\" > /greeting\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        format!(
            "services:\n  app:\n    build:\n      context: ./app\n      args: {{GREETING: hello}}\n    \
             command: {LOOP}\n  sick:\n    image: {FIXTURE}\n    command: {LOOP}\n    \
             healthcheck: {{test: ['CMD', 'false'], interval: 1s, retries: 1}}\n    \
             profiles: [sick]\n  after:\n    image: {FIXTURE}\n    command: {LOOP}\n    \
             depends_on: {{sick: {{condition: service_healthy}}}}\n    profiles: [sick]\n"
        ),
    )
    .unwrap();

    let out = w.ok("compose_up", json!({ "project_name": project })).await;
    assert!(
        out.contains(&format!("image {project}-app: built")),
        "{out}"
    );
    assert!(!out.contains("sick"), "profile services stay out: {out}");
    assert_eq!(
        docker(&["exec", &format!("{project}-app-1"), "cat", "/greeting"]),
        "hello"
    );

    // A dependency that never gets healthy fails the call, naming it.
    let err = w
        .err(
            "compose_up",
            json!({ "project_name": project, "profiles": ["sick"], "wait_timeout_secs": 20 }),
        )
        .await;
    assert!(
        err.contains(&format!("{project}-sick-1 is unhealthy")),
        "{err}"
    );

    let out = w
        .ok(
            "compose_down",
            json!({ "project_name": project, "images": "built" }),
        )
        .await;
    assert!(
        out.contains(&format!("removed images: {project}-app")),
        "{out}"
    );
    assert!(
        std::process::Command::new("docker")
            .args(["image", "inspect", &format!("{project}-app")])
            .output()
            .unwrap()
            .status
            .code()
            != Some(0)
    );

    // A cycle is named before anything is touched.
    std::fs::write(
        dir.join("cycle.yaml"),
        format!(
            "services:\n  a:\n    image: {FIXTURE}\n    depends_on: [b]\n  b:\n    image: {FIXTURE}\n    depends_on: [a]\n"
        ),
    )
    .unwrap();
    let err = w
        .err(
            "compose_up",
            json!({ "project_name": project, "files": ["cycle.yaml"] }),
        )
        .await;
    assert!(err.contains("depends_on has a cycle: a -> b -> a"), "{err}");
}

#[tokio::test]
async fn logs_exec_run_pull_and_lifecycle_act_on_the_project() {
    require_docker();
    let registry = LocalRegistry::start(false);
    let mut cleanup = Cleanup::default();
    let project = cleanup.project(&unique("ops"));
    // An image only the registry has, for compose_pull to fetch.
    let remote = cleanup.image(&format!("{}/{}:v1", registry.host, unique("remote")));
    docker(&["tag", FIXTURE, &remote]);
    docker(&["push", &remote]);
    docker(&["rmi", &remote]);

    let w = Wharf::start().await;
    let dir = w.dir.path();
    let say = |what: &str| {
        format!(
            r#"["sh", "-c", "echo {what}; echo {what}-err >&2; trap 'exit 0' TERM; while true; do sleep 1; done"]"#
        )
    };
    std::fs::write(
        dir.join("compose.yaml"),
        format!(
            "services:\n  a:\n    image: {FIXTURE}\n    command: {}\n    environment: {{WHO: alpha}}\n  \
             b:\n    image: {remote}\n    command: {}\n",
            say("from-a"),
            say("from-b")
        ),
    )
    .unwrap();
    let files = json!({ "project_name": project });

    // Only b: the fixture image is in no registry.
    let out = w
        .ok(
            "compose_pull",
            json!({ "project_name": project, "services": ["b"] }),
        )
        .await;
    assert!(out.contains(&format!("b: pulled {remote}")), "{out}");
    w.ok("compose_up", files.clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let logs = w
        .ok("compose_logs", json!({ "project_name": project }))
        .await;
    for line in ["a-1 | from-a", "b-1 | from-b", "a-1 | [stderr] from-a-err"] {
        assert!(logs.contains(line), "{line} missing from {logs}");
    }
    let logs = w
        .ok(
            "compose_logs",
            json!({ "project_name": project, "grep": "^from-b$" }),
        )
        .await;
    assert!(
        logs.contains("b-1 | from-b") && !logs.contains("from-a"),
        "{logs}"
    );

    let out = w
        .ok(
            "compose_exec",
            json!({ "project_name": project, "service": "a", "command": "echo $WHO" }),
        )
        .await;
    assert!(
        out.contains("exit code 0") && out.contains("alpha"),
        "{out}"
    );

    let out = w
        .ok(
            "compose_run",
            json!({ "project_name": project, "service": "a", "command": "echo one-off $WHO; exit 3" }),
        )
        .await;
    assert!(
        out.contains("exit code 3") && out.contains("one-off alpha"),
        "{out}"
    );
    assert_eq!(
        project_containers(&project).len(),
        2,
        "the one-off is removed"
    );

    let out = w
        .ok(
            "compose_stop",
            json!({ "project_name": project, "services": ["b"] }),
        )
        .await;
    assert!(out.contains(&format!("{project}-b-1: stopped")), "{out}");
    let ps = w.ok("compose_ps", json!({ "project_name": project })).await;
    assert!(ps.contains(&format!("{project}-b-1  b  exited")), "{ps}");
    assert!(ps.contains(&format!("{project}-a-1  a  running")), "{ps}");
    let err = w
        .err(
            "compose_exec",
            json!({ "project_name": project, "service": "b", "command": "true" }),
        )
        .await;
    assert!(err.contains("compose_start starts it"), "{err}");
    let out = w
        .ok("compose_start", json!({ "project_name": project }))
        .await;
    assert!(out.contains(&format!("{project}-b-1: started")), "{out}");
    assert!(
        out.contains(&format!("{project}-a-1: already running")),
        "{out}"
    );
    let out = w
        .ok(
            "compose_restart",
            json!({ "project_name": project, "services": ["a"] }),
        )
        .await;
    assert!(out.contains(&format!("{project}-a-1: restarted")), "{out}");

    w.ok("compose_down", json!({ "project_name": project }))
        .await;
    assert!(project_containers(&project).is_empty());
}

/// Cancelling `up` while it waits on a dependency stops it there: what depends on it is
/// never created, even once the dependency is healthy.
#[tokio::test]
async fn cancelling_up_stops_it_between_steps() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let project = cleanup.project(&unique("cancel"));
    let w = Wharf::start().await;
    std::fs::write(
        w.dir.path().join("compose.yaml"),
        format!(
            // The first probe comes after 5s: until then `slow` is "starting".
            "services:\n  slow:\n    image: {FIXTURE}\n    command: {LOOP}\n    \
             healthcheck: {{test: ['CMD', 'true'], interval: 5s}}\n  after:\n    \
             image: {FIXTURE}\n    command: {LOOP}\n    \
             depends_on: {{slow: {{condition: service_healthy}}}}\n"
        ),
    )
    .unwrap();
    let handle = w
        .start_call("compose_up", json!({ "project_name": project }))
        .await;
    let slow = format!("{project}-slow-1");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !project_containers(&project).contains_key(&slow) {
        assert!(
            std::time::Instant::now() < deadline,
            "{slow} never appeared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    handle.cancel(Some("test".into())).await.unwrap();

    // Had the up gone on, `after` would be created as soon as `slow` is healthy.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while docker(&["inspect", "-f", "{{.State.Health.Status}}", &slow]) != "healthy" {
        assert!(
            std::time::Instant::now() < deadline,
            "{slow} never got healthy"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert!(
        !project_containers(&project).contains_key(&format!("{project}-after-1")),
        "the cancelled up went on"
    );
    w.ok("compose_down", json!({ "project_name": project }))
        .await;
}

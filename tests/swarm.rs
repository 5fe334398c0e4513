//! The swarm plugin end to end, on a real single-node swarm.
//!
//! The tests share one swarm. If the engine is in none, the first test to need it creates
//! one through wharf's own `swarm_init`, and the last to finish leaves it again (removing the
//! `docker_gwbridge` network the swarm made, if it was not there before); a swarm that was
//! already there is used and left alone. Every service, secret, config and network a test
//! makes has a unique name and is removed when the test ends.
//!
//! The routing mesh (ingress publishing) needs iptables rules this project's CI machines
//! cannot give it, so published ports are tested in host mode.

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{FIXTURE, Wharf, docker, require_docker, unique};

const CONFIG: &str = "[plugin.swarm]\nenabled = true\n";

/// A task command that runs until stopped and stops at once on SIGTERM.
const LOOP: &str = "trap 'exit 0' TERM; while true; do sleep 1; done";

struct Shared {
    users: usize,
    /// The tests made the swarm, so the last one out leaves it.
    created: bool,
    gwbridge_existed: bool,
}

static SWARM: tokio::sync::Mutex<Shared> = tokio::sync::Mutex::const_new(Shared {
    users: 0,
    created: false,
    gwbridge_existed: false,
});

/// Tests hold it shared; one that changes the node for everyone holds it alone.
static EXCLUSIVE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

enum Hold {
    Shared(#[allow(dead_code)] tokio::sync::RwLockReadGuard<'static, ()>),
    Alone(#[allow(dead_code)] tokio::sync::RwLockWriteGuard<'static, ()>),
}

/// A test's hold on the shared swarm; the last one dropped leaves a swarm the tests made.
struct Lease {
    _hold: Hold,
}

fn swarm_state() -> String {
    docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"])
}

/// Join the shared swarm beside the other tests.
async fn lease(w: &Wharf) -> Lease {
    join(w, Hold::Shared(EXCLUSIVE.read().await)).await
}

/// Join the shared swarm while no other test uses it.
async fn lease_alone(w: &Wharf) -> Lease {
    join(w, Hold::Alone(EXCLUSIVE.write().await)).await
}

/// Join the shared swarm, creating it through wharf if the engine is in none.
async fn join(w: &Wharf, hold: Hold) -> Lease {
    require_docker();
    let mut shared = SWARM.lock().await;
    if shared.users == 0 {
        match swarm_state().as_str() {
            "inactive" => {
                shared.gwbridge_existed = Command::new("docker")
                    .args(["network", "inspect", "docker_gwbridge"])
                    .output()
                    .is_ok_and(|o| o.status.success());
                let out = w
                    .ok("swarm_init", json!({ "advertise_addr": "127.0.0.1" }))
                    .await;
                assert!(out.contains("Swarm created"), "{out}");
                shared.created = true;
            }
            "active" => {
                let manager = docker(&["info", "--format", "{{.Swarm.ControlAvailable}}"]);
                assert_eq!(
                    manager, "true",
                    "this engine is a swarm worker: the swarm tests need a manager"
                );
                shared.created = false;
            }
            other => {
                panic!("the engine's swarm is {other}: the swarm tests need it active or inactive")
            }
        }
    }
    shared.users += 1;
    Lease { _hold: hold }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Drop cannot await; the other holders run on threads of their own.
        let mut shared = futures::executor::block_on(SWARM.lock());
        shared.users -= 1;
        if shared.users == 0 && shared.created {
            let _ = Command::new("docker")
                .args(["swarm", "leave", "--force"])
                .output();
            if !shared.gwbridge_existed {
                let _ = Command::new("docker")
                    .args(["network", "rm", "docker_gwbridge"])
                    .output();
            }
            shared.created = false;
        }
    }
}

/// Swarm objects removed when the test ends, passed or not.
#[derive(Default)]
struct SwarmCleanup {
    services: Vec<String>,
    secrets: Vec<String>,
    configs: Vec<String>,
    networks: Vec<String>,
}

impl SwarmCleanup {
    fn service(&mut self, name: &str) -> String {
        self.services.push(name.to_owned());
        name.to_owned()
    }
    fn secret(&mut self, name: &str) -> String {
        self.secrets.push(name.to_owned());
        name.to_owned()
    }
    fn config(&mut self, name: &str) -> String {
        self.configs.push(name.to_owned());
        name.to_owned()
    }
    fn network(&mut self, name: &str) -> String {
        self.networks.push(name.to_owned());
        name.to_owned()
    }
}

impl Drop for SwarmCleanup {
    fn drop(&mut self) {
        let rm = |what: &[&str], names: &[String]| {
            if !names.is_empty() {
                let _ = Command::new("docker").args(what).args(names).output();
            }
        };
        rm(&["service", "rm"], &self.services);
        // A service's tasks must be gone before its secrets, configs and networks go.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline
            && self.services.iter().any(|s| {
                !Command::new("docker")
                    .args([
                        "ps",
                        "-aq",
                        "--filter",
                        &format!("label=com.docker.swarm.service.name={s}"),
                    ])
                    .output()
                    .map(|o| o.stdout.is_empty())
                    .unwrap_or(true)
            })
        {
            std::thread::sleep(Duration::from_millis(250));
        }
        rm(&["secret", "rm"], &self.secrets);
        rm(&["config", "rm"], &self.configs);
        rm(&["network", "rm"], &self.networks);
    }
}

/// Start wharf with the swarm plugin enabled, after `top` (top-level config lines).
async fn wharf(top: &str) -> Wharf {
    Wharf::start_with(&[], Some(&format!("{top}{CONFIG}"))).await
}

/// The `docker service ps` view: `name desired current`, running tasks only.
fn running_tasks(service: &str) -> Vec<String> {
    docker(&[
        "service",
        "ps",
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Name}} {{.CurrentState}}",
        service,
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

#[tokio::test]
async fn a_service_converges_scales_updates_and_rolls_back_with_progress() {
    let w = wharf("").await;
    let _swarm = lease(&w).await;
    let mut cleanup = SwarmCleanup::default();
    let name = cleanup.service(&unique("svc"));

    let (out, progress) = w
        .ok_with_progress(
            "create_service",
            json!({
                "name": name,
                "image": FIXTURE,
                "command": ["sh", "-c", format!("echo started $MODE; {LOOP}")],
                "env": { "MODE": "one" },
                "replicas": 2,
                "labels": { "wharf.test": "1" },
            }),
        )
        .await;
    assert!(out.contains("2/2 running (converged"), "{out}");
    let last = progress.last().expect("progress while converging");
    assert_eq!(
        (last.progress, last.total),
        (2.0, Some(2.0)),
        "{progress:?}"
    );
    let tasks = running_tasks(&name);
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert!(tasks.iter().all(|t| t.contains("Running")), "{tasks:?}");
    // What wharf creates carries its provenance label.
    assert_eq!(
        docker(&[
            "service",
            "inspect",
            "-f",
            "{{index .Spec.Labels \"org.wharf.created-by\"}}",
            &name
        ]),
        "wharf"
    );

    let list = w.ok("list_services", json!({ "name": name })).await;
    assert!(
        list.contains(&format!("| {name} | replicated | 2/2 | {FIXTURE}")),
        "{list}"
    );

    let out = w
        .ok("scale_service", json!({ "service": name, "replicas": 3 }))
        .await;
    assert!(out.contains("3/3 running"), "{out}");
    assert_eq!(running_tasks(&name).len(), 3);
    let out = w
        .ok("scale_service", json!({ "service": name, "replicas": 2 }))
        .await;
    assert!(out.contains("2/2 running"), "{out}");
    assert_eq!(running_tasks(&name).len(), 2);

    // A rolling update, one task at a time, reported as it goes.
    let (out, progress) = w
        .ok_with_progress(
            "update_service",
            json!({
                "service": name,
                "env": { "MODE": "two" },
                "update_config": { "parallelism": 1, "delay": "1s" },
            }),
        )
        .await;
    assert!(
        out.contains("updated") && out.contains("2/2 running"),
        "{out}"
    );
    assert!(progress.len() >= 2, "{progress:?}");
    assert_eq!(
        docker(&["service", "inspect", "-f", "{{.UpdateStatus.State}}", &name]),
        "completed"
    );
    let logs = w.ok("service_logs", json!({ "service": name })).await;
    assert_eq!(logs.matches("started two").count(), 2, "{logs}");
    assert!(logs.contains(&format!("{name}.1 | started two")), "{logs}");

    let tasks = w
        .ok("service_tasks", json!({ "service": name, "all": true }))
        .await;
    assert!(tasks.matches("| shutdown |").count() >= 2, "{tasks}");
    assert!(
        tasks.matches("| running | running |").count() == 2,
        "{tasks}"
    );

    let inspect = w.ok("inspect_service", json!({ "service": name })).await;
    assert!(
        inspect.contains("MODE=<redacted>") && !inspect.contains("two"),
        "{inspect}"
    );

    let out = w.ok("rollback_service", json!({ "service": name })).await;
    assert!(
        out.contains("rollback started") && out.contains("2/2 running"),
        "{out}"
    );
    let env = docker(&[
        "service",
        "inspect",
        "-f",
        "{{.Spec.TaskTemplate.ContainerSpec.Env}}",
        &name,
    ]);
    assert_eq!(env, "[MODE=one]");

    let out = w.ok("remove_service", json!({ "service": name })).await;
    assert!(out.contains("removed"), "{out}");
    let err = w.err("inspect_service", json!({ "service": name })).await;
    assert!(
        err.contains("not found") || err.contains("No such"),
        "{err}"
    );
}

#[tokio::test]
async fn a_task_that_cannot_start_is_reported_not_waited_on_forever() {
    let w = wharf("").await;
    let _swarm = lease(&w).await;
    let mut cleanup = SwarmCleanup::default();
    let name = cleanup.service(&unique("broken"));
    let err = w
        .err(
            "create_service",
            json!({
                "name": name,
                "image": FIXTURE,
                "command": ["/no/such/program"],
                "wait_secs": 8,
            }),
        )
        .await;
    assert!(
        err.contains("was created, but") && err.contains("not converged after 8 s"),
        "{err}"
    );
    assert!(err.contains("0/1 running; last task error:"), "{err}");
    let tasks = w
        .ok("service_tasks", json!({ "service": name, "all": true }))
        .await;
    assert!(
        tasks.contains("no such file") || tasks.contains("not found"),
        "{tasks}"
    );
}

#[tokio::test]
async fn a_secret_reaches_the_task_and_no_wharf_output() {
    let audit_dir = tempfile::tempdir().unwrap();
    let audit = audit_dir.path().join("audit.jsonl");
    let w = wharf(&format!("audit_log = \"{}\"\n", audit.display())).await;
    let _swarm = lease(&w).await;
    let mut cleanup = SwarmCleanup::default();
    let secret = cleanup.secret(&unique("pw"));
    let config = cleanup.config(&unique("conf"));
    let network = cleanup.network(&unique("overlay"));
    let name = cleanup.service(&unique("web"));
    let value = format!("hunter2-{}", std::process::id());

    let out = w
        .ok("create_secret", json!({ "name": secret, "value": value }))
        .await;
    assert!(out.contains("created") && !out.contains(&value), "{out}");
    std::fs::write(w.dir.path().join("app.conf"), "listen 8080\n").unwrap();
    w.ok(
        "create_config",
        json!({ "name": config, "file": "app.conf" }),
    )
    .await;
    // An attachable overlay network, made with the networks plugin.
    w.ok(
        "create_network",
        json!({ "name": network, "driver": "overlay", "attachable": true }),
    )
    .await;

    let port = free_port();
    w.ok(
        "create_service",
        json!({
            "name": name,
            "image": FIXTURE,
            "command": ["sh", "-c", "mkdir -p /www && cp /run/secrets/$S /www/s && cp /app.conf /www/c && exec httpd -f -p 8080 -h /www"],
            "env": { "S": secret },
            "secrets": [secret],
            "configs": [format!("{config}:/app.conf")],
            "networks": [network],
            "ports": [format!("{port}:8080")],
            "publish_mode": "host",
        }),
    )
    .await;
    // Readable inside the task: served back over the published port.
    assert_eq!(http_get(port, "/s"), value);
    assert_eq!(http_get(port, "/c"), "listen 8080\n");
    // The engine records the network by id.
    let attached = docker(&[
        "service",
        "inspect",
        "-f",
        "{{range .Spec.TaskTemplate.Networks}}{{.Target}}{{end}}",
        &name,
    ]);
    assert!(
        [
            network.clone(),
            docker(&["network", "inspect", "-f", "{{.ID}}", &network])
        ]
        .contains(&attached),
        "{attached}"
    );

    let mut seen = Vec::new();
    for (tool, args) in [
        ("list_secrets", json!({ "name": secret })),
        ("inspect_secret", json!({ "name": secret })),
        ("inspect_service", json!({ "service": name, "full": true })),
        ("service_tasks", json!({ "service": name, "all": true })),
        ("service_logs", json!({ "service": name })),
        ("inspect_config", json!({ "name": config })),
    ] {
        let out = w.ok(tool, args).await;
        assert!(
            !out.contains(&value),
            "{tool} shows the secret's value: {out}"
        );
        seen.push(out);
    }
    assert!(
        seen[1].contains(&name),
        "inspect_secret names its users: {}",
        seen[1]
    );
    assert!(
        seen[5].contains("listen 8080"),
        "a config's content is shown: {}",
        seen[5]
    );
    let audit = std::fs::read_to_string(&audit).unwrap();
    assert!(audit.contains("create_secret"), "{audit}");
    assert!(
        !audit.contains(&value),
        "the audit log holds the secret: {audit}"
    );

    // In use: the engine refuses to remove it, and says why.
    let err = w.err("remove_secret", json!({ "name": secret })).await;
    assert!(err.contains("in use"), "{err}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of `GET path` on 127.0.0.1:port, retried while the task starts listening.
fn http_get(port: u16, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
            let mut reply = String::new();
            s.read_to_string(&mut reply)?;
            match reply.split_once("\r\n\r\n") {
                Some((head, body)) if head.contains(" 200 ") => Ok(body.to_owned()),
                _ => Err(std::io::Error::other(reply)),
            }
        })();
        match attempt {
            Ok(body) => return body,
            Err(e) if Instant::now() > deadline => panic!("GET :{port}{path}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

#[tokio::test]
async fn a_drained_node_stops_its_tasks_and_takes_them_back_when_active() {
    let w = wharf("").await;
    // Draining the only node stops every service's tasks: no other test runs meanwhile.
    let _swarm = lease_alone(&w).await;
    let mut cleanup = SwarmCleanup::default();
    let name = cleanup.service(&unique("drain"));
    let label = unique("pin");
    w.ok(
        "update_node",
        json!({ "node": "self", "labels_add": { label.clone(): "yes" } }),
    )
    .await;
    w.ok(
        "create_service",
        json!({
            "name": name,
            "image": FIXTURE,
            "command": ["sh", "-c", LOOP],
            "constraints": [format!("node.labels.{label}==yes")],
        }),
    )
    .await;
    let nodes = w.ok("list_nodes", json!({})).await;
    assert!(
        nodes.contains("| manager | active | ready | leader |"),
        "{nodes}"
    );

    let out = w
        .ok(
            "update_node",
            json!({ "node": "self", "availability": "drain" }),
        )
        .await;
    assert!(out.contains("availability drain updated"), "{out}");
    // With no other node to move to, the task stops and a new one waits, as Swarm defines.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tasks = w
            .ok("service_tasks", json!({ "service": name, "all": true }))
            .await;
        if tasks.contains("| running | pending |") && tasks.contains("| shutdown | shutdown |") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the drained task did not stop: {tasks}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let nodes = w.ok("list_nodes", json!({})).await;
    assert!(
        nodes.contains("| manager | drain | ready | leader |"),
        "{nodes}"
    );
    let list = w.ok("list_services", json!({ "name": name })).await;
    assert!(list.contains("| 0/1 |"), "{list}");

    w.ok(
        "update_node",
        json!({ "node": "self", "availability": "active" }),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !running_tasks(&name).iter().any(|t| t.contains("Running")) {
        assert!(Instant::now() < deadline, "the task did not come back");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Node labels come and go; placement follows them.
    let out = w
        .ok(
            "update_node",
            json!({ "node": "self", "labels_remove": [label.clone()] }),
        )
        .await;
    assert!(out.contains("labels updated"), "{out}");
    let labels = docker(&["node", "inspect", "-f", "{{json .Spec.Labels}}", "self"]);
    assert!(!labels.contains(&label), "{labels}");
}

#[tokio::test]
async fn cluster_tools_refuse_clearly_and_read_only_mode_withholds_changes() {
    let w = wharf("").await;
    let _swarm = lease(&w).await;
    let status = w.ok("swarm_status", json!({})).await;
    assert!(status.contains("this engine is a manager"), "{status}");
    // Where it listens is asked, not assumed to be every interface.
    let err = w.err("swarm_init", json!({})).await;
    assert!(
        err.contains("advertise_addr") && err.contains("listen_addr"),
        "{err}"
    );
    let err = w
        .err("swarm_init", json!({ "advertise_addr": "127.0.0.1" }))
        .await;
    assert!(err.contains("already part of a swarm"), "{err}");
    let err = w.err("swarm_leave", json!({})).await;
    assert!(err.contains("force"), "{err}");
    let token = w.ok("swarm_join_token", json!({ "role": "worker" })).await;
    assert!(
        token.contains("docker swarm join --token SWMTKN-"),
        "{token}"
    );
    // A worker's token is handed out once the user says yes.
    let asked = w.recorder.questions.lock().unwrap().clone();
    assert!(
        asked.iter().any(|q| q.contains("swarm_join_token")),
        "{asked:?}"
    );
    // A manager's never, unless wharf.toml allows it.
    let err = w
        .err("swarm_join_token", json!({ "role": "manager" }))
        .await;
    assert!(err.contains("manager_join_tokens = true"), "{err}");
    assert!(!err.contains("SWMTKN-"), "{err}");
    let allowing = wharf("[allow]\nmanager_join_tokens = true\n").await;
    let token = allowing
        .ok("swarm_join_token", json!({ "role": "manager" }))
        .await;
    assert!(token.contains("SWMTKN-"), "{token}");
    assert!(
        !status.contains("SWMTKN-"),
        "status shows a join token: {status}"
    );
    let err = w.err("update_node", json!({ "node": "self" })).await;
    assert!(err.contains("nothing to change"), "{err}");

    // Read-only: the tools that change the swarm are not served, and the host refuses a
    // change even from a plugin that asks.
    let ro = Wharf::start_with(&["--read-only"], Some(CONFIG)).await;
    let tools = ro.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(
        names.contains(&"list_services") && names.contains(&"swarm_status"),
        "{names:?}"
    );
    for write in [
        "create_service",
        "swarm_join_token",
        "update_node",
        "remove_secret",
    ] {
        assert!(
            !names.contains(&write),
            "{write} served read-only: {names:?}"
        );
    }
    // Granted swarm-read only: the plugin loads, and its writes are denied by the host.
    let narrowed = Wharf::start_with(
        &[],
        Some("[plugin.swarm]\nenabled = true\ngrants = [\"swarm-read\"]\n"),
    )
    .await;
    let err = narrowed
        .err("swarm_join_token", json!({ "role": "manager" }))
        .await;
    assert!(
        err.contains("not granted") || err.contains("denied"),
        "{err}"
    );
    narrowed.ok("list_nodes", json!({})).await;
}

/// Issue 18, case 1, for swarm tasks: the swarm starts a task again by itself whenever one
/// ends, mounting its binds anew, so a bind source a container could swap for a symlink is
/// refused when the service is made.
#[tokio::test]
async fn a_service_may_not_bind_a_path_a_container_can_swap() {
    let w = wharf("").await;
    let _swarm = lease(&w).await;
    let mut cleanup = SwarmCleanup::default();
    let mut containers = support::Cleanup::default();
    let root = w.dir.path().canonicalize().unwrap().display().to_string();
    std::fs::create_dir(format!("{root}/x")).unwrap();
    let writer = containers.container(&unique("svc-bind-writer"));
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": writer, "volumes": [format!("{root}:/w")],
               "command": ["sleep", "300"]}),
    )
    .await;
    let name = cleanup.service(&unique("svc-bind"));
    let e = w
        .err(
            "create_service",
            json!({ "name": name, "image": FIXTURE, "command": ["sh", "-c", LOOP],
                    "mounts": [format!("{root}/x:/host")] }),
        )
        .await;
    assert!(
        e.starts_with(&format!(
            "denied: service {name}: bind mount of `{root}/x` refused"
        )) && e.contains(&format!(
            "it lies inside `{root}`, which container `{writer}` can write through a \
                 mount of its own"
        )),
        "{e}"
    );
    assert!(
        docker(&["service", "ls", "-q", "--filter", &format!("name={name}")]).is_empty(),
        "no service was made"
    );
}

#[tokio::test]
async fn the_swarm_plugin_is_off_unless_enabled() {
    let w = Wharf::start().await;
    let tools = w.client.list_all_tools().await.unwrap();
    assert!(
        !tools.iter().any(|t| t.name == "list_services"),
        "the swarm plugin loaded without being enabled"
    );
    let off: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    let on = wharf("").await;
    let tools = on.client.list_all_tools().await.unwrap();
    let swarm: Vec<&str> = tools
        .iter()
        .map(|t| t.name.as_ref())
        .filter(|n| !off.iter().any(|o| o == n))
        .collect();
    assert_eq!(swarm.len(), 29, "{swarm:?}");
}

/// A stack's objects (docker stack's or wharf's) and the volumes its tasks made, removed
/// when the test ends.
struct StackCleanup(Vec<String>);

impl Drop for StackCleanup {
    fn drop(&mut self) {
        for stack in &self.0 {
            let _ = Command::new("docker").args(["stack", "rm", stack]).output();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        for stack in &self.0 {
            let label = format!("label=com.docker.stack.namespace={stack}");
            while Instant::now() < deadline
                && Command::new("docker")
                    .args(["ps", "-aq", "--filter", &label])
                    .output()
                    .is_ok_and(|o| !o.stdout.is_empty())
            {
                std::thread::sleep(Duration::from_millis(250));
            }
            let volumes = Command::new("docker")
                .args(["volume", "ls", "-q", "--filter", &label])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            for v in volumes.split_whitespace() {
                let _ = Command::new("docker")
                    .args(["volume", "rm", "-f", v])
                    .output();
            }
            let _ = Command::new("docker")
                .args(["network", "prune", "-f", "--filter", &label])
                .output();
        }
    }
}

const STACK: &str = r#"version: "3.8"
services:
  web:
    image: wharf-fixture/busybox:latest
    command: ["sh", "-c", "mkdir -p /www && cp /run/secrets/pw /www/pw && cp /app.conf /www/conf && echo web $$MODE && exec httpd -f -p 8080 -h /www"]
    environment:
      MODE: ${MODE:-one}
    deploy:
      replicas: 2
      update_config: {parallelism: 1, delay: 1s}
    networks: [front, back]
    secrets: [pw]
    configs: [{source: conf, target: /app.conf}]
  db:
    image: wharf-fixture/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    volumes: ["data:/data"]
    networks:
      back:
        aliases: [database]
    deploy:
      labels: {tier: data}
      placement: {constraints: [node.role==manager]}
networks:
  front: {}
  back: {}
volumes:
  data: {}
secrets:
  pw: {file: ./pw.txt}
configs:
  conf: {file: ./app.conf}
"#;

/// `id name` of a stack's running tasks.
fn stack_tasks(stack: &str) -> Vec<String> {
    docker(&[
        "stack",
        "ps",
        stack,
        "--filter",
        "desired-state=running",
        "--format",
        "{{.ID}} {{.Name}}",
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

#[tokio::test]
async fn a_stack_is_seen_by_docker_stack_and_the_other_way_round() {
    let w = wharf("").await;
    let _swarm = lease(&w).await;
    let ours = unique("stack");
    let theirs = unique("dstack");
    let _cleanup = StackCleanup(vec![ours.clone(), theirs.clone()]);
    let dir = w.dir.path();
    std::fs::write(dir.join("compose.yaml"), STACK).unwrap();
    std::fs::write(dir.join("pw.txt"), "s3cret").unwrap();
    std::fs::write(dir.join("app.conf"), "conf v1").unwrap();

    let deploy = json!({ "project_name": ours });
    let (out, progress) = w.ok_with_progress("stack_deploy", deploy.clone()).await;
    for line in [
        format!("network {ours}_front: created"),
        format!("network {ours}_back: created"),
        format!("secret {ours}_pw: created"),
        format!("config {ours}_conf: created"),
        format!("service {ours}_web: created"),
        format!("service {ours}_web: 2/2 running"),
        format!("service {ours}_db: 1/1 running"),
    ] {
        assert!(out.contains(&line), "{line} missing from {out}");
    }
    let last = progress.last().expect("progress while the stack converges");
    assert_eq!(
        (last.progress, last.total),
        (2.0, Some(2.0)),
        "{progress:?}"
    );

    // docker stack sees wharf's stack, as docker stack deploy would have made it.
    let ls = docker(&["stack", "ls", "--format", "{{.Name}} {{.Services}}"]);
    assert!(ls.lines().any(|l| l == format!("{ours} 2")), "{ls}");
    assert_eq!(stack_tasks(&ours).len(), 3, "{:?}", stack_tasks(&ours));
    let aliases = docker(&[
        "service",
        "inspect",
        "-f",
        "{{range .Spec.TaskTemplate.Networks}}{{.Aliases}}{{end}}",
        &format!("{ours}_db"),
    ]);
    assert_eq!(aliases, "[db database]");
    assert_eq!(
        docker(&[
            "service",
            "inspect",
            "-f",
            "{{index .Spec.Labels \"tier\"}}",
            &format!("{ours}_db")
        ]),
        "data"
    );
    let web = docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.swarm.service.name={ours}_web"),
    ]);
    let web = web.lines().next().expect("a web task's container");
    assert_eq!(docker(&["exec", web, "cat", "/www/pw"]), "s3cret");
    assert_eq!(docker(&["exec", web, "cat", "/www/conf"]), "conf v1");

    let list = w.ok("stack_list", json!({})).await;
    assert!(list.contains(&format!("{ours} | 2")), "{list}");
    let services = w.ok("stack_services", json!({ "stack": ours })).await;
    assert!(
        services.contains(&format!("| {ours}_web | replicated | 2/2 |")),
        "{services}"
    );
    let ps = w.ok("stack_ps", json!({ "stack": ours })).await;
    assert_eq!(ps.matches("| running | running |").count(), 3, "{ps}");

    // Changing web's environment replaces web's tasks only.
    let db_tasks: Vec<String> = stack_tasks(&ours)
        .into_iter()
        .filter(|t| t.contains("_db."))
        .collect();
    let out = w
        .ok(
            "stack_deploy",
            json!({ "project_name": ours, "env": { "MODE": "two" } }),
        )
        .await;
    assert!(
        out.contains(&format!(
            "service {ours}_web: updated, tasks being replaced"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("service {ours}_db: updated, tasks unchanged")),
        "{out}"
    );
    assert!(
        out.contains("secret") && out.contains("exists, kept"),
        "{out}"
    );
    let after: Vec<String> = stack_tasks(&ours)
        .into_iter()
        .filter(|t| t.contains("_db."))
        .collect();
    assert_eq!(after, db_tasks);
    let logs = w
        .ok("service_logs", json!({ "service": format!("{ours}_web") }))
        .await;
    assert_eq!(logs.matches("web two").count(), 2, "{logs}");

    // A stack docker stack deployed is listed and removed by wharf.
    let out = Command::new("docker")
        .args(["stack", "deploy", "-c", "compose.yaml", &theirs])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker stack deploy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // wharf changes it only when told to adopt it; refused before anything is changed.
    let e = w
        .err("stack_deploy", json!({ "project_name": theirs }))
        .await;
    assert!(
        e.contains(&format!(
            "services {theirs}_db, {theirs}_web were not created by wharf"
        )) && e.contains("adopt=true lets it"),
        "{e}"
    );
    let list = w.ok("stack_list", json!({})).await;
    assert!(list.contains(&format!("{theirs} | 2")), "{list}");
    let out = w.ok("stack_remove", json!({ "stack": theirs })).await;
    for line in [
        format!("service {theirs}_web: removed"),
        format!("secret {theirs}_pw: removed"),
        format!("network {theirs}_back: removed"),
    ] {
        assert!(out.contains(&line), "{line} missing from {out}");
    }
    let ls = docker(&["stack", "ls", "--format", "{{.Name}}"]);
    assert!(!ls.lines().any(|l| l == theirs), "{ls}");
    assert!(
        docker(&[
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label=com.docker.stack.namespace={theirs}")
        ])
        .is_empty()
    );

    // Without db in the files, prune removes db: the dry run plans it and changes nothing,
    // and the deploy asks with that plan before removing it.
    let db = STACK.find("  db:\n").unwrap();
    let end = STACK.find("networks:\n  front").unwrap();
    std::fs::write(
        dir.join("web.yaml"),
        format!("{}{}", &STACK[..db], &STACK[end..]),
    )
    .unwrap();
    let prune = json!({ "project_name": ours, "files": ["web.yaml"], "prune": true });
    let mut dry = prune.clone();
    dry["dry_run"] = json!(true);
    let r = w.call("stack_deploy", dry).await;
    let out = support::text(&r);
    assert!(
        out.contains(&format!("service {ours}_db: would be removed (prune)")),
        "{out}"
    );
    let plan = &r.structured_content.as_ref().unwrap()["plan"];
    assert_eq!(plan[0]["name"], format!("{ours}_db"), "{plan}");
    assert_eq!(plan.as_array().unwrap().len(), 1, "{plan}");
    let services = || {
        docker(&[
            "service",
            "ls",
            "-q",
            "--filter",
            &format!("name={ours}_db"),
        ])
    };
    assert!(!services().is_empty(), "a dry run removes nothing");
    let asked = w.recorder.questions.lock().unwrap().len();
    let out = w.ok("stack_deploy", prune).await;
    assert!(
        out.contains(&format!("service {ours}_db: removed (prune)")),
        "{out}"
    );
    let questions = w.recorder.questions.lock().unwrap().clone();
    assert_eq!(questions.len(), asked + 1, "{questions:?}");
    assert!(
        questions[asked].contains(&format!("- remove service {ours}_db\n")),
        "{}",
        questions[asked]
    );
    assert!(services().is_empty());

    // And docker stack removes wharf's.
    docker(&["stack", "rm", &ours]);
    let list = w.ok("stack_list", json!({})).await;
    assert!(!list.contains(&ours), "{list}");
    let err = w.err("stack_ps", json!({ "stack": ours })).await;
    assert!(err.contains("no stack named"), "{err}");
}

//! Podman as an engine: Debian's podman, started here as `podman system service` on a socket,
//! a storage root, a network config directory and a registry config of the test's own.
//! Every tool wharf serves is called once against it, and each must either work or say the
//! engine does not support it; the outcomes are the README's table of what works on Podman,
//! which this test checks (and rewrites with WHARF_UPDATE_README=1).

mod support;

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{FIXTURE, LocalRegistry, Wharf, require_docker, unique};

const PODMAN: &str = "podman";

/// A private Podman service; everything it made is removed when dropped.
struct Podman {
    dir: tempfile::TempDir,
    service: Child,
}

impl Podman {
    /// A service that trusts `registry` over plain HTTP.
    fn start(registry: &str) -> Podman {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // No ulimits of its own: setting them fails in this machine's containers ("error
        // setting rlimit type 7"). cgroupfs and a file for events: there is no systemd.
        std::fs::write(
            d.join("containers.conf"),
            format!(
                "[containers]\ndefault_ulimits = []\nlog_driver = \"k8s-file\"\n\
                 [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n\
                 [network]\nnetwork_config_dir = \"{}\"\ndefault_subnet = \"10.213.0.0/24\"\n",
                d.join("networks").display()
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("registries.conf"),
            format!(
                "unqualified-search-registries = []\n[[registry]]\nlocation = \"{registry}\"\n\
                 insecure = true\n"
            ),
        )
        .unwrap();
        let service = Command::new(PODMAN)
            .args(Self::global_args(d))
            .args(["system", "service", "--time", "0"])
            .arg(format!("unix://{}", d.join("podman.sock").display()))
            .envs(Self::env(d))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("service.log")).unwrap())
            .spawn()
            .expect("podman (.ci/run installs it)");
        let podman = Podman { dir, service };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::os::unix::net::UnixStream::connect(podman.socket()).is_err() {
            assert!(
                Instant::now() < deadline,
                "podman system service did not listen: {}",
                std::fs::read_to_string(podman.dir.path().join("service.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        podman
    }

    fn global_args(d: &Path) -> Vec<String> {
        let p = |s: &str| d.join(s).display().to_string();
        vec![
            "--root".into(),
            p("root"),
            "--runroot".into(),
            p("run"),
            "--tmpdir".into(),
            p("tmp"),
        ]
    }

    fn env(d: &Path) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("CONTAINERS_CONF", d.join("containers.conf")),
            ("CONTAINERS_REGISTRIES_CONF", d.join("registries.conf")),
        ]
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("podman.sock")
    }

    /// The podman CLI on this service's storage.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(PODMAN)
            .args(Self::global_args(self.dir.path()))
            .args(args)
            .envs(Self::env(self.dir.path()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "podman {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    async fn wharf(&self) -> Wharf {
        let host = format!("unix://{}", self.socket().display());
        Wharf::start_env(
            &["--toolsets", "all"],
            None,
            &[("DOCKER_HOST", host.as_str())],
        )
        .await
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.service.kill();
        let _ = self.service.wait();
        // Containers, their mounts and networks, images and volumes: all in this storage.
        let _ = Command::new(PODMAN)
            .args(Self::global_args(self.dir.path()))
            .args(["system", "reset", "--force"])
            .envs(Self::env(self.dir.path()))
            .output();
        // conmon outlives an exec by minutes (--exit-delay); every process that still names
        // this storage is the test's.
        let dir = self.dir.path().to_string_lossy().into_owned();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            if pid != std::process::id() && String::from_utf8_lossy(&cmdline).contains(&dir) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Works,
    Unsupported,
}

/// What each tool did, by tool group, the groups in the order `wharf tools` lists them.
#[derive(Default)]
struct Findings(Vec<(&'static str, BTreeMap<String, Outcome>)>);

impl Findings {
    async fn works(&mut self, w: &Wharf, group: &'static str, tool: &str, args: Value) -> String {
        let out = w.ok(tool, args).await;
        self.record(group, tool, Outcome::Works);
        out
    }

    fn record(&mut self, group: &'static str, tool: &str, outcome: Outcome) {
        if !self.0.iter().any(|(g, _)| *g == group) {
            self.0.push((group, BTreeMap::new()));
        }
        let (_, tools) = self
            .0
            .iter_mut()
            .find(|(g, _)| *g == group)
            .expect("just added");
        let previous = tools.insert(tool.to_owned(), outcome);
        assert!(
            previous.is_none_or(|p| p == outcome),
            "{tool}: {previous:?} then {outcome:?}"
        );
    }

    fn tools(&self) -> BTreeSet<String> {
        self.0.iter().flat_map(|(_, t)| t.keys().cloned()).collect()
    }

    /// The README's table.
    fn table(&self) -> String {
        let mut table = String::from("| tools | on Podman |\n|---|---|\n");
        for (group, tools) in &self.0 {
            let not: Vec<&str> = tools
                .iter()
                .filter(|(_, o)| **o == Outcome::Unsupported)
                .map(|(t, _)| t.as_str())
                .collect();
            let verdict = if not.is_empty() {
                format!("all {} work", tools.len())
            } else if not.len() == tools.len() {
                "none: refused as not supported by this engine".to_owned()
            } else {
                format!("all but {}", not.join(", "))
            };
            table.push_str(&format!("| {group} ({}) | {verdict} |\n", tools.len()));
        }
        table
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tool_works_on_podman_or_says_it_is_not_supported() {
    require_docker();
    let registry = LocalRegistry::start(false);
    let podman = Podman::start(&registry.host);
    let fixture = podman.dir.path().join("fixture.tar");
    let out = Command::new("docker")
        .args(["save", "-o"])
        .arg(&fixture)
        .arg(FIXTURE)
        .output()
        .unwrap();
    assert!(out.status.success(), "docker save: {out:?}");
    podman.cli(&["load", "-q", "-i", fixture.to_str().unwrap()]);

    let w = podman.wharf().await;
    let mut found = Findings::default();
    containers(&w, &podman, &mut found).await;
    networks_and_volumes(&w, &podman, &mut found).await;
    images(&w, &podman, &registry, &mut found).await;
    monitoring(&w, &mut found).await;
    compose(&w, &podman, &registry, &mut found).await;
    swarm(&w, &mut found).await;

    // Every tool wharf serves was called.
    let served: BTreeSet<String> = w
        .client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    let called = found.tools();
    assert_eq!(
        served.difference(&called).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "tools this test never calls on Podman"
    );
    w.client.cancel().await.unwrap();

    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (start, end) = ("<!-- podman-table -->\n", "<!-- /podman-table -->");
    let from = readme
        .find(start)
        .expect("README has no podman table marker")
        + start.len();
    let to = readme
        .find(end)
        .expect("README has no podman table end marker");
    let table = found.table();
    if std::env::var_os("WHARF_UPDATE_README").is_some() {
        std::fs::write(
            &readme_path,
            format!("{}{table}{}", &readme[..from], &readme[to..]),
        )
        .unwrap();
    } else {
        assert_eq!(
            &readme[from..to],
            table,
            "README's Podman table is stale: run WHARF_UPDATE_README=1 cargo test --test podman"
        );
    }
}

async fn containers(w: &Wharf, podman: &Podman, found: &mut Findings) {
    let g = "containers";
    let name = unique("pm-life");
    let out = found
        .works(
            w,
            g,
            "run_container",
            json!({
                "image": FIXTURE, "name": name,
                "command": ["sh", "-c", "echo hello-podman; trap 'exit 0' TERM; while true; do sleep 0.1; done"],
            }),
        )
        .await;
    assert!(out.starts_with(&format!("running {name} (")), "{out}");
    let listed = found
        .works(w, g, "list_containers", json!({"name": name}))
        .await;
    assert!(listed.contains(&name), "{listed}");
    let inspected = found
        .works(w, g, "inspect_container", json!({"container": name}))
        .await;
    assert!(inspected.contains("\"running\""), "{inspected}");
    let logs = found
        .works(w, g, "get_container_logs", json!({"container": name}))
        .await;
    assert!(logs.contains("hello-podman"), "{logs}");
    let exec = found
        .works(
            w,
            g,
            "exec_container",
            json!({"container": name, "command": "echo out $((6 * 7)); echo err >&2; exit 3"}),
        )
        .await;
    assert!(exec.starts_with("exit code 3"), "{exec}");
    assert!(exec.contains("out 42\n<<<end stdout"), "{exec}");
    assert!(exec.contains("err\n<<<end stderr"), "{exec}");
    std::fs::create_dir(w.dir.path().join("in")).unwrap();
    std::fs::write(w.dir.path().join("in/a.txt"), "payload").unwrap();
    found
        .works(
            w,
            g,
            "copy_to_container",
            json!({"container": name, "source": "in", "destination": "/tmp"}),
        )
        .await;
    found
        .works(
            w,
            g,
            "copy_from_container",
            json!({"container": name, "source": "/tmp/in", "destination": "back"}),
        )
        .await;
    assert_eq!(
        std::fs::read_to_string(w.dir.path().join("back/in/a.txt")).unwrap(),
        "payload"
    );
    found
        .works(w, g, "pause_container", json!({"container": name}))
        .await;
    assert_eq!(
        podman.cli(&["inspect", "-f", "{{.State.Status}}", &name]),
        "paused"
    );
    found
        .works(w, g, "unpause_container", json!({"container": name}))
        .await;
    found
        .works(w, g, "restart_container", json!({"container": name}))
        .await;
    found
        .works(w, g, "stop_container", json!({"container": name}))
        .await;
    assert_eq!(
        podman.cli(&["inspect", "-f", "{{.State.Status}}", &name]),
        "exited"
    );
    found
        .works(w, g, "start_container", json!({"container": name}))
        .await;
    let renamed = format!("{name}-renamed");
    found
        .works(
            w,
            g,
            "rename_container",
            json!({"container": name, "new_name": renamed}),
        )
        .await;
    found
        .works(
            w,
            g,
            "kill_container",
            json!({"container": renamed, "signal": "TERM"}),
        )
        .await;
    let waited = found
        .works(
            w,
            g,
            "wait_container",
            json!({"container": renamed, "timeout_secs": 30}),
        )
        .await;
    assert!(waited.contains("exit"), "{waited}");
    found
        .works(w, g, "remove_container", json!({"container": renamed}))
        .await;
    assert_eq!(
        podman.cli(&["ps", "-aq", "--filter", &format!("name={renamed}")]),
        ""
    );
}

async fn networks_and_volumes(w: &Wharf, podman: &Podman, found: &mut Findings) {
    let (n, v) = ("networks", "volumes");
    let net = unique("pm-net");
    found
        .works(w, n, "create_network", json!({"name": net}))
        .await;
    let listed = found
        .works(w, n, "list_networks", json!({"name": net}))
        .await;
    assert!(listed.contains(&net), "{listed}");
    found
        .works(w, n, "inspect_network", json!({"network": net}))
        .await;
    let c = unique("pm-netc");
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": c, "command": ["sleep", "300"]}),
    )
    .await;
    found
        .works(
            w,
            n,
            "connect_network",
            json!({"network": net, "container": c}),
        )
        .await;
    let networks = podman.cli(&["inspect", "-f", "{{json .NetworkSettings.Networks}}", &c]);
    assert!(networks.contains(&net), "{networks}");
    found
        .works(
            w,
            n,
            "disconnect_network",
            json!({"network": net, "container": c}),
        )
        .await;
    found
        .works(w, n, "remove_network", json!({"network": net}))
        .await;
    found.works(w, n, "prune_networks", json!({})).await;

    let vol = unique("pm-vol");
    found
        .works(w, v, "create_volume", json!({"name": vol}))
        .await;
    let listed = found
        .works(w, v, "list_volumes", json!({"name": vol}))
        .await;
    assert!(listed.contains(&vol), "{listed}");
    found
        .works(w, v, "inspect_volume", json!({"volume": vol}))
        .await;
    found
        .works(w, v, "remove_volume", json!({"volume": vol}))
        .await;
    let left = unique("pm-vol-left");
    w.ok("create_volume", json!({"name": left})).await;
    let pruned = found
        .works(w, v, "prune_volumes", json!({"all": true}))
        .await;
    assert!(pruned.contains(&left), "{pruned}");
    w.ok("remove_container", json!({"container": c, "force": true}))
        .await;
}

async fn images(w: &Wharf, podman: &Podman, registry: &LocalRegistry, found: &mut Findings) {
    let g = "images";
    let listed = found.works(w, g, "list_images", json!({})).await;
    assert!(listed.contains("wharf-fixture/busybox"), "{listed}");
    found
        .works(w, g, "inspect_image", json!({"image": FIXTURE}))
        .await;
    found
        .works(w, g, "image_history", json!({"image": FIXTURE}))
        .await;
    let repo = format!("{}/wharf-test/{}", registry.host, unique("pm-img"));
    found
        .works(
            w,
            g,
            "tag_image",
            json!({"image": FIXTURE, "repo": repo, "tag": "1"}),
        )
        .await;
    let reference = format!("{repo}:1");
    found
        .works(w, g, "push_image", json!({"reference": reference}))
        .await;
    found
        .works(w, g, "remove_image", json!({"image": reference}))
        .await;
    found
        .works(w, g, "pull_image", json!({"reference": reference}))
        .await;
    podman.cli(&["image", "exists", &reference]);
    found
        .works(
            w,
            g,
            "save_images",
            json!({"images": [reference], "path": "saved.tar"}),
        )
        .await;
    w.ok("remove_image", json!({"image": reference})).await;
    found
        .works(w, g, "load_images", json!({"path": "saved.tar"}))
        .await;
    podman.cli(&["image", "exists", &reference]);

    std::fs::create_dir_all(w.dir.path().join("ctx")).unwrap();
    std::fs::write(
        w.dir.path().join("ctx/Dockerfile"),
        format!("FROM {FIXTURE}\nRUN echo built > /built\n"),
    )
    .unwrap();
    let tag = format!("wharf-test/{}:1", unique("pm-build"));
    let built = found
        .works(
            w,
            g,
            "build_image",
            json!({"context_dir": "ctx", "tags": [tag], "labels": {"wharf.test": "podman"}}),
        )
        .await;
    // buildah's steps, the labels one of them: FROM, RUN, LABEL.
    assert!(built.contains("in 3 steps"), "{built}");
    let content = podman.cli(&["run", "--rm", &tag, "cat", "/built"]);
    assert_eq!(content, "built");
    w.ok("remove_image", json!({"image": tag})).await;
    found
        .works(
            w,
            g,
            "prune_images",
            json!({"label": ["wharf.test=podman"]}),
        )
        .await;
}

async fn monitoring(w: &Wharf, found: &mut Findings) {
    let g = "monitoring";
    let info = found.works(w, g, "system_info", json!({})).await;
    assert!(info.starts_with("engine: Podman "), "{info}");
    found.works(w, g, "disk_usage", json!({})).await;
    let c = unique("pm-mon");
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": c, "command": ["sh", "-c", "echo ready; sleep 300"]}),
    )
    .await;
    let stats = found
        .works(
            w,
            g,
            "container_stats",
            json!({"containers": [c], "seconds": 1}),
        )
        .await;
    assert!(stats.contains(&c), "{stats}");
    let top = found
        .works(w, g, "container_top", json!({"container": c}))
        .await;
    assert!(top.contains("sleep"), "{top}");
    let events = found
        .works(
            w,
            g,
            "docker_events",
            json!({"since": "5m", "container": [c]}),
        )
        .await;
    assert!(events.contains("start"), "{events}");
    let health = found
        .works(w, g, "container_health", json!({"container": c}))
        .await;
    assert!(health.contains("running"), "{health}");
    let watched = found
        .works(
            w,
            g,
            "watch_logs",
            json!({"container": c, "pattern": "ready", "since": "5m", "timeout_secs": 30}),
        )
        .await;
    assert!(watched.contains("matched"), "{watched}");
    w.ok("remove_container", json!({"container": c, "force": true}))
        .await;
}

async fn compose(w: &Wharf, podman: &Podman, registry: &LocalRegistry, found: &mut Findings) {
    let g = "compose";
    let project = unique("pmproj").replace('-', "");
    let pulled = format!("{}/wharf-test/{}:1", registry.host, unique("pm-cpull"));
    w.ok(
        "tag_image",
        json!({"image": FIXTURE, "repo": pulled.trim_end_matches(":1"), "tag": "1"}),
    )
    .await;
    w.ok("push_image", json!({"reference": pulled})).await;
    std::fs::create_dir_all(w.dir.path().join("app")).unwrap();
    std::fs::write(
        w.dir.path().join("app/Dockerfile"),
        format!("FROM {FIXTURE}\nCMD [\"sleep\", \"300\"]\n"),
    )
    .unwrap();
    std::fs::write(
        w.dir.path().join("compose.yaml"),
        format!(
            "services:\n  web:\n    image: {FIXTURE}\n    command: [\"sh\", \"-c\", \"echo web-up; sleep 300\"]\n    \
             volumes: [\"data:/data\"]\n  worker:\n    image: {pulled}\n    command: [\"sleep\", \"300\"]\n  \
             app:\n    build: ./app\n    image: wharf-test/{project}-app:1\n\
             volumes:\n  data: {{}}\n"
        ),
    )
    .unwrap();
    let p = json!({"project_name": project});
    found.works(w, g, "compose_config", p.clone()).await;
    found
        .works(
            w,
            g,
            "compose_pull",
            json!({"project_name": project, "services": ["worker"]}),
        )
        .await;
    found.works(w, g, "compose_build", p.clone()).await;
    let up = found.works(w, g, "compose_up", p.clone()).await;
    assert!(up.contains(&format!("{project}-web-1")), "{up}");
    let running = podman.cli(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert_eq!(running.lines().count(), 3, "{up}");
    let ps = found.works(w, g, "compose_ps", p.clone()).await;
    assert!(ps.contains("3 containers"), "{ps}");
    let logs = found.works(w, g, "compose_logs", p.clone()).await;
    assert!(logs.contains("web-up"), "{logs}");
    let exec = found
        .works(
            w,
            g,
            "compose_exec",
            json!({"project_name": project, "service": "web", "command": "echo $((6 * 7))"}),
        )
        .await;
    assert!(exec.contains("42"), "{exec}");
    let run = found
        .works(
            w,
            g,
            "compose_run",
            json!({"project_name": project, "service": "web", "command": ["echo", "one-off"]}),
        )
        .await;
    assert!(run.contains("one-off"), "{run}");
    found.works(w, g, "compose_stop", p.clone()).await;
    found.works(w, g, "compose_start", p.clone()).await;
    found.works(w, g, "compose_restart", p.clone()).await;
    found
        .works(
            w,
            g,
            "compose_down",
            json!({"project_name": project, "volumes": true}),
        )
        .await;
    let left = podman.cli(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert_eq!(left, "", "compose_down left containers");
}

async fn swarm(w: &Wharf, found: &mut Findings) {
    let g = "swarm";
    let calls = [
        ("swarm_status", json!({})),
        ("swarm_init", json!({"advertise_addr": "127.0.0.1"})),
        ("swarm_leave", json!({})),
        ("swarm_join_token", json!({"role": "worker"})),
        ("list_nodes", json!({})),
        ("inspect_node", json!({"node": "self"})),
        (
            "update_node",
            json!({"node": "self", "availability": "active"}),
        ),
        ("list_services", json!({})),
        ("inspect_service", json!({"service": "web"})),
        ("service_tasks", json!({"service": "web"})),
        ("create_service", json!({"name": "web", "image": FIXTURE})),
        (
            "update_service",
            json!({"service": "web", "image": FIXTURE}),
        ),
        ("scale_service", json!({"service": "web", "replicas": 2})),
        ("rollback_service", json!({"service": "web"})),
        ("service_logs", json!({"service": "web"})),
        ("remove_service", json!({"service": "web"})),
        ("create_secret", json!({"name": "s", "value": "x"})),
        ("list_secrets", json!({})),
        ("inspect_secret", json!({"name": "s"})),
        ("remove_secret", json!({"name": "s"})),
        ("create_config", json!({"name": "c", "value": "x"})),
        ("list_configs", json!({})),
        ("inspect_config", json!({"name": "c"})),
        ("remove_config", json!({"name": "c"})),
        (
            "stack_deploy",
            json!({"project_name": "st", "yaml": format!("services:\n  web:\n    image: {FIXTURE}\n")}),
        ),
        ("stack_list", json!({})),
        ("stack_services", json!({"stack": "st"})),
        ("stack_ps", json!({"stack": "st"})),
        ("stack_remove", json!({"stack": "st"})),
    ];
    let mut wrong = Vec::new();
    for (tool, args) in calls {
        let err = w.err(tool, args).await;
        if err.contains("is not supported by this engine (Podman ") {
            found.record(g, tool, Outcome::Unsupported);
        } else {
            wrong.push(format!("{tool}: {err}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

//! `ssh://` engines: a private sshd on 127.0.0.1, with keys made here, in front of this
//! machine's docker CLI (`docker system dial-stdio` on the "remote" host relays its engine).
//! wharf's ssh reads a config of the test's own, through an `ssh` first on its PATH: the
//! user's ~/.ssh is never read or written.

mod support;

use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::{Cleanup, FIXTURE, Wharf, docker, require_docker, unique};

/// Every ssh failure wharf reports comes within the engine's connect timeout (15 s); past
/// this the call is taken as hung.
const ANSWER_WITHIN: Duration = Duration::from_secs(25);

/// A private sshd for root on a free loopback port; stopped when dropped.
struct SshHost {
    dir: tempfile::TempDir,
    port: u16,
    sshd: Child,
}

/// How the client side logs in: which key, and which known_hosts.
#[derive(Clone, Copy)]
enum Key {
    /// Authorized, with the machine's PATH.
    Good,
    /// Never authorized.
    Wrong,
    /// Authorized, with a PATH in which there is no docker.
    NoDocker,
}

#[derive(Clone, Copy)]
enum KnownHosts {
    /// The host's real key.
    Right,
    /// Nothing about this host.
    Empty,
    /// Another key for this host.
    Changed,
    /// Another key for this host, its name hashed (`HashKnownHosts`).
    ChangedHashed,
}

impl SshHost {
    fn start() -> SshHost {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for key in ["host", "good", "wrong", "nodocker", "other_host"] {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"])
                .arg(d.join(key))
                .output()
                .expect("ssh-keygen (openssh-client)");
            assert!(out.status.success(), "ssh-keygen: {out:?}");
        }
        let public = |k: &str| std::fs::read_to_string(d.join(format!("{k}.pub"))).unwrap();
        std::fs::write(
            d.join("authorized_keys"),
            format!(
                "{}environment=\"PATH=/nonexistent\" {}",
                public("good"),
                public("nodocker")
            ),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {host}\n\
                 AuthorizedKeysFile {keys}\nPidFile {pid}\nStrictModes no\nUsePAM no\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nPermitUserEnvironment yes\n\
                 LogLevel VERBOSE\n",
                host = d.join("host").display(),
                keys = d.join("authorized_keys").display(),
                pid = d.join("sshd.pid").display(),
            ),
        )
        .unwrap();
        // sshd's privilege separation needs its empty directory; Debian makes it at boot
        // only when the service runs.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let sshd = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .arg("-E")
            .arg(d.join("sshd.log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("/usr/sbin/sshd (openssh-server; .ci/run installs it)");
        let host = SshHost { dir, port, sshd };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen on {port}: {}",
                host.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        host
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    fn logins(&self) -> usize {
        self.log().matches("Accepted publickey").count()
    }

    fn address(&self) -> String {
        format!("ssh://root@127.0.0.1:{}", self.port)
    }

    /// A directory holding an `ssh` that reads this test's config for `key` and
    /// `known_hosts`, to put first on wharf's PATH.
    fn client(&self, key: Key, known: KnownHosts) -> PathBuf {
        let d = self.dir.path();
        let key = match key {
            Key::Good => "good",
            Key::Wrong => "wrong",
            Key::NoDocker => "nodocker",
        };
        let tag = match known {
            KnownHosts::Right => "right",
            KnownHosts::Empty => "empty",
            KnownHosts::Changed => "changed",
            KnownHosts::ChangedHashed => "hashed",
        };
        let name = format!("client-{key}-{tag}");
        let bin = d.join(&name);
        std::fs::create_dir_all(&bin).unwrap();
        let entry = |k: &str| {
            let public = std::fs::read_to_string(d.join(format!("{k}.pub"))).unwrap();
            let mut fields = public.split_whitespace();
            let (kind, body) = (fields.next().unwrap(), fields.next().unwrap());
            format!("[127.0.0.1]:{} {kind} {body}\n", self.port)
        };
        let known_hosts = bin.join("known_hosts");
        std::fs::write(
            &known_hosts,
            match known {
                KnownHosts::Right => entry("host"),
                KnownHosts::Empty => String::new(),
                KnownHosts::Changed | KnownHosts::ChangedHashed => entry("other_host"),
            },
        )
        .unwrap();
        if let KnownHosts::ChangedHashed = known {
            let out = Command::new("ssh-keygen")
                .arg("-H")
                .arg("-f")
                .arg(&known_hosts)
                .output()
                .unwrap();
            assert!(out.status.success(), "ssh-keygen -H: {out:?}");
            let hashed = std::fs::read_to_string(&known_hosts).unwrap();
            assert!(hashed.starts_with("|1|"), "{hashed}");
        }
        let config = bin.join("config");
        std::fs::write(
            &config,
            format!(
                "Host *\n  IdentityFile {id}\n  IdentitiesOnly yes\n  IdentityAgent none\n  \
                 UserKnownHostsFile {kh}\n  GlobalKnownHostsFile /dev/null\n  \
                 StrictHostKeyChecking yes\n",
                id = d.join(key).display(),
                kh = known_hosts.display()
            ),
        )
        .unwrap();
        let wrapper = bin.join("ssh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec /usr/bin/ssh -F {} \"$@\"\n",
                config.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        bin
    }

    /// wharf with `DOCKER_HOST` naming this host, logging in as `key` with `known`.
    async fn wharf(&self, key: Key, known: KnownHosts) -> Wharf {
        self.wharf_at(&self.address(), key, known).await
    }

    async fn wharf_at(&self, address: &str, key: Key, known: KnownHosts) -> Wharf {
        let path = path_with(&self.client(key, known));
        Wharf::start_env(
            &[],
            None,
            &[("DOCKER_HOST", address), ("PATH", path.as_str())],
        )
        .await
    }

    /// The sshd processes serving connections: the listener's descendants.
    fn sessions(&self) -> Vec<u32> {
        let mut found = children_of(self.sshd.id());
        let mut i = 0;
        while i < found.len() {
            let more = children_of(found[i]);
            found.extend(more);
            i += 1;
        }
        found
    }

    fn kill_sessions(&self) {
        for pid in self.sessions() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}

impl Drop for SshHost {
    fn drop(&mut self) {
        self.kill_sessions();
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
    }
}

fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Processes whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces, so read after the last `)`.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            found.push(pid);
        }
    }
    found
}

/// ssh client processes talking to `port`, whoever started them.
fn ssh_clients(port: u16) -> BTreeSet<u32> {
    let port = port.to_string();
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let is_ssh = args
            .first()
            .is_some_and(|a| a.ends_with(b"/ssh") || *a == b"ssh");
        let to_port = args
            .windows(2)
            .any(|w| w[0] == b"-p" && w[1] == port.as_bytes());
        if is_ssh && to_port {
            found.insert(pid);
        }
    }
    found
}

/// One sshd serves every scenario, one after another.
#[tokio::test(flavor = "multi_thread")]
async fn an_engine_over_ssh() {
    require_docker();
    let host = SshHost::start();
    containers_images_and_compose_work_over_ssh(&host).await;
    one_ssh_process_and_one_login_serve_a_hundred_calls(&host).await;
    contexts_and_wharf_toml_name_ssh_engines(&host).await;
    each_failure_says_what_failed(&host).await;
    a_lost_connection_is_reported_and_the_next_call_reconnects(&host).await;
}

async fn containers_images_and_compose_work_over_ssh(host: &SshHost) {
    let mut cleanup = Cleanup::default();
    let w = host.wharf(Key::Good, KnownHosts::Right).await;

    // Containers: run, logs, exec (an upgraded connection), copy in and out, remove.
    let name = cleanup.container(&unique("ssh-life"));
    let out = w
        .ok(
            "run_container",
            json!({
                "image": FIXTURE, "name": name, "network": "none",
                "command": ["sh", "-c", "echo hello-over-ssh; trap 'exit 0' TERM; while true; do sleep 0.1; done"],
            }),
        )
        .await;
    assert!(out.starts_with(&format!("running {name} (")), "{out}");
    let listed = w.call("list_containers", json!({"name": name})).await;
    let rows = &listed.structured_content.as_ref().unwrap()["containers"];
    assert_eq!(rows[0]["name"], name.as_str(), "{rows}");
    assert_eq!(rows[0]["state"], "running", "{rows}");
    let logs = w.ok("get_container_logs", json!({"container": name})).await;
    assert!(logs.contains("hello-over-ssh"), "{logs}");
    let exec = w
        .ok(
            "exec_container",
            json!({"container": name, "command": "echo out $((6 * 7)); echo err >&2; exit 3"}),
        )
        .await;
    assert!(exec.starts_with("exit code 3"), "{exec}");
    assert!(exec.contains("out 42\n<<<end stdout>>>"), "{exec}");
    assert!(exec.contains("err\n<<<end stderr>>>"), "{exec}");
    // Output that ends with the connection (exec's is hijacked): every byte arrives, none
    // is left in the master when the remote command's exit status comes.
    let big = w
        .ok(
            "exec_container",
            json!({"container": name, "command": "head -c 3000000 /dev/zero"}),
        )
        .await;
    assert!(big.contains(" of 3MB;"), "{big}");
    std::fs::create_dir(w.dir.path().join("in")).unwrap();
    std::fs::write(w.dir.path().join("in/a.txt"), "payload").unwrap();
    w.ok(
        "copy_to_container",
        json!({"container": name, "source": "in", "destination": "/tmp"}),
    )
    .await;
    w.ok(
        "copy_from_container",
        json!({"container": name, "source": "/tmp/in", "destination": "back"}),
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(w.dir.path().join("back/in/a.txt")).unwrap(),
        "payload"
    );
    w.ok("stop_container", json!({"container": name})).await;
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &name]),
        "exited"
    );
    w.ok("remove_container", json!({"container": name})).await;
    assert!(
        docker(&["ps", "-aq", "--filter", &format!("name=^{name}$")]).is_empty(),
        "{name} survived remove_container"
    );

    // Images: a build's context goes up the session as a request body; inspect and remove.
    let tag = cleanup.image(&format!("wharf-test/{}:1", unique("ssh-build")));
    let ctx = w.dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {FIXTURE}\nCOPY keep.txt /keep.txt\n"),
    )
    .unwrap();
    std::fs::write(ctx.join("keep.txt"), "kept").unwrap();
    let built = w
        .ok(
            "build_image",
            json!({"context_dir": "ctx", "tags": [tag], "labels": {"wharf.test": "ssh"}}),
        )
        .await;
    assert!(built.ends_with(&format!("tagged {tag}")), "{built}");
    let inspected = w.ok("inspect_image", json!({"image": tag})).await;
    assert!(inspected.contains(&tag), "{inspected}");
    let images = w.ok("list_images", json!({"reference": tag})).await;
    assert!(images.contains(&tag), "{images}");
    w.ok("remove_image", json!({"image": tag})).await;
    let gone = Command::new("docker")
        .args(["image", "inspect", &tag])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "{tag} survived remove_image");

    // Compose: up, seen by the engine, down.
    let project = cleanup.project(&unique("sshproj"));
    std::fs::write(
        w.dir.path().join("compose.yaml"),
        format!(
            "services:\n  web:\n    image: {FIXTURE}\n    command: [\"sleep\", \"300\"]\n    \
             network_mode: none\n  worker:\n    image: {FIXTURE}\n    command: [\"sleep\", \"300\"]\n    \
             network_mode: none\n"
        ),
    )
    .unwrap();
    let up = w.ok("compose_up", json!({"project_name": project})).await;
    assert!(up.contains(&format!("{project}-web-1")), "{up}");
    let running = docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert_eq!(running.lines().count(), 2, "{up}");
    w.ok("compose_down", json!({"project_name": project})).await;
    let left = docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert!(left.is_empty(), "compose_down left {left}");
    w.client.cancel().await.unwrap();
}

/// 100 calls, 10 at a time: one ssh process, one login.
async fn one_ssh_process_and_one_login_serve_a_hundred_calls(host: &SshHost) {
    let logins_before = host.logins();
    let w = Arc::new(host.wharf(Key::Good, KnownHosts::Right).await);
    let seen = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (seen, done, port) = (seen.clone(), done.clone(), host.port);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                seen.lock().unwrap().extend(ssh_clients(port));
                // A sampling interval, not a wait for anything.
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    for _ in 0..10 {
        let calls: Vec<_> = (0..10)
            .map(|_| {
                let w = w.clone();
                tokio::spawn(async move { w.ok("list_containers", json!({"all": true})).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap();
        }
    }
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "ssh processes during 100 calls: {seen:?}");
    assert_eq!(
        host.logins() - logins_before,
        1,
        "logins during 100 calls:\n{}",
        host.log()
    );
    Arc::into_inner(w).unwrap().client.cancel().await.unwrap();
    // The master goes with wharf.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ssh_clients(host.port).is_empty() {
        assert!(Instant::now() < deadline, "ssh outlived wharf");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A docker CLI context made with `--docker host=ssh://…`, and `[engines.NAME] host`.
async fn contexts_and_wharf_toml_name_ssh_engines(host: &SshHost) {
    let cli_config = tempfile::tempdir().unwrap();
    let context = unique("sshctx");
    for args in [
        vec![
            "context".to_owned(),
            "create".to_owned(),
            context.clone(),
            "--docker".to_owned(),
            format!("host={}", host.address()),
        ],
        vec!["context".to_owned(), "use".to_owned(), context.clone()],
    ] {
        let out = Command::new("docker")
            .args(&args)
            .env("DOCKER_CONFIG", cli_config.path())
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .output()
            .unwrap();
        assert!(out.status.success(), "docker {args:?}: {out:?}");
    }
    let path = path_with(&host.client(Key::Good, KnownHosts::Right));
    let logins = host.logins();
    let w = Wharf::start_env(
        &[],
        None,
        &[
            ("DOCKER_CONFIG", cli_config.path().to_str().unwrap()),
            ("PATH", path.as_str()),
        ],
    )
    .await;
    let info = w.ok("system_info", json!({})).await;
    assert!(info.contains("Docker"), "{info}");
    assert_eq!(
        host.logins(),
        logins + 1,
        "the context's engine was not reached over ssh"
    );
    w.client.cancel().await.unwrap();

    let config = format!(
        "default_engine = \"local\"\n[engines.local]\n[engines.far]\nhost = \"{}\"\n",
        host.address()
    );
    let logins = host.logins();
    let w = Wharf::start_env(&[], Some(&config), &[("PATH", path.as_str())]).await;
    w.ok("list_volumes", json!({"engine": "far"})).await;
    assert_eq!(
        host.logins(),
        logins + 1,
        "engine `far` was not reached over ssh"
    );
    w.ok("list_volumes", json!({})).await;
    assert_eq!(host.logins(), logins + 1, "the local engine went over ssh");
    w.client.cancel().await.unwrap();
}

async fn err_within(w: &Wharf, tool: &str) -> String {
    let start = Instant::now();
    let err = w.err(tool, json!({})).await;
    assert!(
        start.elapsed() < ANSWER_WITHIN,
        "{tool} took {:?}: {err}",
        start.elapsed()
    );
    err
}

async fn each_failure_says_what_failed(host: &SshHost) {
    let cases = [
        (
            Key::Wrong,
            KnownHosts::Right,
            "root@127.0.0.1:".to_owned() + &host.port.to_string() + " refused the login",
        ),
        (
            Key::Good,
            KnownHosts::Empty,
            format!(
                "the host key of [127.0.0.1]:{} is not in known_hosts",
                host.port
            ),
        ),
        (
            Key::Good,
            KnownHosts::Changed,
            format!(
                "the host key of [127.0.0.1]:{} is not the one known_hosts holds",
                host.port
            ),
        ),
        (
            Key::Good,
            KnownHosts::ChangedHashed,
            format!(
                "the host key of [127.0.0.1]:{} is not the one known_hosts holds",
                host.port
            ),
        ),
        (
            Key::NoDocker,
            KnownHosts::Right,
            "the remote host has no `docker` command".to_owned(),
        ),
    ];
    for (key, known, expected) in cases {
        let w = host.wharf(key, known).await;
        let err = err_within(&w, "list_volumes").await;
        assert!(err.contains(&expected), "expected `{expected}` in: {err}");
        assert!(err.contains(&host.address()), "{err}");
        w.client.cancel().await.unwrap();
    }

    // Nothing listens on the port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let w = host
        .wharf_at(
            &format!("ssh://root@127.0.0.1:{port}"),
            Key::Good,
            KnownHosts::Right,
        )
        .await;
    let err = err_within(&w, "list_volumes").await;
    assert!(
        err.contains(&format!("ssh cannot reach 127.0.0.1:{port}")),
        "{err}"
    );
    w.client.cancel().await.unwrap();
}

/// The sshd side of the connection killed while a call streams logs: that call says the
/// connection was lost, and the next call logs in again and works.
async fn a_lost_connection_is_reported_and_the_next_call_reconnects(host: &SshHost) {
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("ssh-follow"));
    docker(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &name,
        FIXTURE,
        "sh",
        "-c",
        "while true; do echo tick; sleep 0.2; done",
    ]);
    let w = host.wharf(Key::Good, KnownHosts::Right).await;
    w.ok("list_containers", json!({})).await;

    let follow = w
        .start_call(
            "watch_logs",
            json!({"container": name, "pattern": "never-printed", "timeout_secs": 120}),
        )
        .await;
    let mut follow = std::pin::pin!(follow.await_response());
    // Kill the connection; if the follow had not reached the engine yet, it logs in again
    // (a new "Accepted publickey"), and that connection is killed too.
    let deadline = Instant::now() + Duration::from_secs(60);
    let result = 'killing: loop {
        let logins = host.logins();
        host.kill_sessions();
        let started = Instant::now();
        loop {
            tokio::select! {
                r = &mut follow => {
                    assert!(started.elapsed() < ANSWER_WITHIN, "{:?}", started.elapsed());
                    break 'killing r.unwrap();
                }
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
            if host.logins() > logins {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the follow never ended:\n{}",
                host.log()
            );
        }
    };
    let rmcp::model::ServerResult::CallToolResult(result) = result else {
        panic!("{result:?}")
    };
    let text = support::text(&result);
    assert_eq!(result.is_error, Some(true), "{text}");
    assert!(text.contains("the ssh connection was lost"), "{text}");

    let logins = host.logins();
    let listed = w.ok("list_containers", json!({"name": name})).await;
    assert!(listed.contains(&name), "{listed}");
    assert_eq!(
        host.logins(),
        logins + 1,
        "the next call did not log in again"
    );
    w.client.cancel().await.unwrap();
}

//! Remote and several engines: a second dockerd on a TCP port with TLS (certificates made
//! here with openssl), reached through wharf.toml, DOCKER_HOST and a docker CLI context;
//! wrong certificates refused; an engine that never answers holding up nobody else.

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Cleanup, FIXTURE, Wharf, docker, require_docker, unique, wharf_cli};

/// A private dockerd listening on 127.0.0.1 with `--tlsverify`; every object on it belongs
/// to the test. Stopped, and its data removed, when dropped.
struct TlsEngine {
    dir: tempfile::TempDir,
    port: u16,
    child: std::process::Child,
    /// Deleted once the daemon has stopped (fields drop after `drop`).
    _bridge: Bridge,
}

/// A bridge interface of the test's own for the second daemon. Without one it would need
/// `--bridge=none`, with which dockerd deletes `docker0`, the machine's own engine's
/// bridge. Deleted when dropped.
struct Bridge(String);

impl Bridge {
    fn create() -> Bridge {
        // Interface names have at most 15 bytes.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("wharf{:08x}", std::process::id() ^ nanos);
        let out = Command::new("ip")
            .args(["link", "add", "name", &name, "type", "bridge"])
            .output()
            .expect("the `ip` command (iproute2) is needed to give the test engine a bridge");
        assert!(
            out.status.success(),
            "ip link add {name} type bridge (this test needs root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Bridge(name)
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", &self.0]).output();
    }
}

impl TlsEngine {
    fn start() -> TlsEngine {
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let path = |p: &str| dir.path().join(p);
        let log = std::fs::File::create(path("dockerd.log")).unwrap();
        let bridge = Bridge::create();
        // Its own bridge, and no iptables rules or sysctls: this daemon must not touch the
        // host's network set-up, which belongs to the machine's own dockerd.
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(path("data"))
            .arg("--exec-root")
            .arg(path("exec"))
            .arg("--pidfile")
            .arg(path("dockerd.pid"))
            .args(["-H", &format!("tcp://127.0.0.1:{port}"), "--tlsverify"])
            .arg("--tlscacert")
            .arg(path("ca/ca.pem"))
            .arg("--tlscert")
            .arg(path("server/cert.pem"))
            .arg("--tlskey")
            .arg(path("server/key.pem"))
            .arg(format!("--bridge={}", bridge.0))
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--ip-masq=false",
                "--ip-forward=false",
            ])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot run dockerd (apt-get install docker.io, or run .ci/run)");
        let mut engine = TlsEngine {
            dir,
            port,
            child,
            _bridge: bridge,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let info = engine.cli().args(["info", "--format", "{{.ID}}"]).output();
            if info.is_ok_and(|o| o.status.success()) {
                break;
            }
            let exited = engine.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(engine.dir.path().join("dockerd.log"))
                    .unwrap_or_default();
                let tail: Vec<_> = log.lines().rev().take(15).collect();
                panic!(
                    "the second dockerd (TLS on port {port}) did not start ({}); it needs \
                     root. Its log ends:\n{}",
                    exited.map_or("not ready in 60 s".into(), |s| s.to_string()),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        engine
    }

    fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// A directory with the client's ca.pem, cert.pem and key.pem.
    fn client_certs(&self) -> PathBuf {
        self.dir.path().join("client")
    }

    /// Certificates from a CA the engine does not know (and that does not know the engine).
    fn stranger_certs(&self) -> PathBuf {
        self.dir.path().join("stranger")
    }

    /// The docker CLI pointed at this engine.
    fn cli(&self) -> Command {
        let mut cmd = Command::new("docker");
        cmd.env("DOCKER_HOST", self.host())
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", self.client_certs())
            .env("DOCKER_CONFIG", self.dir.path().join("cli-config"));
        cmd
    }

    fn docker(&self, args: &[&str]) -> String {
        let out = self.cli().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "docker {args:?} on the TLS engine: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `wharf serve` reaching this engine through DOCKER_HOST, with `tls_var` (DOCKER_TLS_VERIFY
    /// or DOCKER_TLS) set and the certificates of `cert_path`.
    async fn wharf(&self, tls_var: &str, cert_path: &Path) -> Wharf {
        let host = self.host();
        let cert_path = cert_path.to_str().unwrap();
        Wharf::start_env(
            &[],
            None,
            &[
                ("DOCKER_HOST", host.as_str()),
                (tls_var, "1"),
                ("DOCKER_CERT_PATH", cert_path),
            ],
        )
        .await
    }

    fn data_root(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }
}

impl Drop for TlsEngine {
    fn drop(&mut self) {
        // Everything on this engine is the test's own.
        if let Ok(out) = self.cli().args(["ps", "-aq"]).output() {
            let ids = String::from_utf8_lossy(&out.stdout).to_string();
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let _ = self.cli().args(["rm", "-f", "-v"]).args(&ids).output();
            }
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A CA, the engine's certificate for 127.0.0.1 signed by it, a client certificate signed
/// by it; and a stranger CA with its own client certificate.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("openssl is needed to make the test's certificates");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for d in ["ca", "server", "client", "stranger"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let ca = |name: &str, subject: &str| {
        let mut a = vec!["req", "-x509"];
        a.extend(key);
        let (k, c) = (format!("{name}/ca-key.pem"), format!("{name}/ca.pem"));
        a.extend(["-keyout", &k, "-out", &c, "-days", "2", "-subj", subject]);
        openssl(&a);
    };
    let signed = |ca_dir: &str, out_dir: &str, subject: &str, ext: &str| {
        std::fs::write(dir.join(out_dir).join("ext.cnf"), ext).unwrap();
        let (k, csr) = (format!("{out_dir}/key.pem"), format!("{out_dir}/req.csr"));
        let mut a = vec!["req"];
        a.extend(key);
        a.extend(["-keyout", &k, "-out", &csr, "-subj", subject]);
        openssl(&a);
        let (ca, ca_key) = (format!("{ca_dir}/ca.pem"), format!("{ca_dir}/ca-key.pem"));
        let (cert, ext_file) = (format!("{out_dir}/cert.pem"), format!("{out_dir}/ext.cnf"));
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "2",
            "-extfile",
            &ext_file,
        ]);
    };
    ca("ca", "/CN=wharf-test-ca");
    signed(
        "ca",
        "server",
        "/CN=localhost",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    signed(
        "ca",
        "client",
        "/CN=wharf-test-client",
        "extendedKeyUsage=clientAuth\n",
    );
    std::fs::copy(dir.join("ca/ca.pem"), dir.join("client/ca.pem")).unwrap();
    ca("stranger", "/CN=wharf-test-stranger-ca");
    signed(
        "stranger",
        "stranger",
        "/CN=wharf-test-stranger",
        "extendedKeyUsage=clientAuth\n",
    );
}

fn engine_property(tools: &[rmcp::model::Tool], tool: &str) -> Option<Value> {
    let t = tools.iter().find(|t| t.name == tool)?;
    t.input_schema
        .get("properties")
        .and_then(|p| p.get("engine"))
        .cloned()
}

/// One private engine serves every scenario, one after the other: starting a dockerd costs
/// seconds, and two would compete for the same ports and cgroups.
#[tokio::test(flavor = "multi_thread")]
async fn a_tls_engine_beside_the_local_one() {
    require_docker();
    let remote = TlsEngine::start();
    let mut local_cleanup = Cleanup::default();

    named_engines_route_calls(&remote, &mut local_cleanup).await;
    streams_and_exec_work_over_tls(&remote).await;
    docker_host_and_context_are_followed(&remote).await;
    wrong_certificates_are_refused(&remote).await;

    // The machine's own engine is untouched: its containers still get their network.
    drop(remote);
    let name = local_cleanup.container(&unique("after"));
    docker(&["run", "--name", &name, FIXTURE, "true"]);
}

async fn named_engines_route_calls(remote: &TlsEngine, local_cleanup: &mut Cleanup) {
    let certs = remote.client_certs();
    let config = format!(
        "default_engine = \"local\"\n\
         [engines.local]\n\
         [engines.remote]\nhost = \"{host}\"\ncert_path = \"{certs}\"\n\
         [engines.audit]\nhost = \"{host}\"\ncert_path = \"{certs}\"\nread_only = true\n",
        host = remote.host(),
        certs = certs.display()
    );
    let w = Wharf::start_with(&[], Some(&config)).await;

    // Every Docker tool takes the engine, by name, from the configured ones.
    let tools = w.client.list_all_tools().await.unwrap();
    let property = engine_property(&tools, "list_containers").expect("an engine argument");
    assert_eq!(property["enum"], json!(["audit", "local", "remote"]));
    assert_eq!(
        property["description"],
        "Docker engine to use (default: local)"
    );

    let info = w.ok("system_info", json!({"engine": "remote"})).await;
    assert!(info.contains(&remote.data_root()), "{info}");
    let info = w.ok("system_info", json!({})).await;
    assert!(!info.contains(&remote.data_root()), "{info}");

    // A volume made on the remote engine is there, and not on the local one.
    let name = local_cleanup.volume(&unique("remote-vol"));
    w.ok("create_volume", json!({"name": name, "engine": "remote"}))
        .await;
    remote.docker(&["volume", "inspect", &name]);
    let on_local = Command::new("docker")
        .args(["volume", "inspect", &name])
        .output()
        .unwrap();
    assert!(
        !on_local.status.success(),
        "{name} reached the local engine"
    );
    let listed = w
        .ok("list_volumes", json!({"engine": "remote", "name": name}))
        .await;
    assert!(listed.contains(&name), "{listed}");
    let listed = w.ok("list_volumes", json!({"name": name})).await;
    assert!(!listed.contains(&name), "{listed}");

    // The read-only engine refuses changes; the same engine writable by another name.
    let refused = w
        .err("remove_volume", json!({"volume": name, "engine": "audit"}))
        .await;
    assert!(refused.contains("engine `audit` is read-only"), "{refused}");
    remote.docker(&["volume", "inspect", &name]);
    let unknown = w.err("list_volumes", json!({"engine": "staging"})).await;
    assert!(unknown.contains("engine"), "{unknown}");
    w.ok("remove_volume", json!({"volume": name, "engine": "remote"}))
        .await;
    let gone = remote
        .cli()
        .args(["volume", "inspect", &name])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "{name} survived remove_volume");

    // doctor checks each engine.
    let doctor = wharf_cli(w.dir.path())
        .env("WHARF_CONFIG", w.dir.path().join("wharf.toml"))
        .arg("doctor")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&doctor.stdout);
    assert!(doctor.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "ok    engine   remote {} (TLS) from wharf.toml",
            remote.host()
        )),
        "{out}"
    );
    assert!(out.contains("ok    engine   local "), "{out}");
    assert!(out.contains(", read-only"), "{out}");
    w.client.cancel().await.unwrap();
}

/// Logs and exec stream through the TLS connection (exec switches protocols); the machine's
/// own engine keeps its bridge.
async fn streams_and_exec_work_over_tls(remote: &TlsEngine) {
    let load = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "docker save {FIXTURE} | DOCKER_HOST={} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={} \
             DOCKER_CONFIG={} docker load",
            remote.host(),
            remote.client_certs().display(),
            remote.dir.path().join("cli-config").display()
        ))
        .output()
        .unwrap();
    assert!(
        load.status.success(),
        "loading the fixture into the TLS engine: {}",
        String::from_utf8_lossy(&load.stderr)
    );
    let name = unique("tls-exec");
    remote.docker(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &name,
        FIXTURE,
        "sh",
        "-c",
        "echo hello-over-tls; sleep 300",
    ]);
    let certs = remote.client_certs();
    let w = remote.wharf("DOCKER_TLS_VERIFY", &certs).await;
    let logs = w.ok("get_container_logs", json!({"container": name})).await;
    assert!(logs.contains("hello-over-tls"), "{logs}");
    let exec = w
        .ok(
            "exec_container",
            json!({"container": name, "command": ["sh", "-c", "echo $((6 * 7))"]}),
        )
        .await;
    assert!(exec.contains("42"), "{exec}");
    w.ok(
        "remove_container",
        json!({"container": name, "force": true}),
    )
    .await;
    w.client.cancel().await.unwrap();
}

/// With no [engines] table wharf uses the engine the docker CLI would: DOCKER_HOST with its
/// TLS variables, else the current context, which the real CLI writes here.
async fn docker_host_and_context_are_followed(remote: &TlsEngine) {
    let certs = remote.client_certs();
    let w = remote.wharf("DOCKER_TLS_VERIFY", &certs).await;
    let tools = w.client.list_all_tools().await.unwrap();
    assert_eq!(
        engine_property(&tools, "list_containers"),
        None,
        "one engine, no choice"
    );
    let info = w.ok("system_info", json!({})).await;
    assert!(info.contains(&remote.data_root()), "{info}");
    w.client.cancel().await.unwrap();

    let cli_config = tempfile::tempdir().unwrap();
    let context = unique("ctx");
    let cli = |args: &[&str]| {
        let out = Command::new("docker")
            .args(args)
            .env("DOCKER_CONFIG", cli_config.path())
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let endpoint = format!(
        "host={},ca={},cert={},key={}",
        remote.host(),
        certs.join("ca.pem").display(),
        certs.join("cert.pem").display(),
        certs.join("key.pem").display()
    );
    cli(&["context", "create", &context, "--docker", &endpoint]);
    cli(&["context", "use", &context]);
    let w = Wharf::start_env(
        &[],
        None,
        &[("DOCKER_CONFIG", cli_config.path().to_str().unwrap())],
    )
    .await;
    let info = w.ok("system_info", json!({})).await;
    assert!(info.contains(&remote.data_root()), "{info}");
    w.client.cancel().await.unwrap();
}

async fn wrong_certificates_are_refused(remote: &TlsEngine) {
    // The engine's certificate checked against a CA that did not sign it.
    let stranger = remote.stranger_certs();
    let w = remote.wharf("DOCKER_TLS_VERIFY", &stranger).await;
    let err = w.err("list_volumes", json!({})).await;
    assert!(
        err.contains("the engine's certificate is not signed by the configured CA"),
        "{err}"
    );
    w.client.cancel().await.unwrap();

    // The right CA, but a client certificate the engine does not trust.
    let mixed = tempfile::tempdir().unwrap();
    std::fs::copy(
        remote.client_certs().join("ca.pem"),
        mixed.path().join("ca.pem"),
    )
    .unwrap();
    for f in ["cert.pem", "key.pem"] {
        std::fs::copy(stranger.join(f), mixed.path().join(f)).unwrap();
    }
    let w = remote.wharf("DOCKER_TLS_VERIFY", mixed.path()).await;
    let err = w.err("list_volumes", json!({})).await;
    assert!(
        err.contains("the engine refused wharf's client certificate"),
        "{err}"
    );
    w.client.cancel().await.unwrap();

    // A CA that did not sign the engine's certificate, and a good client certificate:
    // refused when verifying, accepted with verification off (DOCKER_TLS alone), as the
    // docker CLI does.
    let unverified = tempfile::tempdir().unwrap();
    std::fs::copy(stranger.join("ca.pem"), unverified.path().join("ca.pem")).unwrap();
    for f in ["cert.pem", "key.pem"] {
        std::fs::copy(remote.client_certs().join(f), unverified.path().join(f)).unwrap();
    }
    for (verify, works) in [("DOCKER_TLS_VERIFY", false), ("DOCKER_TLS", true)] {
        let w = remote.wharf(verify, unverified.path()).await;
        let r = w.call("system_info", json!({})).await;
        let text = support::text(&r);
        assert_eq!(r.is_error != Some(true), works, "{verify}: {text}");
        w.client.cancel().await.unwrap();
    }

    // Plain HTTP to the TLS port.
    let w = Wharf::start_env(&[], None, &[("DOCKER_HOST", remote.host().as_str())]).await;
    let err = w.err("list_volumes", json!({})).await;
    assert!(err.contains("speaks TLS"), "{err}");
    w.client.cancel().await.unwrap();
}

/// An engine that accepts connections and never answers: wharf starts and serves the other
/// engine meanwhile, and the stuck call ends with a clear timeout.
#[tokio::test(flavor = "multi_thread")]
async fn an_engine_that_never_answers_holds_up_nobody_else() {
    require_docker();
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    // Accept and hold every connection, saying nothing.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let config = format!(
        "default_engine = \"local\"\n[engines.local]\n[engines.stuck]\nhost = \"tcp://127.0.0.1:{port}\"\n"
    );
    let started = Instant::now();
    let w = Wharf::start_with(&[], Some(&config)).await;
    w.client.list_all_tools().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "start-up waited for an engine: {:?}",
        started.elapsed()
    );
    let stuck = w
        .start_call("list_volumes", json!({"engine": "stuck"}))
        .await;
    let answered = w.ok("list_volumes", json!({})).await;
    assert!(!answered.is_empty());
    let result = stuck.await_response().await.unwrap();
    let rmcp::model::ServerResult::CallToolResult(result) = result else {
        panic!("unexpected answer {result:?}")
    };
    let text = support::text(&result);
    assert_eq!(result.is_error, Some(true), "{text}");
    assert!(
        text.contains(&format!(
            "tcp://127.0.0.1:{port} did not answer within 15 s"
        )),
        "{text}"
    );
    holder.abort();
    w.client.cancel().await.unwrap();
}

#[test]
fn one_engine_refuses_an_engine_it_does_not_have() {
    require_docker();
    let dir = tempfile::tempdir().unwrap();
    let out = wharf_cli(dir.path())
        .args(["call", "list_volumes", r#"{"engine": "prod"}"#])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        err.contains("no engine `prod` is configured (known: `default`)"),
        "{err}"
    );
    // The local engine's own name still works.
    let out = wharf_cli(dir.path())
        .args([
            "call",
            "list_volumes",
            r#"{"engine": "default", "name": "wharf-none-such"}"#,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

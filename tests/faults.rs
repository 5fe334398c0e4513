//! Docker engine faults: the engine goes away mid-session and comes back.
//!
//! The test never stops the machine's dockerd (other tests, and people's own containers,
//! depend on it). wharf reaches the engine through a socket proxy the test owns instead;
//! closing the proxy and its open connections is, seen from wharf, the engine stopping, and
//! reopening it is the engine coming back.

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{Cleanup, FIXTURE, Wharf, docker, require_docker, unique};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

/// The engine's real socket, from DOCKER_HOST like the docker CLI.
fn engine_socket() -> PathBuf {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    match host.strip_prefix("unix://") {
        Some(path) => PathBuf::from(path),
        None if host.is_empty() => PathBuf::from("/var/run/docker.sock"),
        None => panic!("the fault tests proxy a unix socket; DOCKER_HOST is {host}"),
    }
}

/// A unix socket that forwards every connection to the engine while it is up.
struct EngineProxy {
    path: PathBuf,
    server: Option<JoinHandle<()>>,
}

impl EngineProxy {
    fn new(dir: &Path) -> EngineProxy {
        let mut proxy = EngineProxy {
            path: dir.join("engine.sock"),
            server: None,
        };
        proxy.up();
        proxy
    }

    fn host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// The engine is back: accept and forward connections again.
    fn up(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path).unwrap();
        let upstream = engine_socket();
        self.server = Some(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(mut engine) = UnixStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                    }
                });
            }
            // Dropping the JoinSet (when this task is aborted) cuts every open connection.
        }));
    }

    /// The engine is gone: open connections are cut and new ones refused.
    fn down(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for EngineProxy {
    fn drop(&mut self) {
        self.down();
    }
}

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_fail_clearly_while_the_engine_is_down_and_work_again_after() {
    require_docker();
    let dir = tempfile::tempdir().unwrap();
    let mut proxy = EngineProxy::new(dir.path());
    let w = Wharf::start_env(&[], None, &[("DOCKER_HOST", &proxy.host())]).await;
    within("list", w.ok("list_containers", json!({"all": true}))).await;

    proxy.down();
    let unreachable = format!("unavailable: Docker engine unreachable at {}", proxy.host());
    for (tool, args) in [
        ("list_containers", json!({})),
        ("inspect_container", json!({"container": "anything"})),
        ("list_images", json!({})),
        ("list_volumes", json!({})),
        ("system_info", json!({})),
    ] {
        let e = within(tool, w.err(tool, args)).await;
        assert!(e.starts_with(&unreachable), "{tool}: {e}");
    }

    proxy.up();
    for tool in [
        "list_containers",
        "list_images",
        "list_networks",
        "system_info",
    ] {
        within(tool, w.ok(tool, json!({}))).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_cut_off_by_the_fault_fails_and_leaves_no_image() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let tag = cleanup.image(&format!("{}:1", unique("cut-build")));
    let label = cleanup.image_label(&format!("wharf.test={}", unique("cut-build")));
    let dir = tempfile::tempdir().unwrap();
    let mut proxy = EngineProxy::new(dir.path());
    let w = Wharf::start_env(&[], None, &[("DOCKER_HOST", &proxy.host())]).await;

    let build = w
        .start_call(
            "build_image",
            json!({
                "dockerfile": format!("FROM {FIXTURE}\nRUN sleep 20\n"),
                "tags": [tag],
                "labels": {"wharf.test": label.split_once('=').unwrap().1},
            }),
        )
        .await;
    // Let the build reach its slow step, then take the engine away.
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.down();
    let result = match within("the cut build", build.await_response())
        .await
        .unwrap()
    {
        rmcp::model::ServerResult::CallToolResult(r) => r,
        other => panic!("{other:?}"),
    };
    let text = support::text(&result);
    assert_eq!(result.is_error, Some(true), "the build must fail: {text}");
    eprintln!("the cut build said: {text}");
    proxy.up();
    // Give the engine a moment to tear the cancelled build down.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let tagged = docker(&["images", "-q", &tag]);
    assert!(
        tagged.is_empty(),
        "a cut build left the image {tag}: {tagged}"
    );
    // And wharf serves again.
    within("list", w.ok("list_images", json!({}))).await;
}

#[test]
fn doctor_reports_the_setup_and_fails_on_an_unreachable_engine() {
    require_docker();
    let dir = tempfile::tempdir().unwrap();
    let out = support::wharf_cli(dir.path())
        .arg("doctor")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("ok    engine   unix://"), "{text}");
    let containers = text
        .lines()
        .find(|l| l.contains("containers 0.1.0: 16 tools ("))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        containers.contains(" KB, about ") && containers.contains("; grants containers-read"),
        "{containers}"
    );
    // What the served tools cost a model's context, in bytes and tokens.
    let tools = text
        .lines()
        .find(|l| l.starts_with("ok    tools    "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        tools.contains(" tools served: ") && tools.contains("k tokens"),
        "{tools}"
    );
    assert!(text.contains("(not found: defaults apply)"), "{text}");

    let out = support::wharf_cli(dir.path())
        .arg("doctor")
        .env("DOCKER_HOST", "unix:///nonexistent/wharf-doctor.sock")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "FAIL  engine   Docker engine unreachable at unix:///nonexistent/wharf-doctor.sock"
        ),
        "{text}"
    );
    let on = wharf::plugins::BUILTIN
        .iter()
        .filter(|b| b.enabled_by_default)
        .count();
    let loaded = format!("ok    plugins  {on} loaded");
    assert!(text.contains(&loaded), "{text}");
    // The plugins that are off by default say how to turn them on.
    assert!(
        text.contains("swarm: built in, off (enable with [plugin.swarm] enabled = true)"),
        "{text}"
    );
}

//! The sandbox holds: a plugin that loops, eats memory, traps, floods, or reaches for files,
//! sockets and the environment is stopped or refused, named in the error, and the host (and
//! the same plugin) keeps serving. Also: capabilities come from a component's imports and
//! only granted ones load.

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wharf_core::engine::Engines;
use wharf_core::policy::{Capability, Grants};
use wharf_core::runtime::{CallError, CallHooks, HostServices, Limits, LoadError, Plugin, Runtime};
use wharf_docker::Engine;

const HOSTILE: &str = env!("WHARF_TEST_HOSTILE_WASM");

fn runtime() -> Runtime {
    let services = HostServices::new(Arc::new(Engines::single(
        Engine::from_env().expect("the Docker endpoint of this environment"),
    )))
    .roots([std::env::temp_dir()]);
    Runtime::new(services, None).unwrap()
}

fn grants(allowed: &[Capability], narrowed: bool) -> Grants {
    Grants {
        allowed: allowed.iter().copied().collect::<BTreeSet<_>>(),
        narrowed,
        http_hosts: Vec::new(),
    }
}

fn limits() -> Limits {
    Limits {
        memory_bytes: 32 << 20,
        call_timeout: Duration::from_secs(20),
        compute: Duration::from_secs(1),
        concurrency: 16,
    }
}

async fn hostile(limits: Limits) -> Plugin {
    let wasm = std::fs::read(HOSTILE).unwrap();
    runtime()
        .load(
            "hostile",
            &wasm,
            &grants(
                &[
                    Capability::ContainersRead,
                    Capability::ContainersWrite,
                    Capability::Exec,
                    Capability::Http,
                ],
                false,
            ),
            limits,
        )
        .await
        .unwrap()
}

async fn call(p: &Plugin, tool: &str) -> Result<String, CallError> {
    let args = if tool == "hostile_echo" {
        json!({"text": "still here"})
    } else {
        json!({})
    };
    p.call(tool, &args.to_string(), CallHooks::default())
        .await
        .map(|o| o.text)
}

/// The call ended within `secs` of `started`: stopped, not left to run.
fn assert_quick(started: Instant, secs: u64) {
    let took = started.elapsed();
    assert!(took < Duration::from_secs(secs), "took {took:?}");
}

async fn still_serves(p: &Plugin) {
    assert_eq!(call(p, "hostile_echo").await.unwrap(), "still here");
}

#[tokio::test]
async fn capabilities_come_from_imports_and_must_be_granted() {
    let wasm = std::fs::read(HOSTILE).unwrap();
    let err = runtime()
        .load("hostile", &wasm, &grants(&[], false), limits())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            LoadError::NotGranted {
                capability: Capability::ContainersRead,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "plugin `hostile` imports `wharf:docker/containers-read@0.1.0`, which is not granted to \
         it; add \"containers-read\" to grants in [plugin.hostile] of wharf.toml to allow it"
    );
    // Granting more than it imports links only what it imports.
    let all = grants(&Capability::ALL, false);
    let p = runtime()
        .load("hostile", &wasm, &all, limits())
        .await
        .unwrap();
    assert_eq!(
        p.capabilities(),
        [
            Capability::ContainersRead,
            Capability::ContainersWrite,
            Capability::Exec,
            Capability::Http
        ]
    );
    assert_eq!(p.tools().len(), 19);
    let wrong_name = runtime()
        .load("other", &wasm, &all, limits())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(wrong_name, LoadError::NameMismatch { .. }),
        "{wrong_name}"
    );
    let garbage = runtime()
        .load("junk", b"not wasm", &all, limits())
        .await
        .err()
        .unwrap();
    assert!(
        garbage
            .to_string()
            .starts_with("plugin `junk` is not a valid WebAssembly component"),
        "{garbage}"
    );
}

#[tokio::test]
async fn a_narrowed_grant_loads_the_plugin_and_denies_the_withheld_capability() {
    let wasm = std::fs::read(HOSTILE).unwrap();
    let p = runtime()
        .load("hostile", &wasm, &grants(&[], true), limits())
        .await
        .unwrap();
    assert_eq!(p.capabilities(), []);
    let err = p
        .call("hostile_exec", r#"{"container":"x"}"#, CallHooks::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "denied: plugin `hostile` is not granted the `exec` capability this tool needs; add it \
         to grants in [plugin.hostile] of wharf.toml"
    );
    still_serves(&p).await;
}

/// Not only the Docker interfaces: `http` (and `read-files`) withheld is `denied` with its
/// name too, where it was once reported as a crash.
#[tokio::test]
async fn a_withheld_http_capability_is_denied_by_name() {
    let wasm = std::fs::read(env!("WHARF_REGISTRY_PLUGIN_WASM")).unwrap();
    let p = runtime()
        .load("registry", &wasm, &grants(&[], true), limits())
        .await
        .unwrap();
    let err = p
        .call(
            "registry_list_tags",
            r#"{"registry":"http://127.0.0.1:9","repository":"x"}"#,
            CallHooks::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::NotGranted {
                capability: Capability::Http,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "denied: plugin `registry` is not granted the `http` capability this tool needs; add it \
         to grants in [plugin.registry] of wharf.toml"
    );
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_by_the_compute_budget() {
    let p = hostile(limits()).await;
    let started = Instant::now();
    let err = call(&p, "hostile_loop").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `hostile` was stopped: it ran guest code for more than 1 s"
    );
    assert_quick(started, 5);
    still_serves(&p).await;
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_by_the_call_timeout() {
    let p = hostile(Limits {
        call_timeout: Duration::from_millis(500),
        compute: Duration::from_secs(60),
        ..limits()
    })
    .await;
    let started = Instant::now();
    let err = call(&p, "hostile_loop").await.unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "plugin `hostile` did not finish within 500 ms and was stopped"
    );
    assert_quick(started, 3);
    still_serves(&p).await;
}

#[tokio::test]
async fn a_spinning_call_does_not_block_other_calls() {
    let p = Arc::new(
        hostile(Limits {
            compute: Duration::from_secs(3),
            ..limits()
        })
        .await,
    );
    let spinner = tokio::spawn({
        let p = p.clone();
        async move { call(&p, "hostile_loop").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    still_serves(&p).await;
    // Not a timing bound, which a loaded machine breaks: the echo came back while the
    // spinner, with its 3 s of compute, was still running.
    assert!(!spinner.is_finished(), "the echo waited for the spinner");
    assert!(matches!(
        spinner.await.unwrap(),
        Err(CallError::Compute { .. })
    ));
}

// Multi-threaded: on one thread a spinning guest, ready at every tick, delays the timer
// the test sleeps on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_concurrency_limit_wait_their_turn() {
    let p = Arc::new(
        hostile(Limits {
            compute: Duration::from_millis(600),
            concurrency: 1,
            ..limits()
        })
        .await,
    );
    let spinner = tokio::spawn({
        let p = p.clone();
        async move { call(&p, "hostile_loop").await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    // The only slot is taken until the spinner's compute budget runs out.
    still_serves(&p).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "echo ran beside the spinner after {:?}",
        started.elapsed()
    );
    assert!(matches!(
        spinner.await.unwrap(),
        Err(CallError::Compute { .. })
    ));
}

#[tokio::test]
async fn hundreds_of_simultaneous_calls_all_finish() {
    let p = Arc::new(hostile(limits()).await);
    let calls: Vec<_> = (0..400)
        .map(|i| {
            let p = p.clone();
            tokio::spawn(async move {
                let args = json!({ "text": format!("call {i}") }).to_string();
                p.call("hostile_echo", &args, CallHooks::default()).await
            })
        })
        .collect();
    for (i, c) in calls.into_iter().enumerate() {
        let out = tokio::time::timeout(Duration::from_secs(60), c)
            .await
            .expect("no deadlock")
            .unwrap()
            .unwrap();
        assert_eq!(out.text, format!("call {i}"));
    }
}

#[tokio::test]
async fn memory_bombs_and_huge_results_hit_the_memory_cap() {
    let p = hostile(limits()).await;
    for tool in ["hostile_memory", "hostile_big"] {
        let err = call(&p, tool).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin `hostile` was stopped: it exceeded its memory limit of 32 MiB",
            "{tool}"
        );
        still_serves(&p).await;
    }
}

#[tokio::test]
async fn a_trap_is_reported_and_contained() {
    let p = hostile(limits()).await;
    let err = call(&p, "hostile_trap").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("plugin `hostile` crashed (trap): "),
        "{err}"
    );
    still_serves(&p).await;
}

/// Rust guests keep their stack in linear memory, so endless recursion ends as an
/// out-of-bounds access below address 0; the report says what it was.
#[tokio::test]
async fn endless_recursion_is_reported_as_a_stack_overflow() {
    let p = hostile(limits()).await;
    let err = call(&p, "hostile_recurse").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `hostile` crashed (trap): stack overflow (unbounded recursion?)"
    );
    still_serves(&p).await;
}

#[tokio::test]
async fn no_files_no_sockets_no_environment() {
    let p = hostile(limits()).await;
    let file = call(&p, "hostile_file").await.unwrap_err().to_string();
    assert!(file.starts_with("file access refused"), "{file}");
    let socket = call(&p, "hostile_socket").await.unwrap_err().to_string();
    assert!(socket.starts_with("network access refused"), "{socket}");
    assert_eq!(call(&p, "hostile_env").await.unwrap(), "0 variables");
}

#[tokio::test]
async fn a_cancelled_call_stops_at_once() {
    let p = hostile(Limits {
        compute: Duration::from_secs(30),
        ..limits()
    })
    .await;
    let hooks = CallHooks::default();
    let cancel = hooks.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let err = p.call("hostile_loop", "{}", hooks).await.unwrap_err();
    assert!(matches!(err, CallError::Cancelled), "{err}");
    // Cancelled at 200 ms, dropped after the 1 s clean-up grace at the latest.
    assert_quick(started, 3);
    still_serves(&p).await;
}

/// Streams hold connections to the engine that the host pays for, so one call holds at
/// most 64 at once (a plugin once held 5,000 live stats streams in one call; this one held
/// 100 followed logs before the bound). The rest are refused before the engine is asked,
/// the call's streams go with it, and the server serves.
#[tokio::test]
async fn a_call_holds_a_bounded_number_of_streams_to_the_engine() {
    support::require_docker();
    let mut cleanup = support::Cleanup::default();
    let name = cleanup.container(&support::unique("streams"));
    support::run_fixture(&name, &[], &["sh", "-c", "echo up; sleep 300"]);
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(HOSTILE, plugins.path().join("hostile.wasm")).unwrap();
    let dir = plugins.path().to_str().unwrap();
    let config = "[plugin.hostile]\ngrants = [\"containers-read\"]\n";
    let w = support::Wharf::start_with(&["--plugin-dir", dir], Some(config)).await;
    let bounded = format!(
        "opened {MAX} of 100, then: a call may hold at most {MAX} streams and jobs open at \
         once; drop one before opening another; after dropping one: opened another",
        MAX = wharf_core::adapter::MAX_OPEN_STREAMS
    );
    for _ in 0..2 {
        let out = w
            .ok("hostile_streams", json!({"container": name, "n": 100}))
            .await;
        assert_eq!(out, bounded, "the second call starts with none held");
    }
    let out = w.ok("hostile_echo", json!({"text": "still here"})).await;
    assert_eq!(out, "still here");
}

/// A plugin whose `list-tools` never returns held every client's `initialize` for its whole
/// compute budget (10 s). Plugins now load side by side and each gets a load budget of its
/// own: the server comes up with the others' tools, and `wharf tools` and `wharf doctor`
/// say what the plugin did.
#[tokio::test]
async fn a_plugin_that_never_lists_its_tools_costs_only_its_load_budget() {
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(
        env!("WHARF_TEST_SLOW_LOAD_WASM"),
        plugins.path().join("slow-load.wasm"),
    )
    .unwrap();
    let dir = plugins.path().to_str().unwrap();
    let w = support::Wharf::start_with(&["--plugin-dir", dir], None).await;
    let tools = w.client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "list_containers"));
    let reason = format!(
        "plugin `slow-load` failed while describing itself: plugin `slow-load` was stopped: it \
         ran guest code for more than {} s",
        wharf_core::runtime::LOAD_BUDGET.as_secs()
    );
    for (command, said) in [
        ("tools", format!("slow-load (not loaded): {reason}")),
        ("doctor", format!("slow-load not loaded: {reason}")),
    ] {
        let out = support::wharf_cli(w.dir.path())
            .args(["--plugin-dir", dir, command])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "`wharf {command}` must fail: {text}");
        assert!(text.contains(&said), "`wharf {command}`:\n{text}");
    }
}

/// Through the real server: a misbehaving third-party plugin is reported by name and the
/// built-in tools keep answering.
#[tokio::test]
async fn the_server_keeps_serving_after_a_plugin_misbehaves() {
    support::require_docker();
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(HOSTILE, plugins.path().join("hostile.wasm")).unwrap();
    let dir = plugins.path().to_str().unwrap();
    let config = "[plugin.hostile]\ngrants = [\"exec\"]\ncompute_secs = 1\nmemory_mib = 16\n";
    let w = support::Wharf::start_with(&["--plugin-dir", dir], Some(config)).await;
    let err = w.err("hostile_loop", json!({})).await;
    assert_eq!(
        err,
        "plugin `hostile` was stopped: it ran guest code for more than 1 s"
    );
    let err = w.err("hostile_memory", json!({})).await;
    assert_eq!(
        err,
        "plugin `hostile` was stopped: it exceeded its memory limit of 16 MiB"
    );
    w.ok("list_containers", json!({})).await;
    assert_eq!(w.ok("hostile_echo", json!({"text": "hi"})).await, "hi");

    // Without the grant, the plugin is refused and the rest still loads.
    let w = support::Wharf::start_with(&["--plugin-dir", dir], None).await;
    let tools = w.client.list_all_tools().await.unwrap();
    assert!(tools.iter().all(|t| !t.name.starts_with("hostile_")));
    assert!(tools.iter().any(|t| t.name == "list_containers"));
}

/// `wharf plugin check` loads a file as a plugin directory would and says what wharf would
/// make of it, with an exit code for CI.
#[test]
fn plugin_check_reports_what_loading_would_decide() {
    let dir = tempfile::tempdir().unwrap();
    let check = |file: &str| {
        let out = std::process::Command::new(support::wharf_bin())
            .args(["plugin", "check"])
            .arg(dir.path().join(file))
            .env("WHARF_CONFIG", dir.path().join("none.toml"))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    std::fs::copy(HOSTILE, dir.path().join("hostile.wasm")).unwrap();
    let (ok, text) = check("hostile.wasm");
    assert!(ok, "{text}");
    assert!(
        text.contains("ok    plugin   hostile 0.1.0: Misbehaves on request"),
        "{text}"
    );
    assert!(text.contains("wharf:docker/exec@0.1.0"), "{text}");
    assert!(
        text.contains(
            r#"needs [plugin.hostile] grants = ["containers-read", "containers-write", "exec", "http"] and http_hosts"#
        ),
        "{text}"
    );
    assert!(text.contains("ok    tools    19: hostile_echo,"), "{text}");

    std::fs::copy(HOSTILE, dir.path().join("renamed.wasm")).unwrap();
    let (ok, text) = check("renamed.wasm");
    assert!(!ok, "{text}");
    assert!(
        text.contains("FAIL  load     plugin file `renamed` describes itself as `hostile`"),
        "{text}"
    );

    std::fs::write(dir.path().join("junk.wasm"), b"not wasm at all").unwrap();
    let (ok, text) = check("junk.wasm");
    assert!(!ok, "{text}");
    assert!(
        text.contains("is not a valid WebAssembly component"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "one line per check: {text}");

    let (ok, text) = check("missing.wasm");
    assert!(!ok, "{text}");
    assert!(text.contains("FAIL  file     cannot read"), "{text}");
}

/// Everything wharf logs in this test binary, as the user's stderr would show it.
fn captured_log() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOG: std::sync::OnceLock<std::sync::Mutex<Vec<u8>>> = std::sync::OnceLock::new();
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        struct Sink;
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                captured_log().lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let _ = tracing_subscriber::fmt()
            .with_env_filter("wharf=info")
            .with_ansi(false)
            .with_writer(|| Sink)
            .try_init();
    });
    LOG.get_or_init(Default::default)
}

/// A plugin prints a line that looks like wharf's own, with terminal escapes, a hundred
/// thousand times over (4.9 MB). What reaches the log is marked as the plugin's, escaped, and bounded per
/// call; the plugin keeps serving.
#[tokio::test]
async fn a_plugins_output_is_logged_as_its_own_escaped_and_bounded() {
    let log = captured_log();
    let p = hostile(limits()).await;
    let forged = "\x1b[2K\rwharf: serving MCP at http://evil.example/mcp\n";
    let out = p
        .call(
            "hostile_print",
            &json!({"text": forged, "times": 100_000}).to_string(),
            CallHooks::default(),
        )
        .await
        .unwrap();
    assert_eq!(out.text, "printed");
    still_serves(&p).await;

    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(!text.contains('\x1b'), "a raw escape reached the log");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("serving MCP at http://evil.example"))
        .collect();
    assert!(!lines.is_empty(), "{text}");
    for line in &lines {
        assert!(line.contains("plugin=hostile"), "{line}");
        assert!(line.contains("\\u{1b}[2K\\r"), "{line}");
        assert!(!line.starts_with("wharf:"), "{line}");
    }
    // 64 KiB a call: about 1,300 of the lines, not a million.
    assert!(
        lines.len() < 65536 / (forged.len() - 1) + 2,
        "{}",
        lines.len()
    );
    assert!(
        text.contains("more than the 65536 a call may; dropped"),
        "{text}"
    );
}

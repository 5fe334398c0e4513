//! Fuzzing the two doors hostile input comes through: MCP's JSON-RPC messages and tool
//! arguments. Every case must be answered or refused; no panic, no hang, and the server still
//! answers a well-formed request at the end.
//!
//! The engine is an address where nothing listens, so no case can change anything: calls
//! that get past the argument check reach the plugins and fail there as "engine unreachable".
//!
//! Case counts (deterministic seeds, so a failure reproduces):
//! `WHARF_FUZZ_MESSAGES` (JSON-RPC messages, default 1,000,000) and `WHARF_FUZZ_CALLS` (tool
//! calls with arbitrary arguments, default 100,000). A bigger run:
//! `WHARF_FUZZ_CALLS=1000000 cargo test --release -p wharf --test fuzz`.

#[path = "support/mod.rs"]
mod support;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use wharf_core::config::Config;
use wharf_core::engine::Engines;
use wharf_core::policy::Confirmed;
use wharf_core::registry::Registry;
use wharf_core::runtime::{ArtifactCache, CallHooks, HostServices, Runtime};
use wharf_docker::Engine;

const NOWHERE: &str = "unix:///nonexistent/wharf-fuzz/docker.sock";

fn count(var: &str, default: u64) -> u64 {
    match std::env::var(var) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{var} must be a number, not {v:?}")),
        Err(_) => default,
    }
}

/// Panics anywhere in the process, server tasks included, counted.
fn count_panics() -> &'static AtomicUsize {
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
    &PANICS
}

async fn registry(root: &std::path::Path) -> Arc<Registry> {
    let services = HostServices::new(Arc::new(Engines::single(Engine::at(NOWHERE).unwrap())))
        .roots([root.to_owned()]);
    let runtime = Runtime::new(services, Some(ArtifactCache::new(support::cache_dir()))).unwrap();
    let config = Config {
        allowed_roots: vec![root.to_owned()],
        ..Config::default()
    };
    let registry = Registry::load(
        &runtime,
        &config,
        wharf::plugins::BUILTIN,
        Some(&wharf::plugins::PROJECTOR),
    )
    .await;
    assert!(registry.failed().is_empty(), "{:?}", registry.failed());
    Arc::new(registry)
}

/// Any JSON value, nested a few levels.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        prop_oneof![
            Just(""),
            Just("../../etc/passwd"),
            Just("/var/run/docker.sock"),
            Just("*")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Arguments for one tool: half arbitrary objects, half objects built from the tool's own
/// property names (so many get past the schema check and into the plugin).
fn arguments(properties: Vec<String>) -> impl Strategy<Value = Map<String, Value>> {
    let arbitrary = prop::collection::btree_map("[a-z_]{0,10}", json_value(), 0..4);
    let guided = if properties.is_empty() {
        prop::collection::btree_map("[a-z_]{0,10}", json_value(), 0..2).boxed()
    } else {
        prop::collection::btree_map(prop::sample::select(properties), json_value(), 0..5).boxed()
    };
    prop_oneof![arbitrary, guided].prop_map(|m| m.into_iter().collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_tool_arguments_are_refused_or_answered_never_a_panic() {
    let panics = count_panics();
    let root = tempfile::tempdir().unwrap();
    let registry = registry(root.path()).await;
    let tools: Vec<(String, Vec<String>)> = registry
        .tools()
        .map(|(_, t)| {
            let props = t.input_schema.get("properties").and_then(Value::as_object);
            let names = props
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            (t.name.clone(), names)
        })
        .collect();
    let cases = count("WHARF_FUZZ_CALLS", 100_000);
    let mut runner = TestRunner::deterministic();
    let started = Instant::now();
    let (mut refused, mut reached) = (0u64, 0u64);
    for i in 0..cases {
        let (tool, props) = &tools[i as usize % tools.len()];
        let args = arguments(props.clone())
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let call = registry.call(tool, Some(&args), CallHooks::default(), &Confirmed);
        let outcome = tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .unwrap_or_else(|_| panic!("{tool} hung on {}", Value::Object(args.clone())));
        match outcome {
            Err(wharf_core::registry::RegistryError::InvalidArguments { .. }) => refused += 1,
            _ => reached += 1,
        }
        assert_eq!(
            panics.load(Ordering::SeqCst),
            0,
            "{tool} panicked on {}",
            Value::Object(args)
        );
    }
    eprintln!(
        "{cases} calls in {:.1?}: {refused} refused by the schema check, {reached} reached a plugin",
        started.elapsed()
    );
    assert!(
        reached > cases / 10,
        "too few cases reached the plugins: {reached}"
    );
    assert!(
        refused > cases / 10,
        "too few cases were invalid: {refused}"
    );
}

/// A line of JSON-RPC, well-formed or not.
fn message() -> impl Strategy<Value = Vec<u8>> {
    let id = prop_oneof![
        any::<i64>().prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
        Just(Value::Null),
        json_value(),
    ];
    let method = prop_oneof![
        Just("tools/list".to_owned()),
        Just("tools/call".to_owned()),
        Just("resources/read".to_owned()),
        Just("resources/list".to_owned()),
        Just("prompts/get".to_owned()),
        Just("ping".to_owned()),
        Just("initialize".to_owned()),
        Just("notifications/cancelled".to_owned()),
        Just("notifications/progress".to_owned()),
        "[a-z/_]{0,20}",
    ];
    let envelope = (
        prop_oneof![Just(json!("2.0")), json_value()],
        prop::option::of(id),
        method,
        prop::option::of(json_value()),
    )
        .prop_map(|(version, id, method, params)| {
            let mut m = Map::new();
            m.insert("jsonrpc".into(), version);
            if let Some(id) = id {
                m.insert("id".into(), id);
            }
            m.insert("method".into(), Value::from(method));
            if let Some(p) = params {
                m.insert("params".into(), p);
            }
            serde_json::to_vec(&Value::Object(m)).unwrap()
        })
        .boxed();
    // A valid envelope with bytes flipped, cut or inserted: broken JSON, broken UTF-8.
    let mutated = (
        envelope.clone(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    )
        .prop_map(|(mut bytes, edits)| {
            for (at, byte) in edits {
                if bytes.is_empty() {
                    break;
                }
                let i = at.index(bytes.len());
                match byte % 3 {
                    0 => bytes[i] = byte,
                    1 => bytes.truncate(i),
                    _ => bytes.insert(i, byte),
                }
            }
            bytes
        });
    let nested = (1usize..2000).prop_map(|depth| {
        let mut s = "[".repeat(depth).into_bytes();
        s.extend("]".repeat(depth).bytes());
        s
    });
    prop_oneof![6 => envelope, 3 => mutated, 1 => nested].prop_map(|mut line| {
        // One message per line: a newline inside would only split it in two.
        line.retain(|b| *b != b'\n');
        line.push(b'\n');
        line
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_json_rpc_messages_never_break_the_server() {
    let panics = count_panics();
    let root = tempfile::tempdir().unwrap();
    let registry = registry(root.path()).await;
    let (client, server) = tokio::io::duplex(1 << 16);
    let (server_read, server_write) = tokio::io::split(server);
    let serving = tokio::spawn(async move {
        use rmcp::ServiceExt;
        let service = wharf::transport::WharfServer::new(registry)
            .expect("randomness")
            .serve((server_read, server_write))
            .await
            .expect("initialize");
        service.waiting().await
    });
    let (client_read, mut client_write) = tokio::io::split(client);
    // Everything the server says is read as it comes, so it never blocks on a full pipe.
    let (final_tx, final_rx) = tokio::sync::oneshot::channel();
    let reader = tokio::spawn(async move {
        let mut lines = BufReader::new(client_read).lines();
        let mut answers = 0u64;
        let mut final_tx = Some(final_tx);
        while let Ok(Some(line)) = lines.next_line().await {
            answers += 1;
            if line.contains("\"id\":\"wharf-fuzz-final\"")
                && let Some(tx) = final_tx.take()
            {
                let _ = tx.send(line);
            }
        }
        answers
    });
    let send = |v: Value| format!("{v}\n").into_bytes();
    client_write
        .write_all(&send(json!({
            "jsonrpc": "2.0", "id": "init", "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "fuzz", "version": "0"}}
        })))
        .await
        .unwrap();
    client_write
        .write_all(&send(
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        ))
        .await
        .unwrap();

    let cases = count("WHARF_FUZZ_MESSAGES", 1_000_000);
    let mut runner = TestRunner::deterministic();
    let strategy = message();
    let started = Instant::now();
    for _ in 0..cases {
        let line = strategy.new_tree(&mut runner).unwrap().current();
        tokio::time::timeout(Duration::from_secs(30), client_write.write_all(&line))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the server stopped reading at {}",
                    String::from_utf8_lossy(&line)
                )
            })
            .expect("the server closed the connection");
    }
    client_write
        .write_all(&send(
            json!({"jsonrpc": "2.0", "id": "wharf-fuzz-final", "method": "tools/list"}),
        ))
        .await
        .expect("the server closed the connection");
    let last = tokio::time::timeout(Duration::from_secs(120), final_rx)
        .await
        .expect("no answer to a valid request after the fuzz cases: the server hangs")
        .expect("the server stopped answering");
    assert!(last.contains("list_containers"), "{last}");
    let elapsed = started.elapsed();
    // End of input is the client going away: the server must wind down too.
    client_write.shutdown().await.unwrap();
    let answers = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("the server did not close after its client went away")
        .unwrap();
    let served = tokio::time::timeout(Duration::from_secs(60), serving)
        .await
        .expect("the server did not stop after its client went away");
    assert!(served.is_ok(), "the server task failed: {served:?}");
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "a panic while serving the cases"
    );
    eprintln!("{cases} messages in {elapsed:.1?}, {answers} answers");
}

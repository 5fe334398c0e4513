//! The mock host against the real engine: the same scenarios, through the same built-in
//! plugins, on both; every step's outcome (success, or the error's kind and words with ids
//! masked) must agree. Where the mock and the engine could disagree, this is where it shows.

#[path = "support/mod.rs"]
mod support;

use regex::Regex;
use serde_json::{Value, json};
use std::sync::{Arc, LazyLock};
use support::{Cleanup, FIXTURE, require_docker, unique};
use wharf::plugins::BUILTIN;
use wharf_core::config::Config;
use wharf_core::engine::Engines;
use wharf_core::policy::Confirmed;
use wharf_core::registry::{PluginSource, Registry, RegistryError};
use wharf_core::runtime::{CallError, CallHooks, HostServices, Runtime};
use wharf_docker::Engine;
use wharf_mock::{ImageSeed, MockDocker, MockHost};

const PLUGINS: [&str; 4] = ["containers", "networks", "volumes", "images"];

async fn real_engine() -> Registry {
    require_docker();
    let services = HostServices::new(Arc::new(Engines::single(Engine::from_env().unwrap())))
        .roots([std::env::temp_dir()]);
    let runtime = Runtime::new(services, None).unwrap();
    let sources = BUILTIN
        .iter()
        .filter(|b| PLUGINS.contains(&b.name))
        .map(PluginSource::builtin)
        .collect();
    Registry::from_sources(&runtime, &Config::default(), sources).await
}

async fn mock_engine() -> MockHost {
    let docker = MockDocker::builder()
        .image(ImageSeed::new(FIXTURE).cmd(&["sh"]))
        .build()
        .unwrap();
    let mut b = MockHost::builder(&docker);
    for p in PLUGINS {
        b = b.builtin(wharf::plugins::named(p).unwrap());
    }
    b.start().await.unwrap()
}

static IDS: LazyLock<Regex> = LazyLock::new(|| Regex::new("[0-9a-f]{64}|[0-9a-f]{12}").unwrap());

/// Fields of a structured result that are the engine's own, not the tool's: when it
/// happened, how big it is, which addresses its allocator picked.
const ENGINE_OWN: [&str; 4] = ["created", "status", "size", "subnets"];

/// A structured result with ids and the engine's own fields masked.
fn masked(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(IDS.replace_all(s, "<id>").into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(masked).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if ENGINE_OWN.contains(&k.as_str()) {
                        Value::from("<engine>")
                    } else {
                        masked(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        v => v.clone(),
    }
}

/// A step's outcome, comparable across engines: the structured result, masked; the
/// success text is left out (it carries timestamps and sizes).
async fn outcome(registry: &Registry, tool: &str, args: &Value) -> String {
    let args = args.as_object().cloned();
    match registry
        .call(tool, args.as_ref(), CallHooks::default(), &Confirmed)
        .await
    {
        Ok(out) => match out.structured {
            Some(v) => format!("ok {}", masked(&v)),
            None => "ok".to_owned(),
        },
        Err(RegistryError::Call(CallError::Tool(e))) => {
            format!("{:?}: {}", e.kind, IDS.replace_all(&e.message, "<id>"))
        }
        Err(e) => format!("refused: {e}"),
    }
}

/// Run `steps` on both engines; all outcomes must agree.
async fn agree(steps: &[(&str, Value)]) {
    let real = real_engine().await;
    let mock = mock_engine().await;
    let mut differ = Vec::new();
    for (n, (tool, args)) in steps.iter().enumerate() {
        let on_engine = outcome(&real, tool, args).await;
        let on_mock = outcome(mock.registry(), tool, args).await;
        if on_engine != on_mock {
            differ.push(format!(
                "step {n} {tool} {args}:\n  engine: {on_engine}\n  mock:   {on_mock}"
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "the mock disagrees with the engine:\n{}",
        differ.join("\n")
    );
}

#[tokio::test]
async fn container_lifecycle_agrees() {
    let mut cleanup = Cleanup::default();
    let c = cleanup.container(&unique("parity"));
    let steps = [
        (
            "run_container",
            json!({ "image": FIXTURE, "name": c, "command": ["sleep", "300"], "labels": { "wharf.test": "1" } }),
        ),
        ("start_container", json!({ "container": c })),
        ("list_containers", json!({ "name": c })),
        ("pause_container", json!({ "container": c })),
        ("pause_container", json!({ "container": c })),
        ("list_containers", json!({ "all": true, "name": c })),
        (
            "exec_container",
            json!({ "container": c, "command": ["true"] }),
        ),
        ("start_container", json!({ "container": c })),
        ("remove_container", json!({ "container": c })),
        ("unpause_container", json!({ "container": c })),
        ("unpause_container", json!({ "container": c })),
        ("rename_container", json!({ "container": c, "new_name": c })),
        ("remove_container", json!({ "container": c })),
        ("kill_container", json!({ "container": c })),
        ("kill_container", json!({ "container": c })),
        ("stop_container", json!({ "container": c })),
        (
            "exec_container",
            json!({ "container": c, "command": ["true"] }),
        ),
        ("start_container", json!({ "container": c })),
        (
            "run_container",
            json!({ "image": FIXTURE, "name": c, "command": ["sleep", "300"] }),
        ),
        (
            "run_container",
            json!({ "image": "wharf-test-no-such-image:1", "name": format!("{c}-x") }),
        ),
        ("remove_container", json!({ "container": c, "force": true })),
        ("stop_container", json!({ "container": c })),
        ("inspect_container", json!({ "container": c })),
    ];
    agree(&steps).await;
}

#[tokio::test]
async fn networks_and_volumes_agree() {
    let mut cleanup = Cleanup::default();
    let c = cleanup.container(&unique("parity-net"));
    let net = cleanup.network(&unique("parity-net"));
    let vol = cleanup.volume(&unique("parity-vol"));
    let steps = [
        (
            "create_network",
            json!({ "name": net, "labels": { "wharf.test": "1" } }),
        ),
        ("create_network", json!({ "name": net })),
        (
            "create_volume",
            json!({ "name": vol, "labels": { "wharf.test": "1" } }),
        ),
        (
            "run_container",
            json!({ "image": FIXTURE, "name": c, "command": ["sleep", "300"], "network": net, "volumes": [format!("{vol}:/data")] }),
        ),
        ("list_networks", json!({ "name": net })),
        ("list_volumes", json!({ "name": vol })),
        ("list_containers", json!({ "name": c })),
        ("remove_network", json!({ "network": net })),
        ("connect_network", json!({ "network": net, "container": c })),
        (
            "disconnect_network",
            json!({ "network": net, "container": c }),
        ),
        (
            "disconnect_network",
            json!({ "network": net, "container": c }),
        ),
        ("remove_network", json!({ "network": "bridge" })),
        ("remove_volume", json!({ "volume": vol })),
        (
            "inspect_network",
            json!({ "network": "wharf-test-no-such-network" }),
        ),
        (
            "inspect_volume",
            json!({ "volume": "wharf-test-no-such-volume" }),
        ),
        ("remove_container", json!({ "container": c, "force": true })),
        ("remove_network", json!({ "network": net })),
        ("remove_volume", json!({ "volume": vol })),
        ("remove_volume", json!({ "volume": vol })),
    ];
    agree(&steps).await;
}

#[tokio::test]
async fn image_references_agree() {
    let mut cleanup = Cleanup::default();
    let c = cleanup.container(&unique("parity-img"));
    // Only a tag of the test's own is ever removed: the fixture image stays.
    let repo = unique("parity-img");
    let tag = cleanup.image(&format!("{repo}:v1"));
    let steps = [
        (
            "tag_image",
            json!({ "image": FIXTURE, "repo": repo, "tag": "v1" }),
        ),
        (
            "tag_image",
            json!({ "image": "wharf-test-no-such-image:1", "repo": repo, "tag": "v2" }),
        ),
        (
            "run_container",
            json!({ "image": tag, "name": c, "command": ["sleep", "300"], "start": false }),
        ),
        ("list_images", json!({ "reference": tag })),
        ("list_containers", json!({ "all": true, "name": c })),
        ("remove_image", json!({ "image": tag })),
        ("remove_container", json!({ "container": c })),
        ("remove_image", json!({ "image": tag })),
        ("remove_image", json!({ "image": tag })),
        ("inspect_image", json!({ "image": tag })),
        (
            "image_history",
            json!({ "image": "wharf-test-no-such-image" }),
        ),
    ];
    agree(&steps).await;
}

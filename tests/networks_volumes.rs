//! The networks and volumes tool groups end to end, against the real engine.

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use support::{Cleanup, FIXTURE, Wharf, require_docker, run_fixture, unique};

/// A /24 unlikely to collide with the machine's own networks, different per test process.
fn subnet() -> (String, String, String) {
    let n = std::process::id() % 250;
    (
        format!("10.251.{n}.0/24"),
        format!("10.251.{n}.1"),
        format!("10.251.{n}.50"),
    )
}

#[tokio::test]
async fn containers_on_a_user_network_reach_each_other_by_alias() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let a = cleanup.container(&unique("net-a"));
    let b = cleanup.container(&unique("net-b"));
    let net = cleanup.network(&unique("net"));
    let (subnet, gateway, fixed) = subnet();
    let w = Wharf::start().await;

    let created = w
        .ok(
            "create_network",
            json!({"name": net, "subnet": subnet, "gateway": gateway, "labels": {"wharf.test": "1"}}),
        )
        .await;
    assert!(
        created.starts_with(&format!("created network {net} (")),
        "{created}"
    );
    let listed = w.call("list_networks", json!({"name": net})).await;
    let rows = &listed.structured_content.unwrap()["networks"];
    assert_eq!(rows[0]["name"], net.as_str());
    assert_eq!(rows[0]["subnets"], json!([subnet]));

    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": a, "network": net, "command": ["sleep", "60"]}),
    )
    .await;
    run_fixture(&b, &[], &["sleep", "60"]);
    let connected = w
        .ok(
            "connect_network",
            json!({"network": net, "container": b, "aliases": ["db"], "ipv4": fixed}),
        )
        .await;
    assert_eq!(connected, format!("connected {b} to {net}"));

    let ping = w
        .ok(
            "exec_container",
            json!({"container": a, "command": "ping -c1 -W2 db"}),
        )
        .await;
    assert!(ping.starts_with("exit code 0"), "{ping}");
    assert!(ping.contains(&fixed), "{ping}");

    let inspected = w.call("inspect_network", json!({"network": net})).await;
    let s = inspected.structured_content.unwrap();
    let attached: Vec<(&str, &str)> = s["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["ipv4"].as_str().unwrap()))
        .collect();
    assert!(
        attached.contains(&(b.as_str(), format!("{fixed}/24").as_str())),
        "{attached:?}"
    );
    assert!(attached.iter().any(|(n, _)| *n == a), "{attached:?}");

    w.ok(
        "disconnect_network",
        json!({"network": net, "container": b}),
    )
    .await;
    let ping = w
        .ok(
            "exec_container",
            json!({"container": a, "command": "ping -c1 -W1 db"}),
        )
        .await;
    assert!(!ping.starts_with("exit code 0"), "{ping}");

    let busy = w.err("remove_network", json!({"network": net})).await;
    assert!(busy.contains("active endpoints"), "{busy}");
    w.ok("remove_container", json!({"container": a, "force": true}))
        .await;
    assert_eq!(
        w.ok("remove_network", json!({"network": net})).await,
        format!("removed network {net}")
    );

    // Prune only what carries this test's own label.
    let label = format!("wharf.test.prune={}", unique("p"));
    let spare = cleanup.network(&unique("net-prune"));
    let (k, v) = label.split_once('=').unwrap();
    w.ok("create_network", json!({"name": spare, "labels": {k: v}}))
        .await;
    // A dry run names it and removes nothing.
    let r = w
        .call("prune_networks", json!({"label": [label], "dry_run": true}))
        .await;
    assert_eq!(
        support::text(&r),
        format!("would remove 1 networks: {spare} (dry run: nothing was changed)")
    );
    let plan = &r.structured_content.as_ref().unwrap()["plan"];
    assert_eq!(plan[0]["name"], spare.as_str(), "{plan}");
    let pruned = w.ok("prune_networks", json!({"label": [label]})).await;
    assert_eq!(pruned, format!("removed 1 networks: {spare}"));
}

#[tokio::test]
async fn volume_data_outlives_containers_and_in_use_volumes_are_kept() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let vol = cleanup.volume(&unique("vol"));
    let writer = cleanup.container(&unique("vol-w"));
    let reader = cleanup.container(&unique("vol-r"));
    let w = Wharf::start().await;

    let created = w
        .ok(
            "create_volume",
            json!({"name": vol, "labels": {"wharf.test": "1"}}),
        )
        .await;
    assert_eq!(created, format!("volume {vol} (local)"));
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": writer, "volumes": [format!("{vol}:/data")],
               "command": ["sh", "-c", "echo kept > /data/f"]}),
    )
    .await;
    w.ok("wait_container", json!({"container": writer})).await;
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": reader, "volumes": [format!("{vol}:/data:ro")],
               "command": ["sh", "-c", "cat /data/f; sleep 60"]}),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let logs = w
            .ok("get_container_logs", json!({"container": reader}))
            .await;
        if logs.contains("\nkept\n") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{logs}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let listed = w.call("list_volumes", json!({"name": vol})).await;
    let rows = &listed.structured_content.unwrap()["volumes"];
    let mut users = vec![reader.clone(), writer.clone()];
    users.sort();
    assert_eq!(rows[0]["used_by"], json!(users), "{rows}");

    let refused = w.err("remove_volume", json!({"volume": vol})).await;
    assert_eq!(
        refused,
        format!(
            "conflict: volume {vol} is in use by {}; remove those containers first",
            users.join(", ")
        )
    );
    w.ok(
        "remove_container",
        json!({"container": reader, "force": true}),
    )
    .await;
    w.ok("remove_container", json!({"container": writer})).await;
    let inspected = w.ok("inspect_volume", json!({"volume": vol})).await;
    assert!(inspected.contains("\"used_by\": []"), "{inspected}");
    assert_eq!(
        w.ok("remove_volume", json!({"volume": vol})).await,
        format!("removed volume {vol} and its data")
    );
    assert_eq!(
        w.ok("list_volumes", json!({"name": vol})).await,
        "No volumes."
    );
    assert_eq!(
        w.err("inspect_volume", json!({"volume": vol})).await,
        format!("not found: get {vol}: no such volume")
    );

    let label = format!("wharf.test.prune={}", unique("p"));
    let spare = cleanup.volume(&unique("vol-prune"));
    let (k, v) = label.split_once('=').unwrap();
    w.ok("create_volume", json!({"name": spare, "labels": {k: v}}))
        .await;
    let r = w
        .call("prune_volumes", json!({"label": [label], "dry_run": true}))
        .await;
    assert_eq!(
        support::text(&r),
        format!(
            "would remove 1 volumes and their data: {spare} (named: kept by engines from API \
             1.42 unless all=true) (dry run: nothing was changed)"
        )
    );
    let plan = &r.structured_content.as_ref().unwrap()["plan"];
    assert_eq!(plan[0]["name"], spare.as_str(), "{plan}");
    let pruned = w
        .ok("prune_volumes", json!({"label": [label], "all": true}))
        .await;
    assert!(
        pruned.starts_with("removed 1 volumes (") && pruned.ends_with(&spare),
        "{pruned}"
    );
}

#[tokio::test]
async fn each_plugin_imports_only_what_it_needs() {
    let out = support::wharf_cli(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")))
        .args(["tools", "--verbose"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let caps = |plugin: &str| {
        let start = text
            .find(&format!("\n{plugin} "))
            .or_else(|| text.find(&format!("{plugin} ")))
            .unwrap();
        text[start..]
            .lines()
            .find(|l| l.trim_start().starts_with("capabilities:"))
            .unwrap()
            .trim()
            .to_owned()
    };
    assert_eq!(
        caps("containers"),
        "capabilities: containers-read, containers-write, exec, files"
    );
    assert_eq!(caps("networks"), "capabilities: networks");
    assert_eq!(caps("volumes"), "capabilities: containers-read, volumes");
}

//! The images tool group end to end: tag, list, inspect, history, remove, prune, on images
//! made from the local fixture (nothing is pulled).

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};
use support::{Cleanup, FIXTURE, Wharf, require_docker, unique};

/// `docker build` of a one-line Dockerfile on the fixture, tagged `tag`.
fn build(tag: &str, label: &str) {
    let mut child = Command::new("docker")
        .args(["build", "-q", "-t", tag, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let dockerfile = format!("FROM {FIXTURE}\nLABEL {label}\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dockerfile.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn tag_list_inspect_history_remove_and_prune() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let repo = unique("img");
    let reference = cleanup.image(&format!("{repo}:v1"));
    let w = Wharf::start().await;

    let tagged = w
        .ok(
            "tag_image",
            json!({"image": FIXTURE, "repo": repo, "tag": "v1"}),
        )
        .await;
    assert_eq!(tagged, format!("tagged {FIXTURE} as {reference}"));

    let listed = w.call("list_images", json!({"reference": repo})).await;
    let rows = &listed.structured_content.unwrap()["images"];
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert!(
        rows[0]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!(reference)),
        "{rows}"
    );
    assert!(
        rows[0]["created"].as_str().unwrap().ends_with('Z'),
        "{rows}"
    );

    let inspected = w.call("inspect_image", json!({"image": reference})).await;
    let s = inspected.structured_content.unwrap();
    assert_eq!(s["command"], json!(["/bin/sh"]));
    assert_eq!(s["env"], json!(["PATH=<redacted>"]));
    assert_eq!(
        s["platform"].as_str().unwrap().split('/').next(),
        Some("linux")
    );
    let history = w.ok("image_history", json!({"image": reference})).await;
    assert!(
        history.starts_with("CREATED | SIZE | CREATED BY\n"),
        "{history}"
    );

    // The fixture keeps the layers: removing this tag only untags.
    let removed = w.ok("remove_image", json!({"image": reference})).await;
    assert_eq!(removed, format!("untagged {reference}"));
    assert_eq!(
        w.ok("list_images", json!({"reference": repo})).await,
        "No images."
    );
    let missing = w.err("inspect_image", json!({"image": reference})).await;
    assert!(missing.starts_with("not found: "), "{missing}");

    // Building the same tag twice leaves the first build dangling; prune only what carries
    // this test's label.
    let label = cleanup.image_label(&format!("wharf.test.prune={}", unique("p")));
    let built = cleanup.image(&format!("{repo}:built"));
    build(&built, &format!("{label} step=1"));
    build(&built, &format!("{label} step=2"));
    let dangling = w
        .call("list_images", json!({"dangling": true, "label": [label]}))
        .await;
    let rows = &dangling.structured_content.unwrap()["images"];
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    let pruned = w.ok("prune_images", json!({"label": [label]})).await;
    assert!(pruned.starts_with("deleted 1 images ("), "{pruned}");
    assert!(
        pruned.ends_with(rows[0]["id"].as_str().unwrap()),
        "{pruned} vs {rows}"
    );
    // The tagged build is still there.
    let still = w
        .ok("list_images", json!({"reference": format!("{repo}:built")}))
        .await;
    assert!(still.contains(&built), "{still}");
}

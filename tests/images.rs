//! The images tool group end to end: tag, list, inspect, history, remove, prune, on images
//! made from the local fixture (nothing is pulled).

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};
use support::{Cleanup, FIXTURE, Wharf, docker, require_docker, unique};

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

#[tokio::test]
async fn build_from_a_context_directory_honours_dockerignore() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let tag = cleanup.image(&format!("{}:ctx", unique("ctx")));
    let w = Wharf::start().await;
    let ctx = w.dir.path().join("ctx");
    std::fs::create_dir_all(ctx.join("logs")).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {FIXTURE}\nCOPY . /ctx\nCMD [\"ls\", \"-a\", \"/ctx\"]\n"),
    )
    .unwrap();
    std::fs::write(ctx.join(".dockerignore"), "secret.txt\nlogs\n").unwrap();
    std::fs::write(ctx.join("keep.txt"), "kept").unwrap();
    std::fs::write(ctx.join("secret.txt"), "never sent").unwrap();
    std::fs::write(ctx.join("logs/a.log"), "log").unwrap();

    let built = w
        .ok(
            "build_image",
            json!({"context_dir": "ctx", "tags": [tag], "labels": {"wharf.test": "1"}}),
        )
        .await;
    assert!(built.ends_with(&format!("tagged {tag}")), "{built}");
    let name = cleanup.container(&unique("ctx"));
    let listed = docker(&["run", "--name", &name, "--label", "wharf.test=1", &tag]);
    let files: Vec<&str> = listed.lines().collect();
    assert_eq!(
        files,
        [".", "..", ".dockerignore", "Dockerfile", "keep.txt"]
    );

    let outside = w
        .err("build_image", json!({"context_dir": "/etc", "tags": [tag]}))
        .await;
    assert!(
        outside.starts_with("denied: `/etc` is outside the allowed roots"),
        "{outside}"
    );
}

#[tokio::test]
async fn a_failed_build_says_why_in_a_few_lines() {
    require_docker();
    let w = Wharf::start().await;
    let failed = w
        .err(
            "build_image",
            json!({
                "dockerfile": format!(
                    "FROM {FIXTURE}\nRUN echo about to fail; for i in $(seq 1 50); do echo noise $i; done; exit 3\n"
                ),
                "labels": {"wharf.test": "1"},
            }),
        )
        .await;
    assert!(
        failed.starts_with(
            "failed: The command '/bin/sh -c echo about to fail; for i in $(seq 1 50); do echo \
             noise $i; done; exit 3' returned a non-zero code: 3\nlast build output:\n\
             <<<untrusted build:"
        ),
        "{failed}"
    );
    assert!(failed.contains("noise 50"), "{failed}");
    assert!(
        !failed.contains("noise 40\n"),
        "only the tail is kept: {failed}"
    );
    assert!(failed.len() < 1500, "{} bytes: {failed}", failed.len());
}

#[tokio::test]
async fn images_are_saved_to_and_loaded_from_a_tar() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let tag = cleanup.image(&format!("{}:saved", unique("saved")));
    build(&tag, "wharf.test=1");
    let w = Wharf::start().await;

    let saved = w
        .ok(
            "save_images",
            json!({"images": [tag], "path": "images.tar"}),
        )
        .await;
    assert!(
        saved.starts_with(&format!("saved {tag} to images.tar (")),
        "{saved}"
    );
    let tar = w.dir.path().join("images.tar");
    let size = std::fs::metadata(&tar).unwrap().len();
    assert!(size > 100_000, "{size} bytes");

    // An existing file is kept unless overwrite is set; nothing is left half-written.
    let exists = w
        .err(
            "save_images",
            json!({"images": [tag], "path": "images.tar"}),
        )
        .await;
    assert_eq!(
        exists,
        "conflict: `images.tar` exists; set overwrite to replace it"
    );
    let missing_dir = w
        .err(
            "save_images",
            json!({"images": [tag], "path": "no/such/dir.tar"}),
        )
        .await;
    assert!(missing_dir.starts_with("not found: "), "{missing_dir}");
    let no_image = w
        .err(
            "save_images",
            json!({"images": ["wharf-test-no-such-image:1"], "path": "none.tar", "overwrite": true}),
        )
        .await;
    assert!(no_image.starts_with("not found: "), "{no_image}");
    assert!(!w.dir.path().join("none.tar").exists());
    let leftovers: Vec<_> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    docker(&["rmi", &tag]);
    let loaded = w.ok("load_images", json!({"path": "images.tar"})).await;
    assert_eq!(loaded, format!("loaded {tag}"));
    docker(&["image", "inspect", &tag]);

    let outside = w.err("load_images", json!({"path": "/etc/hostname"})).await;
    assert!(outside.starts_with("denied: "), "{outside}");
    std::fs::write(w.dir.path().join("junk.tar"), "not a tar").unwrap();
    let junk = w.err("load_images", json!({"path": "junk.tar"})).await;
    assert!(junk.starts_with("failed: "), "{junk}");
}

/// Removes a cancelled build's containers if the test fails before the engine does.
struct BuildContainers(String);

impl Drop for BuildContainers {
    fn drop(&mut self) {
        for id in support::containers_running(&self.0) {
            let _ = Command::new("docker").args(["rm", "-f", &id]).output();
        }
    }
}

/// Cancellation at the protocol level, with a client nobody wrapped: progress arrives, the
/// engine's build stops once `notifications/cancelled` is sent, no result ever comes for the
/// cancelled request, and the server goes on answering.
#[tokio::test]
async fn cancelling_a_build_stops_it_and_sends_no_result() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    require_docker();
    let mut cleanup = Cleanup::default();
    let label = cleanup.image_label(&format!("wharf.test.cancel={}", unique("c")));
    let marker = unique("cancel-marker");
    let _guard = BuildContainers(marker.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(support::wharf_bin())
        .arg("serve")
        .arg("--allowed-root")
        .arg(dir.path())
        .current_dir(dir.path())
        .env("WHARF_CONFIG", dir.path().join("none.toml"))
        .env("WHARF_CACHE_DIR", support::cache_dir())
        .env("DOCKER_CONFIG", dir.path().join("no-docker-config"))
        .env("WHARF_LOG", "wharf=warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen: Vec<serde_json::Value> = Vec::new();
    macro_rules! send {
        ($v:expr) => {
            stdin
                .write_all(format!("{}\n", $v).as_bytes())
                .await
                .unwrap();
        };
    }
    // Read messages until one satisfies `until`, failing after `secs`.
    async fn read_until(
        lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
        seen: &mut Vec<serde_json::Value>,
        secs: u64,
        until: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let line = tokio::time::timeout_at(deadline, lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("nothing matching within {secs}s; saw {seen:#?}"))
                .unwrap()
                .expect("wharf closed its output");
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            seen.push(v.clone());
            if until(&v) {
                return v;
            }
        }
    }

    send!(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "0"}}})
    );
    read_until(&mut lines, &mut seen, 30, |v| v["id"] == 1).await;
    send!(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let (key, value) = label.split_once('=').unwrap();
    send!(
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
        "_meta": {"progressToken": "build-7"},
        "name": "build_image",
        "arguments": {
            "dockerfile": format!("FROM {FIXTURE}\nRUN echo {marker}; sleep 120\n"),
            "no_cache": true,
            "labels": {key: value},
        }}})
    );
    let step = read_until(&mut lines, &mut seen, 60, |v| {
        v["method"] == "notifications/progress"
            && v["params"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Step 2/3 : RUN echo"))
    })
    .await;
    assert_eq!(step["params"]["progressToken"], "build-7");
    // FROM, RUN, and the LABEL the labels argument adds.
    assert_eq!(step["params"]["total"], 3.0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while support::containers_running(&marker).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the build's RUN container never appeared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    send!(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 7, "reason": "test"}})
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !support::containers_running(&marker).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the engine still runs the build 30s after the cancel"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    // Past the cancel's grace period, the server answers the next request, and the
    // cancelled one never got a result.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    send!(
        json!({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {
        "name": "list_images", "arguments": {"reference": "wharf-test-none"}}})
    );
    let answer = read_until(&mut lines, &mut seen, 30, |v| v["id"] == 8).await;
    assert_eq!(answer["result"]["content"][0]["text"], "No images.");
    assert!(
        !seen.iter().any(|v| v["id"] == 7),
        "a result came for the cancelled call: {seen:#?}"
    );
}

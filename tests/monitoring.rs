//! The monitoring tool group end to end, against the real engine.

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use support::{Cleanup, Wharf, docker, require_docker, run_fixture, unique};

/// The value of column `col` in the row of `name` of a `A | B | C` table.
fn cell(table: &str, name: &str, col: usize) -> String {
    table
        .lines()
        .find(|l| l.starts_with(&format!("{name} |")))
        .unwrap_or_else(|| panic!("no row for {name} in {table}"))
        .split(" | ")
        .nth(col)
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn engine_info_disk_usage_and_processes() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("top"));
    run_fixture(&name, &[], &["sleep", "300"]);
    let w = Wharf::start().await;

    let info = w.ok("system_info", json!({})).await;
    assert!(info.starts_with("engine: Docker "), "{info}");
    assert!(info.contains("storage: "), "{info}");

    let df = w.ok("disk_usage", json!({"verbose": true})).await;
    assert!(
        df.starts_with("TYPE | TOTAL | ACTIVE | SIZE | RECLAIMABLE\n"),
        "{df}"
    );
    // At least the fixture image, in use by this test's container.
    let images: u64 = cell(&df, "images", 1).parse().unwrap();
    let active: u64 = cell(&df, "images", 2).parse().unwrap();
    assert!(images >= 1 && active >= 1, "{df}");
    assert!(df.contains("wharf-fixture/busybox:latest |"), "{df}");

    let top = w.ok("container_top", json!({"container": name})).await;
    assert!(top.contains("UID | PID | PPID"), "{top}");
    assert!(top.contains("| sleep 300"), "{top}");
    let stopped = cleanup.container(&unique("stopped"));
    docker(&["create", "--name", &stopped, support::FIXTURE]);
    let refused = w.err("container_top", json!({"container": stopped})).await;
    assert!(refused.contains("is not running"), "{refused}");
}

#[tokio::test]
async fn stats_of_a_busy_container_show_cpu() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("busy"));
    run_fixture(&name, &[], &["sh", "-c", "while true; do :; done"]);
    let w = Wharf::start().await;

    let once = w.ok("container_stats", json!({"containers": [name]})).await;
    assert!(
        once.starts_with("NAME | CPU % | MEM USAGE / LIMIT | MEM % | NET I/O | BLOCK I/O | PIDS\n"),
        "{once}"
    );
    let cpu: f64 = cell(&once, &name, 1).parse().unwrap();
    assert!(cpu > 5.0, "a busy loop uses CPU: {once}");
    let pids: u64 = cell(&once, &name, 6).parse().unwrap();
    assert!(pids >= 1, "{once}");

    let (sampled, progress) = w
        .ok_with_progress(
            "container_stats",
            json!({"containers": [name], "seconds": 2}),
        )
        .await;
    let avg_peak = cell(&sampled, &name, 1);
    let (avg, peak) = avg_peak.split_once('/').unwrap();
    let (avg, peak): (f64, f64) = (avg.parse().unwrap(), peak.parse().unwrap());
    assert!(avg > 5.0 && peak >= avg, "{sampled}");
    assert_eq!(
        progress.last().map(|p| p.progress),
        Some(2.0),
        "{progress:?}"
    );

    let missing = w
        .err(
            "container_stats",
            json!({"containers": ["wharf-test-no-such"]}),
        )
        .await;
    assert!(
        missing.starts_with("not found: wharf-test-no-such: "),
        "{missing}"
    );
}

#[tokio::test]
async fn events_show_a_containers_life_inside_the_window() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("events"));
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1;
    docker(&[
        "run",
        "--name",
        &name,
        "--label",
        "wharf.test=1",
        support::FIXTURE,
        "true",
    ]);
    let w = Wharf::start().await;

    let past = w
        .ok(
            "docker_events",
            json!({"since": since.to_string(), "container": [name], "type": ["container"]}),
        )
        .await;
    let rows: Vec<&str> = past.lines().skip(2).collect();
    let action = |r: &str| r.split(" | ").nth(2).unwrap_or_default().to_owned();
    let seen: Vec<String> = rows.iter().map(|r| action(r)).collect();
    for expected in ["create", "start", "die"] {
        assert!(
            seen.iter().any(|a| a == expected),
            "{expected} missing: {past}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r.contains("| die |") && r.contains("exitCode=0")),
        "{past}"
    );

    // Watching: the events of a container started while the call waits.
    let later = cleanup.container(&unique("watched"));
    let handle = w
        .start_call(
            "docker_events",
            json!({"watch_secs": 4, "container": [later], "action": ["start"]}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    docker(&[
        "run",
        "--name",
        &later,
        "--label",
        "wharf.test=1",
        support::FIXTURE,
        "true",
    ]);
    let answer = match handle.await_response().await.unwrap() {
        rmcp::model::ServerResult::CallToolResult(r) => support::text(&r),
        other => panic!("{other:?}"),
    };
    assert!(
        answer.contains(&format!("| container | start | {later} |")),
        "{answer}"
    );
    assert!(
        !answer.contains("| create |"),
        "filtered by action: {answer}"
    );

    let bad = w
        .err("docker_events", json!({"since": "last tuesday"}))
        .await;
    assert!(bad.contains("is not a time"), "{bad}");
}

#[tokio::test]
async fn health_is_reported_and_waited_for() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let healthy = cleanup.container(&unique("healthy"));
    run_fixture(
        &healthy,
        &["--health-cmd", "echo probe-ok", "--health-interval", "2s"],
        &["sleep", "300"],
    );
    let w = Wharf::start().await;

    let (waited, progress) = w
        .ok_with_progress(
            "container_health",
            json!({"container": healthy, "wait_for": "healthy", "timeout_secs": 30}),
        )
        .await;
    assert!(waited.starts_with("reached after "), "{waited}");
    assert!(
        waited.contains("health: healthy, failing streak 0"),
        "{waited}"
    );
    assert!(waited.contains("exit 0: probe-ok"), "{waited}");
    assert!(!progress.is_empty(), "no progress while waiting");

    let unhealthy = cleanup.container(&unique("unhealthy"));
    run_fixture(
        &unhealthy,
        &[
            "--health-cmd",
            "echo down; exit 1",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
        ],
        &["sleep", "300"],
    );
    let down = w
        .ok(
            "container_health",
            json!({"container": unhealthy, "wait_for": "unhealthy", "timeout_secs": 30}),
        )
        .await;
    assert!(down.contains("health: unhealthy"), "{down}");
    assert!(down.contains("exit 1: down"), "{down}");

    let plain = cleanup.container(&unique("plain"));
    run_fixture(&plain, &[], &["sleep", "300"]);
    let status = w.ok("container_health", json!({"container": plain})).await;
    assert_eq!(status, "state: running; no healthcheck is configured");
    let never = w
        .err(
            "container_health",
            json!({"container": plain, "wait_for": "healthy"}),
        )
        .await;
    assert!(never.contains("has no healthcheck"), "{never}");
    let timed_out = w
        .ok(
            "container_health",
            json!({"container": plain, "wait_for": "exited", "timeout_secs": 1}),
        )
        .await;
    assert!(timed_out.starts_with("timed out after 1s"), "{timed_out}");
}

#[tokio::test]
async fn log_watch_returns_on_a_match_and_times_out_cleanly() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("watch"));
    run_fixture(
        &name,
        &[],
        &[
            "sh",
            "-c",
            "echo booting; sleep 2; echo server ready on 8080; sleep 300",
        ],
    );
    let w = Wharf::start().await;

    let ready = w
        .ok(
            "watch_logs",
            json!({"container": name, "pattern": "ready on \\d+", "timeout_secs": 30}),
        )
        .await;
    assert!(
        ready.starts_with("`ready on \\d+` matched after "),
        "{ready}"
    );
    assert!(ready.contains("server ready on 8080"), "{ready}");
    assert!(!ready.contains("booting"), "only matching lines: {ready}");

    // Asking again finds the old line only when told to look back.
    let back = w
        .ok(
            "watch_logs",
            json!({"container": name, "pattern": "ready", "since": "5m", "timeout_secs": 5}),
        )
        .await;
    assert!(back.contains("server ready on 8080"), "{back}");

    let start = std::time::Instant::now();
    let none = w
        .ok(
            "watch_logs",
            json!({"container": name, "pattern": "never printed", "timeout_secs": 2}),
        )
        .await;
    assert!(
        none.starts_with("no line matched `never printed`: time was up after 2."),
        "{none}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(10));

    let bad = w
        .err("watch_logs", json!({"container": name, "pattern": "("}))
        .await;
    assert!(bad.starts_with("invalid arguments: pattern: "), "{bad}");
}

#[tokio::test]
async fn resources_and_prompts_are_listed_and_read() {
    use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams, ResourceContents};
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("res"));
    run_fixture(
        &name,
        &[],
        &["sh", "-c", "echo hello-resource; echo oops >&2; sleep 300"],
    );
    // The fixture's output must be in the logs before they are read.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let w = Wharf::start().await;

    let listed = w.client.list_all_resources().await.unwrap();
    let uris: Vec<&str> = listed.iter().map(|r| r.uri.as_str()).collect();
    assert!(uris.contains(&"docker://system/info"), "{uris:?}");
    let inspect_uri = format!("docker://containers/{name}/inspect");
    assert!(uris.contains(&inspect_uri.as_str()), "{uris:?}");
    let templates = w.client.list_all_resource_templates().await.unwrap();
    let mut patterns: Vec<&str> = templates.iter().map(|t| t.uri_template.as_str()).collect();
    patterns.sort();
    assert_eq!(
        patterns,
        [
            "docker://containers/{id}/inspect",
            "docker://containers/{id}/logs",
            "docker://containers/{id}/stats"
        ]
    );

    let read = |uri: String| {
        let client = &w.client;
        async move {
            let r = client
                .read_resource(ReadResourceRequestParams::new(uri.clone()))
                .await
                .unwrap_or_else(|e| panic!("{uri}: {e}"));
            match &r.contents[0] {
                ResourceContents::TextResourceContents { text, .. } => support::unfenced(text),
                other => panic!("{other:?}"),
            }
        }
    };
    let logs = read(format!("docker://containers/{name}/logs")).await;
    assert!(
        logs.contains("<<<untrusted logs:") && logs.contains("hello-resource"),
        "{logs}"
    );
    let inspected = read(inspect_uri).await;
    assert!(inspected.contains(&name), "{inspected}");
    let stats = read(format!("docker://containers/{name}/stats")).await;
    assert!(stats.contains(&format!("{name} | ")), "{stats}");
    let info = read("docker://system/info".into()).await;
    assert!(info.starts_with("engine: Docker "), "{info}");
    let missing = w
        .client
        .read_resource(ReadResourceRequestParams::new(
            "docker://containers/wharf-test-none/logs",
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("No such container"), "{missing}");

    let prompts = w.client.list_all_prompts().await.unwrap();
    let mut names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "clean_up",
            "explain_resource_usage",
            "troubleshoot_container"
        ]
    );
    let mut args = serde_json::Map::new();
    args.insert("container".into(), json!(name));
    let p = w
        .client
        .get_prompt(GetPromptRequestParams::new("troubleshoot_container").with_arguments(args))
        .await
        .unwrap();
    let text = match &p.messages[0].content {
        rmcp::model::ContentBlock::Text(t) => support::unfenced(&t.text),
        other => panic!("{other:?}"),
    };
    for part in [
        "## State",
        "## Health",
        "## Last 50 log lines",
        "hello-resource",
        "oops",
    ] {
        assert!(text.contains(part), "{part} missing: {text}");
    }
    let clean = w
        .client
        .get_prompt(GetPromptRequestParams::new("clean_up"))
        .await
        .unwrap();
    let text = match &clean.messages[0].content {
        rmcp::model::ContentBlock::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        text.contains("This is a dry run") || text.contains("dry run"),
        "{text}"
    );
    assert!(text.contains("## Unused volumes"), "{text}");
    let bad = w
        .client
        .get_prompt(GetPromptRequestParams::new("troubleshoot_container"))
        .await
        .unwrap_err()
        .to_string();
    assert!(bad.contains("needs `container`"), "{bad}");
}

//! The safety policy end to end: modes and disabled tools, the host's own read-only guard,
//! host-side argument checks, and the audit log.

#[path = "support/mod.rs"]
mod support;

use rmcp::model::ElicitationAction;
use serde_json::{Value, json};
use std::path::PathBuf;
use support::{Cleanup, FIXTURE, Recorder, Wharf, docker, require_docker, run_fixture, unique};

const HOSTILE: &str = env!("WHARF_TEST_HOSTILE_WASM");

/// A plugin directory holding the hostile test plugin, and the config granting it `exec`.
fn hostile_plugin_dir() -> (tempfile::TempDir, PathBuf, &'static str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(HOSTILE, dir.path().join("hostile.wasm")).unwrap();
    let path = dir.path().to_owned();
    (
        dir,
        path,
        "[plugin.hostile]\ngrants = [\"exec\", \"containers-write\"]\n",
    )
}

/// A thread that makes two paths (a directory and a symlink) trade places in one step, again
/// and again until stopped: what a container writing them through a bind can do.
struct Swapper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Swapper {
    fn start(a: &std::path::Path, b: &std::path::Path) -> Swapper {
        use std::sync::atomic::Ordering;
        let c = |p: &std::path::Path| std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        let (a, b) = (c(a), c(b));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let swapped = unsafe {
                    libc::renameat2(
                        libc::AT_FDCWD,
                        a.as_ptr(),
                        libc::AT_FDCWD,
                        b.as_ptr(),
                        libc::RENAME_EXCHANGE,
                    )
                };
                assert_eq!(swapped, 0, "{}", std::io::Error::last_os_error());
            }
        });
        Swapper { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap();
    }
}

/// wharf with the hostile plugin loaded, writing its audit log to `audit.jsonl` in its
/// directory; the first value keeps the plugin directory.
async fn hostile_wharf_auditing() -> (tempfile::TempDir, Wharf) {
    let (keep, plugins, config) = hostile_plugin_dir();
    let args = [
        "--plugin-dir",
        plugins.to_str().unwrap(),
        "--audit-log",
        "audit.jsonl",
    ];
    (keep, Wharf::start_with(&args, Some(config)).await)
}

#[tokio::test]
async fn read_only_mode_lists_and_serves_only_what_reads() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("ro"));
    run_fixture(&name, &[], &["sleep", "300"]);

    let w = Wharf::start_with(&["--read-only"], None).await;
    let tools = w.client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "list_containers"));
    for t in &tools {
        let read_only = t.annotations.as_ref().and_then(|a| a.read_only_hint);
        assert_eq!(
            read_only,
            Some(true),
            "{} is listed in read-only mode",
            t.name
        );
    }
    let e = w
        .err(
            "remove_container",
            json!({"container": name, "force": true}),
        )
        .await;
    assert_eq!(
        e,
        "denied: wharf runs in read-only mode and `remove_container` changes state"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &name]),
        "true",
        "the container must survive"
    );
    let listed = w.ok("list_containers", json!({"all": true})).await;
    assert!(listed.contains(&name), "{listed}");
}

#[tokio::test]
async fn read_only_mode_is_enforced_by_the_host_not_only_by_the_tool_list() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("ro-host"));
    run_fixture(&name, &[], &["sleep", "300"]);
    let (_keep, plugins, config) = hostile_plugin_dir();
    let plugins = plugins.to_str().unwrap();

    // The control: a tool labelled as writing runs its exec when writes are allowed.
    let w = Wharf::start_with(&["--plugin-dir", plugins], Some(config)).await;
    let out = w.ok("hostile_exec", json!({"container": name})).await;
    assert_eq!(out, "exit Some(0)");
    drop(w);

    let w = Wharf::start_with(&["--plugin-dir", plugins, "--read-only"], Some(config)).await;
    let tools = w.client.list_all_tools().await.unwrap();
    assert!(
        tools.iter().any(|t| t.name == "hostile_mislabelled_exec"),
        "it claims to only read, so the mode lists it"
    );
    let e = w
        .err("hostile_mislabelled_exec", json!({"container": name}))
        .await;
    assert!(
        e.contains("wharf runs in read-only mode: Docker changes are refused"),
        "{e}"
    );
}

/// A client runs a tool labelled read-only without asking anyone, so a plugin that labels a
/// killing tool read-only would kill unasked, and (before) unaudited too. In full mode the
/// host refuses the kill, says why, and the audit log records what was asked.
#[tokio::test]
async fn a_tool_labelled_read_only_cannot_change_anything_and_its_attempt_is_audited() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("mislabelled"));
    run_fixture(&name, &[], &["sleep", "300"]);
    let (_keep, w) = hostile_wharf_auditing().await;
    let e = w
        .err("hostile_mislabelled_kill", json!({"container": name}))
        .await;
    assert!(
        e.contains(&format!(
            "`hostile_mislabelled_kill` is labelled read-only, so wharf refuses the Docker \
             changes it asks for (here: kill container {name})"
        )),
        "{e}"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &name]),
        "true",
        "the container must survive"
    );
    let e = w
        .err("hostile_mislabelled_exec", json!({"container": name}))
        .await;
    assert!(e.contains("is labelled read-only"), "{e}");

    let audit = std::fs::read_to_string(w.dir.path().join("audit.jsonl")).unwrap();
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kill = records
        .iter()
        .find(|r| r["tool"] == "hostile_mislabelled_kill")
        .unwrap_or_else(|| panic!("the attempt is not in the audit log: {audit}"));
    assert_eq!(kill["plugin"], "hostile");
    assert_eq!(kill["outcome"], "error", "{kill}");
    assert_eq!(
        kill["requests"],
        json!([format!("kill container {name} (refused)")])
    );
    assert!(
        records
            .iter()
            .any(|r| r["tool"] == "hostile_mislabelled_exec"
                && r["requests"]
                    == json!([format!("run a command in container {name} (refused)")])),
        "{audit}"
    );
}

/// A tool labelled as only writing is run without a question, so (before) one that removed
/// a container removed it unasked, even in full mode with confirmations on. Now a removal by
/// such a tool must be in the plan its dry run showed the user; this one's dry run plans
/// nothing, so nothing is asked and the removal is refused.
#[tokio::test]
async fn a_tool_labelled_as_only_writing_cannot_remove_what_its_plan_did_not_show() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("quiet"));
    run_fixture(&name, &[], &["sleep", "300"]);
    let (_keep, w) = hostile_wharf_auditing().await;
    let e = w
        .err("hostile_quiet_remove", json!({"container": name}))
        .await;
    assert!(
        e.contains(&format!(
            "`hostile_quiet_remove` is not labelled destructive, so it may remove only what \
             the user was shown and said yes to, and it asked to remove container {name}"
        )),
        "{e}"
    );
    assert!(w.recorder.questions.lock().unwrap().is_empty());
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &name]),
        "true",
        "the container must survive"
    );
    let audit = std::fs::read_to_string(w.dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.contains(&format!("remove container {name} (refused)")),
        "{audit}"
    );
}

/// A plan shows names, and the removal that follows names an id. A dry run that showed a
/// harmless container's name with the victim's id had the user say yes to removing the
/// harmless one and the victim removed (before: covered by the id the plugin gave). Now the
/// host looks each planned name up and refuses a plan whose id is another object's.
#[tokio::test]
async fn a_plan_cannot_show_one_container_and_remove_another() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let victim = cleanup.container(&unique("victim"));
    let harmless = cleanup.container(&unique("harmless"));
    run_fixture(&victim, &[], &["sleep", "300"]);
    run_fixture(&harmless, &[], &["sleep", "300"]);
    let (_keep, plugins, config) = hostile_plugin_dir();
    let w = Wharf::start_with(&["--plugin-dir", plugins.to_str().unwrap()], Some(config)).await;
    let id = docker(&["inspect", "-f", "{{.Id}}", &victim]);
    let e = w
        .err(
            "hostile_quiet_remove",
            json!({"container": victim, "shown": harmless, "id": id}),
        )
        .await;
    assert!(
        e.contains(&format!(
            "`hostile_quiet_remove` was not run: the `plan` of its dry run shows container \
             `{harmless}` with the id"
        )) && e.contains("which is another container's"),
        "{e}"
    );
    assert!(w.recorder.questions.lock().unwrap().is_empty());
    for name in [&victim, &harmless] {
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Running}}", name]),
            "true",
            "{name} must survive"
        );
    }
}

#[tokio::test]
async fn no_destructive_mode_and_disabled_tools_come_from_the_config() {
    let config = "mode = \"no-destructive\"\ndisabled_tools = [\"list_volumes\"]\n";
    let w = Wharf::start_with(&[], Some(config)).await;
    let tools = w.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(names.contains(&"run_container") && names.contains(&"list_networks"));
    for gone in [
        "remove_container",
        "prune_images",
        "remove_volume",
        "list_volumes",
    ] {
        assert!(!names.contains(&gone), "{gone} is listed: {names:?}");
    }
    for t in &tools {
        let a = t.annotations.as_ref().unwrap();
        assert!(
            a.read_only_hint == Some(true) || a.destructive_hint == Some(false),
            "{} is destructive",
            t.name
        );
    }
    let e = w.err("list_volumes", json!({})).await;
    assert_eq!(
        e,
        "denied: `list_volumes` is disabled by wharf's configuration (disabled_tools)"
    );
    let e = w.err("prune_volumes", json!({})).await;
    assert!(e.contains("no-destructive mode"), "{e}");
    drop(w);

    // A flag overrides the config's mode.
    let w = Wharf::start_with(&["--read-only"], Some(config)).await;
    let e = w.err("run_container", json!({"image": FIXTURE})).await;
    assert!(e.contains("read-only mode"), "{e}");
}

/// The names `tools/list` gives, as a real client sees them.
async fn listed(args: &[&str], config: Option<&str>, env: &[(&str, &str)]) -> Vec<String> {
    let w = Wharf::start_env(args, config, env).await;
    let mut names: Vec<String> = w
        .client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    names
}

/// Toolsets and single tools choose what is listed, from flags, the environment or the
/// config; what is not chosen cannot be called either, and a misspelt name is an error at
/// start, not an empty list.
#[tokio::test]
async fn toolsets_and_tools_choose_what_is_served() {
    let default = listed(&[], None, &[]).await;
    assert_eq!(default.len(), 58, "{default:?}");
    assert_eq!(listed(&["--toolsets", "default"], None, &[]).await, default);
    assert!(
        !default.iter().any(|t| t == "list_services"),
        "swarm is off by default"
    );
    let images = listed(&["--toolsets", "images"], None, &[]).await;
    let volumes = listed(&[], Some("toolsets = [\"volumes\"]\n"), &[]).await;
    assert!(
        images.contains(&"list_images".to_owned()) && images.len() == 11,
        "{images:?}"
    );
    assert_eq!(volumes.len(), 5, "{volumes:?}");
    let mut both = [images.clone(), volumes.clone()].concat();
    both.sort();
    assert_eq!(
        listed(&[], None, &[("WHARF_TOOLSETS", "images,volumes")]).await,
        both
    );
    // As people type it, and as a launcher sends an unanswered setting: empty says nothing.
    assert_eq!(
        listed(&["--toolsets", " volumes , images"], None, &[]).await,
        both
    );
    assert_eq!(
        listed(
            &[],
            Some("toolsets = [\"volumes\"]\n"),
            &[("WHARF_TOOLSETS", "")]
        )
        .await,
        volumes
    );
    let all = listed(&["--toolsets", "all"], None, &[]).await;
    assert!(all.contains(&"list_services".to_owned()) && all.len() > default.len());
    assert!(default.iter().all(|t| all.contains(t)));
    assert_eq!(
        listed(&["--tools", "list_containers,list_services"], None, &[]).await,
        ["list_containers", "list_services"]
    );
    let mut plus = [images.clone(), vec!["list_containers".to_owned()]].concat();
    plus.sort();
    assert_eq!(
        listed(
            &["--toolsets", "images", "--tools", "list_containers"],
            None,
            &[]
        )
        .await,
        plus
    );
    let excluded = listed(&["--exclude-tools", "run_container,list_images"], None, &[]).await;
    assert_eq!(excluded.len(), 56);
    assert!(
        !excluded
            .iter()
            .any(|t| t == "run_container" || t == "list_images")
    );
    // A flag replaces the config's toolsets.
    assert_eq!(
        listed(
            &["--toolsets", "volumes"],
            Some("toolsets = [\"images\"]\n"),
            &[]
        )
        .await,
        volumes
    );

    let w = Wharf::start_with(&["--toolsets", "images", "--tools", "list_volumes"], None).await;
    let e = w.err("list_networks", json!({})).await;
    assert!(
        e.contains("`list_networks` is not in the served toolsets"),
        "{e}"
    );
    // What is built on a tool says why the tool is not there, too.
    let e = w
        .client
        .read_resource(rmcp::model::ReadResourceRequestParams::new(
            "docker://system/info",
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "`docker://system/info` needs the `system_info` tool: `system_info` is not in the \
             served toolsets (images)"
        ),
        "{e}"
    );
    let e = w.err("inspect_volume", json!({"volume": "x"})).await;
    assert_eq!(
        e,
        "denied: `inspect_volume` is not in the served toolsets (images); serve it with \
         --toolsets volumes or --tools inspect_volume"
    );
    drop(w);

    let dir = tempfile::tempdir().unwrap();
    for (args, said) in [
        (
            &["--toolsets", "image", "tools"][..],
            "unknown toolset `image` (known: containers, networks, volumes, images, \
             monitoring, compose, swarm, all, default)",
        ),
        (
            &["--tools", "list_image", "tools"][..],
            "unknown tool `list_image` in tools: no loaded plugin has it",
        ),
        (
            &["--config", "empty.toml", "tools"][..],
            "toolsets is empty and tools names none: nothing would be served",
        ),
    ] {
        std::fs::write(dir.path().join("empty.toml"), "toolsets = []\n").unwrap();
        let out = support::wharf_cli(dir.path()).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(said),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn arguments_are_checked_against_the_schema_before_a_plugin_runs() {
    let (_keep, plugins, config) = hostile_plugin_dir();
    let w = Wharf::start_with(&["--plugin-dir", plugins.to_str().unwrap()], Some(config)).await;
    let e = w.err("list_containers", json!({"all": "yes"})).await;
    assert_eq!(
        e,
        "invalid arguments for `list_containers`: all: \"yes\" is not of type \"boolean\""
    );
    let e = w.err("hostile_echo", json!({"text": 5})).await;
    assert_eq!(
        e,
        "invalid arguments for `hostile_echo`: text: 5 is not of type \"string\""
    );
    let e = w.err("hostile_echo", json!({})).await;
    assert_eq!(
        e,
        "invalid arguments for `hostile_echo`: \"text\" is a required property"
    );
    // Null stands for an omitted optional argument.
    require_docker();
    w.ok("list_containers", json!({"all": null, "limit": null}))
        .await;
    assert_eq!(w.ok("hostile_echo", json!({"text": "ok"})).await, "ok");
}

#[tokio::test]
async fn calls_that_change_state_are_audited_with_secrets_redacted() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("audit"));
    let w = Wharf::start_with(&["--audit-log", "audit.jsonl"], None).await;
    w.ok(
        "run_container",
        json!({
            "image": FIXTURE, "name": name, "command": ["sleep", "300"],
            "env": {"WHARF_SECRET": "hunter2"}, "labels": {"wharf.test": "1"}
        }),
    )
    .await;
    w.ok("list_containers", json!({})).await;
    w.ok(
        "remove_container",
        json!({"container": name, "force": true}),
    )
    .await;
    w.err("remove_container", json!({"container": name})).await;
    w.err("stop_container", json!({"container": 42})).await;

    let path = w.dir.path().join("audit.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("hunter2"),
        "a secret reached the audit log: {text}"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["tool"].as_str().unwrap(), l["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("run_container", "ok"),
            ("remove_container", "ok"),
            ("remove_container", "error"),
            ("stop_container", "refused"),
        ],
        "list_containers only reads and is not audited"
    );
    let run = &lines[0];
    assert_eq!(run["plugin"], "containers");
    assert_eq!(run["arguments"]["env"]["WHARF_SECRET"], "<redacted>");
    assert_eq!(run["arguments"]["name"], name.as_str());
    assert!(run["duration_ms"].is_u64() && run["time"].as_str().unwrap().ends_with('Z'));
    assert!(
        lines[2]["error"]
            .as_str()
            .unwrap()
            .contains("No such container"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid arguments for `stop_container`"),
        "{}",
        lines[3]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the audit log is for its owner only");
    }
}

#[tokio::test]
async fn destructive_calls_ask_the_user_first_and_a_no_keeps_the_object() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let kept = cleanup.container(&unique("declined"));
    let removed = cleanup.container(&unique("confirmed"));
    run_fixture(&kept, &[], &["sleep", "300"]);
    run_fixture(&removed, &[], &["sleep", "300"]);

    let w = Wharf::start().await;
    w.ok(
        "stop_container",
        json!({"container": removed, "timeout_secs": 0}),
    )
    .await;
    assert!(
        w.recorder.questions.lock().unwrap().is_empty(),
        "stopping destroys nothing and asks nothing"
    );
    w.ok("remove_container", json!({"container": removed}))
        .await;
    let questions = w.recorder.questions.lock().unwrap().clone();
    assert_eq!(questions.len(), 1, "{questions:?}");
    assert!(
        questions[0].starts_with("Allow wharf to run `remove_container`")
            && questions[0].contains(&removed),
        "{}",
        questions[0]
    );
    assert!(docker(&["ps", "-aq", "--filter", &format!("name=^{removed}$")]).is_empty());
    drop(w);

    let w = Wharf::start_client(
        &["--audit-log", "audit.jsonl"],
        None,
        &[],
        Recorder::answering(Some(ElicitationAction::Decline)),
    )
    .await;
    let e = w
        .err(
            "remove_container",
            json!({"container": kept, "force": true}),
        )
        .await;
    assert_eq!(e, "cancelled: the user declined to run `remove_container`");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &kept]),
        "true"
    );
    let audit = std::fs::read_to_string(w.dir.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"outcome\":\"refused\""), "{audit}");
}

#[tokio::test]
async fn a_client_that_cannot_ask_gets_the_configured_default() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("no-elicit"));
    run_fixture(&name, &[], &["sleep", "300"]);

    let w = Wharf::start_client(&[], None, &[], Recorder::answering(None)).await;
    let e = w.err("kill_container", json!({"container": name})).await;
    assert!(
        e.starts_with("denied: `kill_container` is destructive and needs the user's confirmation")
            && e.contains("safe_tools in [confirm] of wharf.toml"),
        "{e}"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &name]),
        "true"
    );
    drop(w);

    let config = "[confirm]\nsafe_tools = [\"kill_container\"]\n";
    let w = Wharf::start_client(&[], Some(config), &[], Recorder::answering(None)).await;
    w.ok("kill_container", json!({"container": name})).await;
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &name]),
        "false"
    );
    let e = w.err("remove_container", json!({"container": name})).await;
    assert!(
        e.starts_with("denied: `remove_container` is destructive"),
        "{e}"
    );
    drop(w);

    let config = "[confirm]\nwithout_elicitation = \"proceed\"\n";
    let w = Wharf::start_client(&[], Some(config), &[], Recorder::answering(None)).await;
    w.ok("remove_container", json!({"container": name})).await;
    assert!(docker(&["ps", "-aq", "--filter", &format!("name=^{name}$")]).is_empty());
}

#[tokio::test]
async fn a_scope_label_limits_what_wharf_sees_and_touches() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let scope = format!("wharf.scope={}", unique("scope"));
    let inside = cleanup.container(&unique("in-scope"));
    let outside = cleanup.container(&unique("out-of-scope"));
    run_fixture(&inside, &["--label", &scope], &["sleep", "300"]);
    run_fixture(&outside, &[], &["sleep", "300"]);
    let foreign_volume = cleanup.volume(&unique("out-of-scope"));
    docker(&["volume", "create", &foreign_volume]);
    let foreign_network = cleanup.network(&unique("out-of-scope"));
    docker(&["network", "create", &foreign_network]);

    let w = Wharf::start_with(&["--scope-label", &scope], None).await;
    let listed = w.ok("list_containers", json!({"all": true})).await;
    assert!(
        listed.contains(&inside) && !listed.contains(&outside),
        "{listed}"
    );
    let refusal = format!(
        "denied: container `{outside}` is outside wharf's scope: it does not carry the label `{scope}`"
    );
    assert_eq!(
        w.err("inspect_container", json!({"container": outside}))
            .await,
        refusal
    );
    assert_eq!(
        w.err(
            "remove_container",
            json!({"container": outside, "force": true})
        )
        .await,
        refusal
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &outside]),
        "true"
    );
    w.ok(
        "stop_container",
        json!({"container": inside, "timeout_secs": 0}),
    )
    .await;

    // What wharf creates is in scope, and says who made it.
    let volume = cleanup.volume(&unique("scoped"));
    w.ok("create_volume", json!({"name": volume})).await;
    let labels = docker(&["volume", "inspect", "-f", "{{json .Labels}}", &volume]);
    let labels: Value = serde_json::from_str(&labels).unwrap();
    let (key, value) = scope.split_once('=').unwrap();
    assert_eq!(labels[key], value, "{labels}");
    assert_eq!(labels["org.wharf.created-by"], "wharf", "{labels}");
    let volumes = w.ok("list_volumes", json!({})).await;
    assert!(
        volumes.contains(&volume) && !volumes.contains(&foreign_volume),
        "{volumes}"
    );
    let e = w
        .err("remove_volume", json!({"volume": foreign_volume}))
        .await;
    assert!(e.contains("is outside wharf's scope"), "{e}");

    let e = w
        .err(
            "connect_network",
            json!({"network": foreign_network, "container": inside}),
        )
        .await;
    assert!(
        e.starts_with(&format!("denied: network `{foreign_network}` is outside")),
        "{e}"
    );
    let e = w
        .err(
            "run_container",
            json!({"image": FIXTURE, "network": foreign_network, "start": false}),
        )
        .await;
    assert!(e.contains("is outside wharf's scope"), "{e}");
    let missing = unique("missing");
    let e = w
        .err(
            "run_container",
            json!({"image": FIXTURE, "volumes": [format!("{missing}:/data")], "start": false}),
        )
        .await;
    assert!(e.contains("create it with create_volume first"), "{e}");
    let created = cleanup.container(&unique("scoped-run"));
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": created, "command": ["true"], "start": false,
               "volumes": [format!("{volume}:/data")]}),
    )
    .await;
    let labels = docker(&["inspect", "-f", "{{json .Config.Labels}}", &created]);
    assert!(
        labels.contains(&format!("\"{key}\":\"{value}\"")),
        "{labels}"
    );
    assert!(
        labels.contains("\"org.wharf.created-by\":\"wharf\""),
        "{labels}"
    );
}

#[tokio::test]
async fn risky_container_settings_are_refused_unless_the_config_allows_them() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("host-net"));
    let run = json!({"image": FIXTURE, "name": name, "network": "host", "start": false});
    let w = Wharf::start().await;
    assert_eq!(
        w.err("run_container", run.clone()).await,
        "denied: the host network namespace is refused; to allow it, set \
         host_namespaces = true in [allow] of wharf.toml"
    );
    let e = w
        .err(
            "run_container",
            json!({"image": FIXTURE, "volumes": ["/var/run/docker.sock:/var/run/docker.sock"], "start": false}),
        )
        .await;
    assert!(e.starts_with("denied: bind mount source refused"), "{e}");
    drop(w);

    let w = Wharf::start_with(&[], Some("[allow]\nhost_namespaces = true\n")).await;
    w.ok("run_container", run).await;
    assert_eq!(
        docker(&["inspect", "-f", "{{.HostConfig.NetworkMode}}", &name]),
        "host"
    );
}

/// `network: "container:X"` (and `pid`/`ipc`) puts a new container in X's namespace; when X
/// runs in the host's (monitoring agents often do), that is the host's, which the create
/// check refuses when asked for directly. It is refused the indirect way too.
#[tokio::test]
async fn joining_the_host_namespace_through_another_container_is_refused() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let agent = cleanup.container(&unique("host-net-agent"));
    run_fixture(&agent, &["--network", "host"], &["sleep", "300"]);
    let plain = cleanup.container(&unique("own-net"));
    run_fixture(&plain, &[], &["sleep", "300"]);
    let w = Wharf::start_with(&[], None).await;

    let joined = cleanup.container(&unique("joined"));
    let e = w
        .err(
            "run_container",
            json!({"image": FIXTURE, "name": joined, "network": format!("container:{agent}"),
                   "command": ["cat", "/proc/net/dev"]}),
        )
        .await;
    assert_eq!(
        e,
        format!(
            "denied: joining container `{agent}`'s network namespace is refused: it is the \
             host's; to allow it, set host_namespaces = true in [allow] of wharf.toml"
        )
    );
    assert!(
        docker(&["ps", "-aq", "--filter", &format!("name=^{joined}$")]).is_empty(),
        "nothing was created"
    );
    // A container with a namespace of its own may be joined.
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": joined, "network": format!("container:{plain}"),
               "command": ["true"], "start": false}),
    )
    .await;
}

/// An HTTP server on 127.0.0.1 that answers 200 to everything and keeps each request's
/// head (request line and headers), to show what reached it.
struct Listener {
    port: u16,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Listener {
    fn start() -> Listener {
        use std::io::{BufRead, BufReader, Write};
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = heads.clone();
        // Ends with the test process; it holds nothing but its socket.
        std::thread::spawn(move || {
            for stream in socket.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                kept.lock().unwrap().push(head);
                let _ = (&stream).write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Listener { port, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// A plugin granted `http` to a host by name sends its requests wherever that name's DNS
/// says: a name that answers 127.0.0.1 (or a cloud's metadata address) took it to services
/// on the machine itself that its grant never named (before: the listener here received the
/// request). Now the name is resolved once, an address on the machine itself or a
/// link-local one is refused naming how to grant it, and the connection goes to the
/// address that was checked.
#[tokio::test]
async fn a_name_granted_for_http_cannot_lead_to_the_machine_itself() {
    let local = Listener::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(HOSTILE, dir.path().join("hostile.wasm")).unwrap();
    let config = format!(
        "[plugin.hostile]\ngrants = [\"http\"]\n\
         http_hosts = [\"http://localhost:{p}\", \"http://127.0.0.1:{p}\"]\n",
        p = local.port
    );
    let plugins = dir.path().to_str().unwrap();
    let w = Wharf::start_env(&["--plugin-dir", plugins], Some(&config), &[]).await;
    let refused = w
        .err(
            "hostile_send",
            json!({"url": format!("http://localhost:{}/info", local.port)}),
        )
        .await;
    assert!(
        refused.contains("localhost resolves to")
            && refused.contains("grant the address itself in http_hosts"),
        "{refused}"
    );
    assert!(local.heads().is_empty(), "{:?}", local.heads());
    // The address itself, granted as such, is reached.
    w.ok(
        "hostile_send",
        json!({"url": format!("http://127.0.0.1:{}/info", local.port)}),
    )
    .await;
    assert_eq!(local.heads().len(), 1, "{:?}", local.heads());
}

/// A plugin granted `http` to several hosts tries to get a login the host holds sent
/// where it can read it: to another granted host, over plain HTTP, or to a port of a
/// granted host the grant does not name; and to change state in read-only mode. Each is
/// refused before anything is sent, naming why; the login reaches its own registry only.
#[tokio::test]
async fn a_plugin_cannot_send_a_held_login_or_a_request_where_its_grant_does_not_say() {
    let (a, b, c) = (Listener::start(), Listener::start(), Listener::start());
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(HOSTILE, dir.path().join("hostile.wasm")).unwrap();
    let config = format!(
        "[plugin.hostile]\ngrants = [\"http\"]\n\
         http_hosts = [\"http://127.0.0.1:{a}\", \"127.0.0.1:{b}\", \"127.0.0.1\"]\n\
         [registries.\"127.0.0.1:{a}\"]\nusername = \"alice\"\npassword = \"s3cret-a\"\n\
         [registries.\"127.0.0.1:{b}\"]\nusername = \"bob\"\npassword = \"s3cret-b\"\n",
        a = a.port,
        b = b.port
    );
    let plugins = dir.path().to_str().unwrap();
    let w = Wharf::start_env(&["--plugin-dir", plugins], Some(&config), &[]).await;
    let send = |url: String, login: Option<String>| json!({"url": url, "credentials_for": login});

    // A's login, asked for on a request to B (granted too).
    let refused = w
        .err(
            "hostile_send",
            send(
                format!("http://127.0.0.1:{}/v2/", b.port),
                Some(format!("127.0.0.1:{}", a.port)),
            ),
        )
        .await;
    assert!(
        refused.contains(&format!(
            "the login for 127.0.0.1:{} goes only to 127.0.0.1:{}",
            a.port, a.port
        )),
        "{refused}"
    );

    // B's own login, over plain HTTP though its grant names no scheme.
    let refused = w
        .err(
            "hostile_send",
            send(
                format!("http://127.0.0.1:{}/v2/", b.port),
                Some(format!("127.0.0.1:{}", b.port)),
            ),
        )
        .await;
    assert!(refused.contains("is sent over HTTPS only"), "{refused}");
    assert!(
        refused.contains(&format!("http://127.0.0.1:{}", b.port)),
        "{refused}"
    );
    assert!(b.heads().is_empty(), "{:?}", b.heads());

    // `127.0.0.1` without a port grants port 80, not C's port (a Docker API's, say).
    let refused = w
        .err(
            "hostile_send",
            send(format!("http://127.0.0.1:{}/info", c.port), None),
        )
        .await;
    assert!(
        refused.contains(&format!("may not reach http://127.0.0.1:{}", c.port)),
        "{refused}"
    );
    assert!(refused.contains("http_hosts"), "{refused}");
    assert!(c.heads().is_empty(), "{:?}", c.heads());

    // The control: A's login to A, whose grant says plain HTTP, arrives.
    let sent = w
        .ok(
            "hostile_send",
            send(
                format!("http://127.0.0.1:{}/v2/", a.port),
                Some(format!("127.0.0.1:{}", a.port)),
            ),
        )
        .await;
    assert_eq!(sent, "HTTP 200");
    let heads = a.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    // "alice:s3cret-a"
    assert!(
        heads[0].contains("authorization: Basic YWxpY2U6czNjcmV0LWE="),
        "{heads:?}"
    );
    drop(w);

    // Read-only mode: a tool labelled read-only still cannot POST.
    let w = Wharf::start_env(
        &["--plugin-dir", plugins, "--read-only"],
        Some(&config),
        &[],
    )
    .await;
    let url = format!("http://127.0.0.1:{}/v2/", a.port);
    let refused = w
        .err("hostile_send", json!({"url": url, "method": "POST"}))
        .await;
    assert!(refused.contains("read-only mode"), "{refused}");
    assert!(refused.contains("GET and HEAD only"), "{refused}");
    assert_eq!(w.ok("hostile_send", json!({"url": url})).await, "HTTP 200");
    let heads = a.heads();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(heads[1].starts_with("GET /v2/"), "{heads:?}");
}

/// Issue 18, case 1. Docker resolves a bind's source again at every start and follows
/// symlinks in it. So a container that writes the allowed root R through its bind can make
/// `R/x`, let a second container bind `R/x`, swap the directory for a symlink to `/`, and
/// the second container gets the host's `/` at its start, or at any restart the daemon
/// makes on its own. A bind may not nest under a directory a container writes, either way
/// round, and every start and restart wharf asks for checks where each source leads now.
#[tokio::test]
async fn a_bind_source_cannot_be_swapped_for_a_symlink_to_the_host() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let w = Wharf::start_with(&[], None).await;
    let root = w.dir.path().canonicalize().unwrap().display().to_string();
    let writer = cleanup.container(&unique("bind-writer"));
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": writer, "volumes": [format!("{root}:/w")],
               "command": ["sleep", "300"]}),
    )
    .await;
    w.ok(
        "exec_container",
        json!({"container": writer, "command": "mkdir /w/x"}),
    )
    .await;

    // The second container, with a restart policy: the daemon starts it again by itself.
    let reader = cleanup.container(&unique("bind-reader"));
    let created = w
        .call(
            "run_container",
            json!({"image": FIXTURE, "name": reader, "volumes": [format!("{root}/x:/host")],
                   "start": false, "restart": "on-failure",
                   "command": ["cat", "/host/etc/hostname"]}),
        )
        .await;
    if created.is_error != Some(true) {
        w.ok(
            "exec_container",
            json!({"container": writer, "command": "rmdir /w/x && ln -s / /w/x"}),
        )
        .await;
        // Started the way the daemon starts it by itself, which no check of wharf's sees.
        docker(&["start", &reader]);
        docker(&["wait", &reader]);
        panic!(
            "the attack worked: {reader} printed the host's /etc/hostname ({:?}): {:?}",
            std::fs::read_to_string("/etc/hostname").unwrap_or_default(),
            docker(&["logs", &reader])
        );
    }
    assert_eq!(
        support::unfenced(&support::text(&created)),
        format!(
            "denied: bind mount of `{root}/x` refused: it lies inside `{root}`, which \
             container `{writer}` can write through a mount of its own, so it could swap \
             `{root}/x` for a symlink that Docker follows at the next start (to the host's \
             `/`, say); bind paths that do not nest, or `{root}` read-only; to allow it, set \
             nested_binds = true in [allow] of wharf.toml"
        )
    );
    let made =
        |name: &str| !docker(&["ps", "-aq", "--filter", &format!("name=^{name}$")]).is_empty();
    assert!(!made(&reader), "nothing was created");
    // Read-only, the outer bind gives nothing to swap with.
    let viewer = cleanup.container(&unique("bind-viewer"));
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": viewer, "volumes": [format!("{root}:/w:ro")],
               "start": false}),
    )
    .await;
    docker(&["rm", "-f", &writer, &viewer]);

    // Both in one container, which could swap its own inner source before a restart.
    let both = cleanup.container(&unique("bind-both"));
    let e = w
        .err(
            "run_container",
            json!({"image": FIXTURE, "name": both, "start": false,
                   "volumes": [format!("{root}:/w"), format!("{root}/x:/host:ro")]}),
        )
        .await;
    assert!(
        e.starts_with(&format!(
            "denied: bind mount of `{root}/x` refused: it lies inside `{root}`, which this \
             container can write"
        )),
        "{e}"
    );
    assert!(!made(&both), "nothing was created");

    // The other order: the inner bind first, then a writer around it.
    w.ok(
        "run_container",
        json!({"image": FIXTURE, "name": reader, "volumes": [format!("{root}/x:/host")],
               "start": false, "restart": "on-failure",
               "command": ["cat", "/host/etc/hostname"]}),
    )
    .await;
    let e = w
        .err(
            "run_container",
            json!({"image": FIXTURE, "name": writer, "volumes": [format!("{root}:/w")],
                   "command": ["sleep", "300"]}),
        )
        .await;
    assert_eq!(
        e,
        format!(
            "denied: bind mount of `{root}` refused: container `{reader}` binds `{root}/x`, \
             which lies inside it, so this container could swap that for a symlink that \
             Docker follows when the other starts again (to the host's `/`, say); bind it \
             read-only (`:ro`), or paths that do not nest; to allow it, set nested_binds = \
             true in [allow] of wharf.toml"
        )
    );
    assert!(!made(&writer), "nothing was created");

    // What the rule cannot see: the swap made by something wharf did not create (here the
    // host itself). The start wharf is asked for looks again and refuses.
    let x = std::path::Path::new(&root).join("x");
    std::fs::remove_dir(&x).unwrap();
    std::os::unix::fs::symlink("/", &x).unwrap();
    for verb in ["start", "restart"] {
        let e = w
            .err(&format!("{verb}_container"), json!({"container": reader}))
            .await;
        assert_eq!(
            e,
            format!(
                "denied: cannot {verb} container `{reader}`: its bind mount source `{root}/x` \
                 now leads to `/`, outside the allowed roots: a symlink was put in its path \
                 since it was created (or the roots changed), and Docker would follow it"
            )
        );
    }
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &reader]);
    assert!(started.starts_with("0001-01-01"), "it never ran: {started}");
    // A copy mounts the binds afresh in the daemon, even of a container that never ran
    // (`docker cp` read the host's /etc/hostname through the swapped path here).
    let e = w
        .err(
            "copy_from_container",
            json!({"container": reader, "source": "/host/etc/hostname", "destination": "got"}),
        )
        .await;
    assert_eq!(
        e,
        format!(
            "denied: cannot copy files out of container `{reader}`: its bind mount source \
             `{root}/x` now leads to `/`, outside the allowed roots: a symlink was put in its \
             path since it was created (or the roots changed), and Docker would follow it"
        )
    );
    assert!(!w.dir.path().join("got").exists(), "nothing was copied");
}

/// Issue 18, case 6: the create check is an allowlist of the fields wharf knows. Each body
/// here passed the old denylist and was created for a third-party plugin granted
/// containers-write; each is now refused naming the field and the `[allow]` key. The same
/// bodies sent with those keys set are created by dockerd, so the refusal is wharf's.
#[tokio::test]
async fn a_plugin_cannot_create_what_the_allowlist_does_not_know() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let (_keep, plugins, config) = hostile_plugin_dir();
    let plugins = plugins.to_str().unwrap();
    let w = Wharf::start_with(&["--plugin-dir", plugins], Some(config)).await;
    let lifted = format!(
        "{config}[allow]\ndevices = true\nunconfined = true\nhost_namespaces = true\n\
         sysctls = true\ncgroup_parent = true\nlog_drivers = [\"syslog\"]\n"
    );
    let allowing = Wharf::start_with(&["--plugin-dir", plugins], Some(&lifted)).await;
    let unconfined = "is refused; to allow it, set unconfined = true in [allow] of wharf.toml";
    let bodies = [
        (
            json!({"DeviceCgroupRules": ["b *:* rwm"]}),
            "`HostConfig.DeviceCgroupRules` (access to host devices) is refused; to allow \
             it, set devices = true in [allow] of wharf.toml"
                .to_owned(),
        ),
        (
            json!({"MaskedPaths": []}),
            format!(
                "`HostConfig.MaskedPaths` (it replaces what Docker hides from a container) \
                 {unconfined}"
            ),
        ),
        (
            json!({"ReadonlyPaths": []}),
            format!(
                "`HostConfig.ReadonlyPaths` (it replaces what Docker hides from a container) \
                 {unconfined}"
            ),
        ),
        (
            json!({"SecurityOpt": ["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"]}),
            format!(
                "security option `seccomp={{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}` {unconfined}"
            ),
        ),
        (
            json!({"SecurityOpt": ["label=disable"]}),
            format!("security option `label=disable` {unconfined}"),
        ),
        (
            json!({"SecurityOpt": ["label=type:spc_t"]}),
            format!("security option `label=type:spc_t` {unconfined}"),
        ),
        (
            json!({"CgroupnsMode": "host"}),
            "the host cgroup namespace is refused; to allow it, set host_namespaces = true in \
             [allow] of wharf.toml"
                .to_owned(),
        ),
        (
            json!({"LogConfig": {"Type": "syslog",
                                 "Config": {"syslog-address": "udp://192.0.2.1:514"}}}),
            "log driver `syslog` (it sends from the Docker daemon's own network, to any \
             address) is refused; to allow it, set log_drivers = [\"syslog\"] in [allow] of \
             wharf.toml"
                .to_owned(),
        ),
        (
            json!({"Sysctls": {"net.ipv4.ip_forward": "1"}}),
            "`HostConfig.Sysctls` (kernel parameters) is refused; to allow it, set sysctls = \
             true in [allow] of wharf.toml"
                .to_owned(),
        ),
        (
            json!({"CgroupParent": "/wharf-test"}),
            "`HostConfig.CgroupParent` (a cgroup outside Docker's own) is refused; to allow \
             it, set cgroup_parent = true in [allow] of wharf.toml"
                .to_owned(),
        ),
    ];
    let made =
        |name: &str| !docker(&["ps", "-aq", "--filter", &format!("name=^{name}$")]).is_empty();
    for (host, says) in bodies {
        let name = cleanup.container(&unique("allowlist"));
        let body = json!({"Image": FIXTURE, "Cmd": ["true"], "HostConfig": host});
        let e = w
            .err("hostile_create", json!({"name": name, "body": body}))
            .await;
        assert_eq!(e, format!("denied: {says}"), "{host}");
        assert!(!made(&name), "{host}: nothing was created");
        allowing
            .ok("hostile_create", json!({"name": name, "body": body}))
            .await;
        assert!(made(&name), "{host}: dockerd takes it once allowed");
    }
    // What stays inside the container passes as it is.
    let name = cleanup.container(&unique("allowlist-plain"));
    w.ok(
        "hostile_create",
        json!({"name": name, "body": {"Image": FIXTURE, "Cmd": ["true"], "HostConfig": {
            "Memory": 67108864, "CapDrop": ["ALL"], "Init": true,
            "SecurityOpt": ["no-new-privileges"],
            "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}}}}}),
    )
    .await;
}

/// Issue 18, case 10, for the files wharf writes and reads whole: the directory a save
/// writes into and a load reads from is swapped for a symlink to a directory outside and
/// back, as fast as the kernel allows (what a container holding a writable bind of the root
/// can do there; a thread here swaps faster than a shell in a container). Each file is
/// opened by handle beneath its root, so nothing lands outside the root and the tar outside
/// is never read. (With the path opened again after its check, the tar outside was loaded.)
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_directory_swapped_for_a_symlink_while_wharf_saves_and_loads_never_leads_outside() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let w = Wharf::start_with(&[], None).await;
    let root = w.dir.path().canonicalize().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let out = outside.path().canonicalize().unwrap();
    // An image only the tar outside holds: were it ever loaded, its tag would be back.
    let marker = cleanup.image(&format!("{}:1", unique("outside-only")));
    docker(&["tag", FIXTURE, &marker]);
    docker(&[
        "save",
        "-o",
        &format!("{}/images.tar", out.display()),
        &marker,
    ]);
    docker(&["rmi", &marker]);
    std::fs::create_dir(root.join("real")).unwrap();
    let inside = root.join("real/images.tar").display().to_string();
    w.ok("save_images", json!({"images": [FIXTURE], "path": inside}))
        .await;

    std::os::unix::fs::symlink(&out, root.join("alt")).unwrap();
    let swapper = Swapper::start(&root.join("real"), &root.join("alt"));
    let saved = root.join("real/saved.tar").display().to_string();
    for _ in 0..60 {
        // Each may fail, finding the symlink in its way; neither may go outside.
        w.call(
            "save_images",
            json!({"images": [FIXTURE], "path": saved, "overwrite": true}),
        )
        .await;
        w.call("load_images", json!({"path": inside})).await;
    }
    swapper.stop();
    let landed: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        landed,
        ["images.tar"],
        "nothing is written outside the root"
    );
    assert!(
        std::process::Command::new("docker")
            .args(["image", "inspect", &marker])
            .output()
            .is_ok_and(|o| !o.status.success()),
        "the tar outside the root was loaded"
    );
}

/// A directory inside a tree wharf copies into a container or sends as a build context is
/// swapped for a symlink to a directory outside the roots and back, as a container writing
/// the tree through a bind can. The walk went by path, so it followed the symlink whenever
/// the swap landed between its listing and its descent: the outside file reached the
/// container (shown against the old walk). Now each directory is opened beneath its
/// parent's handle without following a symlink, which is archived as a link; a copy out is
/// written through its destination's handle.
#[tokio::test]
async fn a_directory_swapped_for_a_symlink_while_wharf_copies_and_builds_never_leads_outside() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let w = Wharf::start_with(&[], None).await;
    let root = w.dir.path().canonicalize().unwrap();
    let outside = tempfile::tempdir().unwrap();
    // The same name inside and outside, so a path opened again finds a file either way;
    // only the content tells them apart.
    let secret = unique("outside-only");
    std::fs::write(outside.path().join("inside.txt"), &secret).unwrap();
    let tree = root.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/inside.txt"), "inside").unwrap();
    std::fs::write(
        tree.join("Dockerfile"),
        format!("FROM {FIXTURE}\nCOPY . /ctx/\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), tree.join("alt")).unwrap();
    let target = cleanup.container(&unique("copy-target"));
    run_fixture(&target, &[], &["sleep", "300"]);

    let swapper = Swapper::start(&tree.join("sub"), &tree.join("alt"));
    // A destination of its own for each copy: a later copy cannot hide what an earlier one
    // brought in.
    let copies = 40;
    let dirs: Vec<String> = (0..copies).map(|i| format!("/tmp/c{i}")).collect();
    let mut mkdir = vec!["exec", target.as_str(), "mkdir", "-p"];
    mkdir.extend(dirs.iter().map(String::as_str));
    docker(&mkdir);
    for dir in &dirs {
        // Each may fail, finding the symlink in its way; none may read outside.
        w.call(
            "copy_to_container",
            json!({"container": target, "source": "tree", "destination": dir}),
        )
        .await;
    }
    // And out of it: into a directory of the same tree, which the swap turns into the
    // outside one.
    docker(&[
        "exec",
        &target,
        "sh",
        "-c",
        "mkdir /payload && echo out > /payload/f",
    ]);
    for i in 0..copies {
        w.call(
            "copy_from_container",
            json!({"container": target, "source": "/payload", "destination": format!("tree/sub/o{i}")}),
        )
        .await;
    }
    let mut built = Vec::new();
    for _ in 0..6 {
        let tag = cleanup.image(&format!("{}:1", unique("swapped-ctx")));
        let r = w
            .call("build_image", json!({"context_dir": "tree", "tags": [tag]}))
            .await;
        if r.is_error != Some(true) {
            built.push(tag);
        }
    }
    swapper.stop();

    let landed: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        landed,
        ["inside.txt"],
        "nothing is written outside the root"
    );
    let grep = format!("grep -rl {secret} /tmp /ctx 2>/dev/null; true");
    let found = docker(&["exec", &target, "sh", "-c", &grep]);
    assert_eq!(found, "", "the outside file reached the container");
    assert!(
        !docker(&["exec", &target, "find", "/tmp", "-name", "inside.txt"]).is_empty(),
        "the copies went through"
    );
    assert!(!built.is_empty(), "no build went through");
    for tag in &built {
        let found = docker(&["run", "--rm", tag, "sh", "-c", &grep]);
        assert_eq!(found, "", "the outside file reached the image {tag}");
    }
}

/// In full mode `stop_container` is labelled as only writing, so it ran unasked, and on a
/// container started with auto-remove the engine then removed that container (before: gone,
/// no question). Now the stop's dry run plans the removal and the user is asked first; a
/// stop that keeps its container is still not asked about.
#[tokio::test]
async fn stopping_a_container_that_removes_itself_asks_first() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let temp = cleanup.container(&unique("auto-remove"));
    run_fixture(&temp, &["--rm"], &["sleep", "300"]);
    let kept = cleanup.container(&unique("kept"));
    run_fixture(&kept, &[], &["sleep", "300"]);
    let decline = Wharf::start_client(
        &[],
        None,
        &[],
        Recorder::answering(Some(ElicitationAction::Decline)),
    )
    .await;
    let e = decline
        .err(
            "stop_container",
            json!({"container": temp, "timeout_secs": 1}),
        )
        .await;
    assert!(e.contains("declined"), "{e}");
    let asked = decline.recorder.questions.lock().unwrap().clone();
    assert!(
        asked.len() == 1 && asked[0].contains(&format!("- remove container {temp}")),
        "{asked:?}"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &temp]),
        "true",
        "after a no it still runs"
    );
    decline
        .ok(
            "stop_container",
            json!({"container": kept, "timeout_secs": 1}),
        )
        .await;
    assert_eq!(decline.recorder.questions.lock().unwrap().len(), 1);

    let accept = Wharf::start().await;
    accept
        .ok(
            "stop_container",
            json!({"container": temp, "timeout_secs": 1}),
        )
        .await;
    assert_eq!(accept.recorder.questions.lock().unwrap().len(), 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::process::Command::new("docker")
        .args(["inspect", &temp])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the engine did not remove {temp}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The engine removes a container started with auto-remove (`--rm`) once it stops, so in
/// no-destructive mode `stop_container` on one is refused like a removal.
#[tokio::test]
async fn no_destructive_mode_refuses_stopping_a_container_that_removes_itself() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let temp = cleanup.container(&unique("auto-remove"));
    run_fixture(&temp, &["--rm"], &["sleep", "300"]);
    let w = Wharf::start_with(&[], Some("mode = \"no-destructive\"\n")).await;
    let e = w.err("stop_container", json!({"container": temp})).await;
    assert_eq!(
        e,
        format!(
            "denied: wharf runs in no-destructive mode: `stop_container` asked to stop (and so \
             remove) container {temp}, which cannot be undone"
        )
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &temp]),
        "true",
        "it still runs"
    );
    let kept = cleanup.container(&unique("kept"));
    run_fixture(&kept, &[], &["sleep", "300"]);
    w.ok(
        "stop_container",
        json!({"container": kept, "timeout_secs": 1}),
    )
    .await;
}

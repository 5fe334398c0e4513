//! wharf against MCP clients nobody here wrote: the official Python SDK.

#[path = "support/mod.rs"]
mod support;

use support::{Cleanup, FIXTURE, docker, require_docker, require_python_sdk, unique};

#[test]
fn the_python_mcp_sdk_can_use_wharf() {
    require_docker();
    require_python_sdk();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container(&unique("py"));
    docker(&[
        "create",
        "--name",
        &name,
        "--label",
        "wharf.test=1",
        FIXTURE,
        "true",
    ]);
    let dir = tempfile::tempdir().unwrap();
    // The SDK passes its environment on to `wharf serve`.
    let config = dir.path().join("none.toml");
    python(
        "python_sdk.py",
        &[support::wharf_bin().as_ref(), name.as_ref()],
        dir.path(),
        &[("WHARF_CONFIG", config.as_os_str())],
        "python mcp sdk: ok",
    );
}

/// The requestState a client sends back with the user's answer is a one-time ticket of this
/// server: replayed, or computed from the question, it gets the question asked again, and
/// the container it would remove survives.
#[test]
fn a_confirmation_state_can_be_neither_replayed_nor_computed() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let victim = cleanup.container(&unique("replay"));
    support::run_fixture(&victim, &[], &["sleep", "300"]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("none.toml");
    python(
        "python_request_state.py",
        &[
            support::wharf_bin().as_ref(),
            victim.as_ref(),
            FIXTURE.as_ref(),
        ],
        dir.path(),
        &[("WHARF_CONFIG", config.as_os_str())],
        "python mcp sdk request state: ok",
    );
}

/// Run `tests/interop/SCRIPT` with `args` from `dir` (wharf's working directory, and so
/// its allowed root); fail with its output unless it succeeds and prints `ok`.
fn python(
    script: &str,
    args: &[&std::ffi::OsStr],
    dir: &std::path::Path,
    env: &[(&str, &std::ffi::OsStr)],
    ok: &str,
) {
    require_python_sdk();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/interop")
        .join(script);
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("WHARF_CACHE_DIR", support::cache_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Shown with --nocapture: the tools covered, and sizes measured.
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains(ok),
        "{} failed:\n{stdout}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run `tests/interop/python_schemas.py` on `scenario` (its `command` filled in) from `dir`;
/// it fails with every mismatch.
fn python_schemas(dir: &std::path::Path, mut scenario: serde_json::Value) {
    scenario["command"] = support::wharf_bin().into();
    let file = dir.join("scenario.json");
    std::fs::write(&file, scenario.to_string()).unwrap();
    python(
        "python_schemas.py",
        &[file.as_os_str()],
        dir,
        &[],
        "python schemas: ok",
    );
}

/// Every built-in tool with an output schema, in success and in its usual failures, as the
/// Python SDK sees it: it validates each structured result against the tool's schema and
/// raises on a mismatch. `run_container` failed this on every successful call once (its
/// schema required `warnings`, which the result leaves out when empty).
#[test]
fn every_structured_result_passes_the_python_sdks_schema_check() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let existing = cleanup.container(&unique("py-existing"));
    docker(&[
        "create",
        "--name",
        &existing,
        "--label",
        "wharf.test=1",
        FIXTURE,
        "true",
    ]);
    let network = cleanup.network(&unique("py-net"));
    docker(&["network", "create", "--label", "wharf.test=1", &network]);
    let volume = cleanup.volume(&unique("py-vol"));
    docker(&["volume", "create", "--label", "wharf.test=1", &volume]);
    let created = cleanup.container(&unique("py-created"));
    let started = cleanup.container(&unique("py-started"));
    let project = cleanup.project(&unique("py-project"));
    let none = unique("py-none");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            "services:\n  app:\n    image: {FIXTURE}\n    command: [sleep, '300']\n    \
             labels: {{wharf.test: '1'}}\n    volumes: [data:/data]\nvolumes:\n  data: {{}}\n"
        ),
    )
    .unwrap();
    let config = dir.path().join("wharf.toml");
    // compose_down asks first; this client cannot show the question.
    std::fs::write(&config, "[confirm]\nwithout_elicitation = \"proceed\"\n").unwrap();
    let labels = serde_json::json!({"wharf.test": "1"});
    let calls = serde_json::json!([
        {"tool": "list_containers", "args": {"all": true, "name": existing}, "expect": "ok",
         "contains": [existing]},
        {"tool": "list_containers", "args": {"name": none}, "expect": "ok"},
        {"tool": "list_containers", "args": {"limit": 0}, "expect": "error"},
        {"tool": "run_container", "expect": "ok", "args": {"image": FIXTURE, "name": created,
         "command": ["true"], "start": false, "labels": labels}, "contains": [created]},
        {"tool": "run_container", "expect": "ok", "args": {"image": FIXTURE, "name": started,
         "command": ["sleep", "300"], "labels": labels, "memory": "64m"}},
        {"tool": "run_container", "expect": "error", "args": {"image": FIXTURE, "name": created}},
        {"tool": "run_container", "expect": "error",
         "args": {"image": "wharf-fixture/absent:none", "name": none}},
        {"tool": "list_images", "args": {"reference": FIXTURE}, "expect": "ok"},
        {"tool": "list_images", "args": {"label": [format!("wharf.none={none}")]}, "expect": "ok"},
        {"tool": "inspect_container", "args": {"container": existing}, "expect": "ok"},
        {"tool": "inspect_container", "args": {"container": existing, "full": true},
         "expect": "ok"},
        {"tool": "inspect_container", "args": {"container": none}, "expect": "error"},
        {"tool": "inspect_image", "args": {"image": FIXTURE}, "expect": "ok"},
        {"tool": "docker_events", "args": {"since": "10m", "container": [existing]},
         "expect": "ok", "contains": ["create"]},
        {"tool": "docker_events", "args": {"since": "10m", "container": [none]},
         "expect": "ok", "contains": ["No events"]},
        {"tool": "list_networks", "args": {"name": network}, "expect": "ok", "contains": [network]},
        {"tool": "inspect_network", "args": {"network": network}, "expect": "ok"},
        {"tool": "inspect_volume", "args": {"volume": volume}, "expect": "ok"},
        {"tool": "list_networks", "args": {"name": none}, "expect": "ok"},
        {"tool": "list_volumes", "args": {"name": volume}, "expect": "ok", "contains": [volume]},
        {"tool": "list_volumes", "args": {"dangling": true, "label": [format!("wharf.none={none}")]},
         "expect": "ok"},
        {"tool": "compose_config", "args": {"project_name": project}, "expect": "ok"},
        {"tool": "compose_config", "args": {"files": ["missing.yaml"]}, "expect": "error"},
        {"tool": "compose_ps", "args": {"project_name": project}, "expect": "ok"},
        {"tool": "compose_up", "args": {"project_name": project}, "expect": "ok"},
        {"tool": "compose_up", "args": {"project_name": project}, "expect": "ok"},
        {"tool": "compose_ps", "args": {"project_name": project}, "expect": "ok",
         "contains": ["app"]},
        {"tool": "compose_down", "args": {"project_name": project}, "expect": "ok"},
        {"tool": "compose_down", "args": {"project_name": project, "volumes": true},
         "expect": "ok"},
        {"tool": "compose_up", "args": {"files": ["missing.yaml"]}, "expect": "error"},
    ]);
    python_schemas(
        dir.path(),
        serde_json::json!({
            "args": ["serve", "--config", config],
            "calls": calls,
        }),
    );
    // The runs really happened, the ones the SDK used to reject included.
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &created]),
        "created"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &started]),
        "running"
    );
}

/// The `jq` argument through the Python SDK, which validates every projected result against
/// the served output schema: inspect_container's whole JSON, docker_events, list_images and
/// compose_ps, projected to what was asked and compared with what Docker says; filters that
/// loop, allocate or print without end stopped with a clear error and the server still
/// serving; a broken filter on a tool that changes state refused before the tool runs.
/// Prints the bytes a model reads before and after (docs/measurements.md).
#[test]
fn a_jq_projection_returns_only_what_was_asked() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let running = cleanup.container(&unique("jq-running"));
    docker(&[
        "run",
        "-d",
        "--name",
        &running,
        "--label",
        "wharf.test=1",
        FIXTURE,
        "sleep",
        "300",
    ]);
    let image = docker(&["inspect", "-f", "{{.Config.Image}}", &running]);
    let image_id = docker(&["image", "inspect", "-f", "{{.Id}}", FIXTURE]);
    let refused = unique("jq-refused");
    let created = cleanup.container(&unique("jq-created"));
    let ran = cleanup.container(&unique("jq-ran"));
    cleanup.container(&refused);
    let project = cleanup.project(&unique("jq-project"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            "services:\n  app:\n    image: {FIXTURE}\n    command: [sleep, '300']\n    \
             labels: {{wharf.test: '1'}}\n  db:\n    image: {FIXTURE}\n    \
             command: [sleep, '300']\n    labels: {{wharf.test: '1'}}\n"
        ),
    )
    .unwrap();
    let summary =
        serde_json::json!({"name": format!("/{running}"), "running": true, "image": image});
    let calls = serde_json::json!([
        {"tool": "inspect_container", "args": {"container": running, "full": true},
         "expect": "ok", "measure": "inspect_container full"},
        {"tool": "inspect_container", "expect": "ok", "measure": "inspect_container full, projected",
         "args": {"container": running, "full": true,
                  "jq": "{name: .Name, running: .State.Running, image: .Config.Image}"},
         "structured": {"projection": [summary]}, "text": format!("{summary}\n")},
        {"tool": "docker_events", "args": {"since": "10m", "container": [running]},
         "expect": "ok", "measure": "docker_events"},
        {"tool": "docker_events", "expect": "ok", "measure": "docker_events, projected",
         "args": {"since": "10m", "container": [running],
                  "jq": "[.events[] | select(.type == \"container\") | .action]"},
         "structured": {"projection": [["create", "start"]]}},
        {"tool": "list_images", "args": {"reference": FIXTURE}, "expect": "ok",
         "measure": "list_images"},
        {"tool": "list_images", "expect": "ok", "measure": "list_images, projected",
         "args": {"reference": FIXTURE, "jq": ".images[] | .id"},
         "structured": {"projection": [&image_id[7..19]]}},
        {"tool": "compose_up", "args": {"project_name": project}, "expect": "ok"},
        {"tool": "compose_ps", "args": {"project_name": project}, "expect": "ok",
         "measure": "compose_ps"},
        {"tool": "compose_ps", "expect": "ok", "measure": "compose_ps, projected",
         "args": {"project_name": project,
                  "jq": "[.containers[] | select(.state == \"running\") | .service] | sort"},
         "structured": {"projection": [["app", "db"]]}, "text": "[\"app\",\"db\"]\n"},
        // Several outputs: one JSON line each.
        {"tool": "compose_ps", "expect": "ok",
         "args": {"project_name": project, "jq": ".containers | length, (.[0] | has(\"name\"))"},
         "structured": {"projection": [2, true]}, "text": "2\ntrue\n"},
        // Filters that would hold the host: each stopped, each saying why.
        {"tool": "list_images", "args": {"jq": "def f: f; f"}, "expect": "error",
         "contains": ["jq: the filter ran for more than 2 s", "`list_images`"]},
        {"tool": "list_images", "args": {"jq": "[range(1e10)]"}, "expect": "error",
         "contains": ["jq: the filter needed more than 64 MiB"]},
        {"tool": "list_images", "args": {"jq": "range(1e9)"}, "expect": "error",
         "contains": ["jq: the projection is over 65536 bytes"]},
        {"tool": "list_images", "args": {"jq": ".images[] |"}, "expect": "error",
         "contains": ["jq: expected term at the end (column 12)"]},
        {"tool": "list_images", "args": {"jq": "nosuch(1)"}, "expect": "error",
         "contains": ["jq: undefined filter `nosuch`"]},
        // The unprojected result never reaches the client, not even beside the error.
        {"tool": "list_images", "args": {"jq": ".images | error(\"stop\")"}, "expect": "error",
         "text": "failed: jq: stop (the `jq` argument of `list_images`)"},
        // jq quotes the value it failed on; a whole inspect result is cut short.
        {"tool": "inspect_container", "args": {"container": running, "full": true, "jq": "error"},
         "expect": "error", "contains": ["failed: jq: {", "...", "`inspect_container`"],
         "max_text": 400},
        {"tool": "list_images", "args": {"jq": ".images |\n  nosuch"}, "expect": "error",
         "contains": ["undefined filter `nosuch` at line 2, column 3"]},
        // A blank filter is none; a tool with nothing to project refuses one, and its
        // plugin never sees the argument (it would say "unknown field").
        {"tool": "list_images", "args": {"reference": FIXTURE, "jq": ""}, "expect": "ok",
         "contains": [&image_id[7..19]]},
        {"tool": "system_info", "args": {"jq": "."}, "expect": "error",
         "text": "invalid arguments for `system_info`: jq: `system_info` has no structured \
                  result this server can project"},
        {"tool": "list_images", "args": {"jq": "nan"}, "expect": "error",
         "contains": ["an output is not JSON"]},
        {"tool": "list_images", "args": {"jq": 1}, "expect": "error",
         "contains": ["jq: 1 is not of type \"string\""]},
        // And the server still serves, projections included.
        {"tool": "list_images", "args": {"reference": FIXTURE, "jq": ".truncated"},
         "expect": "ok", "structured": {"projection": [false]}},
        // A broken filter on a tool that changes state: refused before it runs.
        {"tool": "run_container", "expect": "error", "contains": ["jq: expected term"],
         "args": {"image": FIXTURE, "name": refused, "command": ["true"], "start": false,
                  "labels": {"wharf.test": "1"}, "jq": ".id |"}},
        {"tool": "run_container", "expect": "ok",
         "args": {"image": FIXTURE, "name": created, "command": ["true"], "start": false,
                  "labels": {"wharf.test": "1"}, "jq": "{health, rows: (.rows | length)}"}},
        // One that fails on the result of a call that ran says so, and shows nothing else.
        {"tool": "run_container", "expect": "error",
         "args": {"image": FIXTURE, "name": ran, "command": ["true"], "start": false,
                  "labels": {"wharf.test": "1"}, "jq": "error(\"boom\")"},
         "text": "failed: jq: boom (the `jq` argument of `run_container`); the call itself ran and \
                  its result was withheld: look before running it again"},
        {"tool": "compose_down", "args": {"project_name": project}, "expect": "ok"},
    ]);
    let config = dir.path().join("wharf.toml");
    std::fs::write(&config, "[confirm]\nwithout_elicitation = \"proceed\"\n").unwrap();
    python_schemas(
        dir.path(),
        serde_json::json!({
            "args": ["serve", "--config", config],
            "calls": calls,
            "cover_all": false,
        }),
    );
    let exists = |name: &str| {
        std::process::Command::new("docker")
            .args(["container", "inspect", name])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(
        !exists(&refused),
        "run_container ran with a filter it could not compile"
    );
    assert!(exists(&created));
    assert!(exists(&ran), "the call whose projection failed did not run");
}

/// A plugin whose result breaks its own output schema: without the host's check the Python
/// SDK raises on it, and the model learns nothing; with it, the client gets a tool error
/// naming the plugin, the tool and the field, and still the text of what happened.
#[test]
fn a_result_that_breaks_its_schema_is_a_tool_error_the_client_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(
        env!("WHARF_TEST_HOSTILE_WASM"),
        plugins.join("hostile.wasm"),
    )
    .unwrap();
    let config = dir.path().join("wharf.toml");
    // Only the hostile plugin: the built-in ones are covered by the test above.
    let mut text = String::from("[plugin.hostile]\ngrants = [\"exec\"]\n");
    for builtin in [
        "containers",
        "images",
        "networks",
        "volumes",
        "compose",
        "monitoring",
    ] {
        text.push_str(&format!("[plugin.{builtin}]\nenabled = false\n"));
    }
    std::fs::write(&config, text).unwrap();
    let named = [
        "plugin `hostile`",
        "`hostile_bad_result`",
        "counted 3 items",
    ];
    let calls = serde_json::json!([
        {"tool": "hostile_bad_result", "args": {"shape": "right"}, "expect": "ok",
         "contains": ["counted 3 items"]},
        {"tool": "hostile_bad_result", "args": {"shape": "wrong_type"}, "expect": "error",
         "contains": [named[0], named[1], named[2], "count: \"three\" is not of type \"integer\""]},
        {"tool": "hostile_bad_result", "args": {"shape": "missing"}, "expect": "error",
         "contains": [named[0], named[1], named[2], "\"items\" is a required property"]},
        {"tool": "hostile_bad_result", "args": {"shape": "none"}, "expect": "error",
         "contains": [named[0], named[1], named[2], "no structured result"]},
    ]);
    python_schemas(
        dir.path(),
        serde_json::json!({
            "args": ["serve", "--config", config, "--plugin-dir", plugins],
            "calls": calls,
        }),
    );
}

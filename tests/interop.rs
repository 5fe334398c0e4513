//! wharf against MCP clients nobody here wrote: the official Python SDK.

#[path = "support/mod.rs"]
mod support;

use support::{Cleanup, FIXTURE, docker, require_docker, unique};

#[test]
fn the_python_mcp_sdk_can_use_wharf() {
    require_docker();
    let probe = std::process::Command::new("python3")
        .args(["-c", "import mcp"])
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "this test needs the Python MCP SDK: pip install mcp (.ci/run installs it)"
    );
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
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/interop/python_sdk.py"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("python3")
        .args([script, support::wharf_bin(), &name])
        .current_dir(dir.path())
        // The SDK passes its environment on to `wharf serve`.
        .env("WHARF_CONFIG", dir.path().join("none.toml"))
        .env("WHARF_CACHE_DIR", support::cache_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the Python SDK client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("python mcp sdk: ok"));
}

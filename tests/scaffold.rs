//! `wharf plugin new NAME`: the crate it creates builds for wasm32-wasip2 and passes its own
//! mock-host test as generated (a nested `cargo test`, no Docker), and `wharf plugin check`
//! accepts the component.

use std::path::Path;
use std::process::Command;

fn wharf() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wharf"))
}

/// A cargo command free of the outer build's settings, which are for this test binary.
fn cargo(dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" || key == "RUSTFLAGS" {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[test]
fn a_new_plugin_builds_and_passes_its_mock_host_test() {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let parent = tempfile::tempdir().unwrap();
    let new = |name: &str| {
        wharf()
            .args(["plugin", "new", name, "--dir"])
            .arg(parent.path())
            .arg("--wharf-source")
            .arg(&checkout)
            .output()
            .unwrap()
    };

    let bad = new("Bad_Name");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot name a plugin"));

    let made = new("hello-scaffold");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let again = new("hello-scaffold");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // The crate names the wharf crates by version; where they come from is one patch table.
    let crate_dir = parent.path().join("hello-scaffold");
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("wharf-mock = \"0.1\""), "{manifest}");
    assert!(manifest.contains("[patch.crates-io]"), "{manifest}");

    // What a plugin's tests build: the mock host and the core under it, never the Docker
    // client, the MCP server, the HTTP stack or the wharf binary (whose build script
    // compiles every built-in plugin).
    let tree = cargo(&crate_dir)
        .args(["tree", "--prefix", "none", "--edges", "normal,build,dev"])
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&tree.stdout);
    let packages: std::collections::BTreeSet<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(packages.contains("wharf-mock"), "{tree}");
    for absent in ["bollard", "rmcp", "hyper", "wharf", "wharf-docker"] {
        assert!(!packages.contains(absent), "{absent} in:\n{tree}");
    }

    // The dependencies build once into a target directory kept between runs.
    let tested = cargo(&crate_dir)
        .arg("test")
        .env("CARGO_TARGET_DIR", checkout.join("target/scaffold-check"))
        .output()
        .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&tested.stdout),
        String::from_utf8_lossy(&tested.stderr)
    );
    // Without the hundreds of `Compiling` lines, the reason fits in a CI report.
    let reason: Vec<&str> = log
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !l.starts_with("Compiling ") && !l.starts_with("Downloaded ")
        })
        .collect();
    assert!(
        tested.status.success(),
        "the generated crate's tests failed:\n{}",
        reason.join("\n")
    );
    assert!(log.contains("test result: ok. 2 passed"), "{log}");

    // Its component, under the plugin's name, passes the checker.
    let built = crate_dir.join("target/wharf-component/wasm32-wasip2/release/hello_scaffold.wasm");
    let plugin_dir = tempfile::tempdir().unwrap();
    let file = plugin_dir.path().join("hello-scaffold.wasm");
    std::fs::copy(&built, &file).unwrap();
    let checked = wharf()
        .args(["plugin", "check"])
        .arg(&file)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{out}");
    assert!(out.contains("grants = [\"containers-read\"]"), "{out}");
}

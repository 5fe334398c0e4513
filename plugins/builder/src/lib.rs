//! Builds wharf plugin crates for `wasm32-wasip2` from a build script, so an ordinary
//! `cargo build` (or `cargo install --path host`) produces the plugins the host embeds.
//!
//! The nested cargo uses its own target directory (beside the outer one) so it neither
//! waits on the outer build's lock nor rebuilds the host's dependencies, and always the
//! `plugin` profile, so plugins are small and fast whatever profile the host is built with.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "wasm32-wasip2";

/// Build `packages` (workspace package names) and return each one's `.wasm` path, in order.
///
/// Panics with a message saying what to do when the build fails: a build script has no
/// better way to report.
pub fn build(workspace: &Path, packages: &[&str]) -> Vec<PathBuf> {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out; plugins go to <target>/wasm-plugins.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| t.join("wasm-plugins"))
        .unwrap_or_else(|| out_dir.join("wasm-plugins"));

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--profile", "plugin", "--target", TARGET])
        .arg("--target-dir")
        .arg(&target_dir);
    if env::var_os("CARGO_NET_OFFLINE").is_some() || env::args().any(|a| a == "--offline") {
        cmd.arg("--offline");
    }
    for p in packages {
        cmd.args(["-p", p]);
    }
    // The outer build's settings are for the host target; none of them applies to wasm.
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_NET_OFFLINE"
            || key == "RUSTFLAGS"
            || key == "RUSTC_WORKSPACE_WRAPPER"
            || key == "RUSTC_WRAPPER"
        {
            cmd.env_remove(key.as_ref());
        }
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build plugins: {e}"));
    if !status.success() {
        panic!(
            "building the wharf plugins for {TARGET} failed (see above). If the target is \
             missing, install it with: rustup target add {TARGET}"
        );
    }
    packages
        .iter()
        .map(|p| {
            target_dir
                .join(TARGET)
                .join("plugin")
                .join(format!("{}.wasm", p.replace('-', "_")))
        })
        .collect()
}

/// Tell cargo to rebuild when plugin sources or the WIT change.
pub fn rerun_if_changed(workspace: &Path, dirs: &[&str]) {
    for d in dirs {
        println!("cargo:rerun-if-changed={}", workspace.join(d).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );
}

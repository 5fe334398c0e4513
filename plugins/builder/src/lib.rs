//! Builds wharf plugin crates for `wasm32-wasip2`: from the host's build script, so an
//! ordinary `cargo build` (or `cargo install --path host`) produces the plugins the host
//! embeds, and from the mock host, so a plugin's own `cargo test` builds the component it
//! tests.
//!
//! The nested cargo uses a target directory of its own so it neither waits on the outer
//! build's lock nor rebuilds the host's dependencies.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "wasm32-wasip2";

/// The cargo profile plugins are built with: the workspace's `plugin` profile (small, fast
/// wasm) or `release` for a crate that has no such profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Plugin,
    Release,
}

impl Profile {
    fn name(self) -> &'static str {
        match self {
            Profile::Plugin => "plugin",
            Profile::Release => "release",
        }
    }
}

/// Build `packages` of the workspace (or crate) at `workspace` into `target_dir` and return
/// each one's `.wasm` path, in order; or what went wrong, with what to do about it.
pub fn build_into(
    workspace: &Path,
    packages: &[&str],
    target_dir: &Path,
    profile: Profile,
) -> Result<Vec<PathBuf>, String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--profile", profile.name(), "--target", TARGET])
        .arg("--target-dir")
        .arg(target_dir);
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
        .map_err(|e| format!("cannot run cargo to build plugins: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building {} for {TARGET} failed (see above). If the target is missing, install \
             it with: rustup target add {TARGET}",
            packages.join(", ")
        ));
    }
    Ok(packages
        .iter()
        .map(|p| {
            target_dir
                .join(TARGET)
                .join(profile.name())
                .join(format!("{}.wasm", p.replace('-', "_")))
        })
        .collect())
}

/// [`build_into`] from a build script: into `<target>/wasm-plugins` beside the outer
/// build, with the `plugin` profile. Panics with the reason: a build script has no better
/// way to report.
pub fn build(workspace: &Path, packages: &[&str]) -> Vec<PathBuf> {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out; plugins go to <target>/wasm-plugins.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| t.join("wasm-plugins"))
        .unwrap_or_else(|| out_dir.join("wasm-plugins"));
    build_into(workspace, packages, &target_dir, Profile::Plugin).unwrap_or_else(|e| panic!("{e}"))
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

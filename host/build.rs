//! Builds the default plugins for wasm32-wasip2 and places them in OUT_DIR, where
//! `src/plugins.rs` embeds them: `cargo install --path host` then gives a complete server.

use std::path::{Path, PathBuf};

/// (package, file name in OUT_DIR). Keep in step with `src/plugins.rs`.
const BUILTIN: &[(&str, &str)] = &[("wharf-plugin-containers", "containers.wasm")];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.parent().unwrap_or(Path::new(".."));
    wharf_plugin_builder::rerun_if_changed(workspace, &["plugins", "wit"]);
    let packages: Vec<&str> = BUILTIN.iter().map(|(p, _)| *p).collect();
    let built = wharf_plugin_builder::build(workspace, &packages);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    for (wasm, (_, file)) in built.iter().zip(BUILTIN) {
        std::fs::copy(wasm, out.join(file))
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", wasm.display()));
    }
}

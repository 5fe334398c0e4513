//! Builds the default plugins for wasm32-wasip2 and places them in OUT_DIR, where
//! `src/plugins.rs` embeds them: `cargo install --path host` then gives a complete server.

use sha2::Digest;
use std::path::{Path, PathBuf};

/// (package, file name in OUT_DIR): embedded. Keep in step with `src/plugins.rs`.
const BUILTIN: &[(&str, &str)] = &[
    ("wharf-plugin-containers", "containers.wasm"),
    ("wharf-plugin-networks", "networks.wasm"),
    ("wharf-plugin-volumes", "volumes.wasm"),
    ("wharf-plugin-images", "images.wasm"),
    ("wharf-plugin-monitoring", "monitoring.wasm"),
    ("wharf-plugin-compose", "compose.wasm"),
    ("wharf-plugin-swarm", "swarm.wasm"),
    // Not a tool group: the host runs it for the `jq` argument (`PROJECTOR`).
    ("wharf-plugin-jq", "jq.wasm"),
];

/// Built beside the default plugins (one cargo run) but never embedded: the tests load them
/// from the paths exported as these variables. A build script cannot tell a test build from
/// any other, and the plugins are small.
const TEST_PLUGINS: &[(&str, &str)] = &[
    ("wharf-test-hostile", "WHARF_TEST_HOSTILE_WASM"),
    ("wharf-test-slow-load", "WHARF_TEST_SLOW_LOAD_WASM"),
    // A third-party plugin in all but where it lives: loaded through a plugin directory
    // and config grants, like any team's plugin (tests/registry.rs).
    ("wharf-plugin-registry", "WHARF_REGISTRY_PLUGIN_WASM"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.parent().unwrap_or(Path::new(".."));
    wharf_plugin_builder::rerun_if_changed(workspace, &["plugins", "wit"]);
    wharf_plugin_builder::rerun_if_changed(workspace, &["tests/plugins"]);
    let packages: Vec<&str> = BUILTIN
        .iter()
        .chain(TEST_PLUGINS)
        .map(|(p, _)| *p)
        .collect();
    let built = wharf_plugin_builder::build(workspace, &packages);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    for (wasm, (_, file)) in built.iter().zip(BUILTIN) {
        let bytes =
            std::fs::read(wasm).unwrap_or_else(|e| panic!("cannot read {}: {e}", wasm.display()));
        std::fs::write(out.join(file), &bytes)
            .unwrap_or_else(|e| panic!("cannot write {file}: {e}"));
        // The plugin cache's key, computed here so a warm start never reads (or pages in)
        // the embedded bytes: hashing them at start-up cost milliseconds and megabytes.
        let digest: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(out.join(format!("{file}.sha256")), digest)
            .unwrap_or_else(|e| panic!("cannot write {file}.sha256: {e}"));
    }
    for (wasm, (_, var)) in built[BUILTIN.len()..].iter().zip(TEST_PLUGINS) {
        println!("cargo:rustc-env={var}={}", wasm.display());
    }
}

//! Precompiled components on disk, so start-up deserialises instead of running Cranelift.
//!
//! An artifact is keyed by the SHA-256 of the component's bytes and the engine's
//! compatibility hash (its settings and wasmtime version): a changed plugin or engine simply
//! misses the cache. Writes are atomic (temporary file, then rename).

use sha2::{Digest, Sha256};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

pub struct ArtifactCache {
    dir: PathBuf,
}

impl ArtifactCache {
    pub fn new(dir: PathBuf) -> Self {
        ArtifactCache { dir }
    }

    /// `$WHARF_CACHE_DIR`, else `$XDG_CACHE_HOME/wharf`, else `~/.cache/wharf`.
    pub fn default_dir() -> Option<PathBuf> {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        env("WHARF_CACHE_DIR")
            .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("wharf")))
            .or_else(|| env("HOME").map(|h| h.join(".cache").join("wharf")))
    }

    /// The component for `wasm`, from the cache when possible. Cache trouble is logged and
    /// never fatal: the component is then compiled as if there were no cache. `sha256` is
    /// the bytes' digest when known ahead; on a hit the bytes are then never read.
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: Option<&str>,
    ) -> wasmtime::Result<Component> {
        let digest = match sha256 {
            Some(d) => d.to_owned(),
            None => sha256_hex(wasm),
        };
        let path = self.dir.join(format!("{}.cwasm", key(engine, &digest)));
        if let Err(why) = private(&self.dir) {
            // Deserialising runs native code: never from a place others could write to.
            tracing::warn!(dir = %self.dir.display(), "not using the plugin cache: {why}");
            return Component::new(engine, wasm);
        }
        if path.exists() {
            // SAFETY: the file is one this cache wrote for this exact engine configuration
            // (the key covers it), in a directory only the user can write; wasmtime also
            // checks the artifact's header against the engine before using it.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "ignoring unusable cached artifact: {e}")
                }
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Err(e) = self.store(&path, &component) {
            tracing::warn!(dir = %self.dir.display(), "cannot cache compiled plugin: {e}");
        }
        Ok(component)
    }

    fn store(&self, path: &Path, component: &Component) -> Result<(), Box<dyn std::error::Error>> {
        create_private_dir(&self.dir)?;
        let bytes = component.serialize()?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_directory_others_can_write_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        assert!(private(dir.path()).is_ok());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(
            private(dir.path())
                .unwrap_err()
                .contains("other users may write")
        );
        assert!(private(&dir.path().join("missing")).is_ok());
    }
}

fn key(engine: &Engine, sha256: &str) -> String {
    let mut h = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{sha256}-{:016x}", h.finish())
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The cache directory, if it exists, belongs to this user and only this user can write
/// to it.
#[cfg(unix)]
fn private(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(()); // not created yet: `store` creates it with mode 0700
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "it belongs to uid {}, not to this user (uid {me})",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "other users may write to it (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn private(_dir: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

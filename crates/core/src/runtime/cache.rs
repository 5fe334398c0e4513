//! Precompiled components on disk, so start-up deserialises instead of running Cranelift.
//!
//! An artifact is keyed by the SHA-256 of the component's bytes and the engine's
//! compatibility hash (its settings and wasmtime version): a changed plugin or engine simply
//! misses the cache. Writes are atomic (temporary file, then rename).
//!
//! A cache that cannot be written (a read-only home, a container image's) is still read;
//! what it misses is compiled in memory at each start, and wharf says so once.

use sha2::{Digest, Sha256};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use wasmtime::Engine;
use wasmtime::component::Component;

pub struct ArtifactCache {
    dir: PathBuf,
    /// Whether the user has been told that this cache is not used, or not written.
    told: AtomicBool,
}

/// Why [`ArtifactCache::fill`] could not leave an artifact in the cache.
#[derive(Debug, thiserror::Error)]
pub enum FillError {
    #[error("cannot compile it: {0:#}")]
    Compile(wasmtime::Error),
    #[error("the cache {dir} is not used: {why}", dir = .0.display(), why = .1)]
    Unsafe(PathBuf, String),
    #[error("cannot write to the cache {dir}: {why}", dir = .0.display(), why = .1)]
    Write(PathBuf, String),
    #[error("no cache directory: set WHARF_CACHE_DIR or HOME, or pass --cache DIR")]
    NoCache,
}

/// What [`ArtifactCache::fill`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filled {
    Compiled,
    AlreadyThere,
}

impl ArtifactCache {
    pub fn new(dir: PathBuf) -> Self {
        ArtifactCache {
            dir,
            told: AtomicBool::new(false),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Say `what` once for this cache: every plugin would say the same.
    fn tell_once(&self, what: std::fmt::Arguments<'_>) {
        if !self.told.swap(true, Ordering::Relaxed) {
            tracing::warn!(dir = %self.dir.display(), "{what}");
        }
    }

    /// Compile `wasm` into the cache unless its artifact is there and usable: what
    /// `wharf precompile` does, failing where [`ArtifactCache::load`] would carry on.
    pub fn fill(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: Option<&str>,
    ) -> Result<Filled, FillError> {
        private(&self.dir).map_err(|why| FillError::Unsafe(self.dir.clone(), why))?;
        let path = self.artifact(engine, wasm, sha256);
        // SAFETY: as in `load`.
        if owned_file(&path).is_ok()
            && unsafe { Component::deserialize_file(engine, &path) }.is_ok()
        {
            return Ok(Filled::AlreadyThere);
        }
        let component = Component::new(engine, wasm).map_err(FillError::Compile)?;
        self.store(&path, &component)
            .map_err(|e| FillError::Write(self.dir.clone(), e.to_string()))?;
        Ok(Filled::Compiled)
    }

    fn artifact(&self, engine: &Engine, wasm: &[u8], sha256: Option<&str>) -> PathBuf {
        let digest = match sha256 {
            Some(d) => d.to_owned(),
            None => sha256_hex(wasm),
        };
        self.dir.join(format!("{}.cwasm", key(engine, &digest)))
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
        let path = self.artifact(engine, wasm, sha256);
        if let Err(why) = private(&self.dir) {
            // Deserialising runs native code: never from a place others could write to.
            self.tell_once(format_args!(
                "not using the plugin cache: {why}; compiling plugins in memory at each start"
            ));
            return Component::new(engine, wasm);
        }
        if path.exists() {
            if let Err(why) = owned_file(&path) {
                self.tell_once(format_args!(
                    "not using the plugin cache: {why}; compiling plugins in memory at each start"
                ));
                return Component::new(engine, wasm);
            }
            // SAFETY: the file is one this cache wrote for this exact engine configuration
            // (the key covers it), a regular file only its owner (this user or root) can
            // write, in a directory only that owner can write, so nobody else can swap it
            // before it is read; wasmtime also checks the artifact's header.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => {
                    tracing::debug!(path = %path.display(), "loaded a precompiled plugin");
                    return Ok(c);
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), "ignoring unusable cached artifact: {e}")
                }
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Err(e) = self.store(&path, &component) {
            self.tell_once(format_args!(
                "cannot write the plugin cache ({e}); compiling plugins in memory at each \
                 start (`wharf precompile --cache DIR` fills a cache ahead)"
            ));
        }
        Ok(component)
    }

    fn store(&self, path: &Path, component: &Component) -> Result<(), Box<dyn std::error::Error>> {
        create_owned_dir(&self.dir)?;
        let bytes = component.serialize()?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // Whatever the umask, never writable by others: what is written here runs as code.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
        std::io::Write::write_all(&mut options.open(&tmp)?, &bytes)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

/// An artifact to deserialise is a regular file (not a symlink), of this user or root,
/// that nobody else may write.
#[cfg(unix)]
fn owned_file(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !meta.file_type().is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if meta.uid() != me && meta.uid() != 0 {
        return Err(format!("{} belongs to uid {}", path.display(), meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "other users may write to {} (mode {:o})",
            path.display(),
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owned_file(_path: &Path) -> Result<(), String> {
    Ok(())
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

    /// `(component)`: the preamble of a component with nothing in it.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn a_cache_that_cannot_be_written_says_so_once_and_still_compiles() {
        let file = tempfile::NamedTempFile::new().unwrap();
        // Beneath a regular file nothing can be created, whoever runs the test.
        let cache = ArtifactCache::new(file.path().join("wharf"));
        let engine = Engine::default();
        let wasm = EMPTY_COMPONENT;
        for _ in 0..3 {
            cache.load(&engine, wasm, None).unwrap();
        }
        assert!(cache.told.load(Ordering::Relaxed));
        let e = cache.fill(&engine, wasm, None).unwrap_err();
        assert!(matches!(e, FillError::Write(..)), "{e}");
    }

    /// An artifact others may write could hold any native code: it is never loaded.
    #[test]
    fn an_artifact_others_can_write_is_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::new(dir.path().join("c"));
        let engine = Engine::default();
        cache.fill(&engine, EMPTY_COMPONENT, None).unwrap();
        let artifact = std::fs::read_dir(dir.path().join("c"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mode = std::fs::metadata(&artifact).unwrap().permissions().mode();
        assert_eq!(mode & 0o022, 0, "{mode:o}");
        std::fs::set_permissions(&artifact, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(
            owned_file(&artifact)
                .unwrap_err()
                .contains("other users may write")
        );
        cache.load(&engine, EMPTY_COMPONENT, None).unwrap();
        assert!(cache.told.load(Ordering::Relaxed), "the user is told why");
    }

    #[test]
    fn fill_compiles_once_and_load_then_reads_the_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::new(dir.path().join("c"));
        let engine = Engine::default();
        let wasm = EMPTY_COMPONENT;
        assert_eq!(cache.fill(&engine, wasm, None).unwrap(), Filled::Compiled);
        assert_eq!(
            cache.fill(&engine, wasm, None).unwrap(),
            Filled::AlreadyThere
        );
        let files: Vec<_> = std::fs::read_dir(dir.path().join("c")).unwrap().collect();
        assert_eq!(files.len(), 1);
        // Others may read what was compiled (an image's cache is filled by root, read by
        // its non-root user), never write it.
        let mode = std::fs::metadata(dir.path().join("c"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o022, 0, "{mode:o}");
        cache.load(&engine, wasm, None).unwrap();
        assert!(!cache.told.load(Ordering::Relaxed));
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

/// The cache directory, if it exists, belongs to this user or to root (who could change
/// this user's files anyway), and only its owner can write to it.
#[cfg(unix)]
fn private(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(()); // not created yet: `store` creates it with mode 0755
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me && meta.uid() != 0 {
        return Err(format!(
            "it belongs to uid {}, not to this user (uid {me}) or root",
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

/// Readable by all, writable by its owner only: artifacts hold no secrets, but what is
/// deserialised runs as native code.
#[cfg(unix)]
fn create_owned_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
}

#[cfg(not(unix))]
fn create_owned_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

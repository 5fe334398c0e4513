//! Host paths the host may read or write on a plugin's behalf: only under allowed roots.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error(
        "`{path}` is outside the allowed roots ({roots}); configure allowed_roots to permit it"
    )]
    Outside { path: String, roots: String },
    #[error("`{0}` does not exist")]
    Missing(String),
    #[error("`{path}`: {reason}")]
    Invalid { path: String, reason: String },
}

/// Canonical directories under which host paths are allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedRoots {
    roots: Vec<PathBuf>,
}

impl AllowedRoots {
    /// Roots that do not exist are dropped with a warning: a path under them cannot exist
    /// either, and a later-created directory must not widen access silently.
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> Self {
        let roots = roots
            .into_iter()
            .filter_map(|r| match r.canonicalize() {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(root = %r.display(), "ignoring allowed root: {e}");
                    None
                }
            })
            .collect();
        AllowedRoots { roots }
    }

    /// An existing path, resolved (symlinks included) and checked to lie under a root.
    /// Relative paths are taken from the first root.
    pub fn existing(&self, path: &str) -> Result<PathBuf, PathError> {
        let joined = self.join(path)?;
        let real = joined
            .canonicalize()
            .map_err(|_| PathError::Missing(path.to_owned()))?;
        self.check(path, real)
    }

    /// A path that may not exist yet (a copy destination): its deepest existing ancestor is
    /// resolved and checked, and the rest may not contain `..`.
    pub fn writable(&self, path: &str) -> Result<PathBuf, PathError> {
        let joined = self.join(path)?;
        let mut existing = joined.as_path();
        let mut rest = Vec::new();
        while !existing.exists() {
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = parent;
                }
                _ => return Err(PathError::Missing(path.to_owned())),
            }
        }
        let mut real = existing
            .canonicalize()
            .map_err(|_| PathError::Missing(path.to_owned()))?;
        for part in rest.into_iter().rev() {
            real.push(part);
        }
        self.check(path, real)
    }

    /// Whether `path`, as written, lies under a root (nothing is resolved).
    pub fn holds(&self, path: &Path) -> bool {
        let written: PathBuf = path.components().collect();
        self.roots.iter().any(|r| written.starts_with(r))
    }

    fn join(&self, path: &str) -> Result<PathBuf, PathError> {
        if path.is_empty() || path.contains('\0') {
            return Err(PathError::Invalid {
                path: path.to_owned(),
                reason: "not a valid path".into(),
            });
        }
        let p = Path::new(path);
        // `..` is refused outright rather than resolved: the caller asked to leave a
        // directory, and resolving it only hides that.
        if p.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(PathError::Invalid {
                path: path.to_owned(),
                reason: "`..` is not allowed in host paths".into(),
            });
        }
        if p.is_absolute() {
            return Ok(p.to_owned());
        }
        match self.roots.first() {
            Some(root) => Ok(root.join(p)),
            None => Err(self.outside(path)),
        }
    }

    fn check(&self, original: &str, real: PathBuf) -> Result<PathBuf, PathError> {
        if self.roots.iter().any(|r| real.starts_with(r)) {
            Ok(real)
        } else {
            Err(self.outside(original))
        }
    }

    fn outside(&self, path: &str) -> PathError {
        let roots = if self.roots.is_empty() {
            "none configured".to_owned()
        } else {
            self.roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        PathError::Outside {
            path: path.to_owned(),
            roots,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, AllowedRoots) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        std::fs::write(dir.path().join("in/file"), "x").unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        let roots = AllowedRoots::new([dir.path().join("in")]);
        (dir, roots)
    }

    #[test]
    fn paths_under_the_root_resolve() {
        let (dir, roots) = setup();
        let root = dir.path().join("in").canonicalize().unwrap();
        assert_eq!(roots.existing("file").unwrap(), root.join("file"));
        assert_eq!(
            roots.existing(root.join("file").to_str().unwrap()).unwrap(),
            root.join("file")
        );
        assert_eq!(roots.writable("new/dir").unwrap(), root.join("new/dir"));
    }

    #[test]
    fn escapes_are_refused() {
        let (dir, roots) = setup();
        assert!(matches!(
            roots.existing("../secret"),
            Err(PathError::Invalid { .. })
        ));
        assert!(matches!(
            roots.writable("a/../../x"),
            Err(PathError::Invalid { .. })
        ));
        let outside = dir.path().join("secret");
        assert!(matches!(
            roots.existing(outside.to_str().unwrap()),
            Err(PathError::Outside { .. })
        ));
        assert!(matches!(
            roots.writable("/etc/wharf-test"),
            Err(PathError::Outside { .. })
        ));
        assert!(matches!(
            roots.existing("missing"),
            Err(PathError::Missing(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let (dir, roots) = setup();
        std::os::unix::fs::symlink(dir.path().join("secret"), dir.path().join("in/link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("in/uplink")).unwrap();
        assert!(matches!(
            roots.existing("link"),
            Err(PathError::Outside { .. })
        ));
        assert!(matches!(
            roots.writable("uplink/x"),
            Err(PathError::Outside { .. })
        ));
    }
}

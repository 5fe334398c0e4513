//! Copies between the allowed host roots and containers: the tar archives Docker speaks are
//! built and unpacked here, by the host, never by a plugin, and never outside the roots.

use crate::engine::{DockerError, ErrorKind};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// What a copy wrote: entries, bytes of file content, and entries skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyReport {
    pub entries: u32,
    pub bytes: u64,
    /// Device files, pipes, and symbolic links pointing outside the copy.
    pub skipped: u32,
}

/// Largest archive copied either way: copies go through memory.
pub const MAX_ARCHIVE: usize = 512 << 20;

fn too_big() -> DockerError {
    crate::engine::too_big(MAX_ARCHIVE)
}

/// The error and its causes: tar's own messages ("failed to unpack `x`") omit the reason.
fn io_err(what: &str, e: &(dyn std::error::Error + 'static)) -> DockerError {
    let mut message = format!("{what}: {e}");
    let mut cause = e.source();
    while let Some(c) = cause {
        message.push_str(&format!(": {c}"));
        cause = c.source();
    }
    DockerError::new(ErrorKind::Engine, message)
}

/// The error [`Capped`] writes fail with, found again by type in whatever wraps it.
#[derive(Debug, thiserror::Error)]
#[error("the archive passed its size limit")]
struct TooLarge;

fn is_too_large(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut at = Some(e);
    while let Some(e) = at {
        if e.is::<TooLarge>()
            || e.downcast_ref::<io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<TooLarge>())
        {
            return true;
        }
        at = e.source();
    }
    false
}

/// Refuses writes past [`MAX_ARCHIVE`] so a huge source fails instead of exhausting memory.
struct Capped(Vec<u8>);

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0.len() + buf.len() > MAX_ARCHIVE {
            return Err(io::Error::other(TooLarge));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A tar of `source` under its own name. Symlinks are archived as links, not followed, so a
/// link inside an allowed root cannot pull in a file from outside it.
pub(crate) fn pack(source: &Path) -> Result<(Vec<u8>, CopyReport), DockerError> {
    let name = source
        .file_name()
        .map(PathBuf::from)
        .ok_or_else(|| DockerError::invalid("cannot copy a filesystem root"))?;
    let mut builder = tar::Builder::new(Capped(Vec::new()));
    builder.follow_symlinks(false);
    let meta = std::fs::symlink_metadata(source).map_err(|e| io_err("reading the source", &e))?;
    let result = if meta.is_dir() {
        builder.append_dir_all(&name, source)
    } else {
        builder.append_path_with_name(source, &name)
    };
    result.map_err(|e| {
        if is_too_large(&e) {
            too_big()
        } else {
            io_err("archiving the source", &e)
        }
    })?;
    let archive = builder
        .into_inner()
        .map_err(|e| io_err("archiving the source", &e))?
        .0;
    let report = count(&archive)?;
    Ok((archive, report))
}

fn count(archive: &[u8]) -> Result<CopyReport, DockerError> {
    let mut report = CopyReport {
        entries: 0,
        bytes: 0,
        skipped: 0,
    };
    let mut a = tar::Archive::new(archive);
    for entry in a.entries().map_err(|e| io_err("reading the archive", &e))? {
        let entry = entry.map_err(|e| io_err("reading the archive", &e))?;
        report.entries += 1;
        if entry.header().entry_type().is_file() {
            report.bytes += entry.size();
        }
    }
    Ok(report)
}

/// Unpack into `dest`, refusing to replace existing files unless `overwrite`. Regular
/// files, directories, hard links and symbolic links that stay inside the copy are written;
/// the tar crate keeps every entry inside `dest`. Directories are written last, deepest
/// first, so a read-only directory does not stop its own contents.
pub(crate) fn unpack(
    archive: &[u8],
    dest: &Path,
    overwrite: bool,
) -> Result<CopyReport, DockerError> {
    let read = |e: io::Error| io_err("reading the archive", &e);
    let mut a = tar::Archive::new(archive);
    for entry in a.entries().map_err(read)? {
        let entry = entry.map_err(read)?;
        let path = entry.path().map_err(read)?.into_owned();
        if path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(DockerError::denied(format!(
                "the container's archive holds an unsafe path `{}`",
                path.display()
            )));
        }
        let target = dest.join(&path);
        if !overwrite && !entry.header().entry_type().is_dir() && target.symlink_metadata().is_ok()
        {
            return Err(DockerError::new(
                ErrorKind::Conflict,
                format!(
                    "`{}` already exists; set overwrite=true to replace it",
                    target.display()
                ),
            ));
        }
    }

    let mut report = CopyReport {
        entries: 0,
        bytes: 0,
        skipped: 0,
    };
    let mut a = tar::Archive::new(archive);
    a.set_preserve_permissions(false);
    a.set_preserve_ownerships(false);
    a.set_unpack_xattrs(false);
    a.set_overwrite(overwrite);
    let mut dirs = Vec::new();
    for entry in a.entries().map_err(read)? {
        let mut entry = entry.map_err(read)?;
        let kind = entry.header().entry_type();
        let wanted = kind.is_file()
            || kind.is_hard_link()
            || kind.is_dir()
            || (kind.is_symlink() && link_stays_inside(&entry));
        if !wanted {
            report.skipped += 1;
            continue;
        }
        if kind.is_dir() {
            dirs.push(entry);
            continue;
        }
        let size = entry.size();
        if entry
            .unpack_in(dest)
            .map_err(|e| io_err("writing the copy", &e))?
        {
            report.entries += 1;
            if kind.is_file() {
                report.bytes += size;
            }
        }
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.path().map(|p| p.into_owned()).unwrap_or_default()));
    for mut dir in dirs {
        if dir
            .unpack_in(dest)
            .map_err(|e| io_err("writing the copy", &e))?
        {
            report.entries += 1;
        }
    }
    Ok(report)
}

/// A symbolic link whose target is relative and does not climb above the copy's top.
fn link_stays_inside(entry: &tar::Entry<'_, &[u8]>) -> bool {
    let (Ok(path), Ok(Some(target))) = (entry.path(), entry.link_name()) else {
        return false;
    };
    let mut depth = path.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => depth -= 1,
            Component::RootDir | Component::Prefix(_) => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn pack_then_unpack_round_trips() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("d")).unwrap();
        std::fs::write(src.path().join("d/a.txt"), "hello").unwrap();
        let (archive, report) = pack(&src.path().join("d")).unwrap();
        assert_eq!((report.entries, report.bytes), (2, 5));
        let dst = tempfile::tempdir().unwrap();
        let r = unpack(&archive, dst.path(), false).unwrap();
        assert_eq!(r.bytes, 5);
        assert_eq!(
            std::fs::read_to_string(dst.path().join("d/a.txt")).unwrap(),
            "hello"
        );
    }

    #[test]
    fn existing_files_are_kept_unless_overwrite() {
        let dst = tempfile::tempdir().unwrap();
        std::fs::write(dst.path().join("f"), "mine").unwrap();
        let archive = tar_of(&[("f", b"theirs")]);
        let e = unpack(&archive, dst.path(), false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Conflict);
        assert!(e.message.contains("set overwrite=true"));
        assert_eq!(
            std::fs::read_to_string(dst.path().join("f")).unwrap(),
            "mine"
        );
        unpack(&archive, dst.path(), true).unwrap();
        assert_eq!(
            std::fs::read_to_string(dst.path().join("f")).unwrap(),
            "theirs"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_archived_not_followed() {
        let src = tempfile::tempdir().unwrap();
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(secret.path(), "secret").unwrap();
        std::fs::create_dir(src.path().join("d")).unwrap();
        std::os::unix::fs::symlink(secret.path(), src.path().join("d/link")).unwrap();
        std::os::unix::fs::symlink("../d/x", src.path().join("d/inside")).unwrap();
        let (archive, report) = pack(&src.path().join("d")).unwrap();
        assert_eq!(report.bytes, 0, "the link's target must not be read");
        assert!(!String::from_utf8_lossy(&archive).contains("secret\0"));
        // Unpacked, the link leading out of the copy is skipped, the one inside is kept.
        let dst = tempfile::tempdir().unwrap();
        let r = unpack(&archive, dst.path(), false).unwrap();
        assert_eq!((r.entries, r.skipped), (2, 1));
        assert!(dst.path().join("d/inside").symlink_metadata().is_ok());
        assert!(dst.path().join("d/link").symlink_metadata().is_err());
    }

    #[cfg(unix)]
    #[test]
    fn read_only_directories_do_not_stop_their_contents() {
        use std::os::unix::fs::PermissionsExt;
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("ro")).unwrap();
        std::fs::write(src.path().join("ro/f"), "x").unwrap();
        std::fs::set_permissions(
            src.path().join("ro"),
            std::fs::Permissions::from_mode(0o555),
        )
        .unwrap();
        let (archive, _) = pack(&src.path().join("ro")).unwrap();
        let dst = tempfile::tempdir().unwrap();
        let r = unpack(&archive, dst.path(), false).unwrap();
        assert_eq!(r.entries, 2);
        assert_eq!(
            std::fs::read_to_string(dst.path().join("ro/f")).unwrap(),
            "x"
        );
    }
}

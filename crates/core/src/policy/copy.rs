//! Copies between the allowed host roots and containers: the tar archives Docker speaks are
//! built and unpacked here, by the host, never by a plugin, and never outside the roots.

use super::tree::{self, Node};
use crate::engine::{DockerError, ErrorKind};
use cap_std::fs::Dir;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

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

/// A tar of the tree `top`, opened beneath its root ([`super::AllowedRoots::open_tree`]),
/// under its own name. Symlinks are archived as links, not followed, so a link inside an
/// allowed root cannot pull in a file from outside it; FIFOs, sockets and devices are left
/// out unopened, and counted as skipped.
pub(crate) fn pack(top: Node, name: &OsStr) -> Result<(Vec<u8>, CopyReport), DockerError> {
    let mut builder = tar::Builder::new(Capped(Vec::new()));
    let mut skipped = 0;
    add(&mut builder, top, Path::new(name), 0, &mut skipped).map_err(|e| {
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
    let mut report = count(&archive)?;
    report.skipped = skipped;
    Ok((archive, report))
}

fn add(
    b: &mut tar::Builder<Capped>,
    node: Node,
    path: &Path,
    depth: usize,
    skipped: &mut u32,
) -> io::Result<()> {
    if depth > tree::MAX_DEPTH {
        return Err(io::Error::other(format!(
            "`{}` is nested more than {} directories deep",
            path.display(),
            tree::MAX_DEPTH
        )));
    }
    if let Node::Other = node {
        *skipped += 1;
        return Ok(());
    }
    let mut h = tree::header(&node, tar::HeaderMode::Complete)?;
    match node {
        Node::Dir(dir) => {
            b.append_data(&mut h, path, io::empty())?;
            for name in tree::names(&dir)? {
                let child = match tree::open(&dir, &name) {
                    Ok(child) => child,
                    // Gone since it was listed: there is nothing to copy.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                add(b, child, &path.join(&name), depth + 1, skipped)?;
            }
        }
        Node::File(file) => {
            let size = h.size()?;
            b.append_data(&mut h, path, tree::exactly(file, size))?;
        }
        Node::Symlink(target) => b.append_link(&mut h, path, target)?,
        Node::Other => {}
    }
    Ok(())
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

/// Unpack into `dest`, a directory opened beneath its root, refusing to replace existing
/// files unless `overwrite`. Regular files, directories, hard links and symbolic links that
/// stay inside the copy are written, each through `dest`'s handle: the kernel resolves every
/// path beneath it, so a symlink swapped in meanwhile cannot lead outside. No entry's path
/// may pass through a symlink (one the archive made, or one already there): whether a link
/// "stays inside" is judged from its path's depth, which a symlinked parent would falsify
/// (`a -> .` then `a/a/s -> ../..` is a link out of the copy). Modes keep their permission
/// bits only (no setuid). Directories the copy created get their modes last, deepest first,
/// so a read-only directory does not stop its own contents; directories already there keep
/// theirs.
pub(crate) fn unpack(
    archive: &[u8],
    dest: &Dir,
    overwrite: bool,
) -> Result<CopyReport, DockerError> {
    let read = |e: io::Error| io_err("reading the archive", &e);
    let write = |e: io::Error| io_err("writing the copy", &e);
    let mut a = tar::Archive::new(archive);
    for entry in a.entries().map_err(read)? {
        let entry = entry.map_err(read)?;
        let path = entry.path().map_err(read)?.into_owned();
        safe(&path)?;
        if let Some(link) = entry.link_name().map_err(read)?
            && entry.header().entry_type().is_hard_link()
        {
            safe(&link)?;
        }
        if !overwrite && !entry.header().entry_type().is_dir() && exists(dest, &path) {
            return Err(DockerError::new(
                ErrorKind::Conflict,
                format!(
                    "`{}` already exists; set overwrite=true to replace it",
                    path.display()
                ),
            ));
        }
    }

    let mut report = CopyReport::default();
    let mut dirs = Vec::new();
    // Every directory this copy made, whichever entry made it: an archive may list a
    // directory after its contents.
    let mut made = std::collections::BTreeSet::new();
    let mut a = tar::Archive::new(archive);
    for entry in a.entries().map_err(read)? {
        let mut entry = entry.map_err(read)?;
        let kind = entry.header().entry_type();
        let path = entry.path().map_err(read)?.into_owned();
        let mode = entry.header().mode().map_err(read)? & 0o777;
        if kind.is_dir() {
            make_dirs(dest, &path, &mut made)?;
            dirs.push((path, mode));
            report.entries += 1;
            continue;
        }
        let wanted = kind.is_file()
            || (kind.is_hard_link() && !links_a_symlink(dest, &entry))
            || (kind.is_symlink() && link_stays_inside(&entry));
        if !wanted {
            report.skipped += 1;
            continue;
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            make_dirs(dest, parent, &mut made)?;
        }
        if overwrite && exists(dest, &path) {
            // Replaced, never written through: what is there may be a symlink.
            dest.remove_file(&path).map_err(write)?;
        }
        if kind.is_symlink() {
            let target = entry.link_name().map_err(read)?.unwrap_or_default();
            dest.symlink(&target, &path).map_err(write)?;
        } else if kind.is_hard_link() {
            let link = entry.link_name().map_err(read)?.unwrap_or_default();
            dest.hard_link(&link, dest, &path).map_err(write)?;
        } else {
            let mut options = cap_std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            let mut file = dest.open_with(&path, &options).map_err(write)?.into_std();
            report.bytes += io::copy(&mut entry, &mut file).map_err(write)?;
            file.set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(write)?;
            // A time past what the clock can hold is left as it is: not a reason to fail.
            if let Some(mtime) = entry
                .header()
                .mtime()
                .ok()
                .and_then(|t| std::time::UNIX_EPOCH.checked_add(Duration::from_secs(t)))
            {
                let _ = file.set_modified(mtime);
            }
        }
        report.entries += 1;
    }
    dirs.retain(|(path, _)| made.contains(&normal(path)));
    dirs.sort_by(|a, b| b.0.cmp(&a.0));
    for (path, mode) in dirs {
        dest.set_permissions(
            &path,
            cap_std::fs::Permissions::from_std(std::fs::Permissions::from_mode(mode)),
        )
        .map_err(write)?;
    }
    Ok(report)
}

/// Make each missing directory of `path` beneath `dest`, recording it in `made`, and
/// refuse a component that is there as anything but a directory.
fn make_dirs(dest: &Dir, path: &Path, made: &mut BTreeSet<PathBuf>) -> Result<(), DockerError> {
    let mut at = PathBuf::new();
    for c in path.components() {
        if matches!(c, Component::CurDir) {
            continue;
        }
        at.push(c);
        match dest.symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(DockerError::denied(format!(
                    "the copy would pass through `{}`, which is not a directory \
                     (a symlink is never followed)",
                    at.display()
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                dest.create_dir(&at)
                    .map_err(|e| io_err("writing the copy", &e))?;
                made.insert(at.clone());
            }
            Err(e) => return Err(io_err("writing the copy", &e)),
        }
    }
    Ok(())
}

/// `path` without its `.` components, as [`make_dirs`] records it.
fn normal(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// A path of the container's archive must stay where it is unpacked.
fn safe(path: &Path) -> Result<(), DockerError> {
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(DockerError::denied(format!(
            "the container's archive holds an unsafe path `{}`",
            path.display()
        )));
    }
    Ok(())
}

fn exists(dest: &Dir, path: &Path) -> bool {
    dest.symlink_metadata(path).is_ok()
}

/// Whether a hard link would give a symlink a second name. `linkat` does not follow the
/// symlink, so the new name is the symlink itself at another depth, where what it points
/// at is judged anew: `d/e/s -> ../..` stays inside, `t` linked to it would not.
fn links_a_symlink(dest: &Dir, entry: &tar::Entry<'_, &[u8]>) -> bool {
    match entry.link_name() {
        Ok(Some(to)) => dest.symlink_metadata(&to).is_ok_and(|m| m.is_symlink()),
        _ => true,
    }
}

/// A symbolic link whose target is relative and does not climb above the copy's top.
fn link_stays_inside(entry: &tar::Entry<'_, &[u8]>) -> bool {
    let (Ok(path), Ok(Some(target))) = (entry.path(), entry.link_name()) else {
        return false;
    };
    // Only names count: a leading `./` is no level (`./s -> ..` is at the top).
    let names = path
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    let mut depth = names as i64 - 1;
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

    fn open(dir: &Path) -> Dir {
        Dir::open_ambient_dir(dir, cap_std::ambient_authority()).unwrap()
    }

    /// `pack` of `path`, opened as the guard opens it, beneath its parent.
    fn pack_path(path: &Path) -> Result<(Vec<u8>, CopyReport), DockerError> {
        let parent = cap_std::fs::Dir::open_ambient_dir(
            path.parent().unwrap(),
            cap_std::ambient_authority(),
        )
        .unwrap();
        let name = path.file_name().unwrap();
        pack(tree::open(&parent, name).unwrap(), name)
    }

    #[test]
    fn a_pipe_in_the_tree_is_skipped_without_blocking() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("d")).unwrap();
        std::fs::write(src.path().join("d/a.txt"), "hello").unwrap();
        let fifo = std::ffi::CString::new(src.path().join("d/pipe").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let (archive, report) = pack_path(&src.path().join("d")).unwrap();
        assert_eq!((report.entries, report.bytes, report.skipped), (2, 5, 1));
        let mut a = tar::Archive::new(archive.as_slice());
        let names: Vec<String> = a
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["d", "d/a.txt"]);
    }

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
    fn a_symlink_in_the_destination_never_leads_outside() {
        let outside = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dst.path().join("esc")).unwrap();
        let archive = tar_of(&[("esc/f", b"x")]);
        for overwrite in [false, true] {
            let e = unpack(&archive, &open(dst.path()), overwrite).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Denied, "{e:?}");
            assert!(e.message.contains("pass through `esc`"), "{e:?}");
        }
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        assert!(dst.path().join("esc").is_symlink(), "left as it was");
    }

    fn tar_with_links(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, target) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            b.append_link(&mut h, name, target).unwrap();
        }
        b.into_inner().unwrap()
    }

    /// `a/a/s -> ../..` looks two levels deep, so its target looks inside; through `a -> .`
    /// it lies at the top, and the link leads out of the copy.
    #[test]
    fn a_link_made_through_a_link_the_archive_made_is_refused() {
        let dst = tempfile::tempdir().unwrap();
        let archive = tar_with_links(&[("a", "."), ("a/a/s", "../..")]);
        let e = unpack(&archive, &open(dst.path()), false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Denied, "{e:?}");
        assert!(e.message.contains("pass through `a`"), "{e:?}");
        assert!(dst.path().join("s").symlink_metadata().is_err());
        assert!(
            dst.path().join("a").is_symlink(),
            "the harmless link is kept"
        );
    }

    /// `./s` lies at the top however its path is spelled; `..` from there leads out.
    #[test]
    fn a_link_spelled_with_a_leading_dot_is_judged_at_its_real_depth() {
        let dst = tempfile::tempdir().unwrap();
        // Written raw: the tar builder would drop the `./` a hostile archive keeps.
        let mut b = tar::Builder::new(Vec::new());
        for (name, target) in [("./s", ".."), ("./d/t", "..")] {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            h.set_link_name(target).unwrap();
            h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, io::empty()).unwrap();
        }
        let archive = b.into_inner().unwrap();
        let r = unpack(&archive, &open(dst.path()), false).unwrap();
        assert_eq!((r.entries, r.skipped), (1, 1));
        assert!(dst.path().join("s").symlink_metadata().is_err());
        assert!(
            dst.path().join("d/t").is_symlink(),
            "one level down, `..` stays inside"
        );
    }

    /// A hard link names the symlink itself, not what it points at: `d/e/s -> ../..` stays
    /// inside, the same link as `t` at the top would not.
    #[test]
    fn a_hard_link_never_moves_a_symlink_to_another_depth() {
        let dst = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, "d/e/s", "../..").unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Link);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, "t", "d/e/s").unwrap();
        let r = unpack(&b.into_inner().unwrap(), &open(dst.path()), false).unwrap();
        assert_eq!((r.entries, r.skipped), (1, 1));
        assert!(dst.path().join("d/e/s").is_symlink());
        assert!(dst.path().join("t").symlink_metadata().is_err());
    }

    #[test]
    fn a_directory_already_there_keeps_its_mode() {
        let dst = tempfile::tempdir().unwrap();
        std::fs::create_dir(dst.path().join("d")).unwrap();
        std::fs::set_permissions(dst.path().join("d"), std::fs::Permissions::from_mode(0o750))
            .unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_data(&mut h, "d", io::empty()).unwrap();
        // Listed after its contents, as an archive may: still made by the copy, so it
        // still gets its mode.
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(0);
        h.set_mode(0o600);
        b.append_data(&mut h, "d/new/f", io::empty()).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_mode(0o700);
        b.append_data(&mut h, "d/new", io::empty()).unwrap();
        unpack(&b.into_inner().unwrap(), &open(dst.path()), false).unwrap();
        let mode = |p: &str| {
            std::fs::metadata(dst.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("d"), 0o750);
        assert_eq!(mode("d/new"), 0o700);
    }

    #[test]
    fn pack_then_unpack_round_trips() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("d")).unwrap();
        std::fs::write(src.path().join("d/a.txt"), "hello").unwrap();
        let (archive, report) = pack_path(&src.path().join("d")).unwrap();
        assert_eq!((report.entries, report.bytes), (2, 5));
        let dst = tempfile::tempdir().unwrap();
        let r = unpack(&archive, &open(dst.path()), false).unwrap();
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
        let e = unpack(&archive, &open(dst.path()), false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Conflict);
        assert!(e.message.contains("set overwrite=true"));
        assert_eq!(
            std::fs::read_to_string(dst.path().join("f")).unwrap(),
            "mine"
        );
        unpack(&archive, &open(dst.path()), true).unwrap();
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
        let (archive, report) = pack_path(&src.path().join("d")).unwrap();
        assert_eq!(report.bytes, 0, "the link's target must not be read");
        assert!(!String::from_utf8_lossy(&archive).contains("secret\0"));
        // Unpacked, the link leading out of the copy is skipped, the one inside is kept.
        let dst = tempfile::tempdir().unwrap();
        let r = unpack(&archive, &open(dst.path()), false).unwrap();
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
        let (archive, _) = pack_path(&src.path().join("ro")).unwrap();
        let dst = tempfile::tempdir().unwrap();
        let r = unpack(&archive, &open(dst.path()), false).unwrap();
        assert_eq!(r.entries, 2);
        assert_eq!(
            std::fs::read_to_string(dst.path().join("ro/f")).unwrap(),
            "x"
        );
    }
}

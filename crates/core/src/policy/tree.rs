//! Host trees read beneath a directory handle: what copies into containers and build
//! contexts archive.
//!
//! A tree is walked by handle, one directory at a time, never by re-opening a path: each
//! directory and file is opened relative to its parent's handle without following a
//! symlink, so a directory swapped for a symlink mid-walk (by a container writing the tree
//! through a bind) fails that open instead of leading outside. Symlinks are archived as
//! links. FIFOs, sockets and devices are left out without being opened.

use cap_std::fs::Dir;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::path::Path;

/// Deeper trees than this are refused: it bounds the walk's handles and stack.
pub(crate) const MAX_DEPTH: usize = 128;

/// What an entry of a tree is, as its handle shows it.
pub(crate) enum Node {
    Dir(Dir),
    File(File),
    Symlink(std::path::PathBuf),
    /// A FIFO, socket or device: never opened.
    Other,
}

fn options() -> cap_std::fs::OpenOptions {
    let mut options = cap_std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    options
}

/// Times an entry is looked at again when it changes between a look and its open.
const ATTEMPTS: usize = 8;

/// `name` in `parent`, opened without following a symlink. Its type is looked at before
/// anything is opened (opening a device has effects of its own) and again on the handle.
/// An entry swapped for something else between the two (a directory for a symlink, say) is
/// taken as what it is now: looked at again, a few times.
pub(crate) fn open(parent: &Dir, name: &OsStr) -> io::Result<Node> {
    for _ in 0..ATTEMPTS {
        let kind = parent.symlink_metadata(name)?.file_type();
        if kind.is_symlink() {
            match parent.read_link_contents(name) {
                Ok(target) => return Ok(Node::Symlink(target)),
                Err(_) if changed(parent, name, kind) => continue,
                Err(e) => return Err(e),
            }
        }
        if !kind.is_dir() && !kind.is_file() {
            return Ok(Node::Other);
        }
        let opened = match parent.open_with(name, &options()) {
            Ok(opened) => opened.into_std(),
            Err(_) if changed(parent, name, kind) => continue,
            Err(e) => return Err(e),
        };
        let now = opened.metadata()?;
        return Ok(if now.is_dir() {
            Node::Dir(Dir::from_std_file(opened))
        } else if now.is_file() {
            Node::File(opened)
        } else {
            // Swapped for a pipe or a device since it was looked at: closed unread.
            Node::Other
        });
    }
    Err(io::Error::other(format!(
        "`{}` kept changing while it was read",
        Path::new(name).display()
    )))
}

/// Whether `name` is no longer of type `was`.
fn changed(parent: &Dir, name: &OsStr, was: cap_std::fs::FileType) -> bool {
    parent
        .symlink_metadata(name)
        .is_ok_and(|m| m.file_type() != was)
}

/// The names in `dir`, in order: the same tree gives the same archive.
pub(crate) fn names(dir: &Dir) -> io::Result<Vec<std::ffi::OsString>> {
    let mut names = dir
        .entries()?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

/// `file`'s first `size` bytes, zeros after its end: a file that shrinks while it is
/// archived still fills the size its header gave, so the archive stays whole.
pub(crate) fn exactly(file: File, size: u64) -> impl io::Read {
    use io::Read;
    file.take(size).chain(io::repeat(0)).take(size)
}

/// A tar header for `node`, with its metadata as the handle gives it.
pub(crate) fn header(node: &Node, mode: tar::HeaderMode) -> io::Result<tar::Header> {
    let mut h = tar::Header::new_gnu();
    match node {
        Node::Dir(dir) => {
            let meta = dir.try_clone()?.into_std_file().metadata()?;
            h.set_metadata_in_mode(&meta, mode);
        }
        Node::File(file) => h.set_metadata_in_mode(&file.metadata()?, mode),
        Node::Symlink(_) => {
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_mode(0o777);
            h.set_size(0);
        }
        Node::Other => return Err(io::Error::other("not archived")),
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(dir: &Path) -> Dir {
        Dir::open_ambient_dir(dir, cap_std::ambient_authority()).unwrap()
    }

    #[test]
    fn entries_open_without_following_and_a_fifo_is_never_opened() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("d")).unwrap();
        std::fs::write(t.path().join("f"), "x").unwrap();
        std::os::unix::fs::symlink("/etc", t.path().join("l")).unwrap();
        let fifo = std::ffi::CString::new(t.path().join("p").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let dir = root(t.path());
        assert_eq!(names(&dir).unwrap(), ["d", "f", "l", "p"]);
        assert!(matches!(open(&dir, "d".as_ref()).unwrap(), Node::Dir(_)));
        assert!(matches!(open(&dir, "f".as_ref()).unwrap(), Node::File(_)));
        match open(&dir, "l".as_ref()).unwrap() {
            Node::Symlink(target) => assert_eq!(target, Path::new("/etc")),
            _ => panic!("a symlink is archived as a link"),
        }
        assert!(matches!(open(&dir, "p".as_ref()).unwrap(), Node::Other));
    }
}

//! The tar a build sends: a context directory (minus what `.dockerignore` leaves out), an
//! inline Dockerfile and inline files.
//!
//! The tar is spooled to an anonymous temporary file, not memory, so a large context costs
//! disk for the build's duration, never the host's heap.

use super::dockerignore::DockerIgnore;
use super::tree::{self, Node};
use crate::engine::DockerError;
use cap_std::fs::Dir;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Component, Path};

/// The Dockerfile name used for an inline Dockerfile that goes with a context directory.
const INLINE_DOCKERFILE: &str = ".wharf.Dockerfile";

/// What to put in the context.
pub struct Spec<'a> {
    /// The context directory, opened beneath its root: walked by handle (`super::tree`).
    pub dir: Option<&'a Dir>,
    pub dockerfile: Option<&'a str>,
    pub dockerfile_path: Option<&'a str>,
    pub files: &'a [(String, Vec<u8>)],
}

/// A packed context, rewound to its start.
pub struct Packed {
    pub tar: File,
    /// The Dockerfile's path inside the context.
    pub dockerfile: String,
    pub entries: u64,
    pub bytes: u64,
}

fn io(what: &str, e: impl std::fmt::Display) -> DockerError {
    DockerError::invalid(format!("build context: {what}: {e}"))
}

/// Check an inline file's path: relative, inside the context.
fn inline_path(path: &str) -> Result<String, DockerError> {
    let p = Path::new(path);
    let ok = !path.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !ok {
        return Err(DockerError::invalid(format!(
            "file path `{path}` must be relative and stay inside the build context"
        )));
    }
    Ok(p.components()
        .filter_map(|c| match c {
            Component::Normal(n) => n.to_str(),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/"))
}

pub fn pack(spec: &Spec<'_>) -> Result<Packed, DockerError> {
    if spec.dir.is_none() && spec.dockerfile.is_none() {
        return Err(DockerError::invalid(
            "give a context directory, a Dockerfile, or both",
        ));
    }
    let inline: Vec<(String, &[u8])> = spec
        .files
        .iter()
        .map(|(p, c)| Ok((inline_path(p)?, c.as_slice())))
        .collect::<Result<_, DockerError>>()?;
    let dockerfile = match (spec.dir, spec.dockerfile, spec.dockerfile_path) {
        (Some(_), Some(_), _) => INLINE_DOCKERFILE.to_owned(),
        (_, _, Some(p)) => inline_path(p)?,
        _ => "Dockerfile".to_owned(),
    };
    let file = tempfile::tempfile().map_err(|e| io("cannot create a temporary file", e))?;
    let mut tar = tar::Builder::new(file);
    tar.follow_symlinks(false);
    let mut counts = (0u64, 0u64);
    let replaced: BTreeSet<&str> = inline.iter().map(|(p, _)| p.as_str()).collect();
    if let Some(dir) = spec.dir {
        let ignore = match tree::open(dir, ".dockerignore".as_ref()) {
            Ok(Node::File(mut file)) => {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut file, &mut text)
                    .map_err(|e| io("cannot read .dockerignore", e))?;
                DockerIgnore::parse(&text).map_err(|e| DockerError::invalid(e.to_string()))?
            }
            Ok(_) => return Err(io("cannot read .dockerignore", "not a regular file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DockerIgnore::default(),
            Err(e) => return Err(io("cannot read .dockerignore", e)),
        };
        let walk = Walk {
            ignore: &ignore,
            // The Docker CLI always sends these, whatever .dockerignore says.
            keep: [dockerfile.as_str(), ".dockerignore"],
            replaced: &replaced,
        };
        walk.dir(&mut tar, dir, "", 0, &mut counts)?;
    }
    if let Some(text) = spec.dockerfile {
        append(&mut tar, &dockerfile, text.as_bytes(), &mut counts)?;
    }
    for (path, content) in &inline {
        // The inline Dockerfile, when there is one, wins over a file of the same name.
        if spec.dockerfile.is_none() || *path != dockerfile {
            append(&mut tar, path, content, &mut counts)?;
        }
    }
    let mut file = tar
        .into_inner()
        .map_err(|e| io("cannot write the context", e))?;
    file.flush()
        .map_err(|e| io("cannot write the context", e))?;
    file.rewind()
        .map_err(|e| io("cannot write the context", e))?;
    Ok(Packed {
        tar: file,
        dockerfile,
        entries: counts.0,
        bytes: counts.1,
    })
}

fn append(
    tar: &mut tar::Builder<File>,
    path: &str,
    content: &[u8],
    counts: &mut (u64, u64),
) -> Result<(), DockerError> {
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mtime(0);
    tar.append_data(&mut h, path, content)
        .map_err(|e| io(&format!("cannot add `{path}`"), e))?;
    counts.0 += 1;
    counts.1 += content.len() as u64;
    Ok(())
}

struct Walk<'a> {
    ignore: &'a DockerIgnore,
    keep: [&'a str; 2],
    replaced: &'a BTreeSet<&'a str>,
}

impl Walk<'_> {
    fn dir(
        &self,
        tar: &mut tar::Builder<File>,
        dir: &Dir,
        prefix: &str,
        depth: usize,
        counts: &mut (u64, u64),
    ) -> Result<(), DockerError> {
        let at = |what: &str| match prefix.is_empty() {
            true => what.to_owned(),
            false => format!("{prefix}/{what}"),
        };
        if depth > tree::MAX_DEPTH {
            return Err(io(
                &at(""),
                format!("nested more than {} directories deep", tree::MAX_DEPTH),
            ));
        }
        let names = tree::names(dir).map_err(|e| io(&format!("cannot read {}", at(".")), e))?;
        for name in names {
            let Some(name) = name.to_str().map(str::to_owned) else {
                return Err(io(&at(&name.to_string_lossy()), "file names must be UTF-8"));
            };
            let rel = at(&name);
            let read = |e: std::io::Error| io(&format!("cannot read {rel}"), e);
            let excluded = self.ignore.excludes(&rel) && !self.keep.contains(&rel.as_str());
            // Only an excluded directory may hold re-included paths. What an entry is, and so
            // whether it is sent, is judged from the inode held, never from a first look by
            // name, which a directory could answer and a file swapped in for it could follow.
            // What is not sent is not opened, so an unreadable excluded file is no error.
            if excluded && !self.ignore.has_exceptions() {
                continue;
            }
            let wanted = |kind: &std::fs::FileType| {
                kind.is_dir() || !(excluded || self.replaced.contains(rel.as_str()))
            };
            match tree::open_if(dir, name.as_ref(), wanted) {
                Ok(None) => {}
                Ok(Some(Node::Dir(sub))) => {
                    if !excluded {
                        let h = tree::header(&Node::Dir(sub.try_clone().map_err(read)?), MODE)
                            .map_err(read)?;
                        self.add(tar, h, None, &rel, counts)?;
                    }
                    self.dir(tar, &sub, &rel, depth + 1, counts)?;
                }
                Ok(Some(node @ (Node::File(_) | Node::Symlink(_)))) => {
                    let h = tree::header(&node, MODE).map_err(read)?;
                    self.add(tar, h, Some(node), &rel, counts)?;
                }
                // Sockets, pipes and devices have no place in an image; Docker skips them too.
                Ok(Some(Node::Other)) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(read(e)),
            }
        }
        Ok(())
    }

    /// Append `node` (none for a directory) at `rel` with header `h`.
    fn add(
        &self,
        tar: &mut tar::Builder<File>,
        mut h: tar::Header,
        node: Option<Node>,
        rel: &str,
        counts: &mut (u64, u64),
    ) -> Result<(), DockerError> {
        // The CLI sends the context as root-owned; the builder's COPY relies on that.
        h.set_uid(0);
        h.set_gid(0);
        let _ = h.set_username("");
        let _ = h.set_groupname("");
        let err = |e: std::io::Error| io(&format!("cannot add {rel}"), e);
        match node {
            Some(Node::Symlink(target)) => tar.append_link(&mut h, rel, target).map_err(err)?,
            Some(Node::File(file)) => {
                let size = h.size().map_err(err)?;
                tar.append_data(&mut h, rel, tree::exactly(file, size))
                    .map_err(err)?;
                counts.1 += size;
            }
            _ => tar
                .append_data(&mut h, rel, std::io::empty())
                .map_err(err)?,
        }
        counts.0 += 1;
        Ok(())
    }
}

/// Headers as the Docker CLI makes them: modes and times kept, owners made root's.
const MODE: tar::HeaderMode = tar::HeaderMode::Complete;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn names(packed: Packed) -> Vec<String> {
        let mut a = tar::Archive::new(packed.tar);
        a.entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_context_directory_honours_dockerignore() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM x\n").unwrap();
        std::fs::write(d.join(".dockerignore"), "secret*\nDockerfile\nlogs\n").unwrap();
        std::fs::write(d.join("app.txt"), "app").unwrap();
        std::fs::write(d.join("secret.key"), "k").unwrap();
        std::fs::create_dir(d.join("logs")).unwrap();
        std::fs::write(d.join("logs/a.log"), "l").unwrap();
        // A pipe is skipped without being opened: opening it would block.
        let fifo = std::ffi::CString::new(d.join("pipe").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let d = Dir::open_ambient_dir(d, cap_std::ambient_authority()).unwrap();
        let packed = pack(&Spec {
            dir: Some(&d),
            dockerfile: None,
            dockerfile_path: None,
            files: &[],
        })
        .unwrap();
        assert_eq!(packed.dockerfile, "Dockerfile");
        assert_eq!(names(packed), [".dockerignore", "Dockerfile", "app.txt"]);
    }

    #[test]
    fn inline_dockerfile_and_files() {
        let files = vec![("conf/app.ini".to_owned(), b"x=1".to_vec())];
        let packed = pack(&Spec {
            dir: None,
            dockerfile: Some("FROM x\nCOPY conf /conf\n"),
            dockerfile_path: None,
            files: &files,
        })
        .unwrap();
        assert_eq!(packed.entries, 2);
        let mut a = tar::Archive::new(packed.tar);
        let mut seen = Vec::new();
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            seen.push((e.path().unwrap().to_string_lossy().into_owned(), s));
        }
        assert_eq!(seen[0].0, "Dockerfile");
        assert_eq!(seen[1], ("conf/app.ini".to_owned(), "x=1".to_owned()));
    }

    #[test]
    fn inline_paths_stay_inside() {
        for bad in ["../x", "/etc/passwd", "", "a/../../b"] {
            let files = vec![(bad.to_owned(), Vec::new())];
            let e = pack(&Spec {
                dir: None,
                dockerfile: Some("FROM x"),
                dockerfile_path: None,
                files: &files,
            })
            .err()
            .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(e.message.contains("stay inside"), "{e}");
        }
        assert!(
            pack(&Spec {
                dir: None,
                dockerfile: None,
                dockerfile_path: None,
                files: &[]
            })
            .is_err()
        );
    }
}

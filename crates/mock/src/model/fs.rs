//! A container's (or an image's) files, kept in memory: what `copy-in` writes, `copy-out`
//! reads, COPY in a build adds, and the built-in `cat` and `ls` of exec show.

use super::{invalid, not_found};
use std::collections::BTreeMap;
use wharf_core::engine::DockerError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    File { data: Vec<u8>, mode: u32 },
    Dir { mode: u32 },
    Symlink { target: String },
}

/// Absolute, normalized paths (`/etc/hosts`) to nodes; `/` always exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fs {
    nodes: BTreeMap<String, Node>,
}

impl Default for Fs {
    /// The directories every Linux image has.
    fn default() -> Self {
        let mut fs = Fs {
            nodes: BTreeMap::new(),
        };
        for d in [
            "/", "/bin", "/etc", "/home", "/root", "/tmp", "/usr", "/var",
        ] {
            fs.nodes.insert(d.to_owned(), Node::Dir { mode: 0o755 });
        }
        fs
    }
}

/// `p` made absolute and free of `.`, `..` and repeated slashes; `..` never climbs above `/`.
pub(crate) fn normalize(p: &str, cwd: &str) -> String {
    let joined = if p.starts_with('/') {
        p.to_owned()
    } else {
        format!("{cwd}/{p}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &p[..i],
    }
}

impl Fs {
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.nodes.get(path), Some(Node::Dir { .. }))
    }

    /// Write a file, creating its parent directories as `mkdir -p` would.
    pub fn write(&mut self, path: &str, data: Vec<u8>, mode: u32) {
        let path = normalize(path, "/");
        self.mkdir_p(parent(&path));
        self.nodes.insert(path, Node::File { data, mode });
    }

    pub fn mkdir_p(&mut self, path: &str) {
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at.push('/');
            at.push_str(part);
            self.nodes
                .entry(at.clone())
                .or_insert(Node::Dir { mode: 0o755 });
        }
    }

    /// Everything under the directory `dir`, by path relative to it.
    pub fn walk(&self, dir: &str) -> Vec<(String, &Node)> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, n)| (p[prefix.len()..].to_owned(), n))
            .collect()
    }

    /// Put a node at `path`, creating its parents.
    pub fn put(&mut self, path: &str, node: Node) {
        let path = normalize(path, "/");
        self.mkdir_p(parent(&path));
        match node {
            Node::Dir { .. } => self.mkdir_p(&path),
            node => {
                self.nodes.insert(path, node);
            }
        }
    }

    /// Bytes of file content.
    pub fn bytes(&self) -> u64 {
        self.nodes
            .values()
            .map(|n| match n {
                Node::File { data, .. } => data.len() as u64,
                _ => 0,
            })
            .sum()
    }

    /// The names directly inside `dir`.
    pub fn list(&self, dir: &str) -> Vec<String> {
        let prefix = if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| !p[prefix.len()..].contains('/') && p.len() > prefix.len())
            .map(|(p, _)| p[prefix.len()..].to_owned())
            .collect()
    }

    /// Unpack a tar (as `PUT /containers/{id}/archive` receives it) into the existing
    /// directory `dir`; `what` names the container for the engine's not-found message.
    pub fn unpack_into(
        &mut self,
        dir: &str,
        archive: &[u8],
        what: &str,
    ) -> Result<(), DockerError> {
        let dir = normalize(dir, "/");
        if !self.is_dir(&dir) {
            return Err(not_found(format!(
                "Could not find the file {dir} in container {what}"
            )));
        }
        let read = |e: std::io::Error| invalid(format!("the archive is not a tar: {e}"));
        let mut a = tar::Archive::new(archive);
        for entry in a.entries().map_err(read)? {
            let mut entry = entry.map_err(read)?;
            let rel = entry.path().map_err(read)?.to_string_lossy().into_owned();
            let path = normalize(&rel, &dir);
            let mode = entry.header().mode().unwrap_or(0o644);
            let kind = entry.header().entry_type();
            if kind.is_dir() {
                self.mkdir_p(&path);
            } else if kind.is_symlink() {
                let target = entry
                    .link_name()
                    .map_err(read)?
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                self.mkdir_p(parent(&path));
                self.nodes.insert(path, Node::Symlink { target });
            } else if kind.is_file() {
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut data).map_err(read)?;
                self.write(&path, data, mode);
            }
        }
        Ok(())
    }

    /// A tar of `path` (a file or a directory and everything under it) under its own name,
    /// as `GET /containers/{id}/archive` answers.
    pub fn pack(&self, path: &str, what: &str) -> Result<Vec<u8>, DockerError> {
        let path = normalize(path, "/");
        let missing = || {
            not_found(format!(
                "Could not find the file {path} in container {what}"
            ))
        };
        let top = self.nodes.get(&path).ok_or_else(missing)?;
        let base = path
            .rsplit('/')
            .next()
            .filter(|b| !b.is_empty())
            .unwrap_or(".");
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |name: &str, node: &Node| -> std::io::Result<()> {
            let mut h = tar::Header::new_gnu();
            match node {
                Node::File { data, mode } => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(data.len() as u64);
                    h.set_mode(*mode);
                    h.set_cksum();
                    b.append_data(&mut h, name, data.as_slice())
                }
                Node::Dir { mode } => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    h.set_mode(*mode);
                    h.set_cksum();
                    b.append_data(&mut h, name, std::io::empty())
                }
                Node::Symlink { target } => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_size(0);
                    h.set_mode(0o777);
                    b.append_link(&mut h, name, target)
                }
            }
        };
        let io = |e: std::io::Error| invalid(format!("cannot archive {path}: {e}"));
        add(base, top).map_err(io)?;
        if matches!(top, Node::Dir { .. }) {
            let prefix = if path == "/" {
                "/".to_owned()
            } else {
                format!("{path}/")
            };
            for (p, node) in self.nodes.range(prefix.clone()..) {
                if !p.starts_with(&prefix) {
                    break;
                }
                add(&format!("{base}/{}", &p[prefix.len()..]), node).map_err(io)?;
            }
        }
        b.into_inner().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_without_climbing_out() {
        assert_eq!(normalize("a/../../b/./c", "/x"), "/b/c");
        assert_eq!(normalize("/", "/x"), "/");
        assert_eq!(normalize("//etc//hosts", "/"), "/etc/hosts");
    }

    #[test]
    fn a_directory_round_trips_through_tar() {
        let mut fs = Fs::default();
        fs.write("/srv/app/a.txt", b"hello".to_vec(), 0o644);
        fs.write("/srv/app/sub/b.txt", b"b".to_vec(), 0o600);
        let tar = fs.pack("/srv/app", "c1").unwrap();
        let mut other = Fs::default();
        other.unpack_into("/tmp", &tar, "c2").unwrap();
        assert_eq!(
            other.get("/tmp/app/a.txt"),
            Some(&Node::File {
                data: b"hello".to_vec(),
                mode: 0o644
            })
        );
        assert!(other.is_dir("/tmp/app/sub"));
        assert_eq!(other.list("/tmp/app"), ["a.txt", "sub"]);
    }

    #[test]
    fn missing_paths_are_the_engines_not_found() {
        let fs = Fs::default();
        let e = fs.pack("/nope", "web").unwrap_err();
        assert_eq!(e.message, "Could not find the file /nope in container web");
        let e = Fs::default().unpack_into("/nope", &[], "web").unwrap_err();
        assert_eq!(e.kind, wharf_core::engine::ErrorKind::NotFound);
    }
}

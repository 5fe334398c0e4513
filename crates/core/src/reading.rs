//! The `read-files` capability (`wharf:files/read`): the text of host files under the
//! allowed roots, for plugins whose input is files (compose projects, env files).

use crate::policy::{AllowedRoots, PathError};
use crate::runtime::bindings::wharf::files::read::{self as r, ErrorKind, FileError};
use crate::runtime::state::CallState;
use wasmtime::component::HasData;

/// The largest file a plugin may read: it lands in the plugin's memory.
const MAX_BYTES: u32 = 8 << 20;

pub struct ReadHost<'a> {
    roots: &'a AllowedRoots,
}

/// Marker for `add_to_linker`.
pub struct ReadData;

impl HasData for ReadData {
    type Data<'a> = ReadHost<'a>;
}

impl ReadData {
    pub fn view(s: &mut CallState) -> ReadHost<'_> {
        ReadHost {
            roots: &s.services.roots,
        }
    }
}

fn path_error(e: PathError) -> FileError {
    let kind = match e {
        PathError::Missing(_) => ErrorKind::NotFound,
        PathError::Outside { .. } => ErrorKind::Denied,
        PathError::Invalid { .. } => ErrorKind::Invalid,
    };
    FileError {
        kind,
        message: e.to_string(),
    }
}

fn error(kind: ErrorKind, message: String) -> FileError {
    FileError { kind, message }
}

impl ReadHost<'_> {
    fn read(&self, path: &str, max_bytes: u32) -> Result<String, FileError> {
        use std::io::Read;
        // Beneath its root, by handle: never outside it, never a FIFO.
        let file = self.roots.open_file(path).map_err(path_error)?;
        let meta = file
            .metadata()
            .map_err(|e| error(ErrorKind::Invalid, format!("cannot read {path}: {e}")))?;
        let limit = u64::from(max_bytes.min(MAX_BYTES));
        if meta.len() > limit {
            return Err(error(
                ErrorKind::TooLarge,
                format!(
                    "{path} is {} bytes, more than the {limit} allowed",
                    meta.len()
                ),
            ));
        }
        let mut bytes = Vec::new();
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| error(ErrorKind::Invalid, format!("cannot read {path}: {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(error(
                ErrorKind::TooLarge,
                format!("{path} grew past the {limit} bytes allowed while it was read"),
            ));
        }
        String::from_utf8(bytes)
            .map_err(|_| error(ErrorKind::Invalid, format!("{path} is not UTF-8 text")))
    }
}

impl r::Host for ReadHost<'_> {
    async fn read_text(
        &mut self,
        path: String,
        max_bytes: u32,
    ) -> wasmtime::Result<Result<String, FileError>> {
        // Blocking reads of small files: the size was checked first.
        Ok(self.read(&path, max_bytes))
    }

    async fn canonical(&mut self, path: String) -> wasmtime::Result<Result<String, FileError>> {
        Ok(self
            .roots
            .existing(&path)
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(path_error))
    }
}

//! The host side every capability interface shares: [`DockerHost`], the view of a call's
//! state the generated bindings call into, and the conversions to WIT.

use super::{DockerError, Engine};
use crate::engine::Kind;
use crate::policy::AllowedRoots;
use crate::runtime::bindings::wharf::docker::types;
use crate::runtime::state::CallState;
use std::collections::HashMap;
use wasmtime::component::{HasData, Resource, ResourceTable};

pub(super) type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

/// The host side of the Docker capabilities, borrowed from a call's store.
pub struct DockerHost<'a> {
    pub(super) engine: &'a Engine,
    pub(super) roots: &'a AllowedRoots,
    pub(super) credentials: &'a super::CredentialStore,
    pub(super) table: &'a mut ResourceTable,
    pub(super) read_only: bool,
    pub(super) scope: Option<&'a crate::policy::Scope>,
    pub(super) allow: &'a crate::policy::CreateAllowances,
}

/// Marker for `add_to_linker`: the capability functions see a [`DockerHost`].
pub struct DockerData;

impl HasData for DockerData {
    type Data<'a> = DockerHost<'a>;
}

impl DockerData {
    pub fn view(s: &mut CallState) -> DockerHost<'_> {
        DockerHost {
            engine: &s.engine,
            roots: &s.services.roots,
            credentials: &s.services.credentials,
            table: &mut s.table,
            read_only: s.services.read_only || s.engine.is_read_only(),
            scope: s.services.scope.as_ref(),
            allow: &s.services.allow,
        }
    }
}

impl<'a> DockerHost<'a> {
    /// The error for a request that would change state while wharf is read-only.
    pub(super) fn refuse_write(&self) -> Option<types::DockerError> {
        super::scope::refuse_if_read_only(self.read_only)
            .err()
            .map(Into::into)
    }

    /// The checks before a request that changes the existing object `id`: the read-only
    /// refusal, then the scope; the id to act on. The future holds copies of what it needs
    /// rather than `self`, whose resource table may not be shared across the await.
    pub(super) fn guard<'i>(
        &self,
        kind: Kind,
        id: &'i str,
    ) -> impl Future<Output = Result<String, types::DockerError>> + Send + use<'a, 'i> {
        let (read_only, engine, scope) = (self.read_only, self.engine, self.scope);
        async move {
            super::scope::change_guard(read_only, engine, scope, kind, id)
                .await
                .map_err(Into::into)
        }
    }
}

impl From<DockerError> for types::DockerError {
    fn from(e: DockerError) -> Self {
        use super::error::ErrorKind as K;
        let kind = match e.kind {
            K::NotFound => types::ErrorKind::NotFound,
            K::Conflict => types::ErrorKind::Conflict,
            K::Invalid => types::ErrorKind::Invalid,
            K::Denied => types::ErrorKind::Denied,
            K::Unavailable => types::ErrorKind::Unavailable,
            K::Timeout => types::ErrorKind::Timeout,
            K::Engine => types::ErrorKind::Engine,
        };
        types::DockerError {
            kind,
            message: e.message,
        }
    }
}

/// Run a Docker request, turning its error into the WIT error the plugin sees.
pub(super) async fn wit<T>(f: impl Future<Output = Result<T, DockerError>>) -> WitResult<T> {
    Ok(f.await.map_err(Into::into))
}

impl DockerHost<'_> {
    /// Put a new resource in the call's table, or pass on why it could not be made.
    pub(super) fn push_or_err<T: Send + 'static>(
        &mut self,
        made: Result<T, DockerError>,
    ) -> WitResult<Resource<T>> {
        match made {
            Ok(r) => Ok(Ok(self.table.push(r)?)),
            Err(e) => Ok(Err(e.into())),
        }
    }
}

/// Engine-side filters as the API's query map (None when there are none).
pub(super) fn filter_map(filters: Vec<types::Filter>) -> Option<HashMap<String, Vec<String>>> {
    let mut f: HashMap<String, Vec<String>> = HashMap::new();
    for filter in filters {
        f.entry(filter.key).or_default().extend(filter.values);
    }
    (!f.is_empty()).then_some(f)
}

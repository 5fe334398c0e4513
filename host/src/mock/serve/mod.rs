//! The Docker capability interfaces served from the model instead of an engine: the same
//! WIT functions, the same resource types, the same read-only refusal and host-path policy
//! as the real host, and every call recorded.

pub(crate) mod render;
mod swarm;
mod system;

use super::MockDocker;
use crate::docker::DockerError;
use crate::runtime::bindings::wharf::docker::types;
use crate::runtime::state::CallState;
use std::collections::{BTreeMap, HashMap};
use wasmtime::component::{HasData, Resource, ResourceTable};

type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

/// The capability functions' view of a call that runs on the mock.
pub struct ModelHost<'a> {
    pub(crate) docker: &'a MockDocker,
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) read_only: bool,
}

/// Marker for `add_to_linker`: the capability functions see a [`ModelHost`].
pub struct ModelData;

impl HasData for ModelData {
    type Data<'a> = ModelHost<'a>;
}

impl ModelData {
    pub fn view(s: &mut CallState) -> ModelHost<'_> {
        let docker = s
            .services
            .mock
            .as_ref()
            .expect("the mock's capabilities are linked only when the runtime has a mock");
        ModelHost {
            docker,
            table: &mut s.table,
            read_only: s.services.read_only,
        }
    }
}

impl ModelHost<'_> {
    fn record(&self, interface: &str, function: &str, args: serde_json::Value) {
        self.docker.record(interface, function, args);
    }

    /// The real host's refusal of a change in read-only mode.
    fn writable(&self) -> Result<(), DockerError> {
        crate::docker::refuse_if_read_only(self.read_only)
    }

    fn push<T: Send + 'static>(&mut self, made: Result<T, DockerError>) -> WitResult<Resource<T>> {
        match made {
            Ok(r) => Ok(Ok(self.table.push(r)?)),
            Err(e) => Ok(Err(e.into())),
        }
    }
}

fn done<T>(r: Result<T, DockerError>) -> WitResult<T> {
    Ok(r.map_err(Into::into))
}

/// WIT filters as the API's query map.
fn filter_map(filters: Vec<types::Filter>) -> BTreeMap<String, Vec<String>> {
    let mut f: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for filter in filters {
        f.entry(filter.key).or_default().extend(filter.values);
    }
    f
}

fn filters_json(filters: &[types::Filter]) -> serde_json::Value {
    let map: HashMap<&str, &Vec<String>> = filters
        .iter()
        .map(|f| (f.key.as_str(), &f.values))
        .collect();
    serde_json::json!(map)
}

//! Finding objects for the guard, on bollard, and the guard's rules as the interfaces not
//! yet on the engine boundary apply them.

use super::host::DockerHost;
use super::{DockerError, Engine};
use crate::engine::{Found, Kind, Lookup};
use crate::policy::{Scope, guard};
use crate::runtime::bindings::wharf::docker::types;
use async_trait::async_trait;
use bollard::query_parameters as q;

/// Where the engine keeps the swarm objects of this kind.
pub(super) fn swarm_path(kind: Kind) -> &'static str {
    match kind {
        Kind::Service => "/services",
        Kind::Secret => "/secrets",
        Kind::Config => "/configs",
        Kind::Container | Kind::Network | Kind::Volume => "",
    }
}

#[async_trait]
impl Lookup for Engine {
    async fn lookup(&self, kind: Kind, reference: &str) -> Result<Found, DockerError> {
        let (id, labels) = match kind {
            Kind::Container => {
                let c = self
                    .request(|d| async move {
                        d.inspect_container(reference, None::<q::InspectContainerOptions>)
                            .await
                    })
                    .await?;
                (c.id, c.config.and_then(|c| c.labels))
            }
            Kind::Network => {
                let n = self
                    .request(|d| async move {
                        d.inspect_network(reference, None::<q::InspectNetworkOptions>)
                            .await
                    })
                    .await?;
                (n.id, n.labels)
            }
            Kind::Volume => {
                let v = self
                    .request(|d| async move { d.inspect_volume(reference).await })
                    .await?;
                (Some(v.name), Some(v.labels))
            }
            Kind::Service | Kind::Secret | Kind::Config => {
                let object = super::swarm::inspect(self, kind, reference).await?;
                let id = object["ID"].as_str().map(str::to_owned);
                (id, Some(super::swarm::spec_labels(&object)))
            }
        };
        Ok(Found {
            id: id.unwrap_or_else(|| reference.to_owned()),
            labels: labels.unwrap_or_default(),
        })
    }
}

impl DockerHost<'_> {
    /// `filters` narrowed to the scope, for a list or a prune.
    pub(super) fn scoped(&self, filters: Vec<types::Filter>) -> Vec<types::Filter> {
        let mut map = crate::engine::Filters::new();
        for f in filters {
            map.entry(f.key).or_default().extend(f.values);
        }
        guard::scoped(self.scope, map)
            .into_iter()
            .map(|(key, values)| types::Filter { key, values })
            .collect()
    }
}

impl DockerHost<'_> {
    /// A create spec (JSON with a top-level `Labels`) with wharf's labels added.
    pub(super) fn labelled(&self, spec: String) -> Result<String, DockerError> {
        let mut body: serde_json::Value = serde_json::from_str(&spec)
            .map_err(|e| DockerError::invalid(format!("the create spec is not JSON: {e}")))?;
        let Some(object) = body.as_object_mut() else {
            return Err(DockerError::invalid("the create spec is not a JSON object"));
        };
        let mut labels: std::collections::HashMap<String, String> = match object.get("Labels") {
            None | Some(serde_json::Value::Null) => Default::default(),
            Some(l) => serde_json::from_value(l.clone()).map_err(|_| {
                DockerError::invalid("the create spec's Labels is not an object of strings")
            })?,
        };
        guard::label(self.scope, &mut labels);
        object.insert("Labels".into(), serde_json::json!(labels));
        Ok(body.to_string())
    }
}

/// Refuse an object outside the scope; the id found, to act on. A free function, not a
/// `DockerHost` method: the call's resource table must not be borrowed across the request.
pub(super) async fn check_scope(
    engine: &Engine,
    scope: Option<&Scope>,
    kind: Kind,
    id: &str,
) -> Result<String, DockerError> {
    guard::in_scope(scope, engine, kind, id).await
}

/// Before a request that changes an existing object: refused in read-only mode, then
/// outside the scope.
pub(super) async fn change_guard(
    read_only: bool,
    engine: &Engine,
    scope: Option<&Scope>,
    kind: Kind,
    id: &str,
) -> Result<String, DockerError> {
    guard::writable(read_only)?;
    guard::in_scope(scope, engine, kind, id).await
}

/// The refusal of a Docker change while wharf is read-only.
pub(crate) fn refuse_if_read_only(read_only: bool) -> Result<(), DockerError> {
    guard::writable(read_only)
}

//! Provenance and scope labels. Every container, network, volume and swarm service, secret
//! and config wharf creates carries [`PROVENANCE`]. With a scope configured, wharf sees and
//! touches only the objects of those kinds carrying the scope label (and gives it to what it
//! creates); the host enforces this, whatever a plugin asks.

use super::host::DockerHost;
use super::{DockerError, Engine};
use crate::runtime::bindings::wharf::docker::types;
use bollard::query_parameters as q;
use std::collections::HashMap;
use std::fmt;

/// The label wharf puts on what it creates.
pub const PROVENANCE: (&str, &str) = ("org.wharf.created-by", "wharf");

/// `key` or `key=value`: objects carrying that label are in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    key: String,
    value: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid scope label `{0}`: write `key` or `key=value`, with a non-empty key")]
pub struct InvalidScope(String);

impl std::str::FromStr for Scope {
    type Err = InvalidScope;

    fn from_str(s: &str) -> Result<Scope, InvalidScope> {
        let (key, value) = match s.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (s, None),
        };
        if key.trim().is_empty() || key != key.trim() {
            return Err(InvalidScope(s.to_owned()));
        }
        Ok(Scope {
            key: key.to_owned(),
            value,
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={v}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

impl Scope {
    pub fn matches(&self, labels: &HashMap<String, String>) -> bool {
        match (&self.value, labels.get(&self.key)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(want), Some(have)) => want == have,
        }
    }

    /// The label a created object gets to be in scope.
    pub(super) fn label(&self) -> (String, String) {
        (self.key.clone(), self.value.clone().unwrap_or_default())
    }
}

/// The kinds of object a scope covers.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Container,
    Network,
    Volume,
    Service,
    Secret,
    Config,
}

impl Kind {
    /// Where the engine keeps the swarm objects of this kind.
    pub(super) fn swarm_path(self) -> &'static str {
        match self {
            Kind::Service => "/services",
            Kind::Secret => "/secrets",
            Kind::Config => "/configs",
            Kind::Container | Kind::Network | Kind::Volume => "",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Container => "container",
            Kind::Network => "network",
            Kind::Volume => "volume",
            Kind::Service => "service",
            Kind::Secret => "secret",
            Kind::Config => "config",
        })
    }
}

impl DockerHost<'_> {
    /// `filters` narrowed to the scope, for a list or a prune.
    pub(super) fn scoped(&self, mut filters: Vec<types::Filter>) -> Vec<types::Filter> {
        if let Some(scope) = self.scope {
            filters.push(types::Filter {
                key: "label".into(),
                values: vec![scope.to_string()],
            });
        }
        filters
    }

    /// A create spec (a Docker create body as JSON) with the provenance label and, if a
    /// scope is set, the scope label added to its `Labels`.
    pub(super) fn labelled(&self, spec: String) -> Result<String, DockerError> {
        let mut body: serde_json::Value = serde_json::from_str(&spec)
            .map_err(|e| DockerError::invalid(format!("the create spec is not JSON: {e}")))?;
        let Some(object) = body.as_object_mut() else {
            return Err(DockerError::invalid("the create spec is not a JSON object"));
        };
        let labels = object
            .entry("Labels")
            .or_insert_with(|| serde_json::json!({}));
        if labels.is_null() {
            *labels = serde_json::json!({});
        }
        let Some(labels) = labels.as_object_mut() else {
            return Err(DockerError::invalid(
                "the create spec's Labels is not an object",
            ));
        };
        labels.insert(PROVENANCE.0.into(), PROVENANCE.1.into());
        if let Some(scope) = self.scope {
            let (k, v) = scope.label();
            labels.insert(k, v.into());
        }
        Ok(body.to_string())
    }
}

/// Refuse an object outside the scope (and say which label it lacks). A free function, not a
/// `DockerHost` method: the call's resource table must not be borrowed across the request.
pub(super) async fn check_scope(
    engine: &Engine,
    scope: Option<&Scope>,
    kind: Kind,
    id: &str,
) -> Result<(), DockerError> {
    let Some(scope) = scope else {
        return Ok(());
    };
    let id_owned = id.to_owned();
    let labels = match kind {
        Kind::Container => engine
            .request(|d| async move {
                d.inspect_container(&id_owned, None::<q::InspectContainerOptions>)
                    .await
            })
            .await?
            .config
            .and_then(|c| c.labels),
        Kind::Network => {
            engine
                .request(|d| async move {
                    d.inspect_network(&id_owned, None::<q::InspectNetworkOptions>)
                        .await
                })
                .await?
                .labels
        }
        Kind::Volume => Some(
            engine
                .request(|d| async move { d.inspect_volume(&id_owned).await })
                .await?
                .labels,
        ),
        Kind::Service | Kind::Secret | Kind::Config => {
            return super::swarm::inspect_scoped(engine, Some(scope), kind, id)
                .await
                .map(drop);
        }
    };
    if scope.matches(&labels.unwrap_or_default()) {
        Ok(())
    } else {
        Err(DockerError::denied(format!(
            "{kind} `{id}` is outside wharf's scope: it does not carry the label `{scope}`"
        )))
    }
}

/// Before a request that changes an existing object: refused in read-only mode, then
/// outside the scope. Free functions for the same reason as [`check_scope`].
pub(super) async fn change_guard(
    read_only: bool,
    engine: &Engine,
    scope: Option<&Scope>,
    kind: Kind,
    id: &str,
) -> Result<(), DockerError> {
    refuse_if_read_only(read_only)?;
    check_scope(engine, scope, kind, id).await
}

/// [`change_guard`] for a network (dis)connection: both ends.
pub(super) async fn attachment_change_guard(
    read_only: bool,
    engine: &Engine,
    scope: Option<&Scope>,
    network: &str,
    container: &str,
) -> Result<(), DockerError> {
    refuse_if_read_only(read_only)?;
    check_attachment(engine, scope, network, container).await
}

/// The refusal of a Docker change while wharf is read-only.
pub(crate) fn refuse_if_read_only(read_only: bool) -> Result<(), DockerError> {
    if read_only {
        Err(DockerError::denied(
            "wharf runs in read-only mode: Docker changes are refused",
        ))
    } else {
        Ok(())
    }
}

/// Both ends of a network (dis)connection must be in scope.
pub(super) async fn check_attachment(
    engine: &Engine,
    scope: Option<&Scope>,
    network: &str,
    container: &str,
) -> Result<(), DockerError> {
    check_scope(engine, scope, Kind::Network, network).await?;
    check_scope(engine, scope, Kind::Container, container).await
}

/// The networks and named volumes a new container would use must be in scope too; a named
/// volume that does not exist yet would be created without the label, so it is refused
/// with a pointer to create_volume.
pub(super) async fn check_references(
    engine: &Engine,
    scope: Option<&Scope>,
    body: &bollard::models::ContainerCreateBody,
) -> Result<(), DockerError> {
    if scope.is_none() {
        return Ok(());
    }
    let Some(host) = &body.host_config else {
        return Ok(());
    };
    let mut networks: Vec<&str> = host.network_mode.iter().map(String::as_str).collect();
    if let Some(endpoints) = body
        .networking_config
        .as_ref()
        .and_then(|n| n.endpoints_config.as_ref())
    {
        networks.extend(endpoints.keys().map(String::as_str));
    }
    for network in networks {
        let builtin = ["", "default", "bridge", "host", "none"].contains(&network)
            || network.starts_with("container:");
        if !builtin {
            check_scope(engine, scope, Kind::Network, network).await?;
        }
    }
    let mut volumes: Vec<&str> = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').next())
        .filter(|src| !src.starts_with('/'))
        .collect();
    volumes.extend(
        host.mounts
            .iter()
            .flatten()
            .filter(|m| m.typ == Some(bollard::models::MountType::VOLUME))
            .filter_map(|m| m.source.as_deref())
            .filter(|src| !src.is_empty()),
    );
    for volume in volumes {
        match check_scope(engine, scope, Kind::Volume, volume).await {
            Err(e) if e.kind == super::error::ErrorKind::NotFound => {
                return Err(DockerError::denied(format!(
                    "volume `{volume}` does not exist, and creating it implicitly would leave \
                     it outside wharf's scope; create it with create_volume first"
                )));
            }
            other => other?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_match() {
        let team: Scope = "team=web".parse().unwrap();
        let any: Scope = "team".parse().unwrap();
        let labels = |k: &str, v: &str| HashMap::from([(k.to_owned(), v.to_owned())]);
        assert!(team.matches(&labels("team", "web")));
        assert!(!team.matches(&labels("team", "db")));
        assert!(any.matches(&labels("team", "db")));
        assert!(!any.matches(&labels("owner", "web")));
        assert_eq!(team.to_string(), "team=web");
        assert!("=web".parse::<Scope>().is_err());
        assert!(" team".parse::<Scope>().is_err());
    }
}

//! Creating and updating swarm services on bollard, with the registry login the guard
//! found for the image so every node can pull it.

use super::{DockerError, Engine};
use base64::Engine as _;
use wharf_core::engine::{Credentials, ServiceCreated, ServiceSpec};

pub(super) async fn create_service(
    engine: &Engine,
    spec: ServiceSpec,
    credentials: Option<Credentials>,
) -> Result<ServiceCreated, DockerError> {
    let (login, _) = super::push_pull::login(credentials);
    let created = engine
        .request(|d| async move { d.create_service(spec, login).await })
        .await?;
    Ok(ServiceCreated {
        id: created.id.unwrap_or_default(),
        warnings: created.warnings.unwrap_or_default(),
    })
}

pub(super) async fn update_service(
    engine: &Engine,
    id: &str,
    version: u64,
    spec: ServiceSpec,
    rollback: bool,
    credentials: Option<Credentials>,
) -> Result<Vec<String>, DockerError> {
    // Sent by hand: the version is a 64-bit raft index, which bollard's i64 query loses.
    let mut path = format!(
        "/services/{}/update?version={version}&registryAuthFrom=spec",
        super::swarm::segment(id)?
    );
    if rollback {
        path.push_str("&rollback=previous");
    }
    let mut headers = Vec::new();
    if let (Some(login), _) = super::push_pull::login(credentials) {
        let json =
            serde_json::to_string(&login).map_err(|e| DockerError::invalid(e.to_string()))?;
        headers.push((
            "X-Registry-Auth",
            base64::engine::general_purpose::STANDARD.encode(json),
        ));
    }
    let body = serde_json::to_vec(&spec).map_err(|e| DockerError::invalid(e.to_string()))?;
    let answer =
        super::raw::post_json(engine, &path, body, &headers, super::REQUEST_TIMEOUT).await?;
    let updated: bollard::models::ServiceUpdateResponse =
        serde_json::from_slice(&answer).unwrap_or_default();
    Ok(updated.warnings.unwrap_or_default())
}

//! Pulls and pushes on bollard, with the credentials the guard found, as job streams.

use super::jobs::{pull_events, push_events};
use super::pump::Pump;
use super::{DockerError, Engine};
use async_trait::async_trait;
use bollard::auth::DockerCredentials;
use bollard::query_parameters as q;
use wharf_core::credentials::registry_of;
use wharf_core::engine::{self, Credentials, JobEvent, RegistryAuth, Stream, split_reference};

/// Name the registry and where credentials came from when the registry refused them; a
/// message about the registry's answer is more use than the engine's bare "unauthorized".
fn explain_auth(e: DockerError, registry: &str, found: Option<&str>) -> DockerError {
    let m = e.message.to_ascii_lowercase();
    let refused = [
        "unauthorized",
        "authentication required",
        "denied",
        "no basic auth",
    ]
    .iter()
    .any(|w| m.contains(w));
    if !refused {
        return e;
    }
    let hint = match found {
        Some(source) => format!("the credentials from {source} were refused"),
        None => format!(
            "no credentials are configured for it: run `docker login {registry}` or add \
             [registries.\"{registry}\"] to wharf.toml"
        ),
    };
    DockerError::denied(format!(
        "registry {registry} refused access: {} ({hint})",
        e.message
    ))
}

fn auth(c: RegistryAuth) -> DockerCredentials {
    DockerCredentials {
        username: c.username,
        password: c.password,
        identitytoken: c.identitytoken,
        serveraddress: c.serveraddress,
        ..Default::default()
    }
}

/// The login of `credentials` for bollard, and where it came from.
pub(super) fn login(
    credentials: Option<Credentials>,
) -> (Option<DockerCredentials>, Option<String>) {
    match credentials {
        Some(c) => (Some(auth(c.auth)), Some(c.source)),
        None => (None, None),
    }
}

#[async_trait]
impl engine::Registry for Engine {
    async fn pull_image(
        &self,
        reference: &str,
        platform: Option<String>,
        credentials: Option<Credentials>,
    ) -> Result<Stream<JobEvent>, DockerError> {
        let (name, tag) = split_reference(reference)?;
        let docker = self.long_client().await?;
        let opts = q::CreateImageOptions {
            from_image: Some(name.to_owned()),
            tag: Some(tag.to_owned()),
            platform: platform.unwrap_or_default(),
            ..Default::default()
        };
        let errors = self.errors();
        let registry = registry_of(reference);
        let (auth, source) = login(credentials);
        let pump = Pump::spawn(move |tx| async move {
            let stream = docker.create_image(Some(opts), None, auth);
            tx.forward(stream, pull_events, |e| {
                explain_auth(errors.map(e), &registry, source.as_deref())
            })
            .await;
        });
        Ok(pump.into_stream())
    }

    async fn push_image(
        &self,
        reference: &str,
        credentials: Option<Credentials>,
    ) -> Result<Stream<JobEvent>, DockerError> {
        let (name, tag) = split_reference(reference)?;
        let docker = self.long_client().await?;
        let name = name.to_owned();
        let opts = q::PushImageOptions {
            tag: Some(tag.to_owned()),
            platform: None,
        };
        let errors = self.errors();
        let registry = registry_of(reference);
        let (auth, source) = login(credentials);
        let pump = Pump::spawn(move |tx| async move {
            let stream = docker.push_image(&name, Some(opts), auth);
            tx.forward(stream, push_events, |e| {
                explain_auth(errors.map(e), &registry, source.as_deref())
            })
            .await;
        });
        Ok(pump.into_stream())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_registry_and_the_source_not_the_secret() {
        let e = explain_auth(
            DockerError::new(
                super::super::ErrorKind::Engine,
                "unauthorized: authentication required",
            ),
            "127.0.0.1:5000",
            Some("the `auths` entry for 127.0.0.1:5000 in /h/.docker/config.json"),
        );
        assert_eq!(e.kind, super::super::ErrorKind::Denied);
        assert!(
            e.message
                .starts_with("registry 127.0.0.1:5000 refused access: unauthorized")
        );
        assert!(e.message.contains("were refused"));
        let e = explain_auth(DockerError::invalid("manifest unknown"), "r", None);
        assert_eq!(e.message, "manifest unknown");
    }
}

//! `registry`: pull and push, with the host's credentials, as jobs.

use super::DockerError;
use super::credentials::registry_of;
use super::host::DockerHost;
use super::jobs::{Job, pull_events, push_events};
use super::pump::Pump;
use crate::runtime::bindings::wharf::docker::{registry as r, types};
use bollard::query_parameters as q;
use wasmtime::component::Resource;

type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

/// `name[:tag|@digest]` split the way the engine's API wants it; a reference without either
/// means `latest` (an empty tag would make the engine pull every tag).
pub(super) fn split_reference(reference: &str) -> Result<(&str, &str), DockerError> {
    let invalid = || DockerError::invalid(format!("`{reference}` is not an image reference"));
    if reference.is_empty() || reference.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    if let Some((name, digest)) = reference.split_once('@') {
        return if name.is_empty() || digest.is_empty() {
            Err(invalid())
        } else {
            Ok((name, digest))
        };
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => {
            let (name, tag) = reference.split_at(last_slash + i);
            let tag = &tag[1..];
            if tag.is_empty() {
                Err(invalid())
            } else {
                Ok((name, tag))
            }
        }
        None => Ok((reference, "latest")),
    }
}

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

impl r::Host for DockerHost<'_> {
    async fn pull(
        &mut self,
        reference: String,
        platform: Option<String>,
    ) -> WitResult<Resource<Job>> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let (engine, credentials) = (self.engine, self.credentials);
        let started = async {
            let (name, tag) = split_reference(&reference)?;
            let found = credentials.for_reference(&reference).await?;
            let docker = engine.long_client().await?;
            let opts = q::CreateImageOptions {
                from_image: Some(name.to_owned()),
                tag: Some(tag.to_owned()),
                platform: platform.unwrap_or_default(),
                ..Default::default()
            };
            let endpoint = engine.endpoint().to_owned();
            let registry = registry_of(&reference);
            Ok(Pump::spawn(move |tx| async move {
                let source = found.as_ref().map(|f| f.source.clone());
                let stream = docker.create_image(Some(opts), None, found.map(|f| f.credentials));
                tx.forward(stream, pull_events, |e| {
                    explain_auth(
                        DockerError::from_bollard(&endpoint, e),
                        &registry,
                        source.as_deref(),
                    )
                })
                .await;
            }))
        };
        self.push_or_err(started.await)
    }

    async fn push(&mut self, reference: String) -> WitResult<Resource<Job>> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let (engine, credentials) = (self.engine, self.credentials);
        let started = async {
            let (name, tag) = split_reference(&reference)?;
            if reference.contains('@') {
                return Err(DockerError::invalid(
                    "push takes name:tag; a digest names what a registry already has",
                ));
            }
            let found = credentials.for_reference(&reference).await?;
            let docker = engine.long_client().await?;
            let name = name.to_owned();
            let opts = q::PushImageOptions {
                tag: Some(tag.to_owned()),
                platform: None,
            };
            let endpoint = engine.endpoint().to_owned();
            let registry = registry_of(&reference);
            Ok(Pump::spawn(move |tx| async move {
                let source = found.as_ref().map(|f| f.source.clone());
                let stream = docker.push_image(&name, Some(opts), found.map(|f| f.credentials));
                tx.forward(stream, push_events, |e| {
                    explain_auth(
                        DockerError::from_bollard(&endpoint, e),
                        &registry,
                        source.as_deref(),
                    )
                })
                .await;
            }))
        };
        self.push_or_err(started.await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_name_and_tag() {
        assert_eq!(split_reference("nginx").unwrap(), ("nginx", "latest"));
        assert_eq!(split_reference("nginx:1.25").unwrap(), ("nginx", "1.25"));
        assert_eq!(
            split_reference("127.0.0.1:5000/app").unwrap(),
            ("127.0.0.1:5000/app", "latest")
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/app:v1").unwrap(),
            ("127.0.0.1:5000/app", "v1")
        );
        assert_eq!(
            split_reference("app@sha256:abc").unwrap(),
            ("app", "sha256:abc")
        );
        for bad in ["", "app:", "@sha256:x", "a b"] {
            assert!(split_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refusals_name_the_registry_and_the_source_not_the_secret() {
        let e = explain_auth(
            DockerError::new(
                super::super::error::ErrorKind::Engine,
                "unauthorized: authentication required",
            ),
            "127.0.0.1:5000",
            Some("the `auths` entry for 127.0.0.1:5000 in /h/.docker/config.json"),
        );
        assert_eq!(e.kind, super::super::error::ErrorKind::Denied);
        assert!(
            e.message
                .starts_with("registry 127.0.0.1:5000 refused access: unauthorized")
        );
        assert!(e.message.contains("were refused"));
        let e = explain_auth(DockerError::invalid("manifest unknown"), "r", None);
        assert_eq!(e.message, "manifest unknown");
    }
}

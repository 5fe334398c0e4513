//! `containers-write`: the capability interface, on bollard.

use super::DockerError;
use super::host::{DockerHost, WitResult, wit};
use super::scope::Kind;
use crate::runtime::bindings::wharf::docker::containers_write as w;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters as q;

impl w::Host for DockerHost<'_> {
    async fn create(&mut self, name: Option<String>, spec: String) -> WitResult<w::Created> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let spec = match self.labelled(spec) {
            Ok(spec) => spec,
            Err(e) => return Ok(Err(e.into())),
        };
        let engine = self.engine;
        let roots = self.roots;
        let allow = self.allow;
        let scope = self.scope;
        wit(async {
            let body: ContainerCreateBody = serde_json::from_str(&spec).map_err(|e| {
                DockerError::invalid(format!("the create spec is not a Docker create body: {e}"))
            })?;
            crate::policy::check_create(&body, allow, roots, engine.socket_path().as_deref())
                .map_err(DockerError::denied)?;
            super::scope::check_references(engine, scope, &body).await?;
            let opts = q::CreateContainerOptions {
                name,
                platform: String::new(),
            };
            let created = engine
                .request(|d| async move { d.create_container(Some(opts), body).await })
                .await?;
            Ok(w::Created {
                id: created.id,
                warnings: created.warnings,
            })
        })
        .await
    }

    async fn start(&mut self, id: String) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Container, &id).await {
            return Ok(Err(e));
        }
        wit(self.engine.request(|d| async move {
            d.start_container(&id, None::<q::StartContainerOptions>)
                .await
        }))
        .await
    }

    async fn stop(&mut self, id: String, timeout_secs: Option<u32>) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Container, &id).await {
            return Ok(Err(e));
        }
        let opts = q::StopContainerOptions {
            signal: None,
            t: timeout_secs.map(|t| t.min(i32::MAX as u32) as i32),
        };
        wit(self
            .engine
            .long_request(|d| async move { d.stop_container(&id, Some(opts)).await }))
        .await
    }

    async fn restart(&mut self, id: String, timeout_secs: Option<u32>) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Container, &id).await {
            return Ok(Err(e));
        }
        let opts = q::RestartContainerOptions {
            signal: None,
            t: timeout_secs.map(|t| t.min(i32::MAX as u32) as i32),
        };
        wit(self
            .engine
            .long_request(|d| async move { d.restart_container(&id, Some(opts)).await }))
        .await
    }

    async fn kill(&mut self, id: String, signal: Option<String>) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Container, &id).await {
            return Ok(Err(e));
        }
        let opts = q::KillContainerOptions {
            signal: signal.unwrap_or_else(|| "SIGKILL".into()),
        };
        wit(self
            .engine
            .request(|d| async move { d.kill_container(&id, Some(opts)).await }))
        .await
    }

    async fn pause(&mut self, id: String) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Container, &id).await {
            return Ok(Err(e));
        }
        wit(self
            .engine
            .request(|d| async move { d.pause_container(&id).await }))
        .await
    }

    async fn unpause(&mut self, id: String) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Container, &id).await {
            return Ok(Err(e));
        }
        wit(self
            .engine
            .request(|d| async move { d.unpause_container(&id).await }))
        .await
    }

    async fn remove(&mut self, id: String, force: bool, volumes: bool) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Container, &id).await {
            return Ok(Err(e));
        }
        let opts = q::RemoveContainerOptions {
            v: volumes,
            force,
            link: false,
        };
        wit(self
            .engine
            .request(|d| async move { d.remove_container(&id, Some(opts)).await }))
        .await
    }

    async fn rename(&mut self, id: String, new_name: String) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Container, &id).await {
            return Ok(Err(e));
        }
        let opts = q::RenameContainerOptions { name: new_name };
        wit(self
            .engine
            .request(|d| async move { d.rename_container(&id, opts).await }))
        .await
    }
}

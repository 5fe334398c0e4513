//! Changing containers, on bollard.

use super::{DockerError, Engine};
use async_trait::async_trait;
use bollard::query_parameters as q;
use wharf_core::engine::{self, ContainerCreateBody, Created};

/// A stop or restart grace period as the API takes it.
fn grace(timeout_secs: Option<u32>) -> Option<i32> {
    timeout_secs.map(|t| t.min(i32::MAX as u32) as i32)
}

#[async_trait]
impl engine::ContainersWrite for Engine {
    async fn create_container(
        &self,
        name: Option<String>,
        body: ContainerCreateBody,
    ) -> Result<Created, DockerError> {
        let opts = q::CreateContainerOptions {
            name,
            platform: String::new(),
        };
        let created = self
            .request(|d| async move { d.create_container(Some(opts), body).await })
            .await?;
        Ok(Created {
            id: created.id,
            warnings: created.warnings,
        })
    }

    async fn start_container(&self, id: &str) -> Result<(), DockerError> {
        self.request(|d| async move {
            d.start_container(id, None::<q::StartContainerOptions>)
                .await
        })
        .await
    }

    async fn stop_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<(), DockerError> {
        let opts = q::StopContainerOptions {
            signal: None,
            t: grace(timeout_secs),
        };
        self.long_request(|d| async move { d.stop_container(id, Some(opts)).await })
            .await
    }

    async fn restart_container(
        &self,
        id: &str,
        timeout_secs: Option<u32>,
    ) -> Result<(), DockerError> {
        let opts = q::RestartContainerOptions {
            signal: None,
            t: grace(timeout_secs),
        };
        self.long_request(|d| async move { d.restart_container(id, Some(opts)).await })
            .await
    }

    async fn kill_container(&self, id: &str, signal: Option<String>) -> Result<(), DockerError> {
        let opts = q::KillContainerOptions {
            signal: signal.unwrap_or_else(|| "SIGKILL".into()),
        };
        self.request(|d| async move { d.kill_container(id, Some(opts)).await })
            .await
    }

    async fn pause_container(&self, id: &str) -> Result<(), DockerError> {
        self.request(|d| async move { d.pause_container(id).await })
            .await
    }

    async fn unpause_container(&self, id: &str) -> Result<(), DockerError> {
        self.request(|d| async move { d.unpause_container(id).await })
            .await
    }

    async fn remove_container(
        &self,
        id: &str,
        force: bool,
        volumes: bool,
    ) -> Result<(), DockerError> {
        let opts = q::RemoveContainerOptions {
            v: volumes,
            force,
            link: false,
        };
        self.request(|d| async move { d.remove_container(id, Some(opts)).await })
            .await
    }

    async fn rename_container(&self, id: &str, new_name: &str) -> Result<(), DockerError> {
        let opts = q::RenameContainerOptions {
            name: new_name.to_owned(),
        };
        self.request(|d| async move { d.rename_container(id, opts).await })
            .await
    }
}

//! Volumes, on bollard.

use super::{DockerError, Engine, json, query};
use async_trait::async_trait;
use bollard::query_parameters as q;
use wharf_core::engine::{self, Filters, Json, Pruned, VolumeCreateRequest, VolumeSummary};

#[async_trait]
impl engine::Volumes for Engine {
    async fn list_volumes(&self, filters: Filters) -> Result<Vec<VolumeSummary>, DockerError> {
        let opts = q::ListVolumesOptions {
            filters: query(filters),
        };
        let list = self
            .request(|d| async move { d.list_volumes(Some(opts)).await })
            .await?;
        let mut volumes: Vec<VolumeSummary> = list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|vol| VolumeSummary {
                name: vol.name,
                driver: vol.driver,
                mountpoint: vol.mountpoint,
                created: vol.created_at,
                labels: vol.labels.into_iter().collect(),
            })
            .collect();
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    async fn inspect_volume(&self, name: &str) -> Result<Json, DockerError> {
        let vol = self
            .request(|d| async move { d.inspect_volume(name).await })
            .await?;
        json(&vol)
    }

    async fn create_volume(&self, spec: VolumeCreateRequest) -> Result<Json, DockerError> {
        let vol = self
            .request(|d| async move { d.create_volume(spec).await })
            .await?;
        json(&vol)
    }

    async fn remove_volume(&self, name: &str, force: bool) -> Result<(), DockerError> {
        let opts = q::RemoveVolumeOptions { force };
        self.request(|d| async move { d.remove_volume(name, Some(opts)).await })
            .await
    }

    async fn prune_volumes(&self, mut filters: Filters) -> Result<Pruned, DockerError> {
        let docker = self.client().await?;
        // API 1.42 made prune spare named volumes unless `all=true`; older engines prune
        // every unused volume and reject the filter, so it is dropped for them.
        let v = docker.client_version();
        if (v.major_version, v.minor_version) < (1, 42) {
            filters.remove("all");
        }
        let opts = q::PruneVolumesOptions {
            filters: query(filters),
        };
        let pruned = docker
            .prune_volumes(Some(opts))
            .await
            .map_err(|e| self.error(e))?;
        Ok(Pruned {
            deleted: pruned.volumes_deleted.unwrap_or_default(),
            space_reclaimed: pruned.space_reclaimed.unwrap_or(0).max(0) as u64,
        })
    }
}

//! `volumes`: the capability interface, on bollard.

use super::host::{DockerHost, filter_map, sorted_labels, wit};
use super::scope::Kind;
use super::{DockerError, error::ErrorKind};
use crate::runtime::bindings::wharf::docker::{types, volumes as v};
use bollard::models::VolumeCreateRequest;
use bollard::query_parameters as q;

type WitResult<T> = wasmtime::Result<Result<T, types::DockerError>>;

fn json(value: &impl serde::Serialize) -> Result<String, DockerError> {
    serde_json::to_string(value).map_err(|e| DockerError::new(ErrorKind::Engine, e.to_string()))
}

impl v::Host for DockerHost<'_> {
    async fn list(&mut self, filters: Vec<types::Filter>) -> WitResult<Vec<v::VolumeSummary>> {
        let filters = self.scoped(filters);
        let engine = self.engine;
        wit(async {
            let opts = q::ListVolumesOptions {
                filters: filter_map(filters),
            };
            let list = engine
                .request(|d| async move { d.list_volumes(Some(opts)).await })
                .await?;
            let mut volumes: Vec<v::VolumeSummary> = list
                .volumes
                .unwrap_or_default()
                .into_iter()
                .map(|vol| v::VolumeSummary {
                    name: vol.name,
                    driver: vol.driver,
                    mountpoint: vol.mountpoint,
                    created: vol.created_at,
                    labels: sorted_labels(Some(vol.labels)),
                })
                .collect();
            volumes.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(volumes)
        })
        .await
    }

    async fn inspect(&mut self, name: String) -> WitResult<String> {
        if let Err(e) =
            super::scope::check_scope(self.engine, self.scope, Kind::Volume, &name).await
        {
            return Ok(Err(e.into()));
        }
        let engine = self.engine;
        wit(async {
            let vol = engine
                .request(|d| async move { d.inspect_volume(&name).await })
                .await?;
            json(&vol)
        })
        .await
    }

    async fn create(&mut self, spec: String) -> WitResult<String> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let spec = match self.labelled(spec) {
            Ok(spec) => spec,
            Err(e) => return Ok(Err(e.into())),
        };
        let engine = self.engine;
        wit(async {
            let body: VolumeCreateRequest = serde_json::from_str(&spec).map_err(|e| {
                DockerError::invalid(format!("the volume spec is not a Docker create body: {e}"))
            })?;
            // The local driver's `device` option mounts any host path as the volume.
            if body
                .driver_opts
                .as_ref()
                .is_some_and(|o| o.contains_key("device"))
            {
                return Err(DockerError::denied(
                    "volume driver option `device` is refused: it binds a host path",
                ));
            }
            let vol = engine
                .request(|d| async move { d.create_volume(body).await })
                .await?;
            json(&vol)
        })
        .await
    }

    async fn remove(&mut self, name: String, force: bool) -> WitResult<()> {
        if let Err(e) = self.guard(Kind::Volume, &name).await {
            return Ok(Err(e));
        }
        let opts = q::RemoveVolumeOptions { force };
        wit(self
            .engine
            .request(|d| async move { d.remove_volume(&name, Some(opts)).await }))
        .await
    }

    async fn prune(&mut self, filters: Vec<types::Filter>) -> WitResult<v::PruneReport> {
        if let Some(refused) = self.refuse_write() {
            return Ok(Err(refused));
        }
        let mut filters = self.scoped(filters);
        let engine = self.engine;
        wit(async {
            let docker = engine.client().await?;
            // API 1.42 made prune spare named volumes unless `all=true`; older engines prune
            // every unused volume and reject the filter, so it is dropped for them.
            let v = docker.client_version();
            if (v.major_version, v.minor_version) < (1, 42) {
                filters.retain(|f| f.key != "all");
            }
            let opts = q::PruneVolumesOptions {
                filters: filter_map(filters),
            };
            let pruned = docker
                .prune_volumes(Some(opts))
                .await
                .map_err(|e| engine.error(e))?;
            Ok(v::PruneReport {
                deleted: pruned.volumes_deleted.unwrap_or_default(),
                space_reclaimed: pruned.space_reclaimed.unwrap_or(0).max(0) as u64,
            })
        })
        .await
    }
}

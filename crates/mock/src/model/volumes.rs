//! Volumes: create (idempotent, as the engine's), remove with the in-use refusal, prune.

use super::{Model, MountSource, Volume, conflict, not_found};
use std::collections::BTreeMap;
use std::time::SystemTime;
use wharf_core::engine::DockerError;

impl Model {
    pub fn volume_index(&self, name: &str) -> Result<usize, DockerError> {
        self.volumes
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| not_found(format!("get {name}: no such volume")))
    }

    /// Create `name`, or return the existing volume of that name as the engine does.
    pub fn create_volume(
        &mut self,
        name: &str,
        driver: &str,
        labels: BTreeMap<String, String>,
        options: BTreeMap<String, String>,
    ) -> usize {
        if let Ok(i) = self.volume_index(name) {
            return i;
        }
        self.volumes.push(Volume {
            name: name.to_owned(),
            driver: driver.to_owned(),
            labels: labels.clone(),
            options,
            created: SystemTime::now(),
            size: 0,
        });
        self.record_with("volume", "create", name, &[("driver", driver)], &labels);
        self.volumes.len() - 1
    }

    /// The containers (ids) that mount the volume, running or not.
    pub fn volume_users(&self, name: &str) -> Vec<String> {
        self.containers
            .iter()
            .filter(|c| {
                c.mounts
                    .iter()
                    .any(|m| matches!(&m.source, MountSource::Volume { name: n, .. } if n == name))
            })
            .map(|c| c.id.clone())
            .collect()
    }

    /// `force` does not remove a volume in use (the engine refuses that too); it makes a
    /// missing volume no error.
    pub fn remove_volume(&mut self, name: &str, force: bool) -> Result<(), DockerError> {
        let i = match self.volume_index(name) {
            Ok(i) => i,
            Err(_) if force => return Ok(()),
            Err(e) => return Err(e),
        };
        let users = self.volume_users(name);
        if !users.is_empty() {
            return Err(conflict(format!(
                "remove {name}: volume is in use - [{}]",
                users.join(", ")
            )));
        }
        let v = self.volumes.remove(i);
        self.record("volume", "destroy", &v.name, &[("driver", &v.driver)]);
        Ok(())
    }

    /// Remove the unused volumes `keep` lets go: (names, bytes).
    pub fn prune_volumes(&mut self, keep: impl Fn(&Volume) -> bool) -> (Vec<String>, u64) {
        let unused: Vec<(String, u64)> = self
            .volumes
            .iter()
            .filter(|v| !keep(v) && self.volume_users(&v.name).is_empty())
            .map(|v| (v.name.clone(), v.size))
            .collect();
        let mut names = Vec::new();
        let mut space = 0;
        for (name, size) in unused {
            if self.remove_volume(&name, false).is_ok() {
                names.push(name);
                space += size;
            }
        }
        (names, space)
    }
}

//! `containers-write`.

use super::{Adapter, WitResult, body, wit};
use crate::runtime::bindings::wharf::docker::containers_write as w;

impl w::Host for Adapter<'_> {
    async fn create(&mut self, name: Option<String>, spec: String) -> WitResult<w::Created> {
        let spec = match body("create spec", "create body", &spec) {
            Ok(spec) => spec,
            Err(e) => return wit(Err(e)),
        };
        wit(self
            .guard
            .create_container(name, spec)
            .await
            .map(|c| w::Created {
                id: c.id,
                warnings: c.warnings,
            }))
    }

    async fn start(&mut self, id: String) -> WitResult<()> {
        wit(self.guard.start_container(&id).await)
    }

    async fn stop(&mut self, id: String, timeout_secs: Option<u32>) -> WitResult<()> {
        wit(self.guard.stop_container(&id, timeout_secs).await)
    }

    async fn restart(&mut self, id: String, timeout_secs: Option<u32>) -> WitResult<()> {
        wit(self.guard.restart_container(&id, timeout_secs).await)
    }

    async fn kill(&mut self, id: String, signal: Option<String>) -> WitResult<()> {
        wit(self.guard.kill_container(&id, signal).await)
    }

    async fn pause(&mut self, id: String) -> WitResult<()> {
        wit(self.guard.pause_container(&id).await)
    }

    async fn unpause(&mut self, id: String) -> WitResult<()> {
        wit(self.guard.unpause_container(&id).await)
    }

    async fn remove(&mut self, id: String, force: bool, volumes: bool) -> WitResult<()> {
        wit(self.guard.remove_container(&id, force, volumes).await)
    }

    async fn rename(&mut self, id: String, new_name: String) -> WitResult<()> {
        wit(self.guard.rename_container(&id, &new_name).await)
    }
}

//! `swarm-read` and `swarm-write`, with the task log stream.

use super::{Adapter, TaskLogStream, WitResult, body, close, filters, next, open, text, wit};
use crate::engine::{LogChunk, LogSource, TaskLogOptions};
use crate::policy::guard::ObjectData;
use crate::runtime::bindings::wharf::docker::{swarm_read as r, swarm_write as w, types};
use wasmtime::component::Resource;

fn json(r: Result<serde_json::Value, crate::engine::DockerError>) -> WitResult<String> {
    wit(r.map(|v| text(&v)))
}

fn chunk(c: LogChunk) -> r::TaskLogChunk {
    r::TaskLogChunk {
        source: match c.source {
            LogSource::Stderr => r::LogSource::Stderr,
            LogSource::Stdout | LogSource::Console => r::LogSource::Stdout,
        },
        data: c.data,
    }
}

fn object_data(data: w::ObjectData) -> ObjectData {
    match data {
        w::ObjectData::Value(v) => ObjectData::Value(v),
        w::ObjectData::HostFile(path) => ObjectData::HostFile(path),
    }
}

impl r::Host for Adapter<'_> {
    async fn status(&mut self) -> WitResult<String> {
        json(self.guard.swarm_status().await)
    }

    async fn list_nodes(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        json(self.guard.list_nodes(filters(f)).await)
    }

    async fn inspect_node(&mut self, id: String) -> WitResult<String> {
        json(self.guard.inspect_node(&id).await)
    }

    async fn list_services(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        json(self.guard.list_services(filters(f)).await)
    }

    async fn inspect_service(&mut self, id: String) -> WitResult<String> {
        json(self.guard.inspect_service(&id).await)
    }

    async fn list_tasks(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        json(self.guard.list_tasks(filters(f)).await)
    }

    async fn task_logs(
        &mut self,
        task: String,
        o: r::TaskLogOptions,
    ) -> WitResult<Resource<TaskLogStream>> {
        let options = TaskLogOptions {
            stdout: o.stdout,
            stderr: o.stderr,
            since: o.since,
            tail: o.tail,
            timestamps: o.timestamps,
        };
        open(self.table, self.streams, async {
            self.guard
                .task_logs(&task, options)
                .await
                .map(TaskLogStream)
        })
        .await
    }

    async fn list_secrets(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        json(self.guard.list_secrets(filters(f)).await)
    }

    async fn inspect_secret(&mut self, id: String) -> WitResult<String> {
        json(self.guard.inspect_secret(&id).await)
    }

    async fn list_configs(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        json(self.guard.list_configs(filters(f)).await)
    }

    async fn inspect_config(&mut self, id: String) -> WitResult<String> {
        json(self.guard.inspect_config(&id).await)
    }
}

impl r::HostTaskLogStream for Adapter<'_> {
    async fn next(
        &mut self,
        stream: Resource<TaskLogStream>,
    ) -> WitResult<Option<r::TaskLogChunk>> {
        next(self.table, &stream, |s| &mut s.0, chunk).await
    }

    async fn drop(&mut self, stream: Resource<TaskLogStream>) -> wasmtime::Result<()> {
        close(self.table, self.streams, stream)
    }
}

impl w::Host for Adapter<'_> {
    async fn init(&mut self, spec: String) -> WitResult<String> {
        let request = match serde_json::from_str(&spec) {
            Ok(r) => r,
            Err(e) => {
                return wit(Err(crate::engine::DockerError::invalid(format!(
                    "the init request is not a swarm init body: {e}"
                ))));
            }
        };
        wit(self.guard.init_swarm(request).await)
    }

    async fn leave(&mut self, force: bool) -> WitResult<()> {
        wit(self.guard.leave_swarm(force).await)
    }

    async fn join_token(&mut self, role: w::NodeRole) -> WitResult<String> {
        let manager = matches!(role, w::NodeRole::Manager);
        wit(self.guard.join_token(manager).await)
    }

    async fn update_node(&mut self, id: String, version: u64, spec: String) -> WitResult<()> {
        let spec = match body("node spec", "node spec", &spec) {
            Ok(s) => s,
            Err(e) => return wit(Err(e)),
        };
        wit(self.guard.update_node(&id, version, spec).await)
    }

    async fn create_service(&mut self, spec: String) -> WitResult<w::ServiceCreated> {
        let spec = match body("service spec", "service spec", &spec) {
            Ok(s) => s,
            Err(e) => return wit(Err(e)),
        };
        wit(self
            .guard
            .create_service(spec)
            .await
            .map(|c| w::ServiceCreated {
                id: c.id,
                warnings: c.warnings,
            }))
    }

    async fn update_service(
        &mut self,
        id: String,
        version: u64,
        spec: String,
        rollback: bool,
    ) -> WitResult<Vec<String>> {
        let spec = match body("service spec", "service spec", &spec) {
            Ok(s) => s,
            Err(e) => return wit(Err(e)),
        };
        wit(self
            .guard
            .update_service(&id, version, spec, rollback)
            .await)
    }

    async fn remove_service(&mut self, id: String) -> WitResult<()> {
        wit(self.guard.remove_service(&id).await)
    }

    async fn create_secret(
        &mut self,
        name: String,
        data: w::ObjectData,
        labels: Vec<(String, String)>,
    ) -> WitResult<String> {
        wit(self
            .guard
            .create_secret(name, object_data(data), labels)
            .await)
    }

    async fn remove_secret(&mut self, id: String) -> WitResult<()> {
        wit(self.guard.remove_secret(&id).await)
    }

    async fn create_config(
        &mut self,
        name: String,
        data: w::ObjectData,
        labels: Vec<(String, String)>,
    ) -> WitResult<String> {
        wit(self
            .guard
            .create_config(name, object_data(data), labels)
            .await)
    }

    async fn remove_config(&mut self, id: String) -> WitResult<()> {
        wit(self.guard.remove_config(&id).await)
    }
}

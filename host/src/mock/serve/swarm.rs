//! swarm-read and swarm-write on the model. The model is one engine that is not part of a
//! swarm, and answers as such an engine does: its status says `inactive`, and every swarm
//! request fails with the engine's own "not a swarm manager" error. Creating a swarm is
//! refused with the reason: the model has no cluster to create.

use super::{ModelHost, WitResult, done, filters_json, render};
use crate::docker::{DockerError, ErrorKind, TaskLogStream};
use crate::runtime::bindings::wharf::docker::{swarm_read as r, swarm_write as w, types};
use serde_json::json;
use wasmtime::component::Resource;

use crate::mock::engine::not_a_manager;

impl ModelHost<'_> {
    fn swarm_read(&self, function: &str, args: serde_json::Value) -> WitResult<String> {
        self.record("swarm-read", function, args);
        done(Err(not_a_manager()))
    }

    fn swarm_write<T>(&self, function: &str, args: serde_json::Value) -> WitResult<T> {
        self.record("swarm-write", function, args);
        done(self.writable().and(Err(not_a_manager())))
    }
}

fn filters(filters: &[types::Filter]) -> serde_json::Value {
    json!({ "filters": filters_json(filters) })
}

impl r::Host for ModelHost<'_> {
    async fn status(&mut self) -> WitResult<String> {
        self.record("swarm-read", "status", json!({}));
        let info = render::info(&self.docker.model());
        done(Ok(json!({ "Swarm": info["Swarm"] }).to_string()))
    }

    async fn list_nodes(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        self.swarm_read("list-nodes", filters(&f))
    }

    async fn inspect_node(&mut self, id: String) -> WitResult<String> {
        self.swarm_read("inspect-node", json!({ "id": id }))
    }

    async fn list_services(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        self.swarm_read("list-services", filters(&f))
    }

    async fn inspect_service(&mut self, id: String) -> WitResult<String> {
        self.swarm_read("inspect-service", json!({ "id": id }))
    }

    async fn list_tasks(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        self.swarm_read("list-tasks", filters(&f))
    }

    async fn task_logs(
        &mut self,
        task: String,
        _options: r::TaskLogOptions,
    ) -> WitResult<Resource<TaskLogStream>> {
        self.record("swarm-read", "task-logs", json!({ "task": task }));
        done(Err(not_a_manager()))
    }

    async fn list_secrets(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        self.swarm_read("list-secrets", filters(&f))
    }

    async fn inspect_secret(&mut self, id: String) -> WitResult<String> {
        self.swarm_read("inspect-secret", json!({ "id": id }))
    }

    async fn list_configs(&mut self, f: Vec<types::Filter>) -> WitResult<String> {
        self.swarm_read("list-configs", filters(&f))
    }

    async fn inspect_config(&mut self, id: String) -> WitResult<String> {
        self.swarm_read("inspect-config", json!({ "id": id }))
    }
}

impl r::HostTaskLogStream for ModelHost<'_> {
    async fn next(
        &mut self,
        _stream: Resource<TaskLogStream>,
    ) -> WitResult<Option<r::TaskLogChunk>> {
        // No task log stream is ever handed out by the model.
        done(Err(not_a_manager()))
    }

    async fn drop(&mut self, stream: Resource<TaskLogStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

impl w::Host for ModelHost<'_> {
    async fn init(&mut self, spec: String) -> WitResult<String> {
        let body: Option<serde_json::Value> = serde_json::from_str(&spec).ok();
        self.record("swarm-write", "init", json!({ "spec": body }));
        done(self.writable().and(Err(DockerError::invalid(
            "the mock host models a single engine outside any swarm; test swarm tools against \
             a real engine (docker swarm init --advertise-addr 127.0.0.1)",
        ))))
    }

    async fn leave(&mut self, force: bool) -> WitResult<()> {
        self.record("swarm-write", "leave", json!({ "force": force }));
        // dockerd's answer when it is in no swarm.
        done(self.writable().and(Err(DockerError::new(
            ErrorKind::Engine,
            "This node is not part of a swarm",
        ))))
    }

    async fn join_token(&mut self, role: w::NodeRole) -> WitResult<String> {
        let role = match role {
            w::NodeRole::Worker => "worker",
            w::NodeRole::Manager => "manager",
        };
        self.swarm_write("join-token", json!({ "role": role }))
    }

    async fn update_node(&mut self, id: String, version: u64, _spec: String) -> WitResult<()> {
        self.swarm_write("update-node", json!({ "id": id, "version": version }))
    }

    async fn create_service(&mut self, spec: String) -> WitResult<w::ServiceCreated> {
        let body: Option<serde_json::Value> = serde_json::from_str(&spec).ok();
        self.swarm_write("create-service", json!({ "spec": body }))
    }

    async fn update_service(
        &mut self,
        id: String,
        version: u64,
        _spec: String,
        rollback: bool,
    ) -> WitResult<Vec<String>> {
        self.swarm_write(
            "update-service",
            json!({ "id": id, "version": version, "rollback": rollback }),
        )
    }

    async fn remove_service(&mut self, id: String) -> WitResult<()> {
        self.swarm_write("remove-service", json!({ "id": id }))
    }

    async fn create_secret(
        &mut self,
        name: String,
        _data: w::ObjectData,
        _labels: Vec<(String, String)>,
    ) -> WitResult<String> {
        // The value is never recorded: a test's call log must not hold secrets either.
        self.swarm_write("create-secret", json!({ "name": name }))
    }

    async fn remove_secret(&mut self, id: String) -> WitResult<()> {
        self.swarm_write("remove-secret", json!({ "id": id }))
    }

    async fn create_config(
        &mut self,
        name: String,
        _data: w::ObjectData,
        _labels: Vec<(String, String)>,
    ) -> WitResult<String> {
        self.swarm_write("create-config", json!({ "name": name }))
    }

    async fn remove_config(&mut self, id: String) -> WitResult<()> {
        self.swarm_write("remove-config", json!({ "id": id }))
    }
}

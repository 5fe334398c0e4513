//! The engine as a whole, and Docker Swarm, on the model. The model is one engine that is
//! not part of a swarm and answers as such an engine does: its swarm section says
//! `inactive`, and every swarm request fails with the engine's own "not a swarm manager"
//! error. Creating a swarm is refused with the reason: the model has no cluster to create.

use super::super::MockDocker;
use super::not_a_manager;
use crate::model::{EventQuery, unix_nanos};
use crate::render;
use async_trait::async_trait;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wharf_core::engine::{
    ConfigSpec, Credentials, Event, Filters, Json, LogChunk, NodeSpec, SecretSpec, ServiceCreated,
    ServiceSpec, Stream, Swarm, SwarmInitRequest, System, TaskLogOptions,
};
use wharf_core::engine::{DockerError, ErrorKind};

type Result<T> = std::result::Result<T, DockerError>;

#[async_trait]
impl System for MockDocker {
    async fn info(&self) -> Result<Json> {
        self.record("system", "info", json!({}));
        Ok(render::info(&self.model()))
    }

    async fn version(&self) -> Result<Json> {
        self.record("system", "version", json!({}));
        Ok(render::version())
    }

    async fn disk_usage(&self) -> Result<Json> {
        self.record("system", "disk-usage", json!({}));
        Ok(render::disk_usage(&self.model()))
    }

    async fn events(&self, since: i64, until: i64, filters: Filters) -> Result<Stream<Event>> {
        self.record(
            "system",
            "events",
            json!({ "since": since, "until": until, "filters": filters }),
        );
        let query = EventQuery::new(filters)?;
        let docker = self.clone();
        let (from, to) = (
            since.saturating_mul(1_000_000_000),
            until.saturating_add(1).saturating_mul(1_000_000_000),
        );
        let end = UNIX_EPOCH + Duration::from_secs(until.saturating_add(1).max(0) as u64);
        let changes = docker.subscribe();
        // Events already logged, then those to come until the window closes.
        let stream = futures::stream::unfold(
            (
                docker,
                changes,
                0usize,
                Vec::<Event>::new().into_iter(),
                false,
            ),
            move |(docker, mut changes, mut at, mut pending, done)| {
                let query = query.clone();
                async move {
                    loop {
                        if let Some(e) = pending.next() {
                            return Some((Ok(e), (docker, changes, at, pending, done)));
                        }
                        if done {
                            return None;
                        }
                        let batch: Vec<Event> = {
                            let m = docker.model();
                            let new = m.events.get(at..).unwrap_or_default();
                            at = m.events.len();
                            new.iter()
                                .filter(|e| {
                                    e.time_nano >= from && e.time_nano < to && query.matches(e)
                                })
                                .map(|e| Event {
                                    kind: e.kind.clone(),
                                    action: e.action.clone(),
                                    actor_id: e.actor.clone(),
                                    attributes: e
                                        .attributes
                                        .iter()
                                        .map(|(k, v)| (k.clone(), v.clone()))
                                        .collect(),
                                    time_nano: e.time_nano,
                                })
                                .collect()
                        };
                        pending = batch.into_iter();
                        if pending.len() > 0 {
                            continue;
                        }
                        let now = SystemTime::now();
                        if unix_nanos(now) >= to {
                            return None;
                        }
                        let left = end.duration_since(now).unwrap_or_default();
                        match tokio::time::timeout(left, changes.changed()).await {
                            Ok(Ok(())) => {}
                            _ => return None,
                        }
                    }
                }
            },
        );
        Ok(Box::pin(stream))
    }
}

impl MockDocker {
    fn swarm_request<T>(
        &self,
        interface: &str,
        function: &str,
        args: serde_json::Value,
    ) -> Result<T> {
        self.record(interface, function, args);
        Err(not_a_manager())
    }
}

#[async_trait]
impl Swarm for MockDocker {
    async fn swarm_info(&self) -> Result<Json> {
        self.record("swarm-read", "status", json!({}));
        Ok(render::info(&self.model())["Swarm"].clone())
    }

    async fn inspect_swarm(&self) -> Result<Json> {
        self.swarm_request("swarm-read", "inspect-swarm", json!({}))
    }

    async fn list_nodes(&self, filters: Filters) -> Result<Json> {
        self.swarm_request("swarm-read", "list-nodes", json!({ "filters": filters }))
    }

    async fn inspect_node(&self, id: &str) -> Result<Json> {
        self.swarm_request("swarm-read", "inspect-node", json!({ "id": id }))
    }

    async fn list_services(&self, filters: Filters) -> Result<Json> {
        self.swarm_request("swarm-read", "list-services", json!({ "filters": filters }))
    }

    async fn inspect_service(&self, id: &str) -> Result<Json> {
        self.swarm_request("swarm-read", "inspect-service", json!({ "id": id }))
    }

    async fn list_tasks(&self, filters: Filters) -> Result<Json> {
        self.swarm_request("swarm-read", "list-tasks", json!({ "filters": filters }))
    }

    async fn inspect_task(&self, id: &str) -> Result<Json> {
        self.swarm_request("swarm-read", "inspect-task", json!({ "id": id }))
    }

    async fn task_logs(&self, task: &str, _options: TaskLogOptions) -> Result<Stream<LogChunk>> {
        self.swarm_request("swarm-read", "task-logs", json!({ "task": task }))
    }

    async fn list_secrets(&self, filters: Filters) -> Result<Json> {
        self.swarm_request("swarm-read", "list-secrets", json!({ "filters": filters }))
    }

    async fn inspect_secret(&self, id: &str) -> Result<Json> {
        self.swarm_request("swarm-read", "inspect-secret", json!({ "id": id }))
    }

    async fn list_configs(&self, filters: Filters) -> Result<Json> {
        self.swarm_request("swarm-read", "list-configs", json!({ "filters": filters }))
    }

    async fn inspect_config(&self, id: &str) -> Result<Json> {
        self.swarm_request("swarm-read", "inspect-config", json!({ "id": id }))
    }

    async fn init_swarm(&self, request: SwarmInitRequest) -> Result<String> {
        self.record("swarm-write", "init", json!({ "spec": request }));
        Err(DockerError::invalid(
            "the mock host models a single engine outside any swarm; test swarm tools against \
             a real engine (docker swarm init --advertise-addr 127.0.0.1)",
        ))
    }

    async fn leave_swarm(&self, force: bool) -> Result<()> {
        self.record("swarm-write", "leave", json!({ "force": force }));
        // dockerd's answer when it is in no swarm.
        Err(DockerError::new(
            ErrorKind::Engine,
            "This node is not part of a swarm",
        ))
    }

    async fn update_node(&self, id: &str, version: u64, _spec: NodeSpec) -> Result<()> {
        self.swarm_request(
            "swarm-write",
            "update-node",
            json!({ "id": id, "version": version }),
        )
    }

    async fn create_service(
        &self,
        spec: ServiceSpec,
        _credentials: Option<Credentials>,
    ) -> Result<ServiceCreated> {
        self.swarm_request("swarm-write", "create-service", json!({ "spec": spec }))
    }

    async fn update_service(
        &self,
        id: &str,
        version: u64,
        _spec: ServiceSpec,
        rollback: bool,
        _credentials: Option<Credentials>,
    ) -> Result<Vec<String>> {
        self.swarm_request(
            "swarm-write",
            "update-service",
            json!({ "id": id, "version": version, "rollback": rollback }),
        )
    }

    async fn remove_service(&self, id: &str) -> Result<()> {
        self.swarm_request("swarm-write", "remove-service", json!({ "id": id }))
    }

    async fn create_secret(&self, spec: SecretSpec) -> Result<String> {
        // The value is never recorded: a test's call log must not hold secrets either.
        self.swarm_request("swarm-write", "create-secret", json!({ "name": spec.name }))
    }

    async fn remove_secret(&self, id: &str) -> Result<()> {
        self.swarm_request("swarm-write", "remove-secret", json!({ "id": id }))
    }

    async fn create_config(&self, spec: ConfigSpec) -> Result<String> {
        self.swarm_request("swarm-write", "create-config", json!({ "name": spec.name }))
    }

    async fn remove_config(&self, id: &str) -> Result<()> {
        self.swarm_request("swarm-write", "remove-config", json!({ "id": id }))
    }
}

//! Docker Swarm on bollard. Swarm objects are the engine's own JSON, read with plain GETs
//! so nothing an older or newer engine sends is lost in bollard's models. Task logs stream
//! like container logs. Changes are in swarm_write.rs.

use super::containers::LogOutputs;
use super::{DockerError, Engine, ErrorKind};
use async_trait::async_trait;
use bollard::container::LogOutput;
use bollard::query_parameters as q;
use futures::StreamExt;
use serde_json::Value;
use std::collections::BTreeMap;
use wharf_core::engine::{
    self, ConfigSpec, Credentials, Filters, Json, Kind, LogChunk, LogSource, NodeSpec, SecretSpec,
    ServiceCreated, ServiceSpec, Stream, SwarmInitRequest, TaskLogOptions,
};

/// The swarm fetches a task's log from the node that ran it; a node that is down or gone
/// never answers, so a read that waits this long ends the stream with a timeout.
const TASK_LOG_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// GET `path` with `filters` as its query, as the engine's JSON text.
async fn get_json(
    engine: &Engine,
    path: &str,
    filters: &BTreeMap<String, Vec<String>>,
) -> Result<String, DockerError> {
    let query = {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !filters.is_empty() {
            query.append_pair("filters", &serde_json::json!(filters).to_string());
        }
        if path == "/services" {
            // Running and desired task counts; engines before API 1.41 ignore it.
            query.append_pair("status", "true");
        }
        query.finish()
    };
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let body = super::raw::get(engine, &uri, super::REQUEST_TIMEOUT).await?;
    String::from_utf8(body.to_vec())
        .map_err(|_| DockerError::new(ErrorKind::Engine, "the engine's answer is not UTF-8"))
}

async fn get_value(engine: &Engine, path: &str) -> Result<Value, DockerError> {
    let text = get_json(engine, path, &BTreeMap::new()).await?;
    serde_json::from_str(&text)
        .map_err(|e| DockerError::new(ErrorKind::Engine, format!("the engine's answer: {e}")))
}

/// Ids and names in a path segment are the engine's to judge, but a `/`, `?` or `#` would
/// address another endpoint.
pub(super) fn segment(id: &str) -> Result<&str, DockerError> {
    if id.is_empty() || id.contains(['/', '?', '#', '%']) {
        return Err(DockerError::invalid(format!(
            "`{id}` is not an object id or name"
        )));
    }
    Ok(id)
}

/// The labels of a swarm object's JSON (`Spec.Labels`).
pub(super) fn spec_labels(object: &Value) -> std::collections::HashMap<String, String> {
    object["Spec"]["Labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The swarm object `id` of `kind`, as the engine's JSON.
pub(super) async fn inspect(engine: &Engine, kind: Kind, id: &str) -> Result<Value, DockerError> {
    let path = format!("{}/{}", super::scope::swarm_path(kind), segment(id)?);
    get_value(engine, &path).await
}

/// GET `path` with `filters`, as JSON.
async fn list(engine: &Engine, path: &str, filters: &Filters) -> Result<Value, DockerError> {
    let text = get_json(engine, path, filters).await?;
    serde_json::from_str(&text)
        .map_err(|e| DockerError::new(ErrorKind::Engine, format!("the engine's answer: {e}")))
}

async fn get_object(engine: &Engine, path: &str, id: &str) -> Result<Value, DockerError> {
    get_value(engine, &format!("{path}/{}", segment(id)?)).await
}

/// A task's log frames as chunks; a read that waits past [`TASK_LOG_IDLE`] ends the stream
/// with a timeout.
fn task_chunks(errors: crate::Errors, frames: LogOutputs) -> Stream<LogChunk> {
    Box::pin(futures::stream::unfold(
        Some((errors, frames)),
        |state| async move {
            let (errors, mut frames) = state?;
            let Ok(next) = tokio::time::timeout(TASK_LOG_IDLE, frames.next()).await else {
                let e = DockerError::new(
                    ErrorKind::Timeout,
                    format!(
                        "the node that ran the task sent no log for {} s (is it down?)",
                        TASK_LOG_IDLE.as_secs()
                    ),
                );
                return Some((Err(e), None));
            };
            match next? {
                Ok(out) => {
                    let (source, data) = match out {
                        LogOutput::StdErr { message } => (LogSource::Stderr, message),
                        LogOutput::StdOut { message }
                        | LogOutput::Console { message }
                        | LogOutput::StdIn { message } => (LogSource::Stdout, message),
                    };
                    let chunk = LogChunk {
                        source,
                        data: data.to_vec(),
                    };
                    Some((Ok(chunk), Some((errors, frames))))
                }
                Err(e) => Some((Err(errors.map(e)), None)),
            }
        },
    ))
}

#[async_trait]
impl engine::Swarm for Engine {
    async fn swarm_info(&self) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        let info = get_value(self, "/info").await?;
        Ok(info["Swarm"].clone())
    }

    async fn inspect_swarm(&self) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        get_value(self, "/swarm").await
    }

    async fn list_nodes(&self, filters: Filters) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        list(self, "/nodes", &filters).await
    }

    async fn inspect_node(&self, id: &str) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        get_object(self, "/nodes", id).await
    }

    async fn list_services(&self, filters: Filters) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        list(self, "/services", &filters).await
    }

    async fn inspect_service(&self, id: &str) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        inspect(self, Kind::Service, id).await
    }

    async fn list_tasks(&self, filters: Filters) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        list(self, "/tasks", &filters).await
    }

    async fn inspect_task(&self, id: &str) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        get_object(self, "/tasks", id).await
    }

    async fn task_logs(
        &self,
        task: &str,
        o: TaskLogOptions,
    ) -> Result<Stream<LogChunk>, DockerError> {
        self.needs_swarm().await?;
        let docker = self.long_client().await?;
        let opts = q::LogsOptions {
            follow: false,
            stdout: o.stdout,
            stderr: o.stderr,
            since: o.since.unwrap_or(0).clamp(0, i64::from(i32::MAX)) as i32,
            until: 0,
            timestamps: o.timestamps,
            tail: o.tail.map_or_else(|| "all".to_owned(), |n| n.to_string()),
        };
        let frames: LogOutputs = Box::pin(docker.task_logs(segment(task)?, Some(opts)));
        Ok(task_chunks(self.errors(), frames))
    }

    async fn list_secrets(&self, filters: Filters) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        list(self, "/secrets", &filters).await
    }

    async fn inspect_secret(&self, id: &str) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        inspect(self, Kind::Secret, id).await
    }

    async fn list_configs(&self, filters: Filters) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        list(self, "/configs", &filters).await
    }

    async fn inspect_config(&self, id: &str) -> Result<Json, DockerError> {
        self.needs_swarm().await?;
        inspect(self, Kind::Config, id).await
    }

    async fn init_swarm(&self, request: SwarmInitRequest) -> Result<String, DockerError> {
        self.needs_swarm().await?;
        self.request(|d| async move { d.init_swarm(request).await })
            .await
    }

    async fn leave_swarm(&self, force: bool) -> Result<(), DockerError> {
        self.needs_swarm().await?;
        let opts = q::LeaveSwarmOptions { force };
        self.request(|d| async move { d.leave_swarm(Some(opts)).await })
            .await
    }

    async fn update_node(&self, id: &str, version: u64, spec: NodeSpec) -> Result<(), DockerError> {
        self.needs_swarm().await?;
        let opts = q::UpdateNodeOptions {
            version: i64::try_from(version)
                .map_err(|_| DockerError::invalid("the node version is out of range"))?,
        };
        self.request(|d| async move { d.update_node(id, spec, opts).await })
            .await
    }

    async fn create_service(
        &self,
        spec: ServiceSpec,
        credentials: Option<Credentials>,
    ) -> Result<ServiceCreated, DockerError> {
        self.needs_swarm().await?;
        super::swarm_write::create_service(self, spec, credentials).await
    }

    async fn update_service(
        &self,
        id: &str,
        version: u64,
        spec: ServiceSpec,
        rollback: bool,
        credentials: Option<Credentials>,
    ) -> Result<Vec<String>, DockerError> {
        self.needs_swarm().await?;
        super::swarm_write::update_service(self, id, version, spec, rollback, credentials).await
    }

    async fn remove_service(&self, id: &str) -> Result<(), DockerError> {
        self.needs_swarm().await?;
        self.request(|d| async move { d.delete_service(id).await })
            .await
    }

    async fn create_secret(&self, spec: SecretSpec) -> Result<String, DockerError> {
        self.needs_swarm().await?;
        Ok(self
            .request(|d| async move { d.create_secret(spec).await })
            .await?
            .id)
    }

    async fn remove_secret(&self, id: &str) -> Result<(), DockerError> {
        self.needs_swarm().await?;
        self.request(|d| async move { d.delete_secret(id).await })
            .await
    }

    async fn create_config(&self, spec: ConfigSpec) -> Result<String, DockerError> {
        self.needs_swarm().await?;
        Ok(self
            .request(|d| async move { d.create_config(spec).await })
            .await?
            .id)
    }

    async fn remove_config(&self, id: &str) -> Result<(), DockerError> {
        self.needs_swarm().await?;
        self.request(|d| async move { d.delete_config(id).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_cannot_reach_another_endpoint() {
        assert!(segment("web").is_ok());
        assert!(segment("4f2a9c").is_ok());
        for bad in ["", "../containers/json", "a?b", "a#b", "a%2fb"] {
            assert_eq!(segment(bad).unwrap_err().kind, ErrorKind::Invalid, "{bad}");
        }
    }

    #[test]
    fn labels_are_read_from_the_spec() {
        let object = serde_json::json!({"Spec": {"Labels": {"team": "web"}}});
        assert_eq!(spec_labels(&object)["team"], "web");
        assert!(spec_labels(&serde_json::json!({})).is_empty());
    }
}

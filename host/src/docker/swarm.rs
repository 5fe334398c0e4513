//! `swarm-read`: the capability interface. Swarm objects reach the plugin as the engine's
//! own JSON (read with plain GETs, so nothing an older or newer engine sends is lost in
//! bollard's models), narrowed to the scope where one is set. Task logs stream like
//! container logs.

use super::containers::LogOutputs;
use super::host::{DockerHost, WitResult, wit};
use super::{DockerError, Engine, error::ErrorKind};
use crate::engine::Kind;
use crate::policy::Scope;
use crate::runtime::bindings::wharf::docker::{swarm_read as r, types};
use bollard::container::LogOutput;
use bollard::query_parameters as q;
use futures::StreamExt;
use serde_json::Value;
use std::collections::BTreeMap;
use wasmtime::component::Resource;

/// A task's log output, streamed to the plugin chunk by chunk.
pub struct TaskLogStream {
    endpoint: String,
    inner: LogOutputs,
}

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

fn filters_of(filters: Vec<types::Filter>) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in filters {
        map.entry(f.key).or_default().extend(f.values);
    }
    map
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

/// The object, if it is in scope.
pub(super) async fn inspect_scoped(
    engine: &Engine,
    scope: Option<&Scope>,
    kind: Kind,
    id: &str,
) -> Result<Value, DockerError> {
    let id = super::scope::check_scope(engine, scope, kind, id).await?;
    inspect(engine, kind, &id).await
}

impl DockerHost<'_> {
    /// List `path`, narrowed to the scope. The future holds copies, not `self`, whose
    /// resource table may not be shared across the await.
    fn list_scoped(
        &self,
        path: &'static str,
        filters: Vec<types::Filter>,
    ) -> impl Future<Output = WitResult<String>> + Send + use<'_> {
        let filters = filters_of(self.scoped(filters));
        let engine = self.engine;
        async move { wit(get_json(engine, path, &filters)).await }
    }
}

impl r::Host for DockerHost<'_> {
    async fn status(&mut self) -> WitResult<String> {
        let engine = self.engine;
        wit(async {
            let info = get_value(engine, "/info").await?;
            let swarm = info["Swarm"].clone();
            let mut status = serde_json::json!({ "Swarm": swarm });
            if swarm["ControlAvailable"].as_bool() == Some(true) {
                let mut cluster = get_value(engine, "/swarm").await?;
                // Join tokens admit machines to the cluster: only `join-token` of
                // swarm-write hands one out.
                if let Some(c) = cluster.as_object_mut() {
                    c.remove("JoinTokens");
                }
                status["Cluster"] = cluster;
            }
            Ok(status.to_string())
        })
        .await
    }

    async fn list_nodes(&mut self, filters: Vec<types::Filter>) -> WitResult<String> {
        let engine = self.engine;
        wit(get_json(engine, "/nodes", &filters_of(filters))).await
    }

    async fn inspect_node(&mut self, id: String) -> WitResult<String> {
        let engine = self.engine;
        wit(async {
            let path = format!("/nodes/{}", segment(&id)?);
            get_json(engine, &path, &BTreeMap::new()).await
        })
        .await
    }

    async fn list_services(&mut self, filters: Vec<types::Filter>) -> WitResult<String> {
        self.list_scoped("/services", filters).await
    }

    async fn inspect_service(&mut self, id: String) -> WitResult<String> {
        let (engine, scope) = (self.engine, self.scope);
        wit(async {
            Ok(inspect_scoped(engine, scope, Kind::Service, &id)
                .await?
                .to_string())
        })
        .await
    }

    async fn list_tasks(&mut self, filters: Vec<types::Filter>) -> WitResult<String> {
        let (engine, scope) = (self.engine, self.scope);
        wit(async {
            let filters = filters_of(filters);
            // Tasks carry no labels of their own: in a scope, they are listed by service,
            // and every service named must be in scope.
            if scope.is_some() {
                let services = filters.get("service").filter(|s| !s.is_empty()).ok_or_else(|| {
                    DockerError::denied(
                        "with a scope label set, tasks are listed by service: give a `service` filter",
                    )
                })?;
                for service in services {
                    inspect_scoped(engine, scope, Kind::Service, service).await?;
                }
            }
            get_json(engine, "/tasks", &filters).await
        })
        .await
    }

    async fn task_logs(
        &mut self,
        task: String,
        o: r::TaskLogOptions,
    ) -> WitResult<Resource<TaskLogStream>> {
        let (engine, scope) = (self.engine, self.scope);
        let opened: Result<TaskLogStream, DockerError> = async {
            // Fail now on an unknown task rather than at the first read.
            let info = get_value(engine, &format!("/tasks/{}", segment(&task)?)).await?;
            if scope.is_some() {
                let service = info["ServiceID"].as_str().unwrap_or_default();
                inspect_scoped(engine, scope, Kind::Service, service).await?;
            }
            let docker = engine.long_client().await?;
            let opts = q::LogsOptions {
                follow: false,
                stdout: o.stdout,
                stderr: o.stderr,
                since: o.since.unwrap_or(0).clamp(0, i64::from(i32::MAX)) as i32,
                until: 0,
                timestamps: o.timestamps,
                tail: o.tail.map_or_else(|| "all".to_owned(), |n| n.to_string()),
            };
            Ok(TaskLogStream {
                endpoint: engine.endpoint().to_owned(),
                inner: Box::pin(docker.task_logs(&task, Some(opts))),
            })
        }
        .await;
        self.push_or_err(opened)
    }

    async fn list_secrets(&mut self, filters: Vec<types::Filter>) -> WitResult<String> {
        self.list_scoped("/secrets", filters).await
    }

    async fn inspect_secret(&mut self, id: String) -> WitResult<String> {
        let (engine, scope) = (self.engine, self.scope);
        wit(async {
            Ok(inspect_scoped(engine, scope, Kind::Secret, &id)
                .await?
                .to_string())
        })
        .await
    }

    async fn list_configs(&mut self, filters: Vec<types::Filter>) -> WitResult<String> {
        self.list_scoped("/configs", filters).await
    }

    async fn inspect_config(&mut self, id: String) -> WitResult<String> {
        let (engine, scope) = (self.engine, self.scope);
        wit(async {
            Ok(inspect_scoped(engine, scope, Kind::Config, &id)
                .await?
                .to_string())
        })
        .await
    }
}

impl r::HostTaskLogStream for DockerHost<'_> {
    async fn next(
        &mut self,
        stream: Resource<TaskLogStream>,
    ) -> WitResult<Option<r::TaskLogChunk>> {
        let s = self.table.get_mut(&stream)?;
        let Ok(next) = tokio::time::timeout(TASK_LOG_IDLE, s.inner.next()).await else {
            return Ok(Err(DockerError::new(
                ErrorKind::Timeout,
                format!(
                    "the node that ran the task sent no log for {} s (is it down?)",
                    TASK_LOG_IDLE.as_secs()
                ),
            )
            .into()));
        };
        Ok(match next {
            None => Ok(None),
            Some(Ok(out)) => {
                let (source, data) = match out {
                    LogOutput::StdErr { message } => (r::LogSource::Stderr, message),
                    LogOutput::StdOut { message }
                    | LogOutput::Console { message }
                    | LogOutput::StdIn { message } => (r::LogSource::Stdout, message),
                };
                Ok(Some(r::TaskLogChunk {
                    source,
                    data: data.to_vec(),
                }))
            }
            Some(Err(e)) => Err(DockerError::from_bollard(&s.endpoint, e).into()),
        })
    }

    async fn drop(&mut self, stream: Resource<TaskLogStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
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

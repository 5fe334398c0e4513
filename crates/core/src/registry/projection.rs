//! The `jq` argument: a jq filter the host applies to a tool's structured result, so a model
//! asks for the fields it needs instead of reading whole inspect objects. Every tool with an
//! output schema takes it while the projector is loaded; the host consumes it, so plugins
//! never see it. The filter runs in the projector, a component of its own under tight
//! limits: jq is a full language, and its cost is the model's to choose.

use super::{RegistryError, schemas};
use crate::runtime::{CallError, CallHooks, Limits, Output, Plugin};
use serde_json::{Map, Value, json};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const NAME: &str = "jq";

/// The projector's one tool.
const TOOL: &str = "project";

/// The projected structured result: `{"projection": [outputs...]}`.
const FIELD: &str = "projection";

/// Bytes of JSON a projection may return: well within a model's context; a filter that
/// needs more is not narrowing anything.
pub const MAX_OUTPUT: u32 = 64 << 10;

/// Room for a filter's run: large inspect results fit many times over; `[range(1e9)]` or
/// `def f: f; f` hit a limit in about a second, not the host.
pub const LIMITS: Limits = Limits {
    memory_bytes: 64 << 20,
    call_timeout: Duration::from_secs(5),
    compute: Duration::from_secs(2),
    concurrency: 4,
};

/// Whether `schema` declares a `jq` property of its own.
pub fn declared(schema: &Map<String, Value>) -> bool {
    schemas::declares(schema, NAME)
}

/// `schema` with the optional `jq` property. It is bare: the server instructions say once
/// what it does, rather than every tool's schema taking room for it.
pub fn added(schema: &Map<String, Value>) -> Map<String, Value> {
    schemas::with_property(schema, NAME, json!({"type": "string"}))
}

/// The output schema as served: the tool's own, or a projection. Clients validate every
/// structured result against the served schema, projected ones included.
pub fn served_output(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut own = schema.clone();
    own.remove("$schema");
    // References resolve from the root, so definitions stay there.
    let defs = own.remove("$defs");
    let mut served = json!({
        "type": "object",
        "anyOf": [
            own,
            {
                "type": "object",
                "properties": {FIELD: {"type": "array"}},
                "required": [FIELD],
                "additionalProperties": false,
            },
        ],
    });
    if let Some(defs) = defs {
        served["$defs"] = defs;
    }
    match served {
        Value::Object(m) => m,
        _ => unreachable!("built as an object"),
    }
}

/// Remove the `jq` argument from checked arguments, whatever the tool: the name is the
/// host's, so it never reaches a plugin. A blank filter is no filter (clients fill
/// optional strings with "").
pub fn take(args: &mut Value) -> Option<String> {
    let query = match args.as_object_mut()?.remove(NAME)? {
        Value::String(s) => s,
        Value::Null => return None,
        other => other.to_string(),
    };
    (!query.trim().is_empty()).then_some(query)
}

/// Why a projection failed: the filter itself (an argument the model can fix), or the
/// call (cancelled, or a projector that broke).
enum Failure {
    Filter(String),
    Cancelled,
}

/// Longest error text: jq quotes the values it failed on, which may be a whole result.
const MAX_PROBLEM: usize = 300;

/// Whether `query` compiles, asked before a tool that changes state runs: a typo must not
/// cost the result of a call that cannot be repeated. One that does not is an invalid
/// argument, and the call does not run.
pub async fn check(
    projector: &Plugin,
    tool: &str,
    query: &str,
    cancel: &CancellationToken,
) -> Result<(), RegistryError> {
    let args = json!({"query": query, "limit": MAX_OUTPUT, "compile_only": true});
    match run(projector, &args, cancel).await {
        Ok(_) => Ok(()),
        Err(Failure::Filter(problems)) => Err(RegistryError::InvalidArguments {
            tool: tool.to_owned(),
            problems,
        }),
        Err(Failure::Cancelled) => Err(RegistryError::Call(CallError::Cancelled)),
    }
}

/// `output` projected by `query`. The unprojected result never reaches the client: a
/// filter that fails is an error, and for a tool that changed state the error says that it
/// ran, so the model looks rather than runs it again.
pub async fn project(
    projector: &Plugin,
    tool: &str,
    query: &str,
    output: Output,
    changed_state: bool,
    cancel: &CancellationToken,
) -> Result<Output, RegistryError> {
    let unprojected = |problem: String| RegistryError::Unprojected {
        tool: tool.to_owned(),
        problem,
        ran: changed_state,
    };
    // Tools with an output schema always have a structured result (the result check saw
    // to it); this is for a caller that projects anything else.
    let input = output
        .structured
        .ok_or_else(|| unprojected("the result has no structured content to project".into()))?;
    let args = json!({"query": query, "input": input, "limit": MAX_OUTPUT});
    match run(projector, &args, cancel).await {
        Ok(projected) => Ok(projected),
        Err(Failure::Filter(problem)) => Err(unprojected(problem)),
        Err(Failure::Cancelled) => Err(RegistryError::Call(CallError::Cancelled)),
    }
}

/// One projector call.
async fn run(
    projector: &Plugin,
    args: &Value,
    cancel: &CancellationToken,
) -> Result<Output, Failure> {
    let hooks = CallHooks {
        cancel: cancel.clone(),
        ..CallHooks::default()
    };
    let limits = projector.limits();
    let problem = match projector.call(TOOL, &args.to_string(), hooks).await {
        Ok(out) => {
            return Ok(Output {
                text: out.text,
                structured: Some(json!({FIELD: out.structured.unwrap_or(Value::Array(vec![]))})),
            });
        }
        Err(CallError::Cancelled) => return Err(Failure::Cancelled),
        // The projector's own errors already read `jq: ...`.
        Err(CallError::Tool(e)) => e.message,
        Err(CallError::Memory { .. }) => format!(
            "jq: the filter needed more than {} MiB and was stopped",
            limits.memory_bytes >> 20
        ),
        Err(CallError::Compute { .. } | CallError::Timeout { .. }) => format!(
            "jq: the filter ran for more than {} s and was stopped (an endless recursion or \
             a huge range?)",
            limits.compute.as_secs()
        ),
        Err(e) => format!("jq: the projection failed: {e}"),
    };
    Err(Failure::Filter(schemas::shortened(problem, MAX_PROBLEM)))
}

/// Whether the tool's output schema can be served wrapped: its references must still
/// resolve once it sits inside `anyOf`, and it must mean what it means in draft 2020-12
/// (a third-party plugin may write `definitions`, `$id` or a draft-07 `$schema`). A tool
/// whose schema cannot is served as it is, without `jq`.
pub fn wrappable(schema: &Map<String, Value>) -> bool {
    fn refs_ok(v: &Value) -> bool {
        match v {
            Value::Object(m) => m.iter().all(|(k, v)| match (k.as_str(), v) {
                ("$ref", Value::String(r)) => r.starts_with("#/$defs/"),
                ("$id" | "$anchor" | "$dynamicRef" | "$dynamicAnchor" | "definitions", _) => false,
                _ => refs_ok(v),
            }),
            Value::Array(a) => a.iter().all(refs_ok),
            _ => true,
        }
    }
    let draft = schema
        .get("$schema")
        .and_then(Value::as_str)
        .is_none_or(|s| s.contains("2020-12"));
    draft && refs_ok(&Value::Object(schema.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::schemas::SchemaCheck;

    #[test]
    fn added_then_taken() {
        let schema = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        let schema = schema.as_object().unwrap();
        assert!(!declared(schema));
        let with = added(schema);
        assert!(declared(&with));
        assert_eq!(with["properties"]["jq"], json!({"type": "string"}));
        let mut args = json!({"id": "a", "jq": ".id"});
        assert_eq!(take(&mut args).as_deref(), Some(".id"));
        assert_eq!(args, json!({"id": "a"}));
        assert_eq!(take(&mut args), None);
        let mut blank = json!({"jq": "  "});
        assert_eq!(take(&mut blank), None);
        assert_eq!(blank, json!({}));
    }

    #[test]
    fn only_schemas_whose_references_survive_are_wrapped() {
        let ok = |v: Value| wrappable(v.as_object().unwrap());
        assert!(ok(
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}},
                          "$defs": {"A": {"type": "string"}}})
        ));
        assert!(ok(
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
                          "type": "object"})
        ));
        assert!(!ok(
            json!({"$schema": "http://json-schema.org/draft-07/schema#",
                           "type": "object"})
        ));
        assert!(!ok(
            json!({"type": "object", "properties": {"a": {"$ref": "#/definitions/A"}},
                           "definitions": {"A": {}}})
        ));
        assert!(!ok(
            json!({"type": "object", "properties": {"a": {"$ref": "#/properties/b"}}})
        ));
        assert!(!ok(
            json!({"$id": "https://example.com/s", "type": "object"})
        ));
    }

    #[test]
    fn the_served_output_schema_takes_the_result_and_its_projection_only() {
        let own = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"rows": {"type": "array", "items": {"$ref": "#/$defs/Row"}}},
            "required": ["rows"],
            "$defs": {"Row": {"type": "object", "required": ["id"]}},
        });
        let served = served_output(own.as_object().unwrap());
        let check = SchemaCheck::compile(&served).unwrap();
        assert!(check.result(&json!({"rows": [{"id": "a"}]})).is_ok());
        assert!(check.result(&json!({"projection": ["a", 1]})).is_ok());
        // The definitions still resolve: a row without its id breaks the tool's schema.
        assert!(check.result(&json!({"rows": [{}]})).is_err());
        assert!(check.result(&json!({"projection": "a"})).is_err());
        assert!(check.result(&json!({"projection": [], "rows": []})).is_ok());
        assert!(check.result(&json!({"other": 1})).is_err());
    }
}

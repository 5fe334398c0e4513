//! The `jq` argument: a jq filter the host applies to a tool's structured result, so a model
//! asks for the fields it needs instead of reading whole inspect objects. Every tool with an
//! output schema takes it while the projector is loaded; the host consumes it, so plugins
//! never see it. The filter runs in the projector, a component of its own under tight
//! limits: jq is a full language, and its cost is the model's to choose.

use super::RegistryError;
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
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key(NAME))
}

/// `schema` with the optional `jq` property. It is bare: the server instructions say once
/// what it does, rather than every tool's schema taking room for it.
pub fn added(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut schema = schema.clone();
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(p) = properties {
        p.insert(NAME.to_owned(), json!({"type": "string"}));
    }
    schema
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

/// Remove the `jq` argument from checked arguments (the schema made it a string).
pub fn take(args: &mut Value) -> Option<String> {
    match args.as_object_mut()?.remove(NAME)? {
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

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
    run(projector, &args, cancel)
        .await
        .map(drop)
        .map_err(|problems| RegistryError::InvalidArguments {
            tool: tool.to_owned(),
            problems,
        })
}

/// `output` projected by `query`. A filter that fails leaves the result unprojected: when
/// the tool changed state, its text comes with the error, as the call cannot be repeated
/// for it.
pub async fn project(
    projector: &Plugin,
    tool: &str,
    query: &str,
    output: Output,
    changed_state: bool,
    cancel: &CancellationToken,
) -> Result<Output, RegistryError> {
    let Some(input) = output.structured else {
        // Tools with an output schema always have a structured result (the result check
        // saw to it); this is for a caller that projects anything else.
        return Err(RegistryError::Unprojected {
            tool: tool.to_owned(),
            problem: "the result has no structured content to project".to_owned(),
            text: changed_state.then_some(output.text),
        });
    };
    let args = json!({"query": query, "input": input, "limit": MAX_OUTPUT});
    match run(projector, &args, cancel).await {
        Ok(projected) => Ok(projected),
        Err(problem) => Err(RegistryError::Unprojected {
            tool: tool.to_owned(),
            problem,
            text: changed_state.then_some(output.text),
        }),
    }
}

/// One projector call; the error says what was wrong with the filter.
async fn run(
    projector: &Plugin,
    args: &Value,
    cancel: &CancellationToken,
) -> Result<Output, String> {
    let hooks = CallHooks {
        cancel: cancel.clone(),
        ..CallHooks::default()
    };
    let limits = projector.limits();
    match projector.call(TOOL, &args.to_string(), hooks).await {
        Ok(out) => Ok(Output {
            text: out.text,
            structured: Some(json!({FIELD: out.structured.unwrap_or(Value::Array(vec![]))})),
        }),
        // The projector's own errors already read `jq: ...`.
        Err(CallError::Tool(e)) => Err(e.message),
        Err(CallError::Memory { .. }) => Err(format!(
            "jq: the filter needed more than {} MiB and was stopped",
            limits.memory_bytes >> 20
        )),
        Err(CallError::Compute { .. } | CallError::Timeout { .. }) => Err(format!(
            "jq: the filter ran for more than {} s and was stopped (an endless recursion or \
             a huge range?)",
            limits.compute.as_secs()
        )),
        Err(CallError::Cancelled) => Err("cancelled by the client".to_owned()),
        Err(e) => Err(format!("jq: the projection failed: {e}")),
    }
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

//! JSON Schemas checked host-side: a tool's arguments against its input schema, so a
//! plugin only ever sees arguments of the shape it declared, and its structured result
//! against its output schema, so a client never receives a result it would reject (the MCP
//! SDKs validate results and raise on a mismatch).

use jsonschema::{PatternOptions, Validator};
use serde_json::{Map, Value};

/// At most this many problems are reported for one call; the first ones say enough.
const MAX_REPORTED: usize = 3;

/// A problem's length in characters: the validator quotes the offending value, which may
/// be a whole result.
const MAX_PROBLEM: usize = 200;

/// Compiled size a schema's `pattern` may reach.
const MAX_PATTERN_BYTES: usize = 1 << 20;

/// A compiled JSON Schema.
pub struct SchemaCheck {
    validator: Validator,
}

impl SchemaCheck {
    /// Compile `schema`; an error says why it is not a usable JSON Schema.
    pub fn compile(schema: &Map<String, Value>) -> Result<SchemaCheck, String> {
        let schema = Value::Object(schema.clone());
        // A plugin writes its schemas' patterns and, for results, the text they run on too:
        // a backtracking engine would let it spin the host past its own time limits.
        jsonschema::options()
            .with_pattern_options(PatternOptions::regex().size_limit(MAX_PATTERN_BYTES))
            .build(&schema)
            .map(|validator| SchemaCheck { validator })
            .map_err(|e| e.to_string())
    }

    /// `args` as the plugin gets them: nulls dropped ("null means absent", which is how
    /// many clients spell an omitted optional argument), then checked.
    pub fn arguments(&self, args: Option<&Map<String, Value>>) -> Result<Value, String> {
        let args = Value::Object(args.map(strip_nulls).unwrap_or_default());
        self.problems(&args)?;
        Ok(args)
    }

    /// A structured result, checked as it is: a null in a result is what the client gets.
    pub fn result(&self, value: &Value) -> Result<(), String> {
        self.problems(value)
    }

    /// The first problems of `value`, each led by the field it is in.
    fn problems(&self, value: &Value) -> Result<(), String> {
        let problems: Vec<String> = self
            .validator
            .iter_errors(value)
            .take(MAX_REPORTED + 1)
            .map(|e| {
                let at = e.instance_path().to_string();
                let problem = shortened(e.to_string(), MAX_PROBLEM);
                if at.is_empty() {
                    problem
                } else {
                    format!(
                        "{}: {problem}",
                        at.trim_start_matches('/').replace('/', ".")
                    )
                }
            })
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        let mut text = problems[..problems.len().min(MAX_REPORTED)].join("; ");
        if problems.len() > MAX_REPORTED {
            text.push_str("; ...");
        }
        Err(text)
    }
}

/// `problem` cut to `max` characters: messages quote values, which may be whole results.
pub(super) fn shortened(problem: String, max: usize) -> String {
    match problem.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &problem[..end]),
        None => problem,
    }
}

/// Whether an input schema declares the property `name` (the host's own arguments are
/// reserved: a plugin may not declare them).
pub(super) fn declares(schema: &Map<String, Value>, name: &str) -> bool {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key(name))
}

/// `schema` with the property `name` added, for an argument the host takes itself.
pub(super) fn with_property(
    schema: &Map<String, Value>,
    name: &str,
    property: Value,
) -> Map<String, Value> {
    let mut schema = schema.clone();
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(p) = properties {
        p.insert(name.to_owned(), property);
    }
    schema
}

/// Object members whose value is null removed, at every depth (array items are kept: a null
/// there is a value, not an omission).
fn strip_nulls(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), strip_value(v)))
        .collect()
}

fn strip_value(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(strip_nulls(m)),
        Value::Array(a) => Value::Array(a.iter().map(strip_value).collect()),
        v => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value) -> SchemaCheck {
        SchemaCheck::compile(schema.as_object().unwrap()).unwrap()
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "tail": {"type": "integer", "minimum": 0},
                "options": {"type": "object", "properties": {"force": {"type": "boolean"}}}
            },
            "required": ["id"]
        })
    }

    #[test]
    fn good_arguments_pass_with_nulls_dropped() {
        let c = check(schema());
        let out = c
            .arguments(Some(&args(
                json!({"id": "web", "tail": null, "options": {"force": null}}),
            )))
            .unwrap();
        assert_eq!(out, json!({"id": "web", "options": {}}));
    }

    #[test]
    fn errors_name_the_field_and_the_problem() {
        let c = check(schema());
        let e = c
            .arguments(Some(&args(json!({"id": "web", "tail": -1}))))
            .unwrap_err();
        assert!(
            e.starts_with("tail: -1 is less than the minimum of 0"),
            "{e}"
        );
        let e = c
            .arguments(Some(&args(json!({"id": 7, "options": {"force": "yes"}}))))
            .unwrap_err();
        assert!(e.contains("id: 7 is not of type \"string\""), "{e}");
        assert!(
            e.contains("options.force: \"yes\" is not of type \"boolean\""),
            "{e}"
        );
        let e = c.arguments(None).unwrap_err();
        assert!(e.contains("\"id\" is a required property"), "{e}");
    }

    #[test]
    fn many_problems_are_summarised() {
        let c = check(json!({
            "type": "object",
            "properties": {
                "a": {"type": "string"}, "b": {"type": "string"},
                "c": {"type": "string"}, "d": {"type": "string"}, "e": {"type": "string"}
            }
        }));
        let e = c
            .arguments(Some(&args(json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}))))
            .unwrap_err();
        assert_eq!(e.matches("is not of type").count(), MAX_REPORTED, "{e}");
        assert!(e.ends_with("; ..."), "{e}");
    }

    #[test]
    fn results_are_checked_as_they_are_nulls_included() {
        let c = check(json!({
            "type": "object",
            "properties": {"id": {"type": "string"}, "rows": {"type": "array"}},
            "required": ["id", "rows"]
        }));
        c.result(&json!({"id": "x", "rows": []})).unwrap();
        let e = c.result(&json!({"id": null, "rows": []})).unwrap_err();
        assert!(e.starts_with("id: null is not of type \"string\""), "{e}");
        let e = c.result(&json!({"id": "x"})).unwrap_err();
        assert!(e.contains("\"rows\" is a required property"), "{e}");
    }

    #[test]
    fn problems_quote_values_briefly() {
        let c = check(json!({"type": "object", "properties": {"rows": {"type": "array"}}}));
        let e = c
            .result(&json!({"rows": {"text": "x".repeat(100_000)}}))
            .unwrap_err();
        assert!(e.starts_with("rows: {"), "{e}");
        assert!(e.len() < MAX_PROBLEM + 20 && e.ends_with("..."), "{e}");
    }

    #[test]
    fn patterns_run_in_linear_time() {
        // Lookaround and backreferences need a backtracking engine, which a plugin could
        // make spin (its pattern, and for results its text too): refused at load.
        for pattern in ["^(a+)+(?=b)", "(a)\\1"] {
            let schema = json!({"type": "string", "pattern": pattern});
            assert!(
                SchemaCheck::compile(schema.as_object().unwrap()).is_err(),
                "{pattern}"
            );
        }
        let c = check(json!({"type": "object", "properties": {
            "s": {"type": "string", "pattern": "^(a+)+$"}}}));
        let e = c
            .result(&json!({"s": format!("{}!", "a".repeat(50_000))}))
            .unwrap_err();
        assert!(e.starts_with("s: \"aaaa") && e.ends_with("..."), "{e}");
    }

    #[test]
    fn a_broken_schema_is_refused() {
        let e = SchemaCheck::compile(json!({"type": "nonsense"}).as_object().unwrap())
            .err()
            .unwrap();
        assert!(e.contains("nonsense"), "{e}");
    }
}

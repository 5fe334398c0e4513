//! Tool arguments checked host-side against the tool's input schema, so a plugin only ever
//! sees arguments of the shape it declared.

use jsonschema::Validator;
use serde_json::{Map, Value};

/// At most this many problems are reported for one call; the first ones say enough.
const MAX_REPORTED: usize = 3;

/// A tool's compiled input schema.
pub struct ArgumentCheck {
    validator: Validator,
}

impl ArgumentCheck {
    /// Compile `schema`; an error says why it is not a usable JSON Schema.
    pub fn compile(schema: &Map<String, Value>) -> Result<ArgumentCheck, String> {
        let schema = Value::Object(schema.clone());
        jsonschema::validator_for(&schema)
            .map(|validator| ArgumentCheck { validator })
            .map_err(|e| e.to_string())
    }

    /// `args` as the plugin gets them: nulls dropped ("null means absent", which is how
    /// many clients spell an omitted optional argument), then checked.
    pub fn check(&self, args: Option<&Map<String, Value>>) -> Result<Value, String> {
        let args = Value::Object(args.map(strip_nulls).unwrap_or_default());
        let problems: Vec<String> = self
            .validator
            .iter_errors(&args)
            .take(MAX_REPORTED + 1)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() {
                    e.to_string()
                } else {
                    format!("{}: {e}", at.trim_start_matches('/').replace('/', "."))
                }
            })
            .collect();
        if problems.is_empty() {
            return Ok(args);
        }
        let mut text = problems[..problems.len().min(MAX_REPORTED)].join("; ");
        if problems.len() > MAX_REPORTED {
            text.push_str("; ...");
        }
        Err(text)
    }
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

    fn check(schema: Value) -> ArgumentCheck {
        ArgumentCheck::compile(schema.as_object().unwrap()).unwrap()
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
            .check(Some(&args(
                json!({"id": "web", "tail": null, "options": {"force": null}}),
            )))
            .unwrap();
        assert_eq!(out, json!({"id": "web", "options": {}}));
    }

    #[test]
    fn errors_name_the_field_and_the_problem() {
        let c = check(schema());
        let e = c
            .check(Some(&args(json!({"id": "web", "tail": -1}))))
            .unwrap_err();
        assert!(
            e.starts_with("tail: -1 is less than the minimum of 0"),
            "{e}"
        );
        let e = c
            .check(Some(&args(json!({"id": 7, "options": {"force": "yes"}}))))
            .unwrap_err();
        assert!(e.contains("id: 7 is not of type \"string\""), "{e}");
        assert!(
            e.contains("options.force: \"yes\" is not of type \"boolean\""),
            "{e}"
        );
        let e = c.check(None).unwrap_err();
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
            .check(Some(&args(json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}))))
            .unwrap_err();
        assert_eq!(e.matches("is not of type").count(), MAX_REPORTED, "{e}");
        assert!(e.ends_with("; ..."), "{e}");
    }

    #[test]
    fn a_broken_schema_is_refused() {
        let e = ArgumentCheck::compile(json!({"type": "nonsense"}).as_object().unwrap())
            .err()
            .unwrap();
        assert!(e.contains("nonsense"), "{e}");
    }
}

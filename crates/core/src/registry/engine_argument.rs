//! The `engine` argument. With several engines configured, every tool of a plugin that
//! reaches Docker takes an optional `engine`; the host consumes it to route the call, so
//! plugins never see it and need not know engines exist. The name is reserved: a Docker
//! plugin's tool may not declare it.

use super::schemas;
use crate::engine::Engines;
use serde_json::{Map, Value, json};

pub const NAME: &str = "engine";

/// Whether `schema` declares an `engine` property of its own.
pub fn declared(schema: &Map<String, Value>) -> bool {
    schemas::declares(schema, NAME)
}

/// `schema` with the optional `engine` property added: one of the configured names.
pub fn added(schema: &Map<String, Value>, engines: &Engines) -> Map<String, Value> {
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    let property = json!({
        "type": "string",
        "enum": names,
        "description": format!(
            "Docker engine to use (default: {})",
            engines.default_engine().name()
        ),
    });
    schemas::with_property(schema, NAME, property)
}

/// Remove the `engine` argument from checked arguments, returning it (a value that is not
/// a string as its JSON text, which names no engine).
pub fn take(args: &mut Value) -> Option<String> {
    match args.as_object_mut()?.remove(NAME)? {
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fake::Fake;

    #[test]
    fn added_then_taken() {
        let engines = Engines::single(Fake::named("local", false));
        let schema = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        let schema = schema.as_object().unwrap();
        assert!(!declared(schema));
        let with = added(schema, &engines);
        assert!(declared(&with));
        assert_eq!(with["properties"]["engine"]["enum"], json!(["local"]));
        assert_eq!(
            with["properties"]["engine"]["description"],
            "Docker engine to use (default: local)"
        );
        let mut args = json!({"id": "a", "engine": "local"});
        assert_eq!(take(&mut args).as_deref(), Some("local"));
        assert_eq!(args, json!({"id": "a"}));
        assert_eq!(take(&mut args), None);
        // A schema without properties gets them.
        let bare = added(json!({"type": "object"}).as_object().unwrap(), &engines);
        assert!(declared(&bare));
    }
}

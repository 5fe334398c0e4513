use crate::bindings::wharf::plugin::types::{Annotations, Tool};
use crate::{Context, Output, ToolError, ToolResult};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Behaviour hints a tool declares; MCP clients use them to ask before destructive calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

impl Hints {
    /// Reads state only.
    pub const fn read_only() -> Self {
        Hints {
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
        }
    }

    /// Changes state without destroying anything that cannot be recreated.
    pub const fn write() -> Self {
        Hints {
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: false,
        }
    }

    /// May destroy data or state (remove, kill, overwrite).
    pub const fn destructive() -> Self {
        Hints {
            read_only: false,
            destructive: true,
            idempotent: false,
            open_world: false,
        }
    }

    /// Repeating the call with the same arguments has no further effect.
    pub const fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Talks to something outside the local engine.
    pub const fn open_world(mut self) -> Self {
        self.open_world = true;
        self
    }
}

type Handler = Box<dyn Fn(&str, &Context) -> ToolResult<Output>>;

struct Entry {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    hints: Hints,
    input_schema: fn() -> Value,
    output_schema: Option<fn() -> Value>,
    handler: Handler,
}

/// A plugin's tools: definitions derived from argument types, and their handlers.
#[derive(Default)]
pub struct Toolbox {
    entries: Vec<Entry>,
}

impl Toolbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a tool. `A` is the argument object: its doc comments become the schema's
    /// descriptions, and `#[serde(deny_unknown_fields)]` makes a misspelt argument an error
    /// instead of something silently ignored.
    pub fn tool<A>(
        mut self,
        name: &'static str,
        title: &'static str,
        description: &'static str,
        hints: Hints,
        handler: fn(A, &Context) -> ToolResult<Output>,
    ) -> Self
    where
        A: DeserializeOwned + JsonSchema + 'static,
    {
        self.entries.push(Entry {
            name,
            title,
            description,
            hints,
            input_schema: input_schema_of::<A>,
            output_schema: None,
            handler: Box::new(move |args, ctx| handler(parse_args(name, args)?, ctx)),
        });
        self
    }

    /// Declare the structured output of the tool added last. The schema describes `O` as
    /// serde serialises it, so a field skipped when empty is optional, not required.
    pub fn output<O: Serialize + JsonSchema + 'static>(mut self) -> Self {
        if let Some(last) = self.entries.last_mut() {
            last.output_schema = Some(output_schema_of::<O>);
        }
        self
    }

    /// Declare that the tool added last returns a JSON object on every success, of a shape
    /// no Rust type holds (Docker's inspect JSON, say). Clients then expect it, and wharf
    /// offers its `jq` projection on it, as for a tool with a typed [`Toolbox::output`].
    pub fn output_object(mut self) -> Self {
        if let Some(last) = self.entries.last_mut() {
            last.output_schema = Some(|| serde_json::json!({"type": "object"}));
        }
        self
    }

    pub(crate) fn definitions(&self) -> Vec<Tool> {
        self.entries
            .iter()
            .map(|e| Tool {
                name: e.name.to_owned(),
                title: e.title.to_owned(),
                description: e.description.to_owned(),
                input_schema: (e.input_schema)().to_string(),
                output_schema: e.output_schema.map(|f| f().to_string()),
                annotations: Annotations {
                    read_only: e.hints.read_only,
                    destructive: e.hints.destructive,
                    idempotent: e.hints.idempotent,
                    open_world: e.hints.open_world,
                },
            })
            .collect()
    }

    /// Run the named tool; an unknown name is an error, never a panic.
    pub fn call(&self, name: &str, args: &str, ctx: &Context) -> ToolResult<Output> {
        let entry = self
            .entries
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| ToolError::not_found(format!("this plugin has no tool `{name}`")))?;
        (entry.handler)(args, ctx)
    }
}

/// Parse a tool's arguments, naming the offending field in the error.
pub fn parse_args<A: DeserializeOwned>(tool: &str, args: &str) -> ToolResult<A> {
    let de = &mut serde_json::Deserializer::from_str(args);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // serde_json appends "at line 1 column 42": noise for a model reading the message.
        let msg = inner.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        if path == "." {
            ToolError::invalid(format!("invalid arguments for {tool}: {msg}"))
        } else {
            ToolError::invalid(format!("invalid argument `{path}` for {tool}: {msg}"))
        }
    })
}

/// The schema of a tool's arguments, which serde deserialises: a field with a default is
/// optional.
fn input_schema_of<T: JsonSchema>() -> Value {
    schema_of::<T>(SchemaSettings::draft2020_12().for_deserialize())
}

/// The schema of a tool's result, which serde serialises: a field skipped when empty is
/// optional. Generated for reading instead, it would require fields the result leaves out,
/// and clients that validate results (the MCP SDKs do) would reject them.
fn output_schema_of<T: JsonSchema>() -> Value {
    schema_of::<T>(SchemaSettings::draft2020_12().for_serialize())
}

/// The JSON Schema of `T`, self-contained (no `$defs`) and without the meta-schema noise.
fn schema_of<T: JsonSchema>(settings: SchemaSettings) -> Value {
    let generator = settings
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.remove("title");
    }
    compact(&mut schema);
    schema
}

/// Drop what a tool list pays for on every request but a model does not need (the whole
/// list has a budget: see docs/measurements.md):
/// - an optional argument is simply left out, so it needs neither `null` in its type or
///   its enum nor a default of null, false or empty;
/// - `format` (`uint32`, `double`) repeats what `type` says, and so does `minimum: 0` of
///   an unsigned integer: the plugin's parsing still refuses a negative one, naming it;
/// - `additionalProperties: false`: arguments are still parsed with
///   `deny_unknown_fields`, so a misspelt one is an error that names it.
fn compact(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    obj.remove("format");
    // Doc comments wrap at the source's width; a model reads one line either way.
    if let Some(Value::String(d)) = obj.get_mut("description") {
        *d = d.replace('\n', " ");
    }
    if obj.get("type") == Some(&Value::from("integer"))
        && obj.get("minimum") == Some(&Value::from(0))
    {
        obj.remove("minimum");
    }
    if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
        obj.remove("additionalProperties");
    }
    let required: Vec<Value> = obj
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for (name, prop) in props.iter_mut() {
            if !required.contains(&Value::String(name.clone())) {
                drop_null(prop);
            }
        }
    }
    for (key, child) in obj.iter_mut() {
        match (key.as_str(), child) {
            // Values, not schemas: a default object may well have a `format` member.
            ("default" | "const" | "enum" | "examples", _) => {}
            // Names to schemas: a property may be called `format` too.
            ("properties" | "patternProperties" | "$defs", Value::Object(named)) => {
                named.values_mut().for_each(compact)
            }
            (_, child @ Value::Object(_)) => compact(child),
            (_, Value::Array(items)) => items.iter_mut().for_each(compact),
            _ => {}
        }
    }
}

/// An optional property's schema without its `null` alternative.
fn drop_null(prop: &mut Value) {
    let Some(p) = prop.as_object_mut() else {
        return;
    };
    let implied = match p.get("default") {
        Some(Value::Null | Value::Bool(false)) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    };
    if implied {
        p.remove("default");
    }
    if let Some(Value::Array(values)) = p.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if let Some(Value::Array(types)) = p.get("type") {
        let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if rest.len() == 1 {
            p.insert("type".into(), rest[0].clone());
        }
    }
    // `Option<Enum>` comes as `anyOf: [{enum schema}, {"type": "null"}]`.
    if let Some(Value::Array(any)) = p.get("anyOf") {
        let rest: Vec<Value> = any
            .iter()
            .filter(|s| s.get("type") != Some(&Value::from("null")))
            .cloned()
            .collect();
        if let [only] = rest.as_slice()
            && let Some(inner) = only.as_object()
        {
            let inner = inner.clone();
            p.remove("anyOf");
            for (k, v) in inner {
                p.entry(k).or_insert(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Arguments of a test tool.
    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Args {
        /// The container.
        id: String,
        #[serde(default)]
        tail: Option<u32>,
    }

    #[test]
    fn optional_arguments_are_listed_without_null() {
        let s = input_schema_of::<Args>();
        assert_eq!(
            s["properties"]["tail"],
            serde_json::json!({"type": "integer"})
        );
        assert_eq!(s["required"], serde_json::json!(["id"]));
    }

    #[test]
    fn schema_is_inline_object_with_descriptions() {
        let s = input_schema_of::<Args>();
        assert_eq!(s["type"], "object");
        assert_eq!(s["properties"]["id"]["description"], "The container.");
        // Unknown arguments are refused by parsing, not advertised in every schema.
        assert!(s.get("additionalProperties").is_none());
        assert!(s.get("$schema").is_none() && s.get("title").is_none());
        assert_eq!(s["required"], serde_json::json!(["id"]));
    }

    /// A result shaped like the built-in plugins' results: fields left out when empty, a
    /// nullable field always written, nested rows, an enum.
    #[derive(Serialize, JsonSchema)]
    struct Result {
        id: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i64>,
        health: Option<String>,
        rows: Vec<Row>,
    }

    #[derive(Serialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    enum State {
        Running,
        Exited,
    }

    #[derive(Serialize, JsonSchema)]
    struct Row {
        state: State,
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        labels: std::collections::BTreeMap<String, String>,
    }

    fn valid(schema: &Value, value: &impl Serialize) -> std::result::Result<(), String> {
        let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
        let value = serde_json::to_value(value).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    #[test]
    fn results_with_their_empty_fields_left_out_match_their_schema() {
        let schema = output_schema_of::<Result>();
        // What run_container returned on every successful call (issue 23): warnings
        // required by the schema, left out by serde.
        assert_eq!(
            schema["required"],
            serde_json::json!(["id", "health", "rows"])
        );
        let sparse = Result {
            id: "c1".into(),
            warnings: vec![],
            exit_code: None,
            health: None,
            rows: vec![Row {
                state: State::Running,
                labels: Default::default(),
            }],
        };
        valid(&schema, &sparse).unwrap();
        let full = Result {
            id: "c1".into(),
            warnings: vec!["w".into()],
            exit_code: Some(0),
            health: Some("healthy".into()),
            rows: vec![Row {
                state: State::Exited,
                labels: [("a".to_owned(), "b".to_owned())].into(),
            }],
        };
        valid(&schema, &full).unwrap();
        // The schema still says something: a wrong type is refused.
        let mut wrong = serde_json::to_value(&full).unwrap();
        wrong["exit_code"] = "zero".into();
        assert!(valid(&schema, &wrong).is_err());
    }

    #[test]
    fn a_result_schema_generated_for_reading_would_refuse_those_results() {
        // The failure the serialise contract prevents, shown with the contract that caused it.
        let read = schema_of::<Result>(SchemaSettings::draft2020_12().for_deserialize());
        let sparse = Result {
            id: "c1".into(),
            warnings: vec![],
            exit_code: None,
            health: None,
            rows: vec![],
        };
        let e = valid(&read, &sparse).unwrap_err();
        assert!(e.contains("\"warnings\" is a required property"), "{e}");
    }

    /// Arguments named like schema keywords.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Keywords {
        format: String,
        #[serde(default)]
        required: Option<u32>,
    }

    #[test]
    fn properties_named_like_keywords_are_kept() {
        let s = input_schema_of::<Keywords>();
        assert_eq!(
            s["properties"]["format"],
            serde_json::json!({"type": "string"})
        );
        assert_eq!(s["properties"]["required"]["type"], "integer");
        assert_eq!(s["required"], serde_json::json!(["format"]));
    }

    #[test]
    fn argument_errors_name_the_field() {
        let e = parse_args::<Args>("t", r#"{"id":"x","tail":"many"}"#)
            .err()
            .unwrap();
        assert!(
            e.message
                .starts_with("invalid argument `tail` for t: invalid type"),
            "{}",
            e.message
        );
        let e = parse_args::<Args>("t", r#"{}"#).err().unwrap();
        assert_eq!(e.message, "invalid arguments for t: missing field `id`");
        let e = parse_args::<Args>("t", r#"{"id":"x","colour":1}"#)
            .err()
            .unwrap();
        assert!(
            e.message.contains("unknown field `colour`"),
            "{}",
            e.message
        );
    }
}

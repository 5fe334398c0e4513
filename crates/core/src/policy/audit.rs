//! The audit log: one JSON line per call of a tool that may change state, whatever its
//! outcome, with secrets in the arguments redacted. The file is created owner-only and only
//! ever appended to.

use super::changes::Listed;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Strings longer than this (an inline Dockerfile...) are cut in the log.
const MAX_STRING: usize = 512;
/// Error messages longer than this are cut in the log.
const MAX_ERROR: usize = 1024;
const REDACTED: &str = "<redacted>";

#[derive(Debug, thiserror::Error)]
#[error("cannot open the audit log {path}: {source}")]
pub struct AuditError {
    path: PathBuf,
    source: std::io::Error,
}

pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

/// The call a record is about.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub tool: &'a str,
    pub plugin: &'a str,
    pub arguments: Option<&'a Map<String, Value>>,
    /// The tool's input schema: the arguments it marks `writeOnly` are redacted whatever
    /// their names.
    pub schema: &'a Map<String, Value>,
    /// The Docker changes the call asked for.
    pub requests: &'a Listed,
}

/// What happened to one call.
pub enum Outcome<'a> {
    Ok,
    /// The policy or the argument check stopped it before the plugin ran.
    Refused(&'a str),
    Failed(&'a str),
}

#[derive(Serialize)]
struct Record<'a> {
    time: String,
    tool: &'a str,
    plugin: &'a str,
    arguments: Value,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    duration_ms: u64,
    /// The Docker changes the call asked for, as the guard saw them ("(refused)" marked).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    requests: &'a [String],
    /// Requests beyond those listed.
    #[serde(skip_serializing_if = "is_zero")]
    more_requests: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl AuditLog {
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Arguments can name hosts, paths and images: not for other users' eyes.
            options.mode(0o600);
        }
        let file = options.open(path).map_err(|source| AuditError {
            path: path.to_owned(),
            source,
        })?;
        Ok(AuditLog {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    pub fn record(&self, call: &Call<'_>, outcome: Outcome<'_>, duration: Duration) {
        let Call {
            tool,
            plugin,
            arguments,
            schema,
            requests,
        } = *call;
        let (outcome, error) = match outcome {
            Outcome::Ok => ("ok", None),
            Outcome::Refused(e) => ("refused", Some(cut(e, MAX_ERROR))),
            Outcome::Failed(e) => ("error", Some(cut(e, MAX_ERROR))),
        };
        let record = Record {
            time: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            tool,
            plugin,
            arguments: Value::Object(arguments.map(|a| redact(a, schema)).unwrap_or_default()),
            outcome,
            error,
            duration_ms: duration.as_millis().try_into().unwrap_or(u64::MAX),
            requests: &requests.requests,
            more_requests: requests.more,
        };
        let mut line = match serde_json::to_vec(&record) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot encode an audit record: {e}");
                return;
            }
        };
        line.push(b'\n');
        // One write of a whole line to an O_APPEND file: concurrent records never interleave.
        let written = match self.file.lock() {
            Ok(mut f) => f.write_all(&line),
            Err(poisoned) => poisoned.into_inner().write_all(&line),
        };
        if let Err(e) = written {
            tracing::error!(path = %self.path.display(), tool, "cannot write the audit log: {e}");
        }
    }
}

/// The arguments with every secret replaced: those the tool's input `schema` marks
/// `writeOnly` (JSON Schema's word for a value sent but never shown back, like a
/// password), environment and build-arg values, inline file contents, and any field whose
/// name says it holds a credential.
pub fn redact(args: &Map<String, Value>, schema: &Map<String, Value>) -> Map<String, Value> {
    let write_only = |k: &str| {
        schema
            .get("properties")
            .and_then(|p| p.get(k))
            .and_then(|p| p.get("writeOnly"))
            == Some(&Value::Bool(true))
    };
    args.iter()
        .map(|(k, v)| {
            let v = if write_only(k) && !v.is_null() {
                Value::String(REDACTED.into())
            } else {
                redact_field(k, v)
            };
            (k.clone(), v)
        })
        .collect()
}

fn redact_nested(args: &Map<String, Value>) -> Map<String, Value> {
    redact(args, &Map::new())
}

fn redact_field(key: &str, value: &Value) -> Value {
    let k = key.to_ascii_lowercase();
    if ["env", "environment", "build_args"].contains(&k.as_str()) {
        return redact_assignments(value);
    }
    if k == "files" {
        return describe_files(value);
    }
    if ["pass", "secret", "token", "auth", "credential", "key"]
        .iter()
        .any(|s| k.contains(s))
    {
        return Value::String(REDACTED.into());
    }
    match value {
        Value::Object(m) => Value::Object(redact_nested(m)),
        Value::Array(a) => Value::Array(a.iter().map(|v| redact_field(key, v)).collect()),
        Value::String(s) => Value::String(cut(s, MAX_STRING)),
        v => v.clone(),
    }
}

/// `["A=1"]` -> `["A=<redacted>"]`, `{"A": "1"}` -> `{"A": "<redacted>"}`: the names stay,
/// they say what was set.
fn redact_assignments(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| match i.as_str().and_then(|s| s.split_once('=')) {
                    Some((name, _)) => Value::String(format!("{name}={REDACTED}")),
                    None => redact_assignments(i),
                })
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.keys()
                .map(|k| (k.clone(), Value::String(REDACTED.into())))
                .collect(),
        ),
        Value::String(s) if s.contains('=') => {
            let name = s.split('=').next().unwrap_or_default();
            Value::String(format!("{name}={REDACTED}"))
        }
        Value::Null => Value::Null,
        _ => Value::String(REDACTED.into()),
    }
}

/// Inline files keep their names and sizes, not their contents.
fn describe_files(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(name, content)| {
                    let size = content.as_str().map_or(0, str::len);
                    (name.clone(), Value::String(format!("<{size} bytes>")))
                })
                .collect(),
        ),
        Value::Null => Value::Null,
        _ => Value::String(REDACTED.into()),
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn secrets_are_redacted_and_names_kept() {
        let args = obj(json!({
            "image": "app:1",
            "env": ["DB_PASSWORD=hunter2", "MODE=prod"],
            "build_args": {"NPM_TOKEN": "s3cr3t"},
            "files": {"app.conf": "password=hunter2"},
            "registry_password": "hunter2",
            "labels": {"auth_token": "abc", "team": "core"},
        }));
        let out = Value::Object(redact(&args, &Map::new())).to_string();
        for secret in ["hunter2", "s3cr3t", "abc"] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        for kept in [
            "app:1",
            "DB_PASSWORD=",
            "MODE=",
            "NPM_TOKEN",
            "app.conf",
            "core",
        ] {
            assert!(out.contains(kept), "{kept} lost: {out}");
        }
        assert!(out.contains("<16 bytes>"), "{out}");
    }

    #[test]
    fn arguments_the_schema_marks_write_only_are_redacted() {
        let schema = obj(json!({"properties": {
            "value": {"type": "string", "writeOnly": true},
            "name": {"type": "string"}
        }}));
        let args = obj(json!({"name": "db_pw", "value": "hunter2"}));
        let out = Value::Object(redact(&args, &schema)).to_string();
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("db_pw"), "{out}");
    }

    #[test]
    fn long_strings_are_cut() {
        let args = obj(json!({ "dockerfile": "RUN x\n".repeat(500) }));
        let out = redact(&args, &Map::new())["dockerfile"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(out.len() < 600 && out.ends_with("(3000 bytes)"), "{out}");
    }

    #[test]
    fn records_are_appended_as_json_lines_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        let args = obj(json!({"id": "web", "env": ["K=v"]}));
        let schema = Map::new();
        let requests = Listed {
            requests: vec!["remove container web".into()],
            more: 0,
        };
        let call = Call {
            tool: "remove_container",
            plugin: "containers",
            arguments: Some(&args),
            schema: &schema,
            requests: &requests,
        };
        log.record(&call, Outcome::Ok, Duration::from_millis(12));
        let none = Listed::default();
        let refused = Call {
            tool: "kill_container",
            arguments: None,
            requests: &none,
            ..call
        };
        log.record(&refused, Outcome::Refused("denied"), Duration::ZERO);
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["tool"], "remove_container");
        assert_eq!(lines[0]["outcome"], "ok");
        assert_eq!(lines[0]["duration_ms"], 12);
        assert_eq!(lines[0]["arguments"]["env"][0], "K=<redacted>");
        assert_eq!(lines[0]["requests"], json!(["remove container web"]));
        assert!(lines[1].get("requests").is_none(), "{}", lines[1]);
        assert_eq!(lines[1]["outcome"], "refused");
        assert_eq!(lines[1]["error"], "denied");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

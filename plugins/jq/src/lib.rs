//! The jq projection of tool results. The host runs this component, never a model: a call's
//! `jq` argument and the structured result it applies to come in, the filter's outputs go
//! out. It lives in a sandbox of its own because jq is a full language (`def f: f; f`,
//! `[range(1e12)]`) and jaq bounds neither time nor memory: the runtime's epoch deadline and
//! memory limit do, and a trap here costs a call, never the host.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data};
use jaq_json::Val;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use std::io::Write;
use wharf_plugin_sdk::{
    Context, Hints, Output, Plugin, PluginInfo, ToolError, ToolResult, Toolbox,
};

struct Jq;

impl Plugin for Jq {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "jq",
            env!("CARGO_PKG_VERSION"),
            "Projects a tool's structured result with a jq filter (host use only)",
        )
    }

    fn toolbox() -> Toolbox {
        Toolbox::new().tool(
            "project",
            "Project a value",
            "Run a jq filter on a JSON value; the outputs, at most `limit` bytes of JSON.",
            Hints::read_only(),
            project,
        )
    }
}

wharf_plugin_sdk::export!(Jq);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ProjectArgs {
    /// The jq filter.
    query: String,
    /// The value it runs on.
    #[serde(default)]
    input: Value,
    /// At most this many bytes of output, counted as compact JSON.
    limit: u32,
    /// Only check that the filter compiles: the host asks before a call that changes state.
    #[serde(default)]
    compile_only: bool,
}

fn project(a: ProjectArgs, ctx: &Context) -> ToolResult<Output> {
    let program = File {
        code: a.query.as_str(),
        path: (),
    };
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(&arena, program)
        .map_err(|errors| invalid(load_errors(&a.query, errors)))?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errors| invalid(compile_errors(&a.query, errors)))?;
    if a.compile_only {
        return Ok(Output::text(""));
    }

    let input = jaq_json::read::parse_single(&serde_json::to_vec(&a.input)?)
        .map_err(|e| ToolError::failed(format!("jq: the result is not JSON jq can read: {e}")))?;
    let run = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    let limit = a.limit as usize;
    let mut out = Limited {
        bytes: Vec::new(),
        limit,
    };
    let mut values = Vec::new();
    for v in filter.id.run((run, input)) {
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        let v = v.map_err(|e| match e.get_err() {
            // `error("text")` says its text, unquoted, as jq prints it.
            Ok(e) => match e.into_val() {
                Val::TStr(text) => {
                    ToolError::invalid(format!("jq: {}", String::from_utf8_lossy(&text)))
                }
                other => ToolError::invalid(format!("jq: {other}")),
            },
            // `halt` and `halt_error` end the filter; the projection has no process to end.
            Err(_) => ToolError::invalid("jq: the filter called halt; a projection cannot halt"),
        })?;
        let start = out.bytes.len();
        let over = || {
            ToolError::invalid(format!(
                "jq: the projection is over {limit} bytes; select fewer fields or elements \
                 (e.g. `.[:10]`, `{{name, state}}`)"
            ))
        };
        jaq_json::write::write(&mut out, &Default::default(), 0, &v).map_err(|_| over())?;
        let text = &out.bytes[start..];
        let value: Value = serde_json::from_slice(text).map_err(|_| {
            ToolError::invalid(format!(
                "jq: an output is not JSON (NaN, infinity, a byte string or a non-string \
                 key): {}",
                String::from_utf8_lossy(&text[..text.len().min(80)])
            ))
        })?;
        values.push(value);
        out.write_all(b"\n").map_err(|_| over())?;
    }
    let text = String::from_utf8(out.bytes).unwrap_or_else(|e| {
        // serde_json accepted every line, so each is UTF-8; keep whatever is, rather than trap.
        String::from_utf8_lossy(e.as_bytes()).into_owned()
    });
    Ok(Output {
        text,
        structured: Some(Value::Array(values)),
    })
}

/// Output that refuses to grow past `limit` bytes, so a filter yielding a huge value stops
/// at the cap rather than at the memory limit.
struct Limited {
    bytes: Vec<u8>,
    limit: usize,
}

impl Write for Limited {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            return Err(std::io::Error::other("over the limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn invalid(problems: Vec<String>) -> ToolError {
    ToolError::invalid(format!("jq: {}", problems.join("; ")))
}

/// Where `part`, a slice of `query`, starts: line (when the filter has several) and
/// column, counted in characters.
fn at(query: &str, part: &str) -> String {
    let offset = (part.as_ptr() as usize).wrapping_sub(query.as_ptr() as usize);
    let Some(before) = query.get(..offset) else {
        return String::new();
    };
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let place = if query.contains('\n') {
        format!("line {line}, column {column}")
    } else {
        format!("column {column}")
    };
    let near: String = part.chars().take(20).collect();
    if near.is_empty() {
        format!(" at the end ({place})")
    } else {
        format!(" at {place} (`{near}`)")
    }
}

fn load_errors(query: &str, errors: jaq_core::load::Errors<&str, ()>) -> Vec<String> {
    use jaq_core::load::Error;
    let mut out = Vec::new();
    for (_, e) in errors {
        match e {
            Error::Io(es) => out.extend(
                es.into_iter()
                    .map(|(path, e)| format!("cannot import {path}: {e}")),
            ),
            Error::Lex(es) => {
                out.extend(es.into_iter().map(|(expect, part)| {
                    format!("expected {}{}", expect.as_str(), at(query, part))
                }))
            }
            Error::Parse(es) => {
                out.extend(es.into_iter().map(|(expect, part)| {
                    format!("expected {}{}", expect.as_str(), at(query, part))
                }))
            }
        }
    }
    out
}

fn compile_errors(query: &str, errors: jaq_core::compile::Errors<&str, ()>) -> Vec<String> {
    errors
        .into_iter()
        .flat_map(|(_, es)| es)
        .map(|(name, undefined)| {
            format!(
                "undefined {} `{name}`{}",
                undefined.as_str(),
                at(query, name)
            )
        })
        .collect()
}

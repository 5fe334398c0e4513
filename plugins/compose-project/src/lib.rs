//! Finding and loading a Compose project: its files (named, or the ones Compose looks for),
//! its `.env`, and the variables a call passes, into a [`Loaded`] project. Shared by the
//! plugins that read compose files (compose, and swarm's stacks): they import `read-files`
//! through this crate.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use wharf_compose_spec::{ComposeFile, Healthcheck, Loaded, Options, Project, Service};
use wharf_plugin_sdk::files::{self, ErrorKind as FileErrorKind, FileError};
use wharf_plugin_sdk::spec::parse_duration;
use wharf_plugin_sdk::{ErrorKind, ToolError, ToolResult};

/// Compose files are small; a larger one is a mistake, not a project.
const MAX_FILE: u32 = 4 << 20;

/// The files Compose looks for when none are named, in its order; the first found wins.
const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// Declares a tool's argument struct with the arguments that locate a project (shared by
/// every tool that reads the compose files) followed by the tool's own.
#[macro_export]
macro_rules! project_args {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            // Undocumented in the schema on purpose: every compose tool repeats these, so
            // compose_config's and compose_up's descriptions say once what they mean
            // (PROJECT_ARGS), and the tool list does not pay for it a dozen times.
            #[serde(default)]
            pub project_dir: Option<String>,
            #[serde(default)]
            pub files: Vec<String>,
            #[serde(default)]
            pub yaml: Option<String>,
            #[serde(default)]
            pub project_name: Option<String>,
            #[serde(default)]
            pub env: std::collections::BTreeMap<String, String>,
            $($body)*
        }

        impl $name {
            pub fn source(&self) -> $crate::Source<'_> {
                $crate::Source {
                    project_dir: self.project_dir.as_deref(),
                    files: &self.files,
                    yaml: self.yaml.as_deref(),
                    project_name: self.project_name.as_deref(),
                    env: &self.env,
                }
            }
        }
    };
}

/// Where a project comes from.
pub struct Source<'a> {
    pub project_dir: Option<&'a str>,
    pub files: &'a [String],
    pub yaml: Option<&'a str>,
    pub project_name: Option<&'a str>,
    pub env: &'a BTreeMap<String, String>,
}

/// A loaded project with where it was found.
pub struct Opened {
    pub loaded: Loaded,
    /// The project directory, canonical.
    pub dir: String,
    /// The compose files read, as paths (empty for inline YAML).
    pub files: Vec<String>,
    env: BTreeMap<String, String>,
}

fn file_error(e: FileError) -> ToolError {
    let kind = match e.kind {
        FileErrorKind::NotFound => ErrorKind::NotFound,
        FileErrorKind::Denied => ErrorKind::Denied,
        FileErrorKind::Invalid | FileErrorKind::TooLarge => ErrorKind::InvalidArguments,
    };
    ToolError::new(kind, e.message)
}

/// The text of `path`, or none if it does not exist.
fn read_optional(path: &str) -> ToolResult<Option<String>> {
    match files::read_text(path, MAX_FILE) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind == FileErrorKind::NotFound => Ok(None),
        Err(e) => Err(file_error(e)),
    }
}

/// `file` taken from `dir`, unless it is absolute.
pub fn join(dir: &str, file: &str) -> String {
    if file.starts_with('/') {
        file.to_owned()
    } else {
        format!("{}/{file}", dir.trim_end_matches('/'))
    }
}

/// The override file Compose pairs with a default file: `compose.override.yaml` for
/// `compose.yaml`.
fn override_of(file: &str) -> String {
    match file.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.override.{ext}"),
        None => format!("{file}.override"),
    }
}

pub fn open(args: &Source) -> ToolResult<Opened> {
    let dir = files::canonical(args.project_dir.unwrap_or(".")).map_err(file_error)?;
    let directory_name = dir.rsplit('/').next().unwrap_or("project").to_owned();
    let mut compose_files = Vec::new();
    if let Some(yaml) = args.yaml {
        if !args.files.is_empty() {
            return Err(ToolError::invalid("give either yaml or files, not both"));
        }
        compose_files.push(ComposeFile {
            name: "inline yaml".into(),
            text: yaml.to_owned(),
        });
    } else if args.files.is_empty() {
        let found = DEFAULT_FILES
            .iter()
            .map(|f| (f, join(&dir, f)))
            .find_map(|(f, path)| read_optional(&path).transpose().map(|t| (f, t)));
        let Some((name, text)) = found else {
            return Err(ToolError::not_found(format!(
                "no compose file in {dir} (looked for {}); name one with files",
                DEFAULT_FILES.join(", ")
            )));
        };
        compose_files.push(ComposeFile {
            name: (*name).to_owned(),
            text: text?,
        });
        let over = override_of(name);
        if let Some(text) = read_optional(&join(&dir, &over))? {
            compose_files.push(ComposeFile { name: over, text });
        }
    } else {
        for f in args.files {
            let text = files::read_text(&join(&dir, f), MAX_FILE).map_err(file_error)?;
            compose_files.push(ComposeFile {
                name: f.clone(),
                text,
            });
        }
    }
    let dotenv = read_optional(&join(&dir, ".env"))?;
    let lookup = |name: &str| args.env.get(name).cloned();
    let loaded = wharf_compose_spec::load(
        &compose_files,
        &Options {
            project_name: args.project_name,
            directory_name: &directory_name,
            env: &lookup,
            dotenv: dotenv.as_deref(),
        },
    )
    .map_err(|e| ToolError::invalid(e.to_string()))?;
    // Pass-through variables (`KEY` alone) come from the call's env, then the .env file,
    // as Compose takes them from the shell, then .env.
    let mut env: BTreeMap<String, String> = match &dotenv {
        Some(text) => wharf_compose_spec::parse_dotenv(text, ".env", &lookup)
            .map_err(|e| ToolError::invalid(e.to_string()))?
            .into_iter()
            .collect(),
        None => BTreeMap::new(),
    };
    env.extend(args.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    let files = if args.yaml.is_some() {
        Vec::new()
    } else {
        compose_files.iter().map(|f| join(&dir, &f.name)).collect()
    };
    Ok(Opened {
        loaded,
        dir,
        files,
        env,
    })
}

impl Opened {
    pub fn project(&self) -> &Project {
        &self.loaded.project
    }

    /// A service's environment as its containers get it: its env files in order, then its
    /// `environment`, where a bare `KEY` takes the call's (or .env's) value or is left out.
    pub fn environment(&self, service: &Service) -> ToolResult<BTreeMap<String, String>> {
        let lookup = |name: &str| self.env.get(name).cloned();
        let mut out = BTreeMap::new();
        for f in &service.env_file {
            let path = join(&self.dir, f);
            let text = files::read_text(&path, MAX_FILE).map_err(file_error)?;
            let pairs = wharf_compose_spec::parse_dotenv(&text, f, &lookup)
                .map_err(|e| ToolError::invalid(e.to_string()))?;
            out.extend(pairs);
        }
        for (k, v) in &service.environment {
            match v {
                Some(v) => {
                    out.insert(k.clone(), v.clone());
                }
                None => {
                    if let Some(v) = self.env.get(k) {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        Ok(out)
    }
}

/// A service's healthcheck as the Engine API's HealthConfig, which a container's `Healthcheck`
/// and a swarm service's `ContainerSpec.HealthCheck` share. `field` is the key it came from
/// (`services.web.healthcheck`), for errors.
pub fn healthcheck(h: &Healthcheck, field: &str) -> ToolResult<Value> {
    let mut o = Map::new();
    o.insert("Test".into(), h.test.clone().into());
    for (key, value, name) in [
        ("Interval", &h.interval, "interval"),
        ("Timeout", &h.timeout, "timeout"),
        ("StartPeriod", &h.start_period, "start_period"),
    ] {
        if let Some(v) = value {
            o.insert(
                key.into(),
                parse_duration(v, &format!("{field}.{name}"))?.into(),
            );
        }
    }
    if let Some(r) = h.retries {
        o.insert("Retries".into(), r.into());
    }
    Ok(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_healthcheck_becomes_the_engines_health_config() {
        let h = Healthcheck {
            test: vec!["CMD".into(), "true".into()],
            interval: Some("1m30s".into()),
            start_period: Some("500ms".into()),
            retries: Some(3),
            ..Default::default()
        };
        assert_eq!(
            healthcheck(&h, "services.db.healthcheck").unwrap(),
            json!({"Test": ["CMD", "true"], "Interval": 90_000_000_000i64,
                   "StartPeriod": 500_000_000, "Retries": 3})
        );
        let bad = Healthcheck {
            timeout: Some("soon".into()),
            ..h
        };
        let e = healthcheck(&bad, "services.db.healthcheck").unwrap_err();
        assert!(
            e.message
                .starts_with("services.db.healthcheck.timeout: `soon`"),
            "{}",
            e.message
        );
    }
}

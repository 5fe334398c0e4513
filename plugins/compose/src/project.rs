//! Finding and loading a project: its files (named, or the ones Compose looks for), its
//! `.env`, and the variables a call passes, into a [`Loaded`] project.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use wharf_compose_spec::{ComposeFile, Loaded, Options};
use wharf_plugin_sdk::files::{self, ErrorKind as FileErrorKind, FileError};
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

/// Where a project comes from: shared by every compose tool.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectArgs {
    /// The project directory, under the allowed roots (default: the first allowed root).
    #[serde(default)]
    pub project_dir: Option<String>,
    /// Compose files, relative to project_dir, later ones overriding earlier ones (default:
    /// compose.yaml or docker-compose.yml, plus its .override file if there is one).
    #[serde(default)]
    pub files: Vec<String>,
    /// Inline compose YAML instead of files.
    #[serde(default)]
    pub yaml: Option<String>,
    /// The project name (default: `name:` in the file, else the directory's name).
    #[serde(default)]
    pub project_name: Option<String>,
    /// Variables for interpolation; they win over the project's .env.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
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

fn join(dir: &str, file: &str) -> String {
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

pub fn load(args: &ProjectArgs) -> ToolResult<Loaded> {
    let dir = files::canonical(args.project_dir.as_deref().unwrap_or(".")).map_err(file_error)?;
    let directory_name = dir.rsplit('/').next().unwrap_or("project").to_owned();
    let mut compose_files = Vec::new();
    if let Some(yaml) = &args.yaml {
        if !args.files.is_empty() {
            return Err(ToolError::invalid("give either yaml or files, not both"));
        }
        compose_files.push(ComposeFile {
            name: "inline yaml".into(),
            text: yaml.clone(),
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
        for f in &args.files {
            let text = files::read_text(&join(&dir, f), MAX_FILE).map_err(file_error)?;
            compose_files.push(ComposeFile {
                name: f.clone(),
                text,
            });
        }
    }
    let dotenv = read_optional(&join(&dir, ".env"))?;
    let env = |name: &str| args.env.get(name).cloned();
    wharf_compose_spec::load(
        &compose_files,
        &Options {
            project_name: args.project_name.as_deref(),
            directory_name: &directory_name,
            env: &env,
            dotenv: dotenv.as_deref(),
        },
    )
    .map_err(|e| ToolError::invalid(e.to_string()))
}

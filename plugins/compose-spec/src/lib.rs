//! The Compose Specification for wharf: compose files (and `.env`) in, one normalised
//! [`Project`] out, with the same interpolation, override merging, names and defaults as
//! Docker Compose. No I/O: the caller hands in file contents, so this runs inside a
//! sandboxed plugin (and natively, in tests) alike.

mod dotenv;
mod interpolate;
mod merge;
mod model;
mod normalize;

pub use dotenv::{DotenvError, parse as parse_dotenv};
pub use interpolate::{InterpolationError, Lookup, interpolate};
pub use model::*;
pub use normalize::SpecError;

use serde_yaml_ng::Value;

/// One compose file: a name for messages (its path) and its text.
#[derive(Debug, Clone)]
pub struct ComposeFile {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("{file}: {message}")]
    Yaml { file: String, message: String },
    #[error(transparent)]
    Dotenv(#[from] DotenvError),
    #[error(transparent)]
    Interpolation(#[from] InterpolationError),
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("no compose file given")]
    NoFiles,
    #[error(
        "project name {0:?} must be lowercase letters, digits, `-` and `_`, starting with a letter or digit"
    )]
    ProjectName(String),
}

/// What [`load`] needs beside the files.
pub struct Options<'a> {
    /// The project name asked for (`-p`); wins over everything.
    pub project_name: Option<&'a str>,
    /// The name of the directory holding the first file: the name of last resort.
    pub directory_name: &'a str,
    /// The environment wharf sees (already confined by the host).
    pub env: &'a dyn Lookup,
    /// The project's `.env` text, if it has one.
    pub dotenv: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub project: Project,
    /// Keys wharf does not act on, each with its path.
    pub warnings: Vec<String>,
}

/// A project name as Compose makes one from a directory name.
pub fn normalize_project_name(raw: &str) -> String {
    raw.to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>()
        .trim_start_matches(['-', '_'])
        .to_owned()
}

fn valid_project_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Load, interpolate, merge (later files override earlier ones) and normalise.
pub fn load(files: &[ComposeFile], options: &Options<'_>) -> Result<Loaded, ComposeError> {
    if files.is_empty() {
        return Err(ComposeError::NoFiles);
    }
    let dotenv = match options.dotenv {
        Some(text) => parse_dotenv(text, ".env", options.env)?,
        None => Vec::new(),
    };
    // The environment wins over .env, as in Compose.
    let lookup = |name: &str| {
        options.env.get(name).or_else(|| {
            dotenv
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    };
    let mut merged: Option<Value> = None;
    for f in files {
        let yaml = |e: serde_yaml_ng::Error| ComposeError::Yaml {
            file: f.name.clone(),
            message: e.to_string(),
        };
        let mut doc: Value = serde_yaml_ng::from_str(&f.text).map_err(yaml)?;
        if doc.is_null() {
            doc = Value::Mapping(Default::default());
        }
        doc.apply_merge().map_err(yaml)?;
        interpolate::interpolate_tree(&mut doc, &lookup, "")?;
        merged = Some(match merged {
            None => doc,
            Some(base) => merge::merge(base, doc, ""),
        });
    }
    let doc = merged.unwrap_or(Value::Null);
    let name = match options.project_name {
        Some(n) => n.to_owned(),
        None => match lookup("COMPOSE_PROJECT_NAME").filter(|n| !n.is_empty()) {
            Some(n) => n,
            None => match doc.get("name").and_then(|n| n.as_str()) {
                Some(n) => n.to_owned(),
                None => normalize_project_name(options.directory_name),
            },
        },
    };
    if !valid_project_name(&name) {
        return Err(ComposeError::ProjectName(name));
    }
    let (project, warnings) = normalize::project(&doc, &name)?;
    Ok(Loaded { project, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> ComposeFile {
        ComposeFile {
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn files_merge_after_interpolation_with_env_over_dotenv() {
        let base = file(
            "compose.yaml",
            "x-common: &common\n  restart: always\nservices:\n  web:\n    <<: *common\n    image: nginx:${TAG:-1}\n    ports: ['${PORT}:80']\n",
        );
        let over = file(
            "compose.override.yaml",
            "services:\n  web:\n    environment: {MODE: prod}\n",
        );
        let env = |n: &str| (n == "TAG").then(|| "from-env".to_owned());
        let loaded = load(
            &[base, over],
            &Options {
                project_name: None,
                directory_name: "My Shop!",
                env: &env,
                dotenv: Some("TAG=from-dotenv\nPORT=8080\n"),
            },
        )
        .unwrap();
        let web = &loaded.project.services["web"];
        assert_eq!(loaded.project.name, "myshop");
        assert_eq!(web.image.as_deref(), Some("nginx:from-env"));
        assert_eq!(web.ports[0].published.as_deref(), Some("8080"));
        assert_eq!(web.restart.as_deref(), Some("always"));
        assert_eq!(web.environment["MODE"].as_deref(), Some("prod"));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn broken_yaml_names_the_file_and_line() {
        let e = load(
            &[file(
                "compose.yaml",
                "services:\n  web:\n    image: [unclosed\n",
            )],
            &Options {
                project_name: Some("p"),
                directory_name: "d",
                env: &|_: &str| None,
                dotenv: None,
            },
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("compose.yaml: ") && text.contains("line"),
            "{text}"
        );
    }

    #[test]
    fn the_name_comes_from_the_argument_the_file_or_the_directory() {
        let f = [file(
            "c.yaml",
            "name: from-file\nservices:\n  a:\n    image: x\n",
        )];
        let opts = |p| Options {
            project_name: p,
            directory_name: "dir",
            env: &|_: &str| None,
            dotenv: None,
        };
        assert_eq!(
            load(&f, &opts(Some("given"))).unwrap().project.name,
            "given"
        );
        assert_eq!(load(&f, &opts(None)).unwrap().project.name, "from-file");
        assert!(matches!(
            load(&f, &opts(Some("Bad Name"))),
            Err(ComposeError::ProjectName(_))
        ));
    }
}

//! `wharf plugin new NAME`: a plugin crate that builds for wasm32-wasip2 and passes its
//! mock-host test as generated, so an author starts from something green.

use anyhow::{Context as _, bail};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::LazyLock;

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new("^[a-z][a-z0-9-]{0,31}$").unwrap());

const TEMPLATES: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/plugin/Cargo.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/plugin/lib.rs.tmpl"),
    ),
    (
        "tests/mock.rs",
        include_str!("../../templates/plugin/mock.rs.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/plugin/README.md.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/plugin/gitignore.tmpl"),
    ),
];

/// Where the crate's wharf dependencies come from. The crate names them by version, as it
/// would from crates.io; a `[patch.crates-io]` table points them at a checkout or at the
/// repository, and is the one thing to change (or delete) to build against another wharf.
enum Source {
    /// A wharf checkout: path dependencies, and its Cargo.lock so the plugin builds with
    /// the versions wharf was tested with.
    Checkout(PathBuf),
    /// The wharf repository.
    Git(&'static str),
}

/// The wharf crates a plugin depends on, and where each lives in a checkout.
const CRATES: &[(&str, &str)] = &[
    ("wharf-plugin-sdk", "plugins/sdk"),
    ("wharf-mock", "crates/mock"),
];

impl Source {
    fn pick(given: Option<&Path>) -> anyhow::Result<Source> {
        if let Some(dir) = given {
            let dir = dir
                .canonicalize()
                .with_context(|| format!("--wharf-source {}", dir.display()))?;
            if !is_checkout(&dir) {
                bail!(
                    "{} is not a wharf checkout (no plugins/sdk or crates/mock)",
                    dir.display()
                );
            }
            return Ok(Source::Checkout(dir));
        }
        // The checkout this wharf was built from, if it is still there.
        let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        match built_from.canonicalize() {
            Ok(dir) if is_checkout(&dir) => Ok(Source::Checkout(dir)),
            _ => Ok(Source::Git(env!("CARGO_PKG_REPOSITORY"))),
        }
    }

    /// The `[patch.crates-io]` table.
    fn patch(&self) -> String {
        let mut out = String::from(
            "# The wharf crates, from a checkout or the repository rather than crates.io. Point\n\
             # them elsewhere to build against another wharf.\n\
             [patch.crates-io]\n",
        );
        for (name, path) in CRATES {
            let at = match self {
                Source::Checkout(dir) => {
                    format!("{{ path = {:?} }}", dir.join(path).display().to_string())
                }
                Source::Git(url) => format!("{{ git = {url:?} }}"),
            };
            out.push_str(&format!("{name} = {at}\n"));
        }
        out
    }
}

fn is_checkout(dir: &Path) -> bool {
    CRATES
        .iter()
        .all(|(_, path)| dir.join(path).join("Cargo.toml").is_file())
}

pub fn run(name: &str, parent: &Path, wharf_source: Option<&Path>) -> anyhow::Result<ExitCode> {
    if !NAME.is_match(name) {
        bail!(
            "`{name}` cannot name a plugin: use lowercase letters, digits and `-`, starting \
             with a letter, at most 32 characters"
        );
    }
    let dir = parent.join(name);
    if dir.exists() {
        bail!(
            "{} already exists; pick another name or --dir",
            dir.display()
        );
    }
    let source = Source::pick(wharf_source)?;
    let snake = name.replace('-', "_");
    let type_name: String = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    for (path, template) in TEMPLATES {
        let text = template
            .replace("{{name}}", name)
            .replace("{{snake}}", &snake)
            .replace("{{file}}", &snake)
            .replace("{{type}}", &type_name)
            .replace("{{patch}}", source.patch().trim_end());
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    }
    if let Source::Checkout(checkout) = &source {
        // Cargo keeps what the plugin uses and drops the rest.
        let lock = checkout.join("Cargo.lock");
        if lock.is_file() {
            std::fs::copy(&lock, dir.join("Cargo.lock"))
                .with_context(|| format!("copying {}", lock.display()))?;
        }
    }
    println!("created plugin `{name}` in {}", dir.display());
    println!("  cd {} && cargo test", dir.display());
    println!("  (needs the wasm32-wasip2 target: rustup target add wasm32-wasip2)");
    Ok(ExitCode::SUCCESS)
}

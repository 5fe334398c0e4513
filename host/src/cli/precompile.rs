//! `wharf precompile`: fill the plugin cache ahead of time, so that a start where the cache
//! cannot be written (a container image, a read-only home) still only loads.

use super::{Cli, setup};
use anyhow::Context;
use std::borrow::Cow;
use std::path::PathBuf;
use std::process::ExitCode;
use wharf_core::registry::plugin_files;
use wharf_core::runtime::{ArtifactCache, Filled};

/// A plugin to compile: its name, its bytes, their SHA-256 when known ahead.
struct Source {
    name: String,
    wasm: Cow<'static, [u8]>,
    sha256: Option<&'static str>,
}

pub fn run(cli: &Cli, dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (config, _) = setup::config(cli)?;
    let cache = match dir {
        Some(dir) => Some(ArtifactCache::new(dir)),
        None => setup::cache(&config),
    };
    let shown = cache.as_ref().map(|c| c.dir().display().to_string());
    let (_, runtime) = setup::runtime(&config, cache)?;
    let mut sources: Vec<Source> = crate::plugins::BUILTIN
        .iter()
        .chain([&crate::plugins::PROJECTOR])
        .map(|b| Source {
            name: b.name.to_owned(),
            wasm: b.wasm.into(),
            sha256: Some(b.sha256),
        })
        .collect();
    for dir in &config.plugin_dirs {
        let files = plugin_files(dir)
            .with_context(|| format!("cannot list plugin directory {}", dir.display()))?;
        for (name, path) in files {
            let wasm =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            sources.push(Source {
                name,
                wasm: wasm.into(),
                sha256: None,
            });
        }
    }
    let mut failed = 0;
    for Source { name, wasm, sha256 } in &sources {
        match runtime.precompile(wasm, *sha256) {
            Ok(Filled::Compiled) => eprintln!("wharf: precompiled {name}"),
            Ok(Filled::AlreadyThere) => eprintln!("wharf: {name} was already precompiled"),
            Err(e) => {
                eprintln!("wharf: cannot precompile {name}: {e}");
                failed += 1;
            }
        }
    }
    let dir = shown.unwrap_or_default();
    if failed > 0 {
        eprintln!(
            "wharf: {failed} of {} plugins not precompiled into {dir}",
            sources.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    eprintln!("wharf: {} plugins ready in {dir}", sources.len());
    Ok(ExitCode::SUCCESS)
}

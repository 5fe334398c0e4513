//! Every tool wharf serves, and the plugin behind each.

use crate::config::Config;
use crate::plugins::BUILTIN;
use crate::policy::Grants;
use crate::runtime::{CallError, CallHooks, Output, Plugin, Runtime, ToolDef};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A plugin that did not load, kept so `wharf tools` and the log can say why.
#[derive(Debug)]
pub struct Failed {
    pub name: String,
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    #[error(transparent)]
    Call(#[from] CallError),
}

pub struct Registry {
    plugins: Vec<Arc<Plugin>>,
    /// Tool name -> (plugin index, tool index).
    tools: BTreeMap<String, (usize, usize)>,
    failed: Vec<Failed>,
}

/// One plugin to load: where its bytes come from and what it is granted.
struct Source {
    name: String,
    wasm: Result<Vec<u8>, String>,
    default_grants: &'static [crate::policy::Capability],
}

impl Registry {
    /// Load the built-in plugins and those in the configured directories. A plugin that
    /// fails to load is logged and skipped; the others still serve.
    pub async fn load(runtime: &Runtime, config: &Config) -> Registry {
        let mut registry = Registry {
            plugins: Vec::new(),
            tools: BTreeMap::new(),
            failed: Vec::new(),
        };
        let mut sources: Vec<Source> = BUILTIN
            .iter()
            .map(|b| Source {
                name: b.name.to_owned(),
                wasm: Ok(b.wasm.to_vec()),
                default_grants: b.grants,
            })
            .collect();
        for dir in &config.plugin_dirs {
            match plugin_files(dir) {
                Ok(files) => sources.extend(files.into_iter().map(|(name, path)| {
                    Source {
                        name,
                        wasm: std::fs::read(&path)
                            .map_err(|e| format!("cannot read {}: {e}", path.display())),
                        default_grants: &[],
                    }
                })),
                Err(e) => registry.fail(
                    &dir.display().to_string(),
                    format!("cannot list plugin directory: {e}"),
                ),
            }
        }
        for source in sources {
            let pc = config.plugin(&source.name);
            if !pc.enabled {
                tracing::info!(plugin = %source.name, "disabled by config");
                continue;
            }
            if registry
                .plugins
                .iter()
                .any(|p| p.info().name == source.name)
            {
                registry.fail(
                    &source.name,
                    "a plugin with this name is already loaded".into(),
                );
                continue;
            }
            let wasm = match source.wasm {
                Ok(w) => w,
                Err(e) => {
                    registry.fail(&source.name, e);
                    continue;
                }
            };
            let grants = match &pc.grants {
                Some(allowed) => Grants {
                    allowed: allowed.clone(),
                    narrowed: true,
                },
                None => Grants {
                    allowed: source.default_grants.iter().copied().collect(),
                    narrowed: false,
                },
            };
            match runtime
                .load(&source.name, &wasm, &grants, pc.limits())
                .await
            {
                Ok(plugin) => registry.add(plugin),
                Err(e) => registry.fail(&source.name, e.to_string()),
            }
        }
        registry
    }

    fn fail(&mut self, name: &str, error: String) {
        tracing::error!(plugin = name, "plugin not loaded: {error}");
        self.failed.push(Failed {
            name: name.to_owned(),
            error,
        });
    }

    fn add(&mut self, plugin: Plugin) {
        let name = plugin.info().name.clone();
        if let Some(dup) = plugin
            .tools()
            .iter()
            .find(|t| self.tools.contains_key(&t.name))
        {
            let (owner, _) = self.tools[&dup.name];
            let owner = self.plugins[owner].info().name.clone();
            self.fail(
                &name,
                format!(
                    "its tool `{}` is already provided by plugin `{owner}`",
                    dup.name
                ),
            );
            return;
        }
        let index = self.plugins.len();
        for (i, t) in plugin.tools().iter().enumerate() {
            self.tools.insert(t.name.clone(), (index, i));
        }
        tracing::debug!(plugin = %name, tools = plugin.tools().len(), "plugin loaded");
        self.plugins.push(Arc::new(plugin));
    }

    pub fn plugins(&self) -> &[Arc<Plugin>] {
        &self.plugins
    }

    pub fn failed(&self) -> &[Failed] {
        &self.failed
    }

    /// Every tool, grouped by plugin in load order.
    pub fn tools(&self) -> impl Iterator<Item = (&Plugin, &ToolDef)> {
        self.plugins
            .iter()
            .flat_map(|p| p.tools().iter().map(move |t| (p.as_ref(), t)))
    }

    pub fn find(&self, tool: &str) -> Option<(&Arc<Plugin>, &ToolDef)> {
        self.tools
            .get(tool)
            .map(|&(p, t)| (&self.plugins[p], &self.plugins[p].tools()[t]))
    }

    /// Call `tool` with its JSON arguments (an object; none means `{}`).
    pub async fn call(
        &self,
        tool: &str,
        args: Option<&serde_json::Map<String, serde_json::Value>>,
        hooks: CallHooks,
    ) -> Result<Output, RegistryError> {
        let (plugin, _) = self
            .find(tool)
            .ok_or_else(|| RegistryError::UnknownTool(tool.to_owned()))?;
        let args = match args {
            Some(a) => serde_json::Value::Object(a.clone()).to_string(),
            None => "{}".to_owned(),
        };
        Ok(plugin.call(tool, &args, hooks).await?)
    }
}

/// `NAME.wasm` files of `dir`, sorted, as (name, path).
fn plugin_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            out.push((stem.to_owned(), path));
        }
    }
    out.sort();
    Ok(out)
}

//! Loading a component: compile (or take from the cache), check its imports against its
//! grants, link only what is granted, and read its tool list once.

use super::bindings::{self, PluginHostPre, wharf::docker as d, wharf::plugin::types as wit};
use super::context::CallHooks;
use super::plugin::{Annotations, Plugin, PluginInfo, ToolDef};
use super::state::CallState;
use super::{Limits, Runtime};
use crate::adapter::AdapterData;
use crate::policy::{Capability, Grants, Import};
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use wasmtime::component::{Component, HasSelf, Linker};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("plugin `{plugin}` is not a valid WebAssembly component: {detail}")]
    Compile { plugin: String, detail: String },
    #[error(
        "plugin `{plugin}` imports `{interface}`, which is not granted to it; add \"{capability}\" \
         to grants in [plugin.{plugin}] of wharf.toml to allow it"
    )]
    NotGranted {
        plugin: String,
        interface: String,
        capability: Capability,
    },
    #[error("plugin `{plugin}` imports `{interface}`, which wharf does not provide")]
    UnknownImport { plugin: String, interface: String },
    #[error("plugin `{plugin}` cannot be linked: {detail}")]
    Link { plugin: String, detail: String },
    #[error("plugin `{plugin}` failed while describing itself: {detail}")]
    Describe { plugin: String, detail: String },
    #[error(
        "plugin file `{plugin}` describes itself as `{described}`; the file name and the plugin \
         name must match"
    )]
    NameMismatch { plugin: String, described: String },
    #[error("plugin `{plugin}` declares an invalid tool `{tool}`: {why}")]
    InvalidTool {
        plugin: String,
        tool: String,
        why: String,
    },
}

static TOOL_NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new("^[a-zA-Z0-9_-]{1,64}$").unwrap());

impl Runtime {
    /// Load the component `wasm` as plugin `name` with `grants`.
    pub async fn load(
        &self,
        name: &str,
        wasm: &[u8],
        grants: &Grants,
        limits: Limits,
    ) -> Result<Plugin, LoadError> {
        self.load_digested(name, wasm, None, grants, limits).await
    }

    /// [`Runtime::load`] with the SHA-256 (hex) of `wasm` known ahead, as for the built-in
    /// plugins: a warm start then finds the cached artifact without reading `wasm`.
    pub async fn load_digested(
        &self,
        name: &str,
        wasm: &[u8],
        sha256: Option<&str>,
        grants: &Grants,
        limits: Limits,
    ) -> Result<Plugin, LoadError> {
        let compile_err = |e: wasmtime::Error| LoadError::Compile {
            plugin: name.to_owned(),
            detail: format!("{e:#}"),
        };
        let component = match &self.cache {
            Some(cache) => cache
                .load(&self.engine, wasm, sha256)
                .map_err(compile_err)?,
            None => Component::new(&self.engine, wasm).map_err(compile_err)?,
        };
        let (capabilities, denied) = self.check_imports(name, &component, grants)?;
        let link_err = |e: wasmtime::Error| LoadError::Link {
            plugin: name.to_owned(),
            detail: format!("{e:#}"),
        };
        let mut linker = self.linker(&capabilities).map_err(link_err)?;
        self.deny(&mut linker, &component, &denied)
            .map_err(link_err)?;
        let pre = linker.instantiate_pre(&component).map_err(link_err)?;
        let pre = PluginHostPre::new(pre).map_err(link_err)?;

        let mut imports: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        imports.sort();
        let mut plugin = Plugin {
            info: PluginInfo {
                name: name.to_owned(),
                version: String::new(),
                description: String::new(),
            },
            tools: Vec::new(),
            capabilities,
            imports,
            pre,
            limits,
            services: self.services.clone(),
            name: Arc::from(name),
            slots: tokio::sync::Semaphore::new(limits.concurrency.max(1)),
            http_hosts: grants.http_hosts.iter().cloned().collect(),
        };
        let (info, tools) = describe(&plugin).await.map_err(|e| LoadError::Describe {
            plugin: name.to_owned(),
            detail: e.to_string(),
        })?;
        if info.name != name {
            return Err(LoadError::NameMismatch {
                plugin: name.to_owned(),
                described: info.name,
            });
        }
        plugin.tools = tools
            .into_iter()
            .map(|t| tool_def(name, t))
            .collect::<Result<_, _>>()?;
        let mut seen = BTreeSet::new();
        for t in &plugin.tools {
            if !seen.insert(t.name.as_str()) {
                return Err(LoadError::InvalidTool {
                    plugin: name.to_owned(),
                    tool: t.name.clone(),
                    why: "declared twice".into(),
                });
            }
        }
        plugin.info = PluginInfo {
            name: info.name,
            version: info.version,
            description: info.description,
        };
        Ok(plugin)
    }

    /// The Docker capabilities `component` imports that are granted, and those that are
    /// withheld by a narrowed grant.
    fn check_imports(
        &self,
        plugin: &str,
        component: &Component,
        grants: &Grants,
    ) -> Result<(Vec<Capability>, Vec<Capability>), LoadError> {
        let mut wanted = BTreeSet::new();
        let mut denied = BTreeSet::new();
        for (import, _) in component.component_type().imports(&self.engine) {
            match Import::classify(import) {
                Import::Wasi | Import::Contract | Import::Types => {}
                Import::Granted(c) if grants.allowed.contains(&c) => {
                    wanted.insert(c);
                }
                Import::Granted(c) if grants.narrowed => {
                    tracing::info!(plugin, capability = %c, "capability withheld by config; calls using it will be denied");
                    denied.insert(c);
                }
                Import::Granted(c) => {
                    return Err(LoadError::NotGranted {
                        plugin: plugin.to_owned(),
                        interface: import.to_owned(),
                        capability: c,
                    });
                }
                Import::Unknown => {
                    return Err(LoadError::UnknownImport {
                        plugin: plugin.to_owned(),
                        interface: import.to_owned(),
                    });
                }
            }
        }
        Ok((wanted.into_iter().collect(), denied.into_iter().collect()))
    }

    /// Link the `withheld` capabilities' functions as traps that carry the capability (the
    /// runtime turns them into a `denied` error), so a plugin whose grants were narrowed
    /// still loads.
    fn deny(
        &self,
        linker: &mut Linker<CallState>,
        component: &Component,
        withheld: &[Capability],
    ) -> wasmtime::Result<()> {
        use wasmtime::component::ResourceType;
        use wasmtime::component::types::ComponentItem;
        for (import, item) in component.component_type().imports(&self.engine) {
            let Import::Granted(c) = Import::classify(import) else {
                continue;
            };
            let ComponentItem::ComponentInstance(instance) = item.ty else {
                continue;
            };
            if !withheld.contains(&c) {
                continue;
            }
            let mut stubs = linker.instance(import)?;
            for (name, export) in instance.exports(&self.engine) {
                match export.ty {
                    ComponentItem::ComponentFunc(_) => {
                        stubs.func_new(name, move |_, _, _, _| {
                            Err(wasmtime::Error::new(super::plugin::Withheld(c)))
                        })?;
                    }
                    ComponentItem::Resource(_) => {
                        stubs.resource(name, ResourceType::host::<()>(), |_, _| Ok(()))?;
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// A linker with the sandboxed WASI, the call context, and exactly `granted`. The
    /// Docker interfaces go to the one adapter, whichever engine a call is routed to.
    fn linker(&self, granted: &[Capability]) -> wasmtime::Result<Linker<CallState>> {
        let mut linker = Linker::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        bindings::wharf::plugin::types::add_to_linker::<_, HasSelf<CallState>>(&mut linker, |s| s)?;
        bindings::wharf::plugin::context::add_to_linker::<_, HasSelf<CallState>>(
            &mut linker,
            |s| s,
        )?;
        link_docker(&mut linker, granted)?;
        if granted.contains(&Capability::ReadFiles) {
            bindings::wharf::files::read::add_to_linker::<_, crate::reading::ReadData>(
                &mut linker,
                crate::reading::ReadData::view,
            )?;
        }
        if granted.contains(&Capability::Http) {
            bindings::wharf::http::outgoing::add_to_linker::<_, crate::outgoing::HttpData>(
                &mut linker,
                crate::outgoing::HttpData::view,
            )?;
        }
        Ok(linker)
    }
}

/// Link the `granted` Docker interfaces to the adapter.
fn link_docker(linker: &mut Linker<CallState>, granted: &[Capability]) -> wasmtime::Result<()> {
    type A = AdapterData;
    let view = AdapterData::view;
    d::types::add_to_linker::<_, A>(linker, view)?;
    for c in granted {
        match c {
            Capability::ContainersRead => d::containers_read::add_to_linker::<_, A>(linker, view)?,
            Capability::ContainersWrite => {
                d::containers_write::add_to_linker::<_, A>(linker, view)?
            }
            Capability::Exec => d::exec::add_to_linker::<_, A>(linker, view)?,
            Capability::Files => d::files::add_to_linker::<_, A>(linker, view)?,
            Capability::Networks => d::networks::add_to_linker::<_, A>(linker, view)?,
            Capability::Volumes => d::volumes::add_to_linker::<_, A>(linker, view)?,
            Capability::ImagesRead => d::images_read::add_to_linker::<_, A>(linker, view)?,
            Capability::ImagesWrite => d::images_write::add_to_linker::<_, A>(linker, view)?,
            Capability::Registry => d::registry::add_to_linker::<_, A>(linker, view)?,
            Capability::ImagesBuild => d::images_build::add_to_linker::<_, A>(linker, view)?,
            Capability::System => d::system::add_to_linker::<_, A>(linker, view)?,
            Capability::SwarmRead => d::swarm_read::add_to_linker::<_, A>(linker, view)?,
            Capability::SwarmWrite => d::swarm_write::add_to_linker::<_, A>(linker, view)?,
            Capability::Http | Capability::ReadFiles => {}
        }
    }
    Ok(())
}

/// What a plugin may spend in guest code saying who it is and what tools it has (twice
/// this in wall time, for one that waits instead). Loading stands between every client and
/// its `initialize`, so a plugin that misbehaves there costs this, not its call budget.
pub const LOAD_BUDGET: Duration = Duration::from_secs(2);

/// Ask a fresh instance who it is and what tools it has, within [`LOAD_BUDGET`].
async fn describe(plugin: &Plugin) -> Result<(wit::PluginInfo, Vec<wit::Tool>), super::CallError> {
    let budget = LOAD_BUDGET.min(plugin.limits.compute);
    let wall = (2 * LOAD_BUDGET).min(plugin.limits.call_timeout);
    let mut store = plugin.new_store(crate::policy::Called::loading(), CallHooks::default());
    store.data_mut().compute_ticks = super::state::ticks(budget);
    let run = async {
        let instance = plugin.pre.instantiate_async(&mut store).await?;
        let provider = instance.wharf_plugin_tool_provider();
        let info = provider.call_describe(&mut store).await?;
        let tools = provider.call_list_tools(&mut store).await?;
        wasmtime::Result::Ok((info, tools))
    };
    match tokio::time::timeout(wall, run).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(trap)) => Err(match plugin.classify_trap(&store, trap) {
            super::CallError::Compute { plugin, .. } => super::CallError::Compute {
                plugin,
                limit: budget,
            },
            other => other,
        }),
        Err(_) => Err(super::CallError::Timeout {
            plugin: plugin.name.to_string(),
            limit: wall,
        }),
    }
}

fn tool_def(plugin: &str, t: wit::Tool) -> Result<ToolDef, LoadError> {
    let invalid = |why: String| LoadError::InvalidTool {
        plugin: plugin.to_owned(),
        tool: t.name.clone(),
        why,
    };
    if !TOOL_NAME.is_match(&t.name) {
        return Err(invalid("names must match ^[a-zA-Z0-9_-]{1,64}$".into()));
    }
    let object =
        |what: &str, text: &str| -> Result<serde_json::Map<String, serde_json::Value>, LoadError> {
            match serde_json::from_str(text) {
                Ok(serde_json::Value::Object(o))
                    if o.get("type").and_then(|t| t.as_str()) == Some("object") =>
                {
                    Ok(o)
                }
                Ok(_) => Err(invalid(format!(
                    "its {what} schema is not a JSON Schema of type object"
                ))),
                Err(e) => Err(invalid(format!("its {what} schema is not JSON: {e}"))),
            }
        };
    let input_schema = object("input", &t.input_schema)?;
    let output_schema = t
        .output_schema
        .as_deref()
        .map(|s| object("output", s))
        .transpose()?;
    Ok(ToolDef {
        input_schema,
        output_schema,
        annotations: Annotations {
            read_only: t.annotations.read_only,
            destructive: t.annotations.destructive,
            idempotent: t.annotations.idempotent,
            open_world: t.annotations.open_world,
        },
        name: t.name,
        title: t.title,
        description: t.description,
    })
}

//! A loaded plugin and one call into it.

use super::bindings::{PluginHostPre, wharf::plugin::types as wit};
use super::context::{CallContext, CallHooks};
use super::state::CallState;
use super::{HostServices, Limits};
use crate::policy::{Called, Capability};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{Store, UpdateDeadline};

/// Who a plugin says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

/// A tool as a plugin declares it, its schemas already parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub name: String,
    pub title: String,
    pub description: String,
    pub input_schema: serde_json::Map<String, serde_json::Value>,
    pub output_schema: Option<serde_json::Map<String, serde_json::Value>>,
    pub annotations: Annotations,
}

#[cfg(test)]
impl ToolDef {
    /// A tool with only a name and the two hints policy decisions read.
    pub(crate) fn for_tests(name: &str, read_only: bool, destructive: bool) -> ToolDef {
        ToolDef {
            name: name.into(),
            title: name.into(),
            description: String::new(),
            input_schema: Default::default(),
            output_schema: None,
            annotations: Annotations {
                read_only,
                destructive,
                ..Default::default()
            },
        }
    }
}

/// A successful call's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub text: String,
    pub structured: Option<serde_json::Value>,
}

/// The error a plugin returned: part of a normal call, shown to the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    pub kind: wit::ErrorKind,
    pub message: String,
}

/// Why a call did not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error("plugin `{plugin}` was stopped: it exceeded its memory limit of {limit_mib} MiB")]
    Memory { plugin: String, limit_mib: usize },
    #[error("plugin `{plugin}` was stopped: it ran guest code for more than {}", human(*.limit))]
    Compute { plugin: String, limit: Duration },
    #[error("plugin `{plugin}` did not finish within {} and was stopped", human(*.limit))]
    Timeout { plugin: String, limit: Duration },
    #[error("plugin `{plugin}` crashed (trap): {detail}")]
    Trap { plugin: String, detail: String },
    #[error(
        "denied: plugin `{plugin}` is not granted the `{capability}` capability this tool needs; \
         add it to grants in [plugin.{plugin}] of wharf.toml"
    )]
    NotGranted {
        plugin: String,
        capability: Capability,
    },
    #[error("cancelled by the client")]
    Cancelled,
    #[error("plugin `{plugin}` returned {what}")]
    Protocol { plugin: String, what: String },
}

/// A component ready to instantiate, with what it declared at load.
pub struct Plugin {
    pub(super) info: PluginInfo,
    pub(super) tools: Vec<ToolDef>,
    pub(super) capabilities: Vec<Capability>,
    /// Every interface the component imports, versions included, sorted.
    pub(super) imports: Vec<String>,
    pub(super) pre: PluginHostPre<CallState>,
    pub(super) limits: Limits,
    pub(super) services: Arc<HostServices>,
    pub(super) name: Arc<str>,
    /// One permit per call that may run at once (`Limits::concurrency`).
    pub(super) slots: tokio::sync::Semaphore,
    /// What the `http` capability may reach.
    pub(super) http_hosts: Arc<[String]>,
}

/// How long a cancelled call may go on to clean up before it is dropped.
const CANCEL_GRACE: Duration = Duration::from_secs(1);

/// What stopped the guest when the compute budget ran out (stored so the error can say so).
#[derive(Debug)]
struct ComputeExhausted;

impl std::fmt::Display for ComputeExhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("compute budget exhausted")
    }
}

impl std::error::Error for ComputeExhausted {}

/// What a withheld capability's functions fail with when a plugin whose grants were
/// narrowed calls them (see `Runtime::deny`), so the error can name it.
#[derive(Debug)]
pub(super) struct Withheld(pub(super) Capability);

impl std::fmt::Display for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "capability `{}` is not granted", self.0)
    }
}

impl std::error::Error for Withheld {}

impl Plugin {
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    pub fn tools(&self) -> &[ToolDef] {
        &self.tools
    }

    /// The Docker capabilities the component imports (all granted, or it would not load).
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// Every interface the component imports (`wharf:docker/exec@0.1.0`, `wasi:...`).
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A fresh instance and nothing run in it: what every call pays before the guest runs.
    /// For the boundary benchmark (host/benches/boundary.rs).
    #[doc(hidden)]
    pub async fn instantiate(&self) -> Result<(), CallError> {
        let mut store = self.new_store(Called::loading(), CallHooks::default());
        self.pre
            .instantiate_async(&mut store)
            .await
            .map(drop)
            .map_err(|trap| self.classify_trap(&store, trap))
    }

    /// Run `tool` in a fresh instance. Every failure of the guest (trap, overrun,
    /// timeout) ends this call only; the next call gets a new instance.
    pub async fn call(
        &self,
        tool: &str,
        args: &str,
        hooks: CallHooks,
    ) -> Result<Output, CallError> {
        let cancel = hooks.cancel.clone();
        let _slot = tokio::select! {
            slot = self.slots.acquire() => slot.map_err(|_| CallError::Cancelled)?,
            _ = cancel.cancelled() => return Err(CallError::Cancelled),
        };
        let started = Instant::now();
        // The guard holds the call to the label its plugin gave the tool; a tool it never
        // declared has no label to claim and changes nothing.
        let called = match self.tools.iter().find(|t| t.name == tool) {
            Some(def) => Called {
                tool: tool.to_owned(),
                annotations: def.annotations,
            },
            None => Called::read_only(tool),
        };
        let mut store = self.new_store(called, hooks);
        let run = async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            let ctx = store.data_mut().table.push(CallContext)?;
            instance
                .wharf_plugin_tool_provider()
                .call_call_tool(&mut store, tool, args, ctx)
                .await
        };
        let mut run = Box::pin(tokio::time::timeout(self.limits.call_timeout, run));
        let outcome = tokio::select! {
            r = &mut run => r,
            _ = cancel.cancelled() => {
                // A moment to notice `cancelled()` and clean up (remove what it created),
                // then the call is dropped whatever it is doing.
                let _ = tokio::time::timeout(CANCEL_GRACE, &mut run).await;
                return Err(CallError::Cancelled);
            }
        };
        drop(run);
        let result = match outcome {
            Err(_elapsed) => {
                return Err(CallError::Timeout {
                    plugin: self.info.name.clone(),
                    limit: self.limits.call_timeout,
                });
            }
            Ok(Err(trap)) => return Err(self.classify_trap(&store, trap)),
            Ok(Ok(result)) => result,
        };
        tracing::debug!(plugin = %self.name, tool, elapsed_ms = started.elapsed().as_millis() as u64, "call finished");
        match result {
            Ok(out) => {
                let structured = match out.structured {
                    None => None,
                    Some(text) => Some(serde_json::from_str::<serde_json::Value>(&text).map_err(
                        |e| CallError::Protocol {
                            plugin: self.info.name.clone(),
                            what: format!("structured output that is not JSON: {e}"),
                        },
                    )?),
                };
                Ok(Output {
                    text: out.text,
                    structured,
                })
            }
            Err(e) => Err(CallError::Tool(ToolError {
                kind: e.kind,
                message: e.message,
            })),
        }
    }

    pub(super) fn new_store(&self, called: Called, hooks: CallHooks) -> Store<CallState> {
        let state = CallState::new(
            self.name.clone(),
            called,
            self.services.clone(),
            &self.limits,
            hooks,
            self.http_hosts.clone(),
        );
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|s| &mut s.memory);
        // Each epoch tick the guest yields to the async executor (so a spinning guest
        // cannot starve other calls or the timeout), and the tick counts against its
        // compute budget.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            state.ticks += 1;
            if state.ticks > state.compute_ticks {
                return Err(wasmtime::Error::new(ComputeExhausted));
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }

    pub(super) fn classify_trap(
        &self,
        store: &Store<CallState>,
        trap: wasmtime::Error,
    ) -> CallError {
        let plugin = self.info.name.clone();
        if store.data().memory.hit {
            return CallError::Memory {
                plugin,
                limit_mib: self.limits.memory_bytes >> 20,
            };
        }
        if trap.is::<ComputeExhausted>() {
            return CallError::Compute {
                plugin,
                limit: self.limits.compute,
            };
        }
        if let Some(Withheld(capability)) = trap.downcast_ref::<Withheld>() {
            return CallError::NotGranted {
                plugin,
                capability: *capability,
            };
        }
        let detail = match trap.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::StackOverflow) => STACK_OVERFLOW.to_owned(),
            // A Rust guest's stack is in its linear memory, below its data: running off its
            // end is an access out of bounds, by a function that called itself over and over.
            Some(wasmtime::Trap::MemoryOutOfBounds)
                if trap
                    .downcast_ref::<wasmtime::WasmBacktrace>()
                    .is_some_and(recursing) =>
            {
                STACK_OVERFLOW.to_owned()
            }
            Some(t) => t.to_string(),
            None => trap.to_string(),
        };
        tracing::warn!(plugin = %plugin, "plugin trapped: {trap:?}");
        CallError::Trap { plugin, detail }
    }
}

const STACK_OVERFLOW: &str = "stack overflow (unbounded recursion?)";

/// Repeats, near the top of the stack at an out-of-bounds trap, past which it is taken for
/// a stack overflow. A guest's stack is small (a function with 4 KiB frames ran out of it
/// twenty calls deep here), so the repeats are few but certain.
const RECURSING: usize = 8;
/// Frames from the top searched for the repeats: a leaf (memcpy) may sit above them.
const NEAR_THE_TOP: usize = 32;

/// Whether the innermost frames hold one function calling itself, or two calling each
/// other, [`RECURSING`] times in a row.
fn recursing(backtrace: &wasmtime::WasmBacktrace) -> bool {
    let frames: Vec<_> = backtrace.frames().iter().take(NEAR_THE_TOP).collect();
    let same = |a: &wasmtime::FrameInfo, b: &wasmtime::FrameInfo| {
        a.func_index() == b.func_index() && wasmtime::Module::same(a.module(), b.module())
    };
    (1..=2).any(|period| {
        let mut run = 0;
        for pair in frames.windows(period + 1) {
            run = if same(pair[0], pair[period]) {
                run + 1
            } else {
                0
            };
            if run >= RECURSING * period {
                return true;
            }
        }
        false
    })
}

/// `2 s`, `500 ms`: limits as people write them.
fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

//! The data of one call's store: its sandbox, its limits, and what the host lends it.

use super::context::CallHooks;
use super::{HostServices, Limits};
use crate::engine::DockerEngine;
use crate::policy::Called;
use std::sync::Arc;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

pub struct CallState {
    pub plugin: Arc<str>,
    /// The tool this call runs, with the label its plugin gave it.
    pub called: Called,
    pub table: ResourceTable,
    /// Streams and jobs open in `table` (the adapter bounds them).
    pub streams: usize,
    pub wasi: WasiCtx,
    pub services: Arc<HostServices>,
    /// The engine this call's Docker requests go to.
    pub engine: Arc<dyn DockerEngine>,
    pub hooks: CallHooks,
    pub memory: MemoryCap,
    /// Epoch ticks the guest has run through; checked against `compute_ticks`.
    pub ticks: u64,
    pub compute_ticks: u64,
    /// Hosts the plugin's `http` capability may reach.
    pub http_hosts: Arc<[String]>,
    /// Token services this call's registries announced (where their logins may go).
    pub realms: Vec<crate::outgoing::Realm>,
}

impl CallState {
    pub fn new(
        plugin: Arc<str>,
        called: Called,
        services: Arc<HostServices>,
        limits: &Limits,
        hooks: CallHooks,
        http_hosts: Arc<[String]>,
    ) -> Self {
        let engine = hooks
            .engine
            .clone()
            .unwrap_or_else(|| services.engines.default_engine().clone());
        let plugin_name = plugin.clone();
        CallState {
            plugin,
            called,
            engine,
            table: ResourceTable::new(),
            streams: 0,
            wasi: sandbox(&plugin_name),
            services,
            hooks,
            memory: MemoryCap::new(limits.memory_bytes),
            ticks: 0,
            compute_ticks: ticks(limits.compute),
            http_hosts,
            realms: Vec::new(),
        }
    }
}

/// Epoch ticks in `budget` of guest time (at least one).
pub(super) fn ticks(budget: std::time::Duration) -> u64 {
    (budget.as_millis() / super::EPOCH_TICK.as_millis()).max(1) as u64
}

/// WASI with nothing in it: no preopened directory, no environment, no arguments, no
/// network. Guest stdout and stderr become log records marked with the plugin's name
/// (`output.rs`), never the host's own streams: its stdout carries the MCP stream.
fn sandbox(plugin: &Arc<str>) -> WasiCtx {
    let (stdout, stderr) = super::output::GuestOutput::pair(plugin.clone());
    WasiCtxBuilder::new()
        .stdout(stdout)
        .stderr(stderr)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps a call's linear memory, all memories of the instance together, and remembers that
/// the cap was hit so the error can say so.
pub struct MemoryCap {
    pub limit: usize,
    pub used: usize,
    pub hit: bool,
}

impl MemoryCap {
    fn new(limit: usize) -> Self {
        MemoryCap {
            limit,
            used: 0,
            hit: false,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.used.saturating_add(desired.saturating_sub(current));
        if total > self.limit {
            self.hit = true;
            // An error (not `Ok(false)`) traps at once: guests tend to abort on a failed
            // allocation anyway, and a trap names the cause.
            return Err(wasmtime::format_err!(
                "memory limit of {} MiB reached",
                self.limit >> 20
            ));
        }
        self.used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        100
    }

    fn memories(&self) -> usize {
        100
    }
}

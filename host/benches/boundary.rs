//! The WASM boundary's own cost, with no Docker engine involved:
//!
//! - `instantiate`: a fresh store and instance, what every call pays before the guest runs;
//! - `call/echo`: a whole tool call of a tool that does nothing (instance, argument and
//!   result strings across the boundary, output checked);
//! - `host_calls/N`: one call making N host round trips (`call-context.cancelled`); the
//!   slope between N = 0 and N = 1000 is the cost of one round trip;
//! - `direct/cancelled`: the same host function called directly, the floor.
//!
//! Run with `cargo bench -p wharf --bench boundary`; figures in docs/measurements.md.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wharf_core::engine::Engines;
use wharf_core::policy::{Capability, Grants};
use wharf_core::runtime::{CallHooks, HostServices, Limits, Plugin, Runtime};
use wharf_docker::Engine;

const HOSTILE: &str = env!("WHARF_TEST_HOSTILE_WASM");

fn plugin(rt: &tokio::runtime::Runtime) -> Plugin {
    // Never contacted: nothing here reaches Docker.
    let engine = Engine::at("unix:///nonexistent/wharf-bench.sock").unwrap();
    let services =
        HostServices::new(Arc::new(Engines::single(engine))).roots([std::env::temp_dir()]);
    let runtime = Runtime::new(services, None).unwrap();
    let wasm = std::fs::read(HOSTILE).unwrap();
    let grants = Grants {
        allowed: BTreeSet::from([
            Capability::ContainersWrite,
            Capability::Exec,
            Capability::Http,
        ]),
        narrowed: false,
        http_hosts: Vec::new(),
    };
    let limits = Limits {
        call_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    rt.block_on(runtime.load("hostile", &wasm, &grants, limits))
        .unwrap()
}

fn boundary(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let plugin = plugin(&rt);

    c.bench_function("instantiate", |b| {
        b.to_async(&rt)
            .iter(|| async { plugin.instantiate().await.unwrap() })
    });
    c.bench_function("call/echo", |b| {
        b.to_async(&rt).iter(|| async {
            let out = plugin
                .call("hostile_echo", r#"{"text":"x"}"#, CallHooks::default())
                .await
                .unwrap();
            assert_eq!(out.text, "x");
        })
    });
    let mut group = c.benchmark_group("host_calls");
    for n in [0u32, 1000] {
        let args = format!(r#"{{"n":{n}}}"#);
        group.bench_with_input(BenchmarkId::from_parameter(n), &args, |b, args| {
            b.to_async(&rt).iter(|| async {
                plugin
                    .call("hostile_host_calls", args, CallHooks::default())
                    .await
                    .unwrap()
            })
        });
    }
    group.finish();
    let token = CancellationToken::new();
    c.bench_function("direct/cancelled", |b| {
        b.iter(|| std::hint::black_box(&token).is_cancelled())
    });
}

criterion_group!(benches, boundary);
criterion_main!(benches);

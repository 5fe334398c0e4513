//! The mock host: wharf's plugin runtime with the Docker capabilities served by an
//! in-memory engine, for testing plugins with `cargo test` and no Docker.
//!
//! ```ignore
//! use wharf_mock::{ContainerSeed, ImageSeed, MockDocker, MockHost};
//!
//! let docker = MockDocker::builder()
//!     .image(ImageSeed::new("busybox:latest"))
//!     .container(ContainerSeed::new("web", "busybox:latest").label("app", "web"))
//!     .build()?;
//! let host = MockHost::builder(&docker).plugin_file("target/.../hello.wasm").start().await?;
//! let out = host.call("stop_container", serde_json::json!({ "container": "web" })).await?;
//! assert_eq!(docker.container("web").unwrap().state, "exited");
//! assert_eq!(docker.calls_to("containers-write", "stop").len(), 1);
//! ```
//!
//! The model keeps the engine's state rules and answers with the engine's errors (start a
//! running container, remove a running one without force, unknown ids, name conflicts...);
//! `tests/mock_parity.rs` runs the same scenarios on a real engine and on the mock and
//! compares. It runs no process: containers change state when asked, or when a test says
//! so ([`MockDocker::exit`], [`MockDocker::set_health`], [`MockDocker::write_log`]); exec
//! answers from scripted replies ([`ExecSeed`]) and a few built-in commands (`echo`, `cat`,
//! `ls`, `true`, `false`, `env`, `pwd`, `mkdir`, `touch`, `sh -c` of those), anything else
//! exiting 127 as a shell would.

mod docker;
pub(crate) mod engine;
mod harness;
pub(crate) mod model;
pub(crate) mod render;
mod seed;

pub use docker::{Call, ContainerView, ImageView, MockDocker, NetworkView, VolumeView};
pub use harness::{MockHost, MockHostBuilder, MockHostError};
// What a plugin's tests name beside the mock itself, so they need no other wharf crate.
pub use seed::{
    ContainerSeed, ExecSeed, Fixture, ImageSeed, LogSeed, MockBuilder, NetworkSeed, SeedError,
    SeedState, VolumeSeed,
};
pub use wharf_core::config::Config;
pub use wharf_core::outgoing::{Destination, Network, NetworkError};
pub use wharf_core::policy::Capability;
pub use wharf_core::registry::RegistryError;
pub use wharf_core::runtime::{Output, ToolDef};

//! The guest-side SDK every wharf plugin builds on.
//!
//! A plugin implements [`Plugin`]: who it is, and a [`Toolbox`] of typed tool handlers. The
//! SDK derives each tool's JSON Schema from its argument type, parses arguments with precise
//! errors, and turns Docker capability errors into tool errors, so a plugin is mostly the
//! logic of its tools. [`export!`] wires a [`Plugin`] to the component's exports.
//!
//! ```ignore
//! struct Hello;
//! impl wharf_plugin_sdk::Plugin for Hello {
//!     fn info() -> PluginInfo { PluginInfo::new("hello", "Says hello") }
//!     fn toolbox() -> Toolbox {
//!         Toolbox::new().tool("say_hello", "Say hello", "Greets someone.", Hints::read_only(), say_hello)
//!     }
//! }
//! wharf_plugin_sdk::export!(Hello);
//! ```

pub mod bindings;
mod context;
mod error;
pub mod exec;
mod filters;
pub mod jobs;
pub mod logs;
mod output;
pub mod plan;
pub mod redact;
pub mod spec;
pub mod text;
mod toolbox;

pub use context::Context;
pub use error::{ToolError, ToolResult};
pub use filters::Filters;
pub use output::Output;
pub use toolbox::{Hints, Toolbox};

pub use bindings::wharf::plugin::types::{ErrorKind, LogLevel, PluginInfo};
/// Re-exported so plugins derive argument schemas with the same schemars the SDK reads.
pub use schemars;

/// The Docker capability interfaces a plugin may import. Calling a function of an interface
/// makes the plugin import it; the host refuses to load a plugin whose imports it has not
/// granted.
pub mod docker {
    pub use crate::bindings::wharf::docker::*;
}

/// Outgoing HTTP (`wharf:http/outgoing`), to the hosts the user granted the plugin. Like the
/// Docker interfaces, it is imported only by a plugin that calls it.
pub mod http {
    pub use crate::bindings::wharf::http::outgoing::*;
}

/// Reading host files under the allowed roots (`wharf:files/read`), granted as `read-files`.
pub mod files {
    pub use crate::bindings::wharf::files::read::*;
}

/// What a plugin implements.
pub trait Plugin {
    /// Who the plugin is.
    fn info() -> PluginInfo;
    /// The plugin's tools and their handlers.
    fn toolbox() -> Toolbox;
}

impl PluginInfo {
    /// Info with the crate's version filled in by the caller's `env!("CARGO_PKG_VERSION")`.
    pub fn new(name: &str, version: &str, description: &str) -> Self {
        PluginInfo {
            name: name.to_owned(),
            version: version.to_owned(),
            description: description.to_owned(),
        }
    }
}

#[doc(hidden)]
pub struct Exports<P>(core::marker::PhantomData<P>);

impl<P: Plugin> bindings::exports::wharf::plugin::tool_provider::Guest for Exports<P> {
    fn describe() -> PluginInfo {
        P::info()
    }

    fn list_tools() -> Vec<bindings::wharf::plugin::types::Tool> {
        P::toolbox().definitions()
    }

    fn call_tool(
        name: String,
        args: String,
        ctx: &bindings::wharf::plugin::context::CallContext,
    ) -> Result<bindings::wharf::plugin::types::Output, bindings::wharf::plugin::types::ToolError>
    {
        let ctx = Context::new(ctx);
        P::toolbox()
            .call(&name, &args, &ctx)
            .map(Output::into_wit)
            .map_err(ToolError::into_wit)
    }
}

/// Export a [`Plugin`] as the component's `wharf:plugin/tool-provider`.
#[macro_export]
macro_rules! export {
    ($plugin:ty) => {
        type __WharfPluginExports = $crate::Exports<$plugin>;
        $crate::bindings::export!(__WharfPluginExports with_types_in $crate::bindings);
    };
}

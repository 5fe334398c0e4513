//! A plugin whose `list-tools` never returns: loading it must cost the others no more than
//! the load budget, and `wharf tools` must say what it did.

use wharf_plugin_sdk::{Plugin, PluginInfo, Toolbox};

struct SlowLoad;

impl Plugin for SlowLoad {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "slow-load",
            env!("CARGO_PKG_VERSION"),
            "Never finishes listing its tools (tests only)",
        )
    }

    fn toolbox() -> Toolbox {
        let mut spins = 0u64;
        loop {
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
    }
}

wharf_plugin_sdk::export!(SlowLoad);

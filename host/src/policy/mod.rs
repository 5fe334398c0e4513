//! What plugins may do: which capability interfaces they may import, and which host paths
//! the host may touch on their behalf.

mod capability;
mod paths;

pub use capability::{Capability, Import, UnknownCapability};
pub use paths::{AllowedRoots, PathError};

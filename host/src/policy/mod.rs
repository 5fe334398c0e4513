//! What plugins may do: which capability interfaces they may import, which host paths the
//! host may touch on their behalf, and what containers they may create.

mod capability;
mod create;
mod paths;

pub use capability::{Capability, Grants, Import, UnknownCapability};
pub use create::check_create;
pub use paths::{AllowedRoots, PathError};

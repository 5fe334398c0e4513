//! What plugins may do and what wharf serves: which capability interfaces plugins may
//! import, which host paths the host may touch on their behalf, what containers they may
//! create, which tools a mode leaves, and the audit trail of calls that change state.
//!
//! [`Guard`] applies the Docker rules to every request on the engine boundary.

pub mod audit;
mod binds;
pub(crate) mod build_context;
mod capability;
mod changes;
pub mod confirm;
pub mod copy;
mod create;
mod dockerignore;
mod fields;
pub mod guard;
mod modes;
mod paths;
pub mod plan;
mod scope;
mod tree;

pub use audit::AuditLog;
pub use capability::{Capability, Grants, Import, UnknownCapability};
pub use changes::{Called, Change, Changes, Listed};
pub use confirm::{Answer, Confirm, ConfirmPolicy, Confirmed, Unattended};
pub use create::{CreateAllowances, check_create, check_service};
pub use guard::{Guard, Rules};
pub use modes::{Mode, ToolPolicy, Toolsets};
/// The names `toolsets` takes besides plugin names.
pub mod toolsets {
    pub use super::modes::{ALL, DEFAULT};
}
pub use paths::{AllowedRoots, PathError};
pub use plan::{Plan, Removals};
pub use scope::{InvalidScope, PROVENANCE, Scope};

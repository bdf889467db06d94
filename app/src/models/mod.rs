//! Types shared by the server and the browser: plain data, no I/O.

pub mod access;
pub mod viewer;

pub use access::{Access, PlatformAction, PlatformRole, TeamAction, TeamGrant, TeamRole};
pub use viewer::{TeamMembership, Viewer};

//! Types shared by the server and the browser: plain data, no I/O.

pub mod access;
pub mod dags;
pub mod viewer;

pub use access::{Access, PlatformAction, PlatformRole, TeamAction, TeamGrant, TeamRole};
pub use dags::{DAG_PAGE_SIZE, DagPage, DagQuery, DagRow, RUNS_IN_STRIP, RunDot, SyncNotice};
pub use viewer::{TeamMembership, Viewer};

//! Deploys: review-gated promotion of DAG repository commits to a team (`docs/deploys.md`).
//!
//! - `commit`: commit ids and the e-mail rule people are matched by
//! - `policy`: who may review, cancel, deploy and break glass — pure, the same for every route
//! - `signatures`: git's own check of commit signatures against the keys people registered
//! - `notify`: webhooks about requests, from an outbox every replica delivers
//! - `git`: the DAG repository through the git command line (untrusted content, hardened)
//! - `process`: programs that may hang (git reaching a remote, the hook), bounded and killed
//!   with everything they started
//! - `export`: a commit's files written into a folder, refusing paths that escape it
//! - `store`: requests, their commits and reviews in the database; racing changes of status
//!   resolve to exactly one winner there
//! - `directory`, `reference`: the two kinds of target, each read from itself and changed
//!   only by an atomic step (a rename, a compare-and-swap of a ref)
//! - `shared_read`: what pages show of the git host (the ref targets, the branch), one
//!   shared, bounded read at a time

pub mod actions;
pub mod blocking;
pub mod changes;
pub use crate::review::commit;
pub mod confirm;
pub mod directory;
pub mod engine;
pub mod error;
pub mod export;
#[cfg(any(test, feature = "testing"))]
mod failpoint;
pub mod git;
mod hook;
pub mod notify;
pub use crate::review::policy;
mod process;
pub mod progress;
pub mod reference;
pub mod request;
pub mod safe_stop;
pub mod shared_read;
pub mod signatures;
pub mod store;
pub mod summaries;
pub mod team;
/// Git fixtures for tests; compiled only into test builds (`testing` feature).
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod worker;

pub use engine::DeployEngine;
pub use error::DeployError;
#[cfg(any(test, feature = "testing"))]
pub use failpoint::{GO_FILE, HOLD_AFTER, PAUSE_AFTER, WAIT_AFTER};

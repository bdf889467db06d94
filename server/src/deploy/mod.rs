//! Deploys: review-gated promotion of DAG repository commits to a team (`docs/deploys.md`).
//!
//! - `commit`: commit ids and the e-mail rule people are matched by
//! - `policy`: who may review, cancel, deploy and break glass — pure, the same for every route
//! - `git`: the DAG repository through the git command line (untrusted content, hardened)
//! - `export`: a commit's files written into a folder, refusing paths that escape it
//! - `store`: requests, their commits and reviews in the database; racing changes of status
//!   resolve to exactly one winner there
//! - `directory`, `reference`: the two kinds of target, each read from itself and changed
//!   only by an atomic step (a rename, a compare-and-swap of a ref)

pub mod commit;
pub mod directory;
pub mod export;
pub mod git;
pub mod policy;
pub mod reference;
pub mod store;

#[cfg(test)]
mod testing;

//! Authorization: who holds what (resolve), and the checks in front of pages and functions.

pub mod page_guard;
pub mod resolve;

pub use resolve::resolve_viewer;

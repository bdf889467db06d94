//! One module per page; each loads its data through a server function.

pub mod dags;
pub mod platform;
pub mod signed_out;
pub mod team_home;
pub mod team_picker;

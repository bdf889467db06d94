//! Pages' data from Hangar's own tables, one module per page kind. Team isolation is in
//! every query (`team = $1 OR shared = 1` through `dags`: deny by default, an unmapped
//! bundle's rows match no team); `ports/read_model.rs` puts the
//! pieces of a page together for the app.

pub mod connections;
pub mod dags;
pub mod execution;
pub mod import_errors;
pub mod markdown;
pub mod pools;
pub mod rows;
pub mod run_grid_html;
pub mod runs;
pub mod tasks;
pub mod variables;

//! One module per page; each loads its data through a server function.

pub mod access;
pub mod audit;
pub mod code;
pub mod connections;
pub mod dag_detail;
pub mod dags;
pub mod deploy_detail;
pub mod deploys;
pub mod gantt;
pub mod graph;
pub mod platform;
pub mod pools;
pub mod profile;
pub mod run_detail;
pub mod runs;
pub mod settings;
pub mod signed_out;
pub mod task_log;
pub mod team_home;
pub mod team_picker;
pub mod tokens;
pub mod trigger;
pub mod variables;

//! Pieces every page shares.

pub mod dag_rows;
pub mod drawn_html;
pub mod environment_field;
pub mod error_view;
pub mod execution;
pub mod header;
pub mod import_errors;
pub mod live;
pub mod log_lines;
pub mod run_rows;
pub mod sync_notice;
pub mod team_nav;
pub mod team_switcher;
pub mod time;

pub use environment_field::EnvironmentField;
pub use error_view::{ActionError, ErrorView};
pub use header::Header;
pub use import_errors::ImportErrors;
pub use sync_notice::{StateBadge, StateLegend, SyncNotices};
pub use time::{Span, Time};

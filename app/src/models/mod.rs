//! Types shared by the server and the browser: plain data, no I/O.

pub mod access;
pub mod access_overview;
pub mod audit;
pub mod connections;
pub mod dags;
pub mod deploys;
pub mod identifiers;
pub mod params;
pub mod platform;
pub mod pools;
pub mod profile;
pub mod runs;
pub mod variables;
pub mod viewer;

pub use access::{Access, PlatformAction, PlatformRole, TeamAction, TeamGrant, TeamRole};
pub use connections::{ConnectionForm, ConnectionPage, ConnectionRow};
pub use dags::{
    DAG_PAGE_SIZE, DAG_PAGE_SIZES, DAG_SORTS, DagPage, DagQuery, DagRow, ImportErrorRow,
    RUNS_IN_STRIP, RunDot, SyncNotice,
};
pub use params::{DagParam, check_conf, default_conf};
pub use pools::{DEFAULT_POOL, PoolForm, PoolPage, PoolRow};
pub use runs::{
    DagDetail, LOG_PAGE_LINES, LogLine, RUN_COUNT_CAP, RUN_PAGE_SIZE, RUN_STATES, RUN_TYPES,
    RUNS_IN_GRID, RunDetail, RunGrid, RunPage, RunQuery, RunRow, TaskCell, TaskLogPage, TaskRow,
    TriggerRequest,
};
pub use variables::{MAX_VARIABLE_KEY, RevealedValue, VariableForm, VariablePage, VariableRow};
pub use viewer::{TeamMembership, Viewer};

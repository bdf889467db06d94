//! Types shared by the server and the browser: plain data, no I/O.

pub mod access;
pub mod access_overview;
pub mod audit;
pub mod connections;
pub mod dags;
pub mod deploys;
pub mod execution;
pub mod identifiers;
pub mod params;
pub mod platform;
pub mod pools;
pub mod profile;
pub mod runs;
pub mod states;
pub mod tasks;
pub mod variables;
pub mod viewer;
pub mod views;

pub use access::{Access, PlatformAction, PlatformRole, TeamAction, TeamGrant, TeamRole};
pub use connections::{ConnectionForm, ConnectionPage, ConnectionRow};
pub use dags::{
    DAG_PAGE_SIZE, DAG_PAGE_SIZES, DAG_SORTS, DagPage, DagQuery, DagRow, ImportErrorRow,
    RUNS_IN_STRIP, RunDot, SyncNotice,
};
pub use params::{DagParam, ParamInput, check_conf, typed_value, with_typed_values};
pub use pools::{DEFAULT_POOL, PoolForm, PoolPage, PoolRow};
pub use runs::{
    DagDetail, GridTask, LOG_LEVELS, LOG_MASK, LOG_PAGE_LINES, LogFilter, LogLine, RUN_COUNT_CAP,
    RUN_PAGE_SIZE, RUN_STATES, RUN_TYPES, RUNS_IN_GRID, RunDetail, RunGrid, RunPage, RunQuery,
    RunRow, TaskCell, TaskLogPage, TaskLogQuery, TaskRow, TriggerPage, TriggerRequest,
};
pub use tasks::{
    ClearOptions, ClearedTask, MARK_STATES, MappedPage, MappedSummary, RunTask, TaskPage, TreeNode,
    TryRow, task_tree,
};
pub use variables::{MAX_VARIABLE_KEY, RevealedValue, VariableForm, VariablePage, VariableRow};
pub use viewer::{TeamMembership, Viewer};

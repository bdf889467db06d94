//! Hangar's integration tests, as one test binary.
//!
//! Each module was a binary of its own; together they link once. Every test still gets a
//! server, a database and (where it needs one) an identity provider of its own
//! (`support::TestApp`), so modules share nothing but this process: anything process-wide
//! (the metrics registry, the page-route list) is per app or generated once.

#[macro_use]
mod support;

mod access;
mod airflow_3_4;
mod airflow_client;
mod airflow_outage;
mod airflow_sync;
mod api;
mod audit_chain;
mod audit_viewer;
mod cli;
mod connections;
mod dag_actions;
mod dag_details;
mod dags_page;
mod deploy_confirm;
mod deploy_crash;
mod deploy_manifests;
mod deploy_store;
mod deploys;
mod edges;
mod examples;
mod execution;
mod live;
mod metrics;
mod oidc;
mod ownership;
mod platform_overview;
mod pools;
mod postgres_tls;
mod private_ca;
mod review_gate;
mod route_matrix;
mod run_window;
mod runs_page;
mod schema_parity;
mod serving;
mod sessions;
mod settings;
mod sync_leader;
mod task_logs;
mod telemetry;
mod variables;

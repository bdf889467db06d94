//! The server's side of the app's ports (`hangar_app::functions::ports`), one file per port:
//! what pages, server functions and the JSON API call, each method taking the request's
//! `Acting` first. A port puts a use case together from the domain rooms below it (`read_model/`,
//! `actions/`, `deploy/`, `platform/`, `audit/`, `access/`), writes the audit entry on the acting
//! caller's behalf and turns internal failures into the app's error (`error.rs`); the rooms never
//! look back up here.

pub mod airflow;
pub mod audit;
pub mod deploys;
pub mod people;
pub mod pictures;
pub mod platform;
pub mod preferences;
pub mod profile;
pub mod read_model;

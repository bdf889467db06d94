//! Airflow environments reached through their public REST API (never their database).

pub mod client;
pub mod environments;
pub mod error;
pub mod log_stream;
pub mod models;

pub use client::AirflowClient;
pub use environments::Environments;
pub use error::AirflowError;
pub use log_stream::{LogLines, TaskAttempt};

//! Airflow environments reached through their public REST API (never their database).

pub mod client;
pub mod error;
pub mod models;

pub use client::AirflowClient;
pub use error::AirflowError;

//! Keeps Hangar's read model in step with Airflow; pages read the model, never Airflow.

pub mod dags;

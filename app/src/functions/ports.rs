//! What server functions need from the server, as a trait the server implements (server only).
//!
//! The app crate stays free of database and Airflow code: the server provides an
//! `Arc<dyn ReadModel>` as context to every render and server-function call.

use std::sync::Arc;

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{DagPage, DagQuery};

#[async_trait::async_trait]
pub trait ReadModel: Send + Sync + 'static {
    /// The team's DAGs and the shared ones, filtered and paged. The caller has checked access.
    async fn team_dags(&self, team: &str, query: DagQuery) -> Result<DagPage, AppError>;
}

pub type SharedReadModel = Arc<dyn ReadModel>;

pub fn read_model() -> Result<SharedReadModel, AppError> {
    use_context::<SharedReadModel>()
        .ok_or_else(|| AppError::Internal("read model not provided".into()))
}

//! What every handler can reach.

use std::sync::Arc;

use leptos::config::LeptosOptions;

use crate::audit::{self, AuditEvent};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::http::error::ServerError;
use crate::identity::oidc::OidcProvider;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub oidc: Arc<OidcProvider>,
    pub clock: Arc<dyn Clock>,
    pub leptos: LeptosOptions,
}

impl AppState {
    /// Appends to the audit log at the server's current time.
    pub async fn audit(&self, event: AuditEvent) -> Result<i64, ServerError> {
        Ok(audit::append(&self.db, self.clock.now_ms(), event).await?)
    }
}

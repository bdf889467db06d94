//! The audit log's background work: apply retention, then verify the whole chain and record
//! the result for the viewer, every `[audit] verify_interval`.

use std::sync::Arc;

use super::{Verification, record_verification, retention, verify};
use crate::clock::Clock;
use crate::config::AuditConfig;
use crate::db::Db;

pub fn spawn(db: Db, clock: Arc<dyn Clock>, config: AuditConfig) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = run_once(&db, clock.as_ref(), &config).await {
                tracing::warn!(%error, "audit log upkeep failed; retrying next interval");
            }
            tokio::time::sleep(config.verify_interval).await;
        }
    });
}

/// Removes every entry past retention (step by step), then verifies and records.
pub async fn run_once(
    db: &Db,
    clock: &dyn Clock,
    config: &AuditConfig,
) -> Result<Verification, retention::RetentionError> {
    if let Some(keep) = config.retention {
        while retention::step(db, clock.now_ms(), keep, config.archive_dir.as_deref())
            .await?
            .is_some()
        {}
    }
    let verification = verify(db).await?;
    if let Some((seq, what)) = &verification.problem {
        tracing::error!(seq, %what, "the audit log's hash chain is broken");
    }
    record_verification(db, clock.now_ms(), &verification).await?;
    Ok(verification)
}

//! The app's `Audit` port: one page of the audit log viewer. The server function checked the
//! scope's access; here every query carries the scope, and a team's page is stripped of what would
//! describe the rest of the log (sequence numbers, the chain's length, where it broke).

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, Audit};
use hangar_app::models::audit::{
    AUDIT_PAGE_SIZE, AuditCursor, AuditFilter, AuditPage, AuditRow, AuditScope, ChainStatus,
};

use crate::audit::search::{self, Order};
use crate::audit::{StoredVerification, latest_verification};
use crate::config::AuditConfig;
use crate::db::Db;
use crate::error::ServerError;

pub struct AuditPages {
    db: Db,
    teams: Vec<String>,
    retention: Option<String>,
}

impl AuditPages {
    pub fn new(db: Db, teams: Vec<String>, config: &AuditConfig) -> Self {
        let retention = config.retention.map(|keep| {
            let days = keep.as_secs() / 86_400;
            let age = if days * 86_400 == keep.as_secs() {
                format!("{days} days")
            } else {
                format!("{} hours", keep.as_secs() / 3600)
            };
            match config.archive_dir {
                Some(_) => format!("Entries older than {age} are archived, then removed."),
                None => format!("Entries older than {age} are removed."),
            }
        });
        Self {
            db,
            teams,
            retention,
        }
    }

    /// The actions the scope's entries have: every logged one for the platform, the team's
    /// own for a team (probing `(team, action)` per known action).
    async fn actions(&self, scope: &AuditScope) -> Result<Vec<String>, ServerError> {
        match scope {
            AuditScope::Platform => search::actions(&self.db).await,
            AuditScope::Team(team) => search::team_actions(&self.db, team).await,
        }
    }
}

fn chain_status(stored: StoredVerification, scope: &AuditScope) -> ChainStatus {
    let StoredVerification {
        checked_at_ms,
        verification,
    } = stored;
    let full = *scope == AuditScope::Platform;
    ChainStatus {
        checked_at_ms,
        intact: verification.is_intact(),
        entries_checked: full.then_some(verification.entries_checked),
        from_seq: full.then_some(verification.from_seq),
        problem: verification.problem.filter(|_| full).map(|(_, what)| what),
    }
}

#[async_trait::async_trait]
impl Audit for AuditPages {
    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn page(
        &self,
        acting: &Acting,
        scope: AuditScope,
        mut filter: AuditFilter,
        before: Option<AuditCursor>,
    ) -> Result<AuditPage, AppError> {
        let full = scope == AuditScope::Platform;
        if !full {
            // A team's page is its team; whatever was asked is not echoed back.
            filter.team.clear();
        }
        let (rows, older, filter_error) = match filter.criteria(&scope) {
            Ok(criteria) => {
                let mut entries = search::fetch(
                    &self.db,
                    &criteria,
                    Order::NewestFirst(before),
                    AUDIT_PAGE_SIZE + 1,
                )
                .await?;
                let more = entries.len() > AUDIT_PAGE_SIZE;
                entries.truncate(AUDIT_PAGE_SIZE);
                let times: Vec<i64> = entries.iter().map(|e| e.at_ms).collect();
                let older = more
                    .then(|| AuditCursor::after_page(before, &times))
                    .flatten();
                let rows = entries
                    .into_iter()
                    .map(|entry| AuditRow {
                        seq: full.then_some(entry.seq),
                        at_ms: entry.at_ms,
                        actor_name: entry.actor_name,
                        actor_subject: entry.actor_subject,
                        team: entry.team,
                        action: entry.action,
                        target: entry.target,
                        outcome: entry.outcome,
                        detail: entry.detail,
                        request_id: entry.request_id,
                    })
                    .collect();
                (rows, older, None)
            }
            Err(message) => (Vec::new(), None, Some(message)),
        };
        let chain = latest_verification(&self.db)
            .await?
            .map(|stored| chain_status(stored, &scope));
        Ok(AuditPage {
            actions: self.actions(&scope).await?,
            teams: if full { self.teams.clone() } else { Vec::new() },
            scope,
            filter,
            filter_error,
            rows,
            before,
            older,
            chain,
            retention: self.retention.clone(),
        })
    }
}

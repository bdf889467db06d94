//! Deploy requests in the database: the state machine's memory.
//!
//! Every status change is one conditional statement (`... WHERE status IN (...)`) that the
//! database applies atomically, so approve, reject, cancel and deploy racing each other —
//! in one process or on several replicas — give exactly one outcome, and a caller learns
//! whether its change won from the number of rows it touched. Nothing here decides *whether*
//! someone may act (that is `policy`); this decides *which* of several valid actions wins.
//!
//! Every lookup takes the team: a request id from another team finds nothing.

use sqlx::Row;

use super::commit::{CommitId, SignatureRecord, SignatureStatus};
use super::git::CommitInfo;
use super::policy::{Authorship, GivenApproval, RequestStatus};
use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

/// Statuses from which a new request for the team replaces the old one.
const REPLACEABLE: &[RequestStatus] = &[
    RequestStatus::Pending,
    RequestStatus::Approved,
    RequestStatus::Failed,
];

/// A request as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRequest {
    pub id: i64,
    pub team: String,
    pub deployed: Option<CommitId>,
    pub candidate: CommitId,
    pub requester_id: i64,
    pub status: RequestStatus,
    pub break_glass_reason: Option<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub step: Option<String>,
    pub failure: Option<String>,
    pub attempts: i64,
    pub deployed_ms: Option<i64>,
    /// After a deploy: `waiting`, `live` or `late` (Airflow has not picked it up in time).
    pub confirmation: Option<String>,
    pub confirmed_ms: Option<i64>,
    /// The deploy is live but a directory target's hook failed.
    pub hook_failure: Option<String>,
    /// Requested through this API token.
    pub token_id: Option<i64>,
    /// The authorship rule the request was checked under when it was made.
    pub authorship: Authorship,
    /// Who created, and who last rotated, the token that opened it.
    pub token_creator_id: Option<i64>,
    pub token_rotator_id: Option<i64>,
    /// Files a ref target receives beyond the team's paths.
    pub outside_files: usize,
}

/// What to store for a new request; the caller has computed the commits from the repository.
pub struct NewRequest<'a> {
    pub team: &'a str,
    pub deployed: Option<&'a CommitId>,
    pub candidate: &'a CommitId,
    pub requester_id: i64,
    pub commits: &'a [CommitInfo],
    pub now_ms: i64,
    pub expires_ms: i64,
    /// Break-glass: deployed without approvals for this reason.
    pub break_glass_reason: Option<&'a str>,
    /// Requested through this API token, which these people created and last rotated.
    pub token_id: Option<i64>,
    pub token_creator_id: Option<i64>,
    pub token_rotator_id: Option<i64>,
    pub authorship: Authorship,
    pub outside_files: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    /// The new request's id, and the open requests it superseded.
    Created { id: i64, superseded: Vec<i64> },
    /// A deploy of this team is running; a new request waits until it ends.
    DeployRunning,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Reviewed {
    /// Recorded; the request's status after it.
    Recorded(RequestStatus),
    AlreadyReviewed,
    /// The request left `pending` (or its binding changed) before the review landed.
    NotPending,
}

/// A review as the approval screen shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReview {
    pub user_id: i64,
    pub name: String,
    pub approve: bool,
    pub comment: String,
    pub at_ms: i64,
    /// Why the approval stopped counting (it was given, then the approver's standing
    /// changed before the deploy ran).
    pub void_reason: Option<String>,
}

pub(super) fn status_list(statuses: &[RequestStatus]) -> String {
    // Names come from the enum, never from input.
    statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored status; anything else is a corrupt row, reported rather than guessed at.
fn parse_status(text: &str) -> Result<RequestStatus, sqlx::Error> {
    RequestStatus::parse(text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown deploy status {text:?}").into()))
}

/// Stores a request with its commits, superseding the team's open ones, in one transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, new: NewRequest<'_>) -> Result<Created, ServerError> {
    let status = if new.break_glass_reason.is_some() {
        RequestStatus::Approved
    } else {
        RequestStatus::Pending
    };
    let supersede = format!(
        "UPDATE deploy_requests SET status = 'superseded', updated_ms = $2 \
         WHERE team = $1 AND status IN ({}) RETURNING id",
        status_list(REPLACEABLE)
    );
    query_result(with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let superseded: Vec<i64> = sqlx::query_scalar(&supersede)
            .bind(new.team)
            .bind(new.now_ms)
            .fetch_all(&mut *tx)
            .await?;
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO deploy_requests (team, deployed_sha, candidate_sha, requester_id, status, \
             break_glass, break_glass_reason, created_ms, expires_ms, updated_ms, token_id, \
             token_creator_id, token_rotator_id, authorship, outside_files) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(new.team)
        .bind(new.deployed.map(|c| c.as_str()))
        .bind(new.candidate.as_str())
        .bind(new.requester_id)
        .bind(status.as_str())
        .bind(new.break_glass_reason.is_some())
        .bind(new.break_glass_reason)
        .bind(new.now_ms)
        .bind(new.expires_ms)
        .bind(new.token_id)
        .bind(new.token_creator_id)
        .bind(new.token_rotator_id)
        .bind(new.authorship.as_str())
        .bind(new.outside_files as i64)
        .fetch_one(&mut *tx)
        .await;
        let id = match inserted {
            Ok(id) => id,
            // The one-open-request index: what is still open is a running deploy.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(Created::DeployRunning),
            Err(e) => return Err(e.into()),
        };
        for (position, commit) in new.commits.iter().enumerate() {
            let co_authors = serde_json::to_string(&commit.co_authors)
                .unwrap_or_else(|_| "[]".into());
            sqlx::query(
                "INSERT INTO deploy_commits (request_id, position, sha, author_name, author_email, \
                 committer_name, committer_email, authored_ms, subject, co_authors, signature, \
                 signing_key, signing_key_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(commit.id.as_str())
            .bind(&commit.author_name)
            .bind(&commit.author_email)
            .bind(&commit.committer_name)
            .bind(&commit.committer_email)
            .bind(commit.authored_at_ms)
            .bind(&commit.subject)
            .bind(co_authors)
            .bind(commit.signature.status.as_str())
            .bind(&commit.signature.fingerprint)
            .bind(commit.signature.key_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Created::Created { id, superseded })
    }))
}

pub(super) const REQUEST_COLUMNS: &str = "id, team, deployed_sha, candidate_sha, requester_id, status, \
     break_glass_reason, created_ms, expires_ms, step, failure, attempts, deployed_ms, \
     confirmation, confirmed_ms, hook_failure, token_id, token_creator_id, token_rotator_id, \
     authorship, outside_files";

/// One request of `team`, or `None` (also for another team's id).
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn find(db: &Db, team: &str, id: i64) -> Result<Option<StoredRequest>, ServerError> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM deploy_requests WHERE id = $1 AND team = $2");
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(&sql).bind(id).bind(team).fetch_optional(pool).await?;
        row.map(|row| request_from_row(&row)).transpose()
    }))
}

/// The team's requests in one of `statuses`, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn in_status(
    db: &Db,
    team: &str,
    statuses: &[RequestStatus],
) -> Result<Vec<StoredRequest>, ServerError> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM deploy_requests WHERE team = $1 AND status IN ({}) ORDER BY id",
        status_list(statuses)
    );
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(&sql).bind(team).fetch_all(pool).await?;
        rows.iter().map(request_from_row).collect()
    }))
}

/// The requests of any of `teams` in one of `statuses`, by team then oldest first: one
/// query for the header's review queue, however many teams the viewer reviews for.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn in_status_of_teams(
    db: &Db,
    teams: &[&str],
    statuses: &[RequestStatus],
) -> Result<Vec<StoredRequest>, ServerError> {
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    // One bound parameter per team (the names are the viewer's grants, bound all the same).
    let placeholders: Vec<String> = (1..=teams.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM deploy_requests WHERE team IN ({}) AND status IN ({}) \
         ORDER BY team, id",
        placeholders.join(", "),
        status_list(statuses)
    );
    query_result(with_pool!(db, pool => {
        let mut query = sqlx::query(&sql);
        for team in teams {
            query = query.bind(*team);
        }
        let rows = query.fetch_all(pool).await?;
        rows.iter().map(request_from_row).collect()
    }))
}

/// Moves the team's open requests whose time is up to `expired`; returns their ids.
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn expire_due(db: &Db, team: &str, now_ms: i64) -> Result<Vec<i64>, ServerError> {
    let sql = format!(
        "UPDATE deploy_requests SET status = 'expired', updated_ms = $2 \
         WHERE team = $1 AND status IN ({}) AND expires_ms <= $2 RETURNING id",
        status_list(REPLACEABLE)
    );
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar(&sql).bind(team).bind(now_ms).fetch_all(pool).await
    }))
}

/// A row with [`REQUEST_COLUMNS`], read the same way for either backend's row type.
pub(super) trait RequestRow {
    fn request(&self) -> Result<StoredRequest, sqlx::Error>;
}

macro_rules! request_row {
    ($row:ty) => {
        impl RequestRow for $row {
            fn request(&self) -> Result<StoredRequest, sqlx::Error> {
                let row = self;
                let commit = |column: &str| -> Result<Option<CommitId>, sqlx::Error> {
                    row.try_get::<Option<String>, _>(column)?
                        .map(|text| {
                            CommitId::parse(&text).map_err(|e| sqlx::Error::Decode(e.into()))
                        })
                        .transpose()
                };
                let status: String = row.try_get("status")?;
                let authorship: String = row.try_get("authorship")?;
                Ok(StoredRequest {
                    id: row.try_get("id")?,
                    team: row.try_get("team")?,
                    deployed: commit("deployed_sha")?,
                    candidate: commit("candidate_sha")?
                        .ok_or_else(|| sqlx::Error::Decode("candidate_sha is NULL".into()))?,
                    requester_id: row.try_get("requester_id")?,
                    status: parse_status(&status)?,
                    break_glass_reason: row.try_get("break_glass_reason")?,
                    created_ms: row.try_get("created_ms")?,
                    expires_ms: row.try_get("expires_ms")?,
                    step: row.try_get("step")?,
                    failure: row.try_get("failure")?,
                    attempts: row.try_get("attempts")?,
                    deployed_ms: row.try_get("deployed_ms")?,
                    confirmation: row.try_get("confirmation")?,
                    confirmed_ms: row.try_get("confirmed_ms")?,
                    hook_failure: row.try_get("hook_failure")?,
                    token_id: row.try_get("token_id")?,
                    token_creator_id: row.try_get("token_creator_id")?,
                    token_rotator_id: row.try_get("token_rotator_id")?,
                    authorship: Authorship::parse(&authorship).ok_or_else(|| {
                        sqlx::Error::Decode(format!("unknown authorship {authorship:?}").into())
                    })?,
                    outside_files: row.try_get::<i64, _>("outside_files")?.max(0) as usize,
                })
            }
        }
    };
}

request_row!(sqlx::sqlite::SqliteRow);
request_row!(sqlx::postgres::PgRow);

/// Moves an open request to `stale` (if it is still `from`), saying why.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_stale(
    db: &Db,
    id: i64,
    from: RequestStatus,
    cause: &str,
    now_ms: i64,
) -> Result<bool, ServerError> {
    query_result(with_pool!(db, pool => {
        let moved = sqlx::query(
            "UPDATE deploy_requests SET status = 'stale', failure = $3, updated_ms = $4 \
             WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(from.as_str())
        .bind(cause)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected();
        Ok(moved == 1)
    }))
}

/// The team's most recent successful deploy.
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn latest_deployed(db: &Db, team: &str) -> Result<Option<StoredRequest>, ServerError> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM deploy_requests WHERE team = $1 AND status = 'deployed' \
         ORDER BY deployed_ms DESC, id DESC LIMIT 1"
    );
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(&sql).bind(team).fetch_optional(pool).await?;
        row.map(|row| request_from_row(&row)).transpose()
    }))
}

pub(super) fn request_from_row(row: &impl RequestRow) -> Result<StoredRequest, sqlx::Error> {
    row.request()
}

/// A request's included commits, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn commits(db: &Db, request_id: i64) -> Result<Vec<CommitInfo>, ServerError> {
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(
            "SELECT sha, author_name, author_email, committer_name, committer_email, authored_ms, \
             subject, co_authors, signature, signing_key, signing_key_id FROM deploy_commits \
             WHERE request_id = $1 ORDER BY position",
        )
        .bind(request_id)
        .fetch_all(pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let sha: String = row.try_get("sha")?;
                let co_authors: String = row.try_get("co_authors")?;
                let signature: String = row.try_get("signature")?;
                Ok(CommitInfo {
                    id: CommitId::parse(&sha).map_err(|e| sqlx::Error::Decode(e.into()))?,
                    author_name: row.try_get("author_name")?,
                    author_email: row.try_get("author_email")?,
                    committer_name: row.try_get("committer_name")?,
                    committer_email: row.try_get("committer_email")?,
                    authored_at_ms: row.try_get("authored_ms")?,
                    subject: row.try_get("subject")?,
                    // Written by Hangar only; unreadable means none.
                    co_authors: serde_json::from_str(&co_authors).unwrap_or_default(),
                    signature: SignatureRecord {
                        status: SignatureStatus::parse(&signature).ok_or_else(|| {
                            sqlx::Error::Decode(format!("unknown signature {signature:?}").into())
                        })?,
                        fingerprint: row.try_get("signing_key")?,
                        key_id: row.try_get("signing_key_id")?,
                    },
                })
            })
            .collect()
    }))
}

/// Reviews of a request, oldest first, with the reviewers' names.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reviews(db: &Db, request_id: i64) -> Result<Vec<StoredReview>, ServerError> {
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(
            "SELECT r.user_id, u.display_name, r.verdict, r.comment, r.at_ms, r.void_reason \
             FROM deploy_reviews r \
             JOIN users u ON u.id = r.user_id WHERE r.request_id = $1 ORDER BY r.at_ms, r.user_id",
        )
        .bind(request_id)
        .fetch_all(pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(StoredReview {
                    user_id: row.try_get("user_id")?,
                    name: row.try_get("display_name")?,
                    approve: row.try_get::<String, _>("verdict")? == "approve",
                    comment: row.try_get("comment")?,
                    at_ms: row.try_get("at_ms")?,
                    void_reason: row.try_get("void_reason")?,
                })
            })
            .collect()
    }))
}

/// The approvals given that still count, as the rules count them.
pub fn approvals(reviews: &[StoredReview]) -> Vec<GivenApproval> {
    reviews
        .iter()
        .filter(|r| r.approve && r.void_reason.is_none())
        .map(|r| GivenApproval {
            user_id: r.user_id,
            name: r.name.clone(),
        })
        .collect()
}

/// Records a review of `request` (as the caller read it and checked it against the
/// policy), then moves the request on: to `approved` once `required` approvals bound to its
/// commits are in, to `rejected` on a rejection. The review lands only while the request is
/// still pending against the same commits. A person whose earlier approval was voided may
/// review again (their standing was checked again by the caller).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn review(
    db: &Db,
    request: &StoredRequest,
    user_id: i64,
    verdict: Verdict,
    comment: &str,
    required: u32,
    now_ms: i64,
) -> Result<Reviewed, ServerError> {
    let deployed = request.deployed.as_ref().map(|c| c.as_str());
    query_result(with_pool!(db, pool => {
        let inserted = sqlx::query(
            "INSERT INTO deploy_reviews (request_id, user_id, verdict, deployed_sha, candidate_sha, comment, at_ms) \
             SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM deploy_requests \
             WHERE id = $1 AND status = 'pending' AND candidate_sha = $5 \
             AND deployed_sha IS NOT DISTINCT FROM $4) \
             ON CONFLICT (request_id, user_id) DO UPDATE SET verdict = excluded.verdict, \
             deployed_sha = excluded.deployed_sha, candidate_sha = excluded.candidate_sha, \
             comment = excluded.comment, at_ms = excluded.at_ms, void_reason = NULL \
             WHERE deploy_reviews.void_reason IS NOT NULL",
        )
        .bind(request.id)
        .bind(user_id)
        .bind(verdict.as_str())
        .bind(deployed)
        .bind(request.candidate.as_str())
        .bind(comment)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return why_not_recorded(db, request.id, user_id).await;
        }
        match verdict {
            Verdict::Reject => {
                sqlx::query("UPDATE deploy_requests SET status = 'rejected', updated_ms = $2 WHERE id = $1 AND status = 'pending'")
                    .bind(request.id)
                    .bind(now_ms)
                    .execute(pool)
                    .await?;
            }
            Verdict::Approve => {
                // Counted in the same statement that moves the status, so two approvals
                // landing together cannot both see one short.
                sqlx::query(
                    "UPDATE deploy_requests SET status = 'approved', updated_ms = $2 \
                     WHERE id = $1 AND status = 'pending' AND (SELECT COUNT(*) FROM deploy_reviews \
                     WHERE request_id = $1 AND verdict = 'approve' AND void_reason IS NULL \
                     AND candidate_sha = $3 AND deployed_sha IS NOT DISTINCT FROM $4) >= $5",
                )
                .bind(request.id)
                .bind(now_ms)
                .bind(request.candidate.as_str())
                .bind(deployed)
                .bind(i64::from(required))
                .execute(pool)
                .await?;
            }
        }
        let status: String = sqlx::query_scalar("SELECT status FROM deploy_requests WHERE id = $1")
            .bind(request.id)
            .fetch_one(pool)
            .await?;
        Ok(Reviewed::Recorded(parse_status(&status)?))
    }))
}

/// Records the review of a break-glass deploy after it went out (one per person; it binds
/// to the deploy's commits like any review). The request's status does not change.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn review_after(
    db: &Db,
    request: &StoredRequest,
    user_id: i64,
    verdict: Verdict,
    comment: &str,
    now_ms: i64,
) -> Result<Reviewed, ServerError> {
    query_result(with_pool!(db, pool => {
        let inserted = sqlx::query(
            "INSERT INTO deploy_reviews (request_id, user_id, verdict, deployed_sha, candidate_sha, comment, at_ms) \
             SELECT $1, $2, $3, deployed_sha, candidate_sha, $4, $5 FROM deploy_requests \
             WHERE id = $1 AND break_glass = $6 AND status IN ('deploying', 'deployed', 'failed') \
             ON CONFLICT (request_id, user_id) DO NOTHING",
        )
        .bind(request.id)
        .bind(user_id)
        .bind(verdict.as_str())
        .bind(comment)
        .bind(now_ms)
        .bind(true)
        .execute(pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            let status: String = sqlx::query_scalar("SELECT status FROM deploy_requests WHERE id = $1")
                .bind(request.id)
                .fetch_one(pool)
                .await?;
            return Ok(Reviewed::Recorded(parse_status(&status)?));
        }
        Ok(())
    }))?;
    why_not_recorded(db, request.id, user_id).await
}

/// Why a review was not recorded: the person had reviewed already, or the request was no
/// longer open to it.
async fn why_not_recorded(db: &Db, request_id: i64, user_id: i64) -> Result<Reviewed, ServerError> {
    query_result(with_pool!(db, pool => {
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM deploy_reviews WHERE request_id = $1 AND user_id = $2 \
             AND void_reason IS NULL",
        )
        .bind(request_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?;
        Ok(if existing.is_some() { Reviewed::AlreadyReviewed } else { Reviewed::NotPending })
    }))
}

/// Moves request `id` to `to` if it is in one of `from`. Returns whether this call did it:
/// of several racing transitions, exactly one sees `true`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transition(
    db: &Db,
    id: i64,
    from: &[RequestStatus],
    to: RequestStatus,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let sql = format!(
        "UPDATE deploy_requests SET status = $2, updated_ms = $3, \
         attempts = attempts + (CASE WHEN $2 = 'deploying' THEN 1 ELSE 0 END), \
         deployed_ms = (CASE WHEN $2 = 'deployed' THEN $3 ELSE deployed_ms END) \
         WHERE id = $1 AND status IN ({})",
        status_list(from)
    );
    query_result(with_pool!(db, pool => {
        let moved = sqlx::query(&sql)
            .bind(id)
            .bind(to.as_str())
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected();
        Ok(moved == 1)
    }))
}

/// The request goes back to `pending` (from one of `from`, and only from `runner`'s claim if
/// given), saying why, and the approvals of `void` stop counting: what a deploy does when
/// its approvals no longer hold at the last moment. Returns whether this call moved it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn back_to_pending(
    db: &Db,
    id: i64,
    from: &[RequestStatus],
    runner: Option<&str>,
    void: &[(i64, String)],
    cause: &str,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let sql = format!(
        "UPDATE deploy_requests SET status = 'pending', failure = $2, updated_ms = $3, \
         runner = NULL, heartbeat_ms = NULL, step = NULL WHERE id = $1 AND status IN ({}) \
         AND ($4 IS NULL OR runner = $4)",
        status_list(from)
    );
    query_result(with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let moved = sqlx::query(&sql)
            .bind(id)
            .bind(cause)
            .bind(now_ms)
            .bind(runner)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if moved == 1 {
            for (user_id, reason) in void {
                sqlx::query(
                    "UPDATE deploy_reviews SET void_reason = $3 WHERE request_id = $1 \
                     AND user_id = $2 AND void_reason IS NULL",
                )
                .bind(id)
                .bind(user_id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(moved == 1)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists_quote_every_name() {
        assert_eq!(status_list(REPLACEABLE), "'pending', 'approved', 'failed'");
    }
}

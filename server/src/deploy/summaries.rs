//! Deploy requests as lists show them (a team's history, the platform's break-glass deploys
//! awaiting review), read in two queries however many rows there are: the requests with
//! their requester, token and counts, then the approvers of all of them.

use std::collections::HashMap;

use hangar_app::models::deploys::DeploySummary;
use sqlx::Row;

use super::policy::RequestStatus;
use super::store::{self, REQUEST_COLUMNS, StoredRequest};
use crate::db::Db;
use crate::error::ServerError;
use crate::with_pool;

/// Which requests to list, newest first.
pub enum Listing<'a> {
    /// One team's requests.
    Team { team: &'a str, limit: i64 },
    /// Every team's break-glass deploys that went out and nobody has reviewed yet.
    BreakGlassAwaitingReview { limit: i64 },
}

/// A listed request: its team and break-glass reason beside what the lists show.
pub struct Listed {
    pub team: String,
    pub break_glass_reason: Option<String>,
    pub summary: DeploySummary,
}

/// The statuses of a break-glass request that went out (`Loaded::awaiting_review`).
const WENT_OUT: [RequestStatus; 3] = [
    RequestStatus::Deploying,
    RequestStatus::Deployed,
    RequestStatus::Failed,
];

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(db: &Db, listing: Listing<'_>) -> Result<Vec<Listed>, ServerError> {
    // The limit is $1; a team, when there is one, $2.
    let (filter, team, limit) = match listing {
        Listing::Team { team, limit } => ("team = $2".to_string(), Some(team), limit),
        Listing::BreakGlassAwaitingReview { limit } => (
            format!(
                "break_glass_reason IS NOT NULL AND status IN ({}) AND NOT EXISTS \
                 (SELECT 1 FROM deploy_reviews v WHERE v.request_id = deploy_requests.id)",
                store::status_list(&WENT_OUT)
            ),
            None,
            limit,
        ),
    };
    let sql = format!(
        "SELECT r.*, u.display_name AS requester_name, t.name AS token_name, \
         (SELECT COUNT(*) FROM deploy_commits c WHERE c.request_id = r.id) AS commit_count, \
         (SELECT COUNT(*) FROM deploy_reviews v WHERE v.request_id = r.id) AS review_count \
         FROM (SELECT {REQUEST_COLUMNS} FROM deploy_requests WHERE {filter} \
               ORDER BY id DESC LIMIT $1) r \
         JOIN users u ON u.id = r.requester_id \
         LEFT JOIN api_tokens t ON t.id = r.token_id \
         ORDER BY r.id DESC"
    );
    let rows: Vec<(StoredRequest, String, Option<String>, i64, i64)> = with_pool!(db, pool => {
        let mut query = sqlx::query(&sql).bind(limit);
        if let Some(team) = team {
            query = query.bind(team);
        }
        query
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    store::request_from_row(row)?,
                    row.try_get("requester_name")?,
                    row.try_get("token_name")?,
                    row.try_get("commit_count")?,
                    row.try_get("review_count")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
    })?;
    let mut approvers = approvers(db, rows.iter().map(|(request, ..)| request.id)).await?;
    Ok(rows
        .into_iter()
        .map(|(request, requester, via_token, commits, reviews)| {
            let awaiting_review = request.break_glass_reason.is_some()
                && WENT_OUT.contains(&request.status)
                && reviews == 0;
            Listed {
                team: request.team.clone(),
                break_glass_reason: request.break_glass_reason.clone(),
                summary: DeploySummary {
                    id: request.id,
                    status: request.status.as_str().to_string(),
                    requester,
                    via_token,
                    approvers: approvers.remove(&request.id).unwrap_or_default(),
                    deployed: request.deployed.as_ref().map(|c| c.to_string()),
                    candidate: request.candidate.to_string(),
                    commits: commits as usize,
                    created_ms: request.created_ms,
                    deployed_ms: request.deployed_ms,
                    break_glass: request.break_glass_reason.is_some(),
                    awaiting_review,
                    confirmation: request.confirmation,
                    confirmed_ms: request.confirmed_ms,
                    failure: request.failure,
                    hook_failure: request.hook_failure,
                    step: request.step,
                },
            }
        })
        .collect())
}

/// Who approved each of `ids`, in the order they did.
async fn approvers(
    db: &Db,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, Vec<String>>, ServerError> {
    // Ids are numbers Hangar read a moment ago: written into the statement, not bound, so
    // one statement serves any count on both backends.
    let ids: Vec<String> = ids.map(|id| id.to_string()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT v.request_id, u.display_name FROM deploy_reviews v JOIN users u ON u.id = v.user_id \
         WHERE v.verdict = 'approve' AND v.void_reason IS NULL AND v.request_id IN ({}) \
         ORDER BY v.at_ms, v.user_id",
        ids.join(", ")
    );
    let rows: Vec<(i64, String)> = with_pool!(db, pool => {
        sqlx::query_as(&sql).fetch_all(pool).await
    })?;
    let mut by_request: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, name) in rows {
        by_request.entry(id).or_default().push(name);
    }
    Ok(by_request)
}

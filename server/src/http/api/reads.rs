//! The read operations: the caller's teams, a team's DAGs, runs and pools, from Hangar's copy
//! of Airflow (the same read model, and the same team rule, as the pages).

use axum::Json;
use axum::extract::{Path, Query, State};
use hangar_app::models::{DAG_PAGE_SIZE, DagQuery, RUN_PAGE_SIZE, RunQuery, RunRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::door::{self, ApiRequest};
use super::error::ErrorBody;
use super::{ApiError, DAGS, POOLS, RUNS, TEAMS};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct TeamList {
    teams: Vec<Team>,
}

#[derive(Serialize, ToSchema)]
pub struct Team {
    name: String,
    display_name: String,
    /// The person's role (viewer, operator, author, admin, `admin (platform)`, …), or `token`.
    role: String,
}

/// The caller's teams
#[utoipa::path(get, path = "/api/v1/teams", operation_id = "listTeams",
    responses((status = 200, description = "OK", body = TeamList)))]
pub async fn teams(
    State(state): State<AppState>,
    request: ApiRequest,
) -> Result<Json<TeamList>, ApiError> {
    let acting = door::require(&state, &request, &TEAMS, None).await?;
    let teams = match &acting.token {
        None => acting
            .viewer
            .teams
            .iter()
            .map(|m| Team {
                name: m.team.clone(),
                display_name: m.display_name.clone(),
                role: m.grant.describe(),
            })
            .collect(),
        Some(token) => state
            .config
            .teams
            .iter()
            .filter(|t| t.name == token.team)
            .map(|t| Team {
                name: t.name.clone(),
                display_name: t.display_name.clone(),
                role: "token".into(),
            })
            .collect(),
    };
    Ok(Json(TeamList { teams }))
}

/// `?q=&paused=&tag=&owner=&page=&per_page=`, as the DAG list's filters.
#[derive(Deserialize, Default, IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DagParams {
    /// Part of the id, display name or description, ignoring case.
    q: String,
    /// Only paused (true) or active (false) DAGs.
    paused: Option<bool>,
    /// Only DAGs with this tag.
    tag: String,
    /// Only DAGs of this owner.
    owner: String,
    /// Zero-based page.
    page: u32,
    /// 25, 50 (default) or 100.
    per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct DagList {
    dags: Vec<Dag>,
    total: u64,
    page: u32,
    per_page: u32,
}

#[derive(Serialize, ToSchema)]
pub struct Dag {
    environment: String,
    dag_id: String,
    display_name: String,
    description: Option<String>,
    schedule: Option<String>,
    /// RFC 3339.
    next_run: Option<String>,
    owners: Vec<String>,
    tags: Vec<String>,
    is_paused: bool,
    has_import_errors: bool,
    /// From a bundle no team owns.
    shared: bool,
    /// The latest run's state: queued, running, success, failed, or none.
    last_run_state: String,
}

/// The team's DAGs and the shared ones, filtered and paged
#[utoipa::path(get, path = "/api/v1/teams/{team}/dags", operation_id = "listDags",
    params(("team" = String, Path, description = "The team's name, as in `/t/{team}`."), DagParams),
    responses((status = 200, description = "OK", body = DagList)))]
pub async fn dags(
    State(state): State<AppState>,
    Path(team): Path<String>,
    Query(params): Query<DagParams>,
    request: ApiRequest,
) -> Result<Json<DagList>, ApiError> {
    let acting = door::require(&state, &request, &DAGS, Some(&team)).await?;
    let per_page = params.per_page.unwrap_or(DAG_PAGE_SIZE);
    let query = DagQuery {
        search: params.q,
        paused: params.paused,
        tag: params.tag,
        owner: params.owner,
        page: params.page,
        per_page,
        ..Default::default()
    };
    let page = state.read_model.team_dags(&acting, &team, query).await?;
    door::audit_read(&state, &acting, "api.read", "dags".into()).await?;
    Ok(Json(DagList {
        total: page.total,
        page: page.query.page,
        per_page: page.query.per_page,
        dags: page
            .rows
            .into_iter()
            .map(|row| Dag {
                last_run_state: row
                    .recent_runs
                    .last()
                    .map_or_else(|| "none".to_string(), |run| run.state.clone()),
                environment: row.environment,
                dag_id: row.dag_id,
                display_name: row.display_name,
                description: row.description,
                schedule: row.schedule,
                next_run: row.next_run,
                owners: row.owners,
                tags: row.tags,
                is_paused: row.is_paused,
                has_import_errors: row.has_import_errors,
                shared: row.shared,
            })
            .collect(),
    }))
}

/// `?state=&run_type=&from=&to=&page=`, as the run list's filters.
#[derive(Deserialize, Default, IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunParams {
    /// queued, running, success or failed.
    state: String,
    /// manual, scheduled, backfill or asset_triggered.
    run_type: String,
    /// YYYY-MM-DD (UTC), inclusive.
    from: String,
    /// YYYY-MM-DD (UTC), inclusive.
    to: String,
    /// Zero-based page of 50.
    page: u32,
}

#[derive(Serialize, ToSchema)]
pub struct RunList {
    runs: Vec<RunRow>,
    total: u64,
    page: u32,
    per_page: u32,
}

/// The runs of the team's DAGs and the shared ones, newest first
#[utoipa::path(get, path = "/api/v1/teams/{team}/runs", operation_id = "listRuns",
    params(("team" = String, Path, description = "The team's name, as in `/t/{team}`."), RunParams),
    responses((status = 200, description = "OK", body = RunList),
        (status = 422, description = "A filter is not valid.", body = ErrorBody)))]
pub async fn runs(
    State(state): State<AppState>,
    Path(team): Path<String>,
    Query(params): Query<RunParams>,
    request: ApiRequest,
) -> Result<Json<RunList>, ApiError> {
    let acting = door::require(&state, &request, &RUNS, Some(&team)).await?;
    let query = RunQuery {
        state: params.state,
        run_type: params.run_type,
        from: params.from,
        to: params.to,
        page: params.page,
    };
    let page = state.read_model.team_runs(&acting, &team, query).await?;
    door::audit_read(&state, &acting, "api.read", "runs".into()).await?;
    Ok(Json(RunList {
        runs: page.rows,
        total: page.total,
        page: page.query.page,
        per_page: RUN_PAGE_SIZE,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PoolList {
    pools: Vec<Pool>,
}

#[derive(Serialize, ToSchema)]
pub struct Pool {
    environment: String,
    name: String,
    /// Shared by every team.
    global: bool,
    /// `-1`: unlimited.
    slots: i64,
    running: i64,
    queued: i64,
    scheduled: i64,
    deferred: i64,
    open: i64,
}

/// The team's pools and the global ones, with their usage
#[utoipa::path(get, path = "/api/v1/teams/{team}/pools", operation_id = "listPools",
    params(("team" = String, Path, description = "The team's name, as in `/t/{team}`.")),
    responses((status = 200, description = "OK", body = PoolList)))]
pub async fn pools(
    State(state): State<AppState>,
    Path(team): Path<String>,
    request: ApiRequest,
) -> Result<Json<PoolList>, ApiError> {
    let acting = door::require(&state, &request, &POOLS, Some(&team)).await?;
    let page = state.read_model.team_pools(&acting, &team).await?;
    door::audit_read(&state, &acting, "api.read", "pools".into()).await?;
    Ok(Json(PoolList {
        pools: page
            .pools
            .into_iter()
            .map(|p| Pool {
                environment: p.environment,
                name: p.name,
                global: p.global,
                slots: p.slots,
                running: p.running,
                queued: p.queued,
                scheduled: p.scheduled,
                deferred: p.deferred,
                open: p.open,
            })
            .collect(),
    }))
}

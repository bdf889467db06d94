//! Task instances for the DAG grid, the run page and the task page, in the DAG's order and
//! groups (`dag_tasks`), mapped tasks summed up in SQL so a task mapped over thousands of
//! items costs one row per state, not one per item.
//!
//! Every function takes a DAG the caller has already found visible to the team
//! ([`super::runs::visible_dag`]); none reads another DAG's rows.

use std::collections::{BTreeMap, HashMap};

use hangar_app::models::states;
use hangar_app::models::tasks::{MAPPED_ON_RUN_PAGE, MAPPED_PAGE_SIZE, why_not_run};
use hangar_app::models::{
    GridTask, MappedPage, MappedSummary, RUNS_IN_GRID, RunGrid, RunRow, RunTask, TaskCell, TaskRow,
    TreeNode, TryRow, task_tree,
};
use sqlx::Row;

use super::rows::{ReadRow, TASK_COLUMNS};
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// One bar of a Gantt chart: a try's times (RFC 3339) and state (`graph::gantt` draws it).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub try_number: i64,
    pub state: String,
    pub queued: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// A task of a DAG as its task list gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct DagTaskInfo {
    pub task_id: String,
    pub operator: Option<String>,
    pub trigger_rule: Option<String>,
    pub downstream: Vec<String>,
    pub is_mapped: bool,
}

/// The DAG's tasks in topological order (empty until the sync has read its task list).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn dag_tasks(
    db: &Db,
    environment: &str,
    dag_id: &str,
) -> Result<Vec<DagTaskInfo>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "SELECT task_id, operator, trigger_rule, downstream_json, is_mapped FROM dag_tasks \
             WHERE environment = $1 AND dag_id = $2 ORDER BY ordinal",
        )
        .bind(environment)
        .bind(dag_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(DagTaskInfo {
                task_id: row.try_get("task_id")?,
                operator: row.try_get("operator")?,
                trigger_rule: row.try_get("trigger_rule")?,
                downstream: serde_json::from_str(&row.try_get::<String, _>("downstream_json")?)
                    .unwrap_or_default(),
                is_mapped: row.try_get::<i64, _>("is_mapped")? != 0,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
    }))
}

/// Task ids in the order pages list them: the DAG's topological order where its task list
/// is known, then the others (removed from the DAG, or not synced yet) by when they first
/// started, then by id.
fn ordered(known: &[DagTaskInfo], seen: &HashMap<String, Option<String>>) -> Vec<String> {
    let position: HashMap<&str, usize> = known
        .iter()
        .enumerate()
        .map(|(i, t)| (t.task_id.as_str(), i))
        .collect();
    let mut ids: Vec<&String> = seen.keys().collect();
    ids.sort_by(|a, b| {
        let key = |id: &String| {
            (
                position.get(id.as_str()).copied().unwrap_or(usize::MAX),
                seen[id].clone().unwrap_or_else(|| "~".into()),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    ids.into_iter().cloned().collect()
}

/// One run of a DAG, if the read model has it.
pub async fn run(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run_id: &str,
) -> Result<Option<RunRow>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "SELECT environment, dag_id, run_id, state, run_type, run_after, start_date, end_date \
             FROM dag_runs WHERE environment = $1 AND dag_id = $2 AND run_id = $3",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(run_id)
        .fetch_optional(pool)
        .await?
        .map(|row| row.run_row())
        .transpose()
    }))
}

/// The last [`RUNS_IN_GRID`] runs of a DAG with their task instances as a grid: a row per
/// task in its group, a cell per run; a mapped task's cell counts its instances and shows
/// the state that sums them up.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn grid(db: &Db, environment: &str, dag_id: &str) -> Result<RunGrid, ServerError> {
    let known = dag_tasks(db, environment, dag_id).await?;
    let (runs, cells) = query_result(with_pool!(db, pool => {
        let runs = sqlx::query(
            "SELECT environment, dag_id, run_id, state, run_type, run_after, start_date, end_date \
             FROM dag_runs WHERE environment = $1 AND dag_id = $2 ORDER BY run_after DESC LIMIT $3",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(RUNS_IN_GRID as i64)
        .fetch_all(pool)
        .await?;
        let mut runs: Vec<RunRow> = runs.iter().map(|r| r.run_row()).collect::<Result<_, _>>()?;
        runs.reverse();
        let oldest = runs.first().map(|r| r.run_after.clone()).unwrap_or_default();
        // One row per run, task and state: a mapped task's instances are counted here.
        let cells = sqlx::query(
            "SELECT t.run_id, t.task_id, COALESCE(t.state, 'none') AS state, COUNT(*) AS n, \
             MAX(t.try_number) AS tries, MIN(t.map_index) AS first_index, \
             MIN(t.start_date) AS first_start \
             FROM task_instances t JOIN dag_runs r ON r.environment = t.environment \
             AND r.dag_id = t.dag_id AND r.run_id = t.run_id \
             WHERE t.environment = $1 AND t.dag_id = $2 AND r.run_after >= $3 \
             GROUP BY t.run_id, t.task_id, COALESCE(t.state, 'none')",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(&oldest)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(GridCount {
                run_id: row.try_get("run_id")?,
                task_id: row.try_get("task_id")?,
                state: row.try_get("state")?,
                count: row.try_get::<i64, _>("n")? as u64,
                tries: row.try_get("tries")?,
                mapped: row.try_get::<i64, _>("first_index")? >= 0,
                first_start: row.try_get("first_start")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok::<_, sqlx::Error>((runs, cells))
    }))?;
    Ok(arrange_grid(&known, runs, cells))
}

/// What the grid's query counts: one task's instances of one run in one state.
struct GridCount {
    run_id: String,
    task_id: String,
    state: String,
    count: u64,
    tries: i64,
    mapped: bool,
    first_start: Option<String>,
}

fn arrange_grid(known: &[DagTaskInfo], runs: Vec<RunRow>, counts: Vec<GridCount>) -> RunGrid {
    let column: HashMap<&str, usize> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.run_id.as_str(), i))
        .collect();
    let mut first_start: HashMap<String, Option<String>> = HashMap::new();
    let mut cells: HashMap<String, Vec<Option<TaskCell>>> = HashMap::new();
    for count in &counts {
        let Some(&col) = column.get(count.run_id.as_str()) else {
            continue;
        };
        let earliest = first_start.entry(count.task_id.clone()).or_default();
        if let Some(start) = &count.first_start
            && earliest.as_ref().is_none_or(|e| start < e)
        {
            *earliest = Some(start.clone());
        }
        let row = cells
            .entry(count.task_id.clone())
            .or_insert_with(|| vec![None; runs.len()]);
        let cell = row[col].get_or_insert_with(|| TaskCell {
            state: count.state.clone(),
            try_number: 0,
            mapped: 0,
        });
        if states::priority(&count.state) < states::priority(&cell.state) {
            cell.state = count.state.clone();
        }
        cell.try_number = cell.try_number.max(count.tries);
        if count.mapped {
            cell.mapped += count.count;
        }
    }
    let items = ordered(known, &first_start)
        .into_iter()
        .map(|id| {
            let cells = cells.remove(&id).unwrap_or_default();
            (id, GridTask { cells })
        })
        .collect();
    RunGrid {
        runs,
        tasks: task_tree(items),
    }
}

/// A run's tasks in their groups: unmapped instances as they are, mapped tasks summed up
/// with their first [`MAPPED_ON_RUN_PAGE`] instances.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run_tasks(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run_id: &str,
) -> Result<Vec<TreeNode<RunTask>>, ServerError> {
    let known = dag_tasks(db, environment, dag_id).await?;
    let (single, summaries, first) = query_result(with_pool!(db, pool => {
        let single = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM task_instances WHERE environment = $1 AND dag_id = $2 \
             AND run_id = $3 AND map_index < 0"
        ))
        .bind(environment)
        .bind(dag_id)
        .bind(run_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.task_row())
        .collect::<Result<Vec<_>, _>>()?;
        let summaries = sqlx::query(
            "SELECT task_id, COALESCE(state, 'none') AS state, COUNT(*) AS n, \
             MAX(try_number) AS tries, MIN(queued_when) AS queued, MIN(start_date) AS started, \
             MAX(end_date) AS ended, MAX(operator) AS operator FROM task_instances \
             WHERE environment = $1 AND dag_id = $2 AND run_id = $3 AND map_index >= 0 \
             GROUP BY task_id, COALESCE(state, 'none')",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(run_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(MappedCount {
                task_id: row.try_get("task_id")?,
                state: row.try_get("state")?,
                count: row.try_get::<i64, _>("n")? as u64,
                tries: row.try_get("tries")?,
                queued: row.try_get("queued")?,
                started: row.try_get("started")?,
                ended: row.try_get("ended")?,
                operator: row.try_get("operator")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let first = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM (SELECT {TASK_COLUMNS}, ROW_NUMBER() OVER \
             (PARTITION BY task_id ORDER BY map_index) AS rank_in_task FROM task_instances \
             WHERE environment = $1 AND dag_id = $2 AND run_id = $3 AND map_index >= 0) AS m \
             WHERE rank_in_task <= $4 ORDER BY task_id, map_index"
        ))
        .bind(environment)
        .bind(dag_id)
        .bind(run_id)
        .bind(MAPPED_ON_RUN_PAGE as i64)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.task_row())
        .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, sqlx::Error>((single, summaries, first))
    }))?;
    Ok(arrange_run(&known, single, summaries, first))
}

/// One mapped task's instances of one run in one state, counted.
struct MappedCount {
    task_id: String,
    state: String,
    count: u64,
    tries: i64,
    queued: Option<String>,
    started: Option<String>,
    ended: Option<String>,
    operator: Option<String>,
}

fn arrange_run(
    known: &[DagTaskInfo],
    single: Vec<TaskRow>,
    summaries: Vec<MappedCount>,
    first: Vec<TaskRow>,
) -> Vec<TreeNode<RunTask>> {
    let mut tasks: HashMap<String, RunTask> = single
        .into_iter()
        .map(|row| (row.task_id.clone(), RunTask { row, mapped: None }))
        .collect();
    let mut by_task: BTreeMap<String, Vec<MappedCount>> = BTreeMap::new();
    for count in summaries {
        by_task
            .entry(count.task_id.clone())
            .or_default()
            .push(count);
    }
    let mut first_of: BTreeMap<String, Vec<TaskRow>> = BTreeMap::new();
    for row in first {
        first_of.entry(row.task_id.clone()).or_default().push(row);
    }
    for (task_id, counts) in by_task {
        let min = |values: Vec<Option<String>>| values.into_iter().flatten().min();
        let summary_state = states::summary(counts.iter().map(|c| c.state.as_str()));
        let mut state_counts: Vec<(String, u64)> =
            counts.iter().map(|c| (c.state.clone(), c.count)).collect();
        state_counts.sort_by_key(|(state, _)| states::priority(state));
        // Still running instances leave the end open.
        let all_ended = counts.iter().all(|c| states::is_final(&c.state));
        let row = TaskRow {
            task_id: task_id.clone(),
            map_index: -1,
            rendered_map_index: None,
            state: summary_state.to_string(),
            try_number: counts.iter().map(|c| c.tries).max().unwrap_or(0),
            queued: min(counts.iter().map(|c| c.queued.clone()).collect()),
            start_date: min(counts.iter().map(|c| c.started.clone()).collect()),
            end_date: all_ended
                .then(|| counts.iter().filter_map(|c| c.ended.clone()).max())
                .flatten(),
            duration_s: None,
            operator: counts.iter().find_map(|c| c.operator.clone()),
            executor: None,
            queue: None,
            hostname: None,
        };
        tasks.insert(
            task_id.clone(),
            RunTask {
                row,
                mapped: Some(MappedSummary {
                    count: counts.iter().map(|c| c.count).sum(),
                    states: state_counts,
                    first: first_of.remove(&task_id).unwrap_or_default(),
                }),
            },
        );
    }
    let first_start: HashMap<String, Option<String>> = tasks
        .iter()
        .map(|(id, task)| (id.clone(), task.row.start_date.clone()))
        .collect();
    let items = ordered(known, &first_start)
        .into_iter()
        .filter_map(|id| tasks.remove(&id).map(|task| (id, task)))
        .collect();
    task_tree(items)
}

/// One task of one run as its page shows it: `map_index` names a mapped instance
/// (`None`: the task's own instance, or for a mapped task the list of its instances,
/// `page` of them). `None` when the run has no such task instance.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn task_page(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run: &RunRow,
    task_id: &str,
    map_index: Option<i64>,
    page: u32,
) -> Result<Option<TaskInstanceView>, ServerError> {
    let known = dag_tasks(db, environment, dag_id).await?;
    let info = known.iter().find(|t| t.task_id == task_id).cloned();
    let upstream_ids: Vec<String> = known
        .iter()
        .filter(|t| t.downstream.iter().any(|d| d == task_id))
        .map(|t| t.task_id.clone())
        .collect();
    let run_id = run.run_id.as_str();
    let wanted = map_index.unwrap_or(-1);
    let (instance, mapped, states_by_task) = query_result(with_pool!(db, pool => {
        let instance = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM task_instances WHERE environment = $1 AND dag_id = $2 \
             AND run_id = $3 AND task_id = $4 AND map_index = $5"
        ))
        .bind(environment)
        .bind(dag_id)
        .bind(run_id)
        .bind(task_id)
        .bind(wanted)
        .fetch_optional(pool)
        .await?
        .map(|row| row.task_row())
        .transpose()?;
        let mapped = if instance.is_none() && map_index.is_none() {
            let states: Vec<(String, u64)> = sqlx::query(
                "SELECT COALESCE(state, 'none') AS state, COUNT(*) AS n FROM task_instances \
                 WHERE environment = $1 AND dag_id = $2 AND run_id = $3 AND task_id = $4 \
                 AND map_index >= 0 GROUP BY COALESCE(state, 'none')",
            )
            .bind(environment)
            .bind(dag_id)
            .bind(run_id)
            .bind(task_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("state")?, row.try_get::<i64, _>("n")? as u64)))
            .collect::<Result<_, sqlx::Error>>()?;
            let total: u64 = states.iter().map(|(_, n)| n).sum();
            if total == 0 {
                None
            } else {
                let pages = total.div_ceil(MAPPED_PAGE_SIZE as u64).max(1);
                let page = u64::from(page).min(pages - 1) as u32;
                let rows = sqlx::query(&format!(
                    "SELECT {TASK_COLUMNS} FROM task_instances WHERE environment = $1 \
                     AND dag_id = $2 AND run_id = $3 AND task_id = $4 AND map_index >= 0 \
                     ORDER BY map_index LIMIT $5 OFFSET $6"
                ))
                .bind(environment)
                .bind(dag_id)
                .bind(run_id)
                .bind(task_id)
                .bind(MAPPED_PAGE_SIZE as i64)
                .bind(i64::from(page) * MAPPED_PAGE_SIZE as i64)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| row.task_row())
                .collect::<Result<Vec<_>, _>>()?;
                let mut states = states;
                states.sort_by_key(|(state, _)| states::priority(state));
                Some(MappedPage {
                    total,
                    page,
                    states,
                    rows,
                })
            }
        } else {
            None
        };
        // The run's states of the tasks upstream of this one.
        let states_by_task: Vec<(String, String)> = sqlx::query(
            "SELECT DISTINCT task_id, COALESCE(state, 'none') AS state FROM task_instances \
             WHERE environment = $1 AND dag_id = $2 AND run_id = $3",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(run_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("task_id")?, row.try_get("state")?)))
        .collect::<Result<_, sqlx::Error>>()?;
        Ok::<_, sqlx::Error>((instance, mapped, states_by_task))
    }))?;
    if instance.is_none() && mapped.is_none() {
        return Ok(None);
    }
    let upstream: Vec<(String, String)> = upstream_ids
        .iter()
        .map(|id| {
            let state = states::summary(
                states_by_task
                    .iter()
                    .filter(|(task, _)| task == id)
                    .map(|(_, s)| s.as_str()),
            );
            (id.clone(), state.to_string())
        })
        .collect();
    let tries = match &instance {
        Some(instance) => tries(db, environment, dag_id, run_id, instance).await?,
        None => Vec::new(),
    };
    let why = instance.as_ref().and_then(|i| {
        (i.try_number == 0 || i.start_date.is_none())
            .then(|| {
                why_not_run(
                    &i.state,
                    info.as_ref().and_then(|t| t.trigger_rule.as_deref()),
                    &upstream,
                    &run.state,
                )
            })
            .flatten()
    });
    Ok(Some(TaskInstanceView {
        info,
        instance,
        mapped,
        tries,
        upstream,
        why,
    }))
}

/// What [`task_page`] found.
pub struct TaskInstanceView {
    pub info: Option<DagTaskInfo>,
    pub instance: Option<TaskRow>,
    pub mapped: Option<MappedPage>,
    pub tries: Vec<TryRow>,
    pub upstream: Vec<(String, String)>,
    pub why: Option<String>,
}

/// Every try of an instance the read model saw, oldest first, the current one last.
async fn tries(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run_id: &str,
    instance: &TaskRow,
) -> Result<Vec<TryRow>, ServerError> {
    let mut tries: Vec<TryRow> = query_result(with_pool!(db, pool => {
        sqlx::query(
            "SELECT try_number, state, queued_when, start_date, end_date, duration, hostname \
             FROM task_instance_tries WHERE environment = $1 AND dag_id = $2 AND run_id = $3 \
             AND task_id = $4 AND map_index = $5 AND try_number < $6 ORDER BY try_number",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(run_id)
        .bind(&instance.task_id)
        .bind(instance.map_index)
        .bind(instance.try_number)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(TryRow {
                try_number: row.try_get("try_number")?,
                state: row
                    .try_get::<Option<String>, _>("state")?
                    .unwrap_or_else(|| "none".into()),
                queued: row.try_get("queued_when")?,
                start_date: row.try_get("start_date")?,
                end_date: row.try_get("end_date")?,
                duration_s: row.try_get("duration")?,
                hostname: row.try_get("hostname")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
    }))?;
    if instance.try_number > 0 {
        tries.push(TryRow {
            try_number: instance.try_number,
            state: instance.state.clone(),
            queued: instance.queued.clone(),
            start_date: instance.start_date.clone(),
            end_date: instance.end_date.clone(),
            duration_s: instance.duration_s,
            hostname: instance.hostname.clone(),
        });
    }
    Ok(tries)
}

/// When the sync last read the DAG's task list (`None`: not yet): what a kept drawing of its
/// graph is checked against.
pub async fn task_list_version(
    db: &Db,
    environment: &str,
    dag_id: &str,
) -> Result<Option<i64>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT read_ms FROM dag_task_lists WHERE environment = $1 AND dag_id = $2",
        )
        .bind(environment)
        .bind(dag_id)
        .fetch_optional(pool)
        .await
        .map(Option::flatten)
    }))
}

/// Each task's state in a run: its instance's, or for a mapped task the one that sums its
/// instances up.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run_states(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run_id: &str,
) -> Result<HashMap<String, String>, ServerError> {
    let rows: Vec<(String, String)> = query_result(with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT DISTINCT task_id, COALESCE(state, 'none') FROM task_instances \
             WHERE environment = $1 AND dag_id = $2 AND run_id = $3",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(run_id)
        .fetch_all(pool)
        .await
    }))?;
    let mut by_task: HashMap<String, String> = HashMap::new();
    for (task, state) in rows {
        let slot = by_task.entry(task).or_insert_with(|| state.clone());
        if states::priority(&state) < states::priority(slot) {
            *slot = state;
        }
    }
    Ok(by_task)
}

/// The DAG's latest runs, newest first.
pub async fn latest_runs(
    db: &Db,
    environment: &str,
    dag_id: &str,
    limit: usize,
) -> Result<Vec<RunRow>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "SELECT environment, dag_id, run_id, state, run_type, run_after, start_date, end_date \
             FROM dag_runs WHERE environment = $1 AND dag_id = $2 ORDER BY run_after DESC LIMIT $3",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(limit as i64)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.run_row())
        .collect::<Result<Vec<_>, _>>()
    }))
}

/// task, state, instances, highest try, first queued, first start, last end (when all ended), mapped.
type GanttCurrentRow = (
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
);
/// task, try, state, queued, start, end of an earlier try.
type GanttTryRow = (
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A run's Gantt rows: each task in the DAG's order with its tries (the current one last);
/// a mapped task as one row over its instances.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn gantt_rows(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run_id: &str,
) -> Result<Vec<(String, u64, Vec<Bar>)>, ServerError> {
    let known = dag_tasks(db, environment, dag_id).await?;
    let (current, earlier) = query_result(with_pool!(db, pool => {
        // One row per task: a mapped one summed up (its instances' first queue and start,
        // last end, the state that wins is picked below).
        let current: Vec<GanttCurrentRow> =
            sqlx::query_as(
                "SELECT task_id, COALESCE(state, 'none'), COUNT(*), MAX(try_number), \
                 MIN(queued_when), MIN(start_date), \
                 CASE WHEN COUNT(end_date) = COUNT(*) THEN MAX(end_date) END, \
                 MIN(map_index) >= 0 FROM task_instances \
                 WHERE environment = $1 AND dag_id = $2 AND run_id = $3 \
                 GROUP BY task_id, COALESCE(state, 'none')",
            )
            .bind(environment)
            .bind(dag_id)
            .bind(run_id)
            .fetch_all(pool)
            .await?;
        let earlier: Vec<GanttTryRow> =
            sqlx::query_as(
                "SELECT task_id, try_number, state, queued_when, start_date, end_date \
                 FROM task_instance_tries WHERE environment = $1 AND dag_id = $2 AND run_id = $3 \
                 AND map_index < 0 ORDER BY task_id, try_number",
            )
            .bind(environment)
            .bind(dag_id)
            .bind(run_id)
            .fetch_all(pool)
            .await?;
        Ok::<_, sqlx::Error>((current, earlier))
    }))?;
    struct Current {
        state: String,
        count: u64,
        tries: i64,
        queued: Option<String>,
        start: Option<String>,
        end: Option<String>,
        mapped: bool,
    }
    let mut by_task: HashMap<String, Current> = HashMap::new();
    for (task, state, count, tries, queued, start, end, mapped) in current {
        let merged = by_task.entry(task).or_insert_with(|| Current {
            state: state.clone(),
            count: 0,
            tries,
            queued: queued.clone(),
            start: start.clone(),
            end: end.clone(),
            mapped,
        });
        if states::priority(&state) < states::priority(&merged.state) {
            merged.state = state;
        }
        merged.count += count as u64;
        merged.tries = merged.tries.max(tries);
        let earliest = |a: &Option<String>, b: Option<String>| match (a, b) {
            (Some(a), Some(b)) => Some(a.clone().min(b)),
            (a, b) => a.clone().or(b),
        };
        merged.queued = earliest(&merged.queued, queued);
        merged.start = earliest(&merged.start, start);
        merged.end = match (&merged.end, end) {
            (Some(a), Some(b)) => Some(a.clone().max(b)),
            // One group still running leaves the row open.
            _ => None,
        };
    }
    let mut tries: HashMap<String, Vec<Bar>> = HashMap::new();
    for (task, try_number, state, queued, start, end) in earlier {
        tries.entry(task).or_default().push(Bar {
            try_number,
            state: state.unwrap_or_else(|| "none".into()),
            queued,
            start,
            end,
        });
    }
    let first_start: HashMap<String, Option<String>> = by_task
        .iter()
        .map(|(task, current)| (task.clone(), current.start.clone()))
        .collect();
    Ok(ordered(&known, &first_start)
        .into_iter()
        .filter_map(|task| {
            let current = by_task.remove(&task)?;
            let mut bars = if current.mapped {
                Vec::new()
            } else {
                tries.remove(&task).unwrap_or_default()
            };
            bars.push(Bar {
                try_number: current.tries,
                state: current.state,
                queued: current.queued,
                start: current.start,
                end: current.end,
            });
            let mapped = if current.mapped { current.count } else { 0 };
            Some((task, mapped, bars))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str) -> RunRow {
        RunRow {
            environment: "main".into(),
            dag_id: "d".into(),
            run_id: id.into(),
            state: "success".into(),
            run_type: None,
            run_after: id.into(),
            start_date: None,
            end_date: None,
        }
    }

    fn count(run_id: &str, task_id: &str, state: &str, n: u64, mapped: bool) -> GridCount {
        GridCount {
            run_id: run_id.into(),
            task_id: task_id.into(),
            state: state.into(),
            count: n,
            tries: 1,
            mapped,
            first_start: Some(format!("{run_id}-{task_id}")),
        }
    }

    fn info(id: &str, downstream: &[&str]) -> DagTaskInfo {
        DagTaskInfo {
            task_id: id.into(),
            operator: None,
            trigger_rule: None,
            downstream: downstream.iter().map(|d| d.to_string()).collect(),
            is_mapped: false,
        }
    }

    #[test]
    fn a_mapped_cell_counts_its_instances_and_shows_the_worst_state() {
        let grid = arrange_grid(
            &[info("add_one", &["sum_it"]), info("sum_it", &[])],
            vec![run("r1")],
            vec![
                count("r1", "sum_it", "success", 1, false),
                count("r1", "add_one", "success", 2, true),
                count("r1", "add_one", "failed", 1, true),
            ],
        );
        let ids: Vec<&str> = grid.tasks.iter().map(|t| t.id()).collect();
        assert_eq!(ids, ["add_one", "sum_it"], "the DAG's order");
        let TreeNode::Task { item, .. } = &grid.tasks[0] else {
            panic!("a task")
        };
        let cell = item.cells[0].clone().unwrap();
        assert_eq!((cell.state.as_str(), cell.mapped), ("failed", 3));
    }

    #[test]
    fn tasks_unknown_to_the_task_list_follow_in_start_order() {
        let grid = arrange_grid(
            &[],
            vec![run("r1"), run("r2")],
            vec![
                count("r2", "group.b", "success", 1, false),
                count("r1", "a", "success", 1, false),
            ],
        );
        let ids: Vec<&str> = grid.tasks.iter().map(|t| t.id()).collect();
        assert_eq!(ids, ["a", "group"]);
        let TreeNode::Group { children, .. } = &grid.tasks[1] else {
            panic!("a group")
        };
        let TreeNode::Task { item, .. } = &children[0] else {
            panic!("a task")
        };
        assert_eq!(item.cells[0], None, "no instance in the first run");
        assert!(item.cells[1].is_some());
    }
}

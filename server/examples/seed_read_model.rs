//! Fills Hangar's read model with a synthetic Airflow estate for the benchmarks
//! (`end2end/scripts/bench-airflow.sh`, `bench-platform.sh`): `teams` × `dags` DAGs with
//! `runs` runs each (run times spread over the last 14 days, newest within the hour), task
//! instances for each DAG's latest 25 runs, three pools per team, a history of 40 deploys per
//! team (every third team with one awaiting approval), one wide DAG per team for the graph
//! and Gantt pages (`bench_team_00_wide`: 500 tasks in 20 groups, its task list, and one run
//! `manual__wide` with an instance of every task), and sync status "just synced" so pages show
//! fresh data.
//!
//! ```sh
//! cargo run --release -p hangar-server --example seed_read_model -- \
//!     sqlite:///tmp/bench.db bench 50 200 100
//! ```
//! Arguments: database URL, environment name, teams, DAGs per team, runs per DAG. Teams are
//! named `bench_team_00` …, their bundles `bench_team_00_dags` …; every tenth DAG is paused
//! and every seventh has failed runs. Existing rows of the environment are replaced.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hangar_server::db::Db;
use hangar_server::with_pool;
use sqlx::QueryBuilder;

const TASKS: [&str; 3] = ["extract", "transform", "load"];
const TASKS_FOR_RUNS: usize = 25;
/// The wide DAG's tasks: groups of 25, five to a layer, each feeding two of the next layer.
const WIDE_TASKS: usize = 500;
/// Rows per INSERT: well under both backends' bind-parameter limits.
const CHUNK: usize = 1000;

struct Args {
    url: String,
    environment: String,
    teams: usize,
    dags: usize,
    runs: usize,
}

fn args() -> Args {
    let mut given = std::env::args().skip(1);
    let mut next = |name: &str| {
        given
            .next()
            .unwrap_or_else(|| panic!("missing argument: {name} (see the file's header)"))
    };
    let number = |text: String, name: &str| -> usize {
        text.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {text:?}"))
    };
    Args {
        url: next("database URL"),
        environment: next("environment"),
        teams: number(next("teams"), "teams"),
        dags: number(next("DAGs per team"), "DAGs per team"),
        runs: number(next("runs per DAG"), "runs per DAG"),
    }
}

fn rfc3339(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(ms as u64);
    chrono::DateTime::<chrono::Utc>::from(at)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Inserts and empties `$runs` in the transaction `$tx`. Macros, not functions: each
/// expands inside `with_pool!` for one concrete backend.
macro_rules! insert_runs {
    ($tx:expr, $env:expr, $runs:expr, $now:expr) => {
        if !$runs.is_empty() {
            let mut insert = QueryBuilder::new(
                "INSERT INTO dag_runs (environment, dag_id, run_id, state, run_type, run_after, \
                 start_date, end_date, synced_ms) ",
            );
            insert.push_values(
                $runs.iter(),
                |mut row, (dag_id, run_id, state, run_after)| {
                    let end = (*state != "running").then(|| rfc3339(run_after + 240_000));
                    row.push_bind($env)
                        .push_bind(dag_id.clone())
                        .push_bind(run_id.clone())
                        .push_bind(*state)
                        .push_bind("scheduled")
                        .push_bind(rfc3339(*run_after))
                        .push_bind(rfc3339(run_after + 5_000))
                        .push_bind(end)
                        .push_bind($now);
                },
            );
            insert.build().execute(&mut *$tx).await.unwrap();
            $runs.clear();
        }
    };
}

macro_rules! insert_tasks {
    ($tx:expr, $env:expr, $tasks:expr, $now:expr) => {
        if !$tasks.is_empty() {
            let mut insert = QueryBuilder::new(
                "INSERT INTO task_instances (environment, dag_id, run_id, task_id, map_index, \
                 state, try_number, start_date, end_date, duration, operator, synced_ms) ",
            );
            insert.push_values(
                $tasks.iter(),
                |mut row, (dag_id, run_id, task, state, run_after)| {
                    row.push_bind($env)
                        .push_bind(dag_id.clone())
                        .push_bind(run_id.clone())
                        .push_bind(*task)
                        .push_bind(-1_i64)
                        .push_bind(*state)
                        .push_bind(1_i64)
                        .push_bind(rfc3339(run_after + 10_000))
                        .push_bind(rfc3339(run_after + 70_000))
                        .push_bind(60.0_f64)
                        .push_bind("PythonOperator")
                        .push_bind($now);
                },
            );
            insert.build().execute(&mut *$tx).await.unwrap();
            $tasks.clear();
        }
    };
}

#[tokio::main]
async fn main() {
    let args = args();
    let db = Db::connect(&args.url, 4).await.expect("database");
    db.migrate().await.expect("migrations");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let started = std::time::Instant::now();
    let env = args.environment.as_str();
    // Runs every `step` ms, the newest within the last hour, the oldest within 14 days.
    let window: i64 = 14 * 24 * 3600 * 1000 - 3600 * 1000;
    let step = window / args.runs.max(1) as i64;
    with_pool!(&db, pool => {
        let mut tx = pool.begin().await.unwrap();
        for table in ["task_instances", "dag_runs", "dags", "import_errors", "pools", "dag_tasks", "dag_task_lists"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE environment = $1"))
                .bind(env)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let dags: Vec<(String, String, usize)> = (0..args.teams)
            .flat_map(|t| (0..args.dags).map(move |d| (t, d)))
            .map(|(t, d)| (format!("bench_team_{t:02}"), format!("bench_team_{t:02}_dag_{d:03}"), d))
            .collect();
        for chunk in dags.chunks(CHUNK) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO dags (environment, dag_id, team, display_name, description, bundle_name, \
                 bundle_version, tags_json, owners_json, schedule, is_paused, is_stale, \
                 has_import_errors, next_run, last_parsed, relative_fileloc, details_parsed, synced_ms) ",
            );
            insert.push_values(chunk, |mut row, (team, dag_id, index)| {
                row.push_bind(env)
                    .push_bind(dag_id)
                    .push_bind(team)
                    .push_bind(format!("{} (synthetic)", dag_id.replace('_', " ")))
                    .push_bind(format!("Synthetic DAG {index} of {team}"))
                    .push_bind(format!("{team}_dags"))
                    .push_bind("0123456789abcdef")
                    .push_bind(format!(r#"["bench","{}"]"#, ["etl", "reports", "ml"][index % 3]))
                    .push_bind(format!(r#"["owner_{}"]"#, index % 7))
                    .push_bind("@hourly")
                    .push_bind(i64::from(index % 10 == 9))
                    .push_bind(0_i64)
                    .push_bind(0_i64)
                    .push_bind(rfc3339(now + 3_600_000))
                    .push_bind(rfc3339(now))
                    .push_bind(format!("{dag_id}.py"))
                    .push_bind(rfc3339(now))
                    .push_bind(now);
            });
            insert.build().execute(&mut *tx).await.unwrap();
        }
        let mut runs: Vec<(String, String, &str, i64)> = Vec::with_capacity(CHUNK);
        let mut tasks: Vec<(String, String, &str, &str, i64)> = Vec::with_capacity(CHUNK);
        let mut run_count = 0_usize;
        let mut task_count = 0_usize;
        for (_, dag_id, index) in &dags {
            for r in 0..args.runs {
                // r = 0 is the newest run.
                let run_after = now - 3_600_000 - r as i64 * step;
                let state = match (r, index % 7 == 3) {
                    (0, _) if index % 5 == 0 => "running",
                    (_, true) if r % 4 == 1 => "failed",
                    _ => "success",
                };
                let run_id = format!("scheduled__{}", rfc3339(run_after));
                if r < TASKS_FOR_RUNS {
                    for task in TASKS {
                        tasks.push((dag_id.clone(), run_id.clone(), task, state, run_after));
                    }
                }
                runs.push((dag_id.clone(), run_id, state, run_after));
                if runs.len() == CHUNK {
                    run_count += runs.len();
                    insert_runs!(tx, env, runs, now);
                }
                if tasks.len() >= CHUNK {
                    task_count += tasks.len();
                    insert_tasks!(tx, env, tasks, now);
                }
            }
        }
        run_count += runs.len();
        task_count += tasks.len();
        insert_runs!(tx, env, runs, now);
        insert_tasks!(tx, env, tasks, now);
        let wide_ids: Vec<String> = (0..WIDE_TASKS)
            .map(|n| format!("section_{:02}.task_{:02}", n / 25, n % 25))
            .collect();
        let layers = WIDE_TASKS / 5;
        for t in 0..args.teams {
            let team = format!("bench_team_{t:02}");
            let dag_id = format!("{team}_wide");
            sqlx::query(
                "INSERT INTO dags (environment, dag_id, team, display_name, description, \
                 bundle_name, tags_json, owners_json, schedule, is_paused, is_stale, \
                 has_import_errors, synced_ms) VALUES ($1, $2, $3, $4, 'A wide synthetic DAG', \
                 $5, '[\"bench\"]', '[\"owner_0\"]', '@daily', 0, 0, 0, $6)",
            )
            .bind(env)
            .bind(&dag_id)
            .bind(&team)
            .bind(format!("{team} wide (synthetic)"))
            .bind(format!("{team}_dags"))
            .bind(now)
            .execute(&mut *tx)
            .await
            .unwrap();
            let numbers: Vec<usize> = (0..WIDE_TASKS).collect();
            for chunk in numbers.chunks(CHUNK / 2) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO dag_tasks (environment, dag_id, task_id, ordinal, operator, \
                     trigger_rule, downstream_json, is_mapped) ",
                );
                insert.push_values(chunk, |mut row, n| {
                    let (layer, i) = (n / 5, n % 5);
                    let downstream: Vec<&str> = if layer + 1 < layers {
                        vec![&wide_ids[(layer + 1) * 5 + i], &wide_ids[(layer + 1) * 5 + (i + 1) % 5]]
                    } else {
                        Vec::new()
                    };
                    row.push_bind(env)
                        .push_bind(&dag_id)
                        .push_bind(&wide_ids[*n])
                        .push_bind(*n as i64)
                        .push_bind("PythonOperator")
                        .push_bind("all_success")
                        .push_bind(serde_json::to_string(&downstream).unwrap())
                        .push_bind(0_i64);
                });
                insert.build().execute(&mut *tx).await.unwrap();
            }
            sqlx::query(
                "INSERT INTO dag_task_lists (environment, dag_id, stale, task_count, read_ms) \
                 VALUES ($1, $2, 0, $3, $4)",
            )
            .bind(env)
            .bind(&dag_id)
            .bind(WIDE_TASKS as i64)
            .bind(now)
            .execute(&mut *tx)
            .await
            .unwrap();
            let run_after = now - 1_800_000;
            let mut run = vec![(dag_id.clone(), "manual__wide".to_string(), "success", run_after)];
            insert_runs!(tx, env, run, now);
            for chunk in numbers.chunks(CHUNK / 2) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO task_instances (environment, dag_id, run_id, task_id, map_index, \
                     state, try_number, queued_when, start_date, end_date, duration, operator, \
                     synced_ms) ",
                );
                insert.push_values(chunk, |mut row, n| {
                    // Layer by layer, 10 s each, the five of a layer a little apart.
                    let start = run_after + 5_000 + (n / 5) as i64 * 10_000 + (n % 5) as i64 * 500;
                    row.push_bind(env)
                        .push_bind(&dag_id)
                        .push_bind("manual__wide")
                        .push_bind(&wide_ids[*n])
                        .push_bind(-1_i64)
                        .push_bind("success")
                        .push_bind(1_i64)
                        .push_bind(rfc3339(start - 1_000))
                        .push_bind(rfc3339(start))
                        .push_bind(rfc3339(start + 8_000))
                        .push_bind(8.0_f64)
                        .push_bind("PythonOperator")
                        .push_bind(now);
                });
                insert.build().execute(&mut *tx).await.unwrap();
            }
        }
        let mut pools = QueryBuilder::new(
            "INSERT INTO pools (environment, name, team, slots, description, include_deferred, \
             occupied, running, queued, scheduled, deferred, open, synced_ms) ",
        );
        let pool_rows: Vec<(usize, usize)> =
            (0..args.teams).flat_map(|t| (0..3).map(move |p| (t, p))).collect();
        pools.push_values(&pool_rows, |mut row, (t, p)| {
            let slots = 16_i64 << p;
            let occupied = ((t * 7 + p * 5) as i64 * slots / 17).min(slots);
            row.push_bind(env)
                .push_bind(format!("bench_team_{t:02}_pool_{p}"))
                .push_bind(format!("bench_team_{t:02}"))
                .push_bind(slots)
                .push_bind("synthetic")
                .push_bind(0_i64)
                .push_bind(occupied)
                .push_bind(occupied)
                .push_bind(0_i64)
                .push_bind(0_i64)
                .push_bind(0_i64)
                .push_bind(slots - occupied)
                .push_bind(now);
        });
        pools.build().execute(&mut *tx).await.unwrap();
        sqlx::query("DELETE FROM deploy_requests WHERE team LIKE 'bench\\_team\\_%' ESCAPE '\\'")
            .execute(&mut *tx)
            .await
            .unwrap();
        let deployer: i64 = sqlx::query_scalar(
            "INSERT INTO users (issuer, subject, display_name, first_login_ms, last_login_ms) \
             VALUES ('https://bench.invalid', 'bench-deployer', 'Bench Deployer', $1, $1) \
             ON CONFLICT (issuer, subject) DO UPDATE SET last_login_ms = excluded.last_login_ms \
             RETURNING id",
        )
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let deploys: Vec<(usize, usize)> =
            (0..args.teams).flat_map(|t| (0..40).map(move |d| (t, d))).collect();
        for chunk in deploys.chunks(CHUNK) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO deploy_requests (team, candidate_sha, requester_id, status, created_ms, \
                 expires_ms, updated_ms, deployed_ms) ",
            );
            insert.push_values(chunk, |mut row, (t, d)| {
                // d = 39 is the newest; every third team's newest awaits approval.
                let at = now - (40 - *d as i64) * 6 * 3_600_000;
                let pending = *d == 39 && t % 3 == 0;
                row.push_bind(format!("bench_team_{t:02}"))
                    .push_bind(format!("{:040x}", t * 1000 + d))
                    .push_bind(deployer)
                    .push_bind(if pending { "pending" } else { "deployed" })
                    .push_bind(at)
                    .push_bind(at + 7 * 86_400_000)
                    .push_bind(at)
                    .push_bind((!pending).then_some(at + 60_000));
            });
            insert.build().execute(&mut *tx).await.unwrap();
        }
        sqlx::query(
            "INSERT INTO airflow_sync_status (environment, last_attempt_ms, last_success_ms) \
             VALUES ($1, $2, $2) ON CONFLICT (environment) DO UPDATE SET \
             last_attempt_ms = $2, last_success_ms = $2, last_error = NULL",
        )
        .bind(env)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        // PostgreSQL's autovacuum gathers statistics and clears dead rows a while after a
        // bulk load; a real estate of this size has done both. Without statistics its planner
        // guesses (the run list was measured on a plan no long-running server would use);
        // without the vacuum, the per-hour run counts, updated once per run loaded, are read
        // through a million dead row versions.
        // And it has written the load out long ago (a checkpoint), so the first pages
        // measured do not share the disk with flushing it.
        if matches!(db, Db::Postgres(_)) {
            sqlx::query("VACUUM ANALYZE").execute(pool).await.unwrap();
            if let Err(error) = sqlx::query("CHECKPOINT").execute(pool).await {
                eprintln!("no CHECKPOINT after the load ({error}): the first pages may be slower");
            }
        }
        println!(
            "seeded {env}: {} DAGs, {run_count} runs, {task_count} task instances in {:.1} s",
            dags.len(),
            started.elapsed().as_secs_f64()
        );
    });
}

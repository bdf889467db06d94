//! Task logs: fetched from Airflow when asked for, paged for reading.

use hangar_app::functions::ports::DagKey;
use hangar_app::models::{LOG_PAGE_LINES, LogLine, TaskLogPage};
use sqlx::Row;

use crate::airflow::models::TaskLog;
use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

/// The latest attempt of a task instance the read model knows, if it knows it.
pub async fn latest_try(
    db: &Db,
    key: &DagKey,
    run_id: &str,
    task_id: &str,
    map_index: i64,
) -> Result<Option<i64>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(
            "SELECT try_number FROM task_instances WHERE environment = $1 AND dag_id = $2 \
             AND run_id = $3 AND task_id = $4 AND map_index = $5",
        )
        .bind(&key.environment)
        .bind(&key.dag_id)
        .bind(run_id)
        .bind(task_id)
        .bind(map_index)
        .fetch_optional(pool)
        .await?;
        row.map(|r| r.try_get("try_number")).transpose()
    }))
}

/// One page of the log; a page past the end is the last page.
pub fn page(task_id: &str, try_number: i64, max_try: i64, log: TaskLog, page: u32) -> TaskLogPage {
    let lines: Vec<LogLine> = log
        .content
        .into_iter()
        .map(|event| LogLine {
            timestamp: event.timestamp,
            level: event.level.unwrap_or_default().to_lowercase(),
            text: event.event,
        })
        .collect();
    let total = lines.len();
    let pages = total.div_ceil(LOG_PAGE_LINES).max(1);
    let page = (page as usize).min(pages - 1);
    let lines = lines
        .into_iter()
        .skip(page * LOG_PAGE_LINES)
        .take(LOG_PAGE_LINES)
        .collect();
    TaskLogPage {
        task_id: task_id.to_string(),
        try_number,
        max_try,
        lines,
        page: page as u32,
        total_lines: total as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::airflow::models::LogEvent;

    fn log(lines: usize) -> TaskLog {
        TaskLog {
            content: (0..lines)
                .map(|i| LogEvent {
                    timestamp: None,
                    event: format!("line {i}"),
                    level: Some("INFO".into()),
                })
                .collect(),
        }
    }

    #[test]
    fn pages_hold_a_fixed_number_of_lines_and_clamp_at_the_end() {
        let first = page("t", 1, 1, log(LOG_PAGE_LINES + 3), 0);
        assert_eq!(first.lines.len(), LOG_PAGE_LINES);
        assert_eq!(first.total_lines, (LOG_PAGE_LINES + 3) as u64);
        assert_eq!(first.lines[0].level, "info");
        let last = page("t", 1, 1, log(LOG_PAGE_LINES + 3), 7);
        assert_eq!(last.page, 1);
        assert_eq!(last.lines.len(), 3);
        assert_eq!(last.lines[2].text, format!("line {}", LOG_PAGE_LINES + 2));
        assert_eq!(page("t", 1, 1, log(0), 0).lines.len(), 0);
    }
}

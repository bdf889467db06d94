//! `GET …/runs/{run}/tasks/{task}/log`: a try's whole log as text, streamed (the download);
//! `GET …/runs/{run}/tasks/{task}/log/events`: a running try's new lines as Server-Sent
//! Events. The page guard checked the team; here the read model must know the task instance
//! as the team's (`actions::log::try_of`), before Airflow is asked anything.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hangar_app::functions::ports::DagKey;

use crate::logs::{FollowEvent, LogError};
use crate::state::AppState;

/// The path's parts: team, environment, DAG, run, task.
type TaskPath = (String, String, String, String, String);

/// `map` (mapped index, absent: not mapped) and `try` (absent: the latest); `from` for events.
fn number(params: &HashMap<String, String>, name: &str) -> Option<i64> {
    params.get(name).and_then(|v| v.parse().ok())
}

async fn find(
    state: &AppState,
    (team, environment, dag, run, task): TaskPath,
    params: &HashMap<String, String>,
) -> Result<crate::logs::TryOf, Response> {
    let key = DagKey::new(team, environment, dag);
    let map_index = number(params, "map").filter(|m| *m >= 0).unwrap_or(-1);
    let try_number = number(params, "try").unwrap_or(0);
    match crate::actions::log::try_of(&state.db, &key, &run, &task, map_index, try_number).await {
        Ok(Some(of)) => Ok(of),
        Ok(None) => Err(super::error::not_found()),
        Err(error) => Err(error.into_response()),
    }
}

fn failed(error: LogError) -> Response {
    match error {
        LogError::Airflow(error) => (
            StatusCode::BAD_GATEWAY,
            super::error::page(
                "Log unavailable",
                &format!(
                    "<h1>The log could not be read</h1><p>{}</p>",
                    super::error::escape(&error.to_string())
                ),
            ),
        )
            .into_response(),
        LogError::Server(error) => error.into_response(),
    }
}

pub async fn download(
    State(state): State<AppState>,
    Path(path): Path<TaskPath>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let of = match find(&state, path, &params).await {
        Ok(of) => of,
        Err(response) => return response,
    };
    let stream = match state.task_logs.download(&of).await {
        Ok(stream) => stream,
        Err(error) => return failed(error),
    };
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    let name = file_name(&of);
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `dag__task__3__try2.log`, with anything but letters, digits, `-`, `_` and `.` replaced.
fn file_name(of: &crate::logs::TryOf) -> String {
    let key = &of.key;
    let mut name = format!("{}__{}", key.dag_id, key.task_id);
    if key.map_index >= 0 {
        name.push_str(&format!("__{}", key.map_index));
    }
    name.push_str(&format!("__try{}.log", key.try_number));
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub async fn events(
    State(state): State<AppState>,
    Path(path): Path<TaskPath>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let of = match find(&state, path, &params).await {
        Ok(of) => of,
        Err(response) => return response,
    };
    let from = number(&params, "from").unwrap_or(0).max(0) as u64;
    let keep_alive = KeepAlive::new().interval(Duration::from_secs(15));
    if !of.growing() {
        // Nothing more will come: the page reloads the log as it is.
        let once = futures_util::stream::once(async {
            Ok::<_, Infallible>(Event::default().event("end").data("end"))
        });
        return Sse::new(once).keep_alive(keep_alive).into_response();
    }
    let closing = state.live.subscribe().1;
    let stream = match state.task_logs.follow(of, from).await {
        Ok(stream) => stream,
        Err(error) => return failed(error),
    };
    let events = stream
        .map(|event| {
            Ok::<_, Infallible>(match event {
                FollowEvent::Lines(lines) => Event::default()
                    .event("lines")
                    .data(serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into())),
                FollowEvent::End => Event::default().event("end").data("end"),
                FollowEvent::Busy => Event::default().event("busy").data("busy"),
                FollowEvent::Failed(message) => Event::default().event("failed").data(message),
            })
        })
        // The server's shutdown ends the stream, as it ends every live page's.
        .take_until(async move {
            let mut closing = closing;
            let _ = closing.wait_for(|closed| *closed).await;
        });
    Sse::new(events).keep_alive(keep_alive).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::TryOf;
    use crate::logs::spool::AttemptKey;

    #[test]
    fn downloaded_logs_are_named_safely() {
        let of = TryOf {
            team: "a".into(),
            key: AttemptKey {
                environment: "main".into(),
                dag_id: "etl".into(),
                run_id: "manual__x".into(),
                task_id: "group.load \"x\"/..".into(),
                map_index: 3,
                try_number: 2,
            },
            state: "success".into(),
            current_try: 2,
        };
        assert_eq!(file_name(&of), "etl__group.load__x__..__3__try2.log");
    }
}

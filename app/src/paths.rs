//! Page URLs, built in one place so links and routes agree and every segment is encoded.
//!
//! Run ids contain `+` and `:` (`manual__2026-11-21T19:16:45+00:00`), so each path segment
//! is percent-encoded; the router decodes parameters back.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but unreserved characters (RFC 3986) is escaped in a segment.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, RESERVED).to_string()
}

/// `%XX` escapes back to text, as the router decodes a path's parameters: an escape that is
/// not one stays as written, bytes that are not UTF-8 become U+FFFD. Once: a caller that
/// judges what a twice-encoded text becomes decodes again (`identity::return_to`).
pub fn decode(text: &str) -> Cow<'_, str> {
    percent_decode_str(text).decode_utf8_lossy()
}

/// A team's home page.
pub fn team(team: &str) -> String {
    format!("/t/{}", encode(team))
}

/// The team whose home page `path` is (`/t/{team}`, as [`team`] writes it, or with a
/// trailing slash, which the router matches too), decoded as the router decodes it; `None`
/// for any other path.
pub fn team_of_home(path: &str) -> Option<String> {
    let segment = path.strip_prefix("/t/")?;
    let segment = segment.strip_suffix('/').unwrap_or(segment);
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    Some(decode(segment).into_owned())
}

pub fn dag(team: &str, environment: &str, dag_id: &str) -> String {
    format!(
        "/t/{}/dags/{}/{}",
        encode(team),
        encode(environment),
        encode(dag_id)
    )
}

pub fn run(team: &str, environment: &str, dag_id: &str, run_id: &str) -> String {
    format!("{}/runs/{}", dag(team, environment, dag_id), encode(run_id))
}

/// The DAG's graph, coloured by `run`'s states when one is named.
pub fn graph(team: &str, environment: &str, dag_id: &str, run_id: Option<&str>) -> String {
    let run = run_id.map(|r| r.to_string()).unwrap_or_default();
    format!(
        "{}/graph{}",
        dag(team, environment, dag_id),
        query(&[("run", run)])
    )
}

/// The form that triggers a run of the DAG.
pub fn trigger(team: &str, environment: &str, dag_id: &str) -> String {
    format!("{}/trigger", dag(team, environment, dag_id))
}

/// The DAG's source code (of the version `run` used, when one is named).
pub fn code(team: &str, environment: &str, dag_id: &str, run_id: Option<&str>) -> String {
    let run = run_id.map(|r| r.to_string()).unwrap_or_default();
    format!(
        "{}/code{}",
        dag(team, environment, dag_id),
        query(&[("run", run)])
    )
}

/// A run's Gantt chart.
pub fn gantt(team: &str, environment: &str, dag_id: &str, run_id: &str) -> String {
    format!("{}/gantt", run(team, environment, dag_id, run_id))
}

/// A try's whole log as text, streamed (`try_number` 0: the latest).
pub fn task_log_download(
    team: &str,
    environment: &str,
    dag_id: &str,
    run_id: &str,
    task_id: &str,
    map_index: i64,
    try_number: i64,
) -> String {
    let page = task_log(
        team,
        environment,
        dag_id,
        run_id,
        task_id,
        map_index,
        try_number,
    );
    match page.split_once('?') {
        Some((path, params)) => format!("{path}/log?{params}"),
        None => format!("{page}/log"),
    }
}

/// A task attempt's log; `try_number` 0 means the latest attempt.
pub fn task_log(
    team: &str,
    environment: &str,
    dag_id: &str,
    run_id: &str,
    task_id: &str,
    map_index: i64,
    try_number: i64,
) -> String {
    let mut url = format!(
        "{}/tasks/{}",
        run(team, environment, dag_id, run_id),
        encode(task_id)
    );
    let mut params = Vec::new();
    if map_index >= 0 {
        params.push(format!("map={map_index}"));
    }
    if try_number > 0 {
        params.push(format!("try={try_number}"));
    }
    if !params.is_empty() {
        url.push('?');
        url.push_str(&params.join("&"));
    }
    url
}

/// One page of the DAG list with the same search, filters, sort and page size as `query`.
pub fn dag_list(team: &str, query: &crate::models::DagQuery, page: u32) -> String {
    let pairs = [
        ("q", query.search.clone()),
        (
            "paused",
            query.paused.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("tag", query.tag.clone()),
        ("owner", query.owner.clone()),
        ("state", query.last_state.clone()),
        (
            "errors",
            if query.import_errors {
                "true".into()
            } else {
                String::new()
            },
        ),
        ("bundle", query.bundle.clone()),
        ("sort", query.sort.clone()),
        (
            "per",
            if query.per_page == 0 {
                String::new()
            } else {
                query.page_size().to_string()
            },
        ),
        ("page", page.to_string()),
    ];
    format!("/t/{}/dags{}", encode(team), self::query(&pairs))
}

/// A query string from `(name, value)` pairs, leaving out empty values.
pub fn query(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_home_path_names_its_team_and_no_other_path_does() {
        for name in ["team_a", "Team A/β", "a%b", "50%"] {
            assert_eq!(team_of_home(&team(name)).as_deref(), Some(name), "{name}");
            assert_eq!(
                team_of_home(&format!("{}/", team(name))).as_deref(),
                Some(name)
            );
        }
        for path in [
            "/",
            "/t/",
            "/t//",
            "/t/team_a/dags",
            "/t/team_a//",
            "/platform",
            "/tt/team_a",
        ] {
            assert_eq!(team_of_home(path), None, "{path}");
        }
        // Escapes that are not, or bytes that are not UTF-8: the team the router reads from
        // the same path, so the frame and the page it is read for name the same one.
        for segment in ["%zz", "%+1", "%4", "%FF", "a%2"] {
            let router = leptos_router::location::Url::unescape(segment);
            assert_eq!(
                team_of_home(&format!("/t/{segment}")),
                Some(router),
                "{segment}"
            );
        }
    }

    #[test]
    fn run_ids_survive_as_one_segment() {
        assert_eq!(
            run(
                "team_a",
                "main",
                "etl",
                "manual__2026-11-21T19:16:45.3+00:00"
            ),
            "/t/team_a/dags/main/etl/runs/manual__2026-11-21T19%3A16%3A45.3%2B00%3A00"
        );
        assert_eq!(
            task_log("a", "e", "d", "r/1", "t", -1, 0),
            "/t/a/dags/e/d/runs/r%2F1/tasks/t"
        );
        assert_eq!(
            task_log("a", "e", "d", "r", "t", 2, 3),
            "/t/a/dags/e/d/runs/r/tasks/t?map=2&try=3"
        );
        assert_eq!(
            query(&[("q", "a b".into()), ("x", String::new())]),
            "?q=a%20b"
        );
        assert_eq!(
            task_log_download("a", "e", "d", "r", "t", 2, 0),
            "/t/a/dags/e/d/runs/r/tasks/t/log?map=2"
        );
        assert_eq!(
            graph("a", "e", "d", Some("r:1")),
            "/t/a/dags/e/d/graph?run=r%3A1"
        );
    }
}

pub fn deploys(team: &str) -> String {
    format!("/t/{}/deploys", encode(team))
}

pub fn deploy(team: &str, id: i64) -> String {
    format!("{}/{id}", deploys(team))
}

pub fn tokens(team: &str) -> String {
    format!("/t/{}/tokens", encode(team))
}

/// Who holds which role in the team, and why.
pub fn team_access(team: &str) -> String {
    format!("/t/{}/access", encode(team))
}

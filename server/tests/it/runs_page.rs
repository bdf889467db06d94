//! The team's run list on both backends, from a seeded read model: newest first across the
//! team's and the shared DAGs, never another team's runs — not even when a run's copied team
//! is wrong — with filters, paging and an exact count.

use crate::support;

use support::{Backend, TestApp};

fn listed(html: &str) -> Vec<String> {
    html.split("<tr data-run=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

fn count(html: &str) -> String {
    let start = html
        .find(r#"data-testid="run-count""#)
        .expect("a run count");
    let text: String = html[start..]
        .split('>')
        .skip(1)
        .map(|part| part.split('<').next().unwrap_or(""))
        .take(6)
        .collect();
    text
}

async fn add_runs(app: &TestApp, dag: &str, prefix: &str, runs: usize, state: &str) {
    hangar_server::with_pool!(&app.state.db, pool => {
        for n in 0..runs {
            sqlx::query(
                "INSERT INTO dag_runs (environment, dag_id, run_id, state, run_type, run_after, \
                 synced_ms) VALUES ('main', $1, $2, $3, 'manual', $4, 0)",
            )
            .bind(dag)
            .bind(format!("{prefix}_{n:03}"))
            .bind(state)
            // Minutes apart, so the teams' runs interleave in time.
            .bind(format!("2099-01-01T{:02}:{:02}:00Z", n / 60, n % 60))
            .execute(pool)
            .await
            .unwrap();
        }
    });
}

async fn the_run_list_is_the_teams_newest_first(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_dag("main", "a_dag", Some("team_a")).await;
    app.seed_dag("main", "b_dag", Some("team_b")).await;
    app.seed_dag("main", "shared_dag", None).await;
    add_runs(&app, "a_dag", "a", 60, "success").await;
    add_runs(&app, "b_dag", "b", 70, "success").await;
    add_runs(&app, "shared_dag", "s", 3, "failed").await;
    let author = app.signed_in("author").await; // team_a
    let page = |query: &'static str| {
        let author = &author;
        async move {
            author
                .get(&format!("/t/team_a/runs{query}"))
                .await
                .text()
                .await
                .unwrap()
        }
    };

    let first = page("").await;
    let runs = listed(&first);
    assert_eq!(runs.len(), 50);
    assert!(
        runs.iter().all(|r| !r.starts_with("b_")),
        "another team's run: {runs:?}"
    );
    assert_eq!(runs[0], "a_059", "newest first");
    // The rows are sent once, as HTML: the data the page hydrates from carries none of them
    // (a run's id is in its row's marker, its link and its text, and nowhere else).
    assert_eq!(first.matches("a_059").count(), 3, "{first}");
    // The shared DAG's runs (minutes 0–2) sit among team_a's by time.
    let second = listed(&page("?page=1").await);
    // 60 + 3 seeded for the team, plus run_1 of each seeded DAG: 65 in all.
    assert_eq!(second.len(), 15, "{second:?}");
    assert!(second.contains(&"s_002".to_string()));
    assert!(count(&first).contains("65"), "{}", count(&first));
    let failed = listed(&page("?state=failed").await);
    assert_eq!(
        failed.len(),
        5,
        "3 shared + the two seeded run_1s: {failed:?}"
    );
    assert!(failed.iter().all(|r| r.starts_with("s_") || r == "run_1"));

    // A run whose copied team is wrong is still judged by its DAG's team.
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE dag_runs SET team = 'team_a' WHERE dag_id = 'b_dag'")
            .execute(pool).await.unwrap();
    });
    app.announce_change(&["team_a", "team_b"]).await;
    let after = listed(&page("").await);
    assert!(after.iter().all(|r| !r.starts_with("b_")), "{after:?}");
    assert!(count(&page("").await).contains("65"));

    // A DAG that moves to the team brings its runs along.
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE dag_runs SET team = 'team_b' WHERE dag_id = 'b_dag'")
            .execute(pool).await.unwrap();
        sqlx::query("UPDATE dags SET team = 'team_a' WHERE dag_id = 'b_dag'")
            .execute(pool).await.unwrap();
    });
    app.announce_change(&["team_a", "team_b"]).await;
    let moved = listed(&page("").await);
    assert_eq!(moved[0], "b_069", "{moved:?}");
    assert!(count(&page("").await).contains("136"));

    // Past 1,000 the count stops ("more than 1000") and paging goes on while pages are full.
    add_runs(&app, "a_dag", "c", 1000, "success").await;
    app.announce_change(&["team_a"]).await;
    let busy = page("").await;
    assert!(count(&busy).contains("more than 1000"), "{}", count(&busy));
    assert!(busy.contains(r#"rel="next""#));
    let last = page("?page=22").await;
    assert_eq!(
        listed(&last).len(),
        36,
        "1,136 runs: 22 full pages, then 36"
    );
    assert!(!last.contains(r#"rel="next""#));
}

on_both_backends!(the_run_list_is_the_teams_newest_first);

//! Pools against the real Airflow: team admins manage their team's pools, platform admins
//! the global ones; each team sees its own and the global pools only, with their usage, and
//! every change is in Airflow, in the read model at once and in the audit log.
//!
//! Both backends run in turn (one shared Airflow), each with its own pool names.

use crate::support;

use hangar_server::airflow::client::api_path;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::{Backend, TestApp};

const BACKENDS: [(Backend, &str); 2] = [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "pg")];

async fn airflow_pool(app: &TestApp, name: &str) -> Option<Value> {
    app.airflow()
        .call::<Value>(Method::GET, &api_path(&["pools", name]), &[], None)
        .await
        .ok()
}

fn listed(html: &str) -> Vec<String> {
    html.split("data-pool=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_manage_their_pools_and_see_no_one_elses() {
    for (backend, suffix) in BACKENDS {
        let app = TestApp::spawn_with_airflow(backend).await;
        let team_pool = format!("hangar_test_a_{suffix}");
        let global_pool = format!("hangar_test_global_{suffix}");
        let b_pool = format!("hangar_test_b_{suffix}");
        // What an interrupted earlier run may have left behind.
        for name in [&team_pool, &global_pool, &b_pool] {
            let _ = app.airflow().delete_pool(name).await;
        }
        app.sync_runs_and_tasks().await;
        let admin = app.signed_in("admin").await; // team_a admin
        let create = |name: &str, slots: &str| {
            vec![
                ("team", "team_a".to_string()),
                ("environment", "main".to_string()),
                ("name", name.to_string()),
                ("slots", slots.to_string()),
                ("description", "made by a test".to_string()),
            ]
        };

        // Create: in Airflow with the team's name on it, in the page at once, audited.
        let form = create(&team_pool, "3");
        let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = admin.function("create_pool", &refs).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {body}");
        let created = airflow_pool(&app, &team_pool)
            .await
            .expect("the pool is in Airflow");
        assert_eq!(created["team_name"], "team_a");
        assert_eq!(created["slots"], 3);
        let page = admin.get("/t/team_a/pools").await.text().await.unwrap();
        assert!(listed(&page).contains(&team_pool), "{page}");
        assert!(
            listed(&page).contains(&"default_pool".to_string()),
            "global pools show too"
        );
        assert_eq!(
            app.last_audit().await,
            (
                "pool.create".into(),
                "success".into(),
                Some("team_a".into())
            )
        );

        // The same name again: said from the team's own read model, without asking Airflow.
        let (status, body) = admin.function("create_pool", &refs).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("already a pool named"), "{body}");

        // Edit.
        let mut edit = refs.clone();
        edit.retain(|(k, _)| *k != "slots");
        edit.push(("slots", "5"));
        let (status, body) = admin.function("update_pool", &edit).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(airflow_pool(&app, &team_pool).await.unwrap()["slots"], 5);

        // Another team: does not see it, cannot touch it (same answer as a missing pool).
        let other = app.signed_in("multi").await; // admin of team_b, author of team_a
        let page_b = other.get("/t/team_b/pools").await.text().await.unwrap();
        assert!(
            !page_b.contains(&team_pool),
            "another team's pool is never named"
        );
        let via_b = [
            ("team", "team_b"),
            ("environment", "main"),
            ("name", team_pool.as_str()),
        ];
        let missing = [
            ("team", "team_b"),
            ("environment", "main"),
            ("name", "no_such_pool"),
        ];
        assert_eq!(
            other.function("delete_pool", &via_b).await,
            other.function("delete_pool", &missing).await
        );
        assert_eq!(
            other.function("delete_pool", &via_b).await.0,
            StatusCode::NOT_FOUND
        );
        // An author of team_a is not a team admin.
        let via_author = [
            ("team", "team_a"),
            ("environment", "main"),
            ("name", team_pool.as_str()),
        ];
        assert_eq!(
            other.function("delete_pool", &via_author).await.0,
            StatusCode::NOT_FOUND
        );
        assert!(airflow_pool(&app, &team_pool).await.is_some());

        // Global pools: a team admin may not create or change them; a platform admin may.
        let mut global_form = create(&global_pool, "2");
        global_form.push(("global", "true".to_string()));
        let global_refs: Vec<(&str, &str)> =
            global_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            admin.function("create_pool", &global_refs).await.0,
            StatusCode::FORBIDDEN
        );
        let default = [
            ("team", "team_a"),
            ("environment", "main"),
            ("name", "default_pool"),
            ("slots", "1"),
        ];
        assert_eq!(
            admin.function("update_pool", &default).await.0,
            StatusCode::FORBIDDEN
        );
        let platform = app.signed_in("platform_admin").await;
        let (status, body) = platform.function("create_pool", &global_refs).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            airflow_pool(&app, &global_pool).await.unwrap()["team_name"],
            Value::Null
        );
        let page_b = other.get("/t/team_b/pools").await.text().await.unwrap();
        assert!(
            listed(&page_b).contains(&global_pool),
            "global pools are every team's"
        );
        let delete_global = [
            ("team", "team_a"),
            ("environment", "main"),
            ("name", global_pool.as_str()),
        ];
        assert_eq!(
            admin.function("delete_pool", &delete_global).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            platform.function("delete_pool", &delete_global).await.0,
            StatusCode::OK
        );
        assert!(airflow_pool(&app, &global_pool).await.is_none());

        // A pool made in Airflow for team_b reaches team_b's page by the sync, not team_a's.
        let body = serde_json::json!({"name": b_pool, "slots": 1, "team_name": "team_b"});
        let client = app.airflow();
        support::retry_airflow(|| client.create_pool(&body))
            .await
            .unwrap();
        app.sync_runs_and_tasks().await;
        assert!(
            listed(&other.get("/t/team_b/pools").await.text().await.unwrap()).contains(&b_pool)
        );
        assert!(
            !admin
                .get("/t/team_a/pools")
                .await
                .text()
                .await
                .unwrap()
                .contains(&b_pool)
        );

        // Delete: gone from Airflow and the page.
        let delete = [
            ("team", "team_a"),
            ("environment", "main"),
            ("name", team_pool.as_str()),
        ];
        assert_eq!(
            admin.function("delete_pool", &delete).await.0,
            StatusCode::OK
        );
        assert!(airflow_pool(&app, &team_pool).await.is_none());
        assert!(
            !listed(&admin.get("/t/team_a/pools").await.text().await.unwrap()).contains(&team_pool)
        );
        let cleanup = [
            ("team", "team_b"),
            ("environment", "main"),
            ("name", b_pool.as_str()),
        ];
        assert_eq!(
            other.function("delete_pool", &cleanup).await.0,
            StatusCode::OK
        );
    }
}

//! Connections against the real Airflow: a team's authors manage its connections, every
//! team sees its own and the global ones — and a password typed into Hangar reaches Airflow
//! and nothing else: no page, no server-function answer, no table, no audit entry.
//!
//! Both backends run in turn (one shared Airflow), each with its own connection ids.

use crate::support;

use hangar_server::airflow::client::api_path;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::{Backend, TestApp};

const BACKENDS: [(Backend, &str); 2] = [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "pg")];

async fn airflow_connection(app: &TestApp, id: &str) -> Option<Value> {
    app.airflow()
        .call::<Value>(Method::GET, &api_path(&["connections", id]), &[], None)
        .await
        .ok()
}

/// Everything Hangar stored, as text: the read model's connections and the audit log.
async fn stored_text(app: &TestApp) -> String {
    let mut text = String::new();
    hangar_server::with_pool!(&app.state.db, pool => {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT connection_id, COALESCE(host, '') AS host, COALESCE(login, '') AS login, \
             COALESCE(extra_masked, '') AS extra FROM connections",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for row in rows {
            for column in ["connection_id", "host", "login", "extra"] {
                text.push_str(&row.try_get::<String, _>(column).unwrap());
                text.push('\n');
            }
        }
    });
    for entry in hangar_server::audit::entries_after(&app.state.db, 0, 10_000)
        .await
        .unwrap()
    {
        text.push_str(&format!("{entry:?}\n"));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_reach_airflow_and_nothing_else() {
    for (backend, suffix) in BACKENDS {
        let app = TestApp::spawn_with_airflow(backend).await;
        let id = format!("hangar_test_conn_{suffix}");
        let secret = format!("pw-{}", uuid::Uuid::new_v4().simple());
        let api_key = format!("key-{}", uuid::Uuid::new_v4().simple());
        let _ = app.airflow().delete_connection(&id).await;
        let author = app.signed_in("author").await;
        let extra = format!(r#"{{"api_key": "{api_key}", "region": "eu"}}"#);
        let create = [
            ("team", "team_a"),
            ("environment", "main"),
            ("connection_id", id.as_str()),
            ("conn_type", "postgres"),
            ("host", "db.internal"),
            ("login", "etl"),
            ("password", secret.as_str()),
            ("extra", extra.as_str()),
            ("create", "true"),
        ];
        let (status, body) = author.function("save_connection", &create).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {body}");
        let created = airflow_connection(&app, &id).await.expect("in Airflow");
        assert_eq!(created["password"], "***", "Airflow holds a password");
        assert_eq!(created["team_name"], "team_a");

        let page = author
            .get("/t/team_a/connections")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!(r#"data-connection="{id}""#)));
        assert!(
            page.contains(r#"data-testid="password-state">set<"#),
            "{page}"
        );
        assert!(page.contains("eu"), "non-secret extras show");
        let answer = author
            .function("team_connections", &[("team", "team_a")])
            .await
            .1;
        for place in [&page, &answer, &stored_text(&app).await] {
            assert!(!place.contains(&secret), "the password leaked");
            assert!(!place.contains(&api_key), "a secret extra leaked");
        }

        // Edit without retyping the password: it stays.
        let edit = [
            ("team", "team_a"),
            ("environment", "main"),
            ("connection_id", id.as_str()),
            ("conn_type", "postgres"),
            ("host", "db2.internal"),
            ("login", "etl"),
        ];
        assert_eq!(
            author.function("save_connection", &edit).await.0,
            StatusCode::OK
        );
        let edited = airflow_connection(&app, &id).await.unwrap();
        assert_eq!(edited["host"], "db2.internal");
        assert_eq!(edited["password"], "***", "the password was kept");
        // Masked values sent back changed would overwrite secrets with `***`: refused.
        let mut masked = edit.to_vec();
        masked.push(("extra", r#"{"api_key": "***", "region": "us"}"#));
        let (status, body) = author.function("save_connection", &masked).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // A viewer sees but may not change; another team sees nothing of it.
        let viewer = app.signed_in("viewer").await;
        assert!(
            viewer
                .get("/t/team_a/connections")
                .await
                .text()
                .await
                .unwrap()
                .contains(&id)
        );
        assert_eq!(
            viewer.function("save_connection", &edit).await.0,
            StatusCode::NOT_FOUND
        );
        let other = app.signed_in("multi").await; // admin of team_b
        assert!(
            !other
                .get("/t/team_b/connections")
                .await
                .text()
                .await
                .unwrap()
                .contains(&id)
        );
        let via_b = [
            ("team", "team_b"),
            ("environment", "main"),
            ("connection_id", id.as_str()),
        ];
        let missing = [
            ("team", "team_b"),
            ("environment", "main"),
            ("connection_id", "nope"),
        ];
        assert_eq!(
            other.function("delete_connection", &via_b).await,
            other.function("delete_connection", &missing).await
        );
        // Global connections are for platform admins.
        let mut global = create.to_vec();
        global.retain(|(k, _)| *k != "connection_id");
        let global_id = format!("{id}_global");
        global.push(("connection_id", global_id.as_str()));
        global.push(("global", "true"));
        assert_eq!(
            author.function("save_connection", &global).await.0,
            StatusCode::FORBIDDEN
        );

        // Made in Airflow, it arrives by the sync with Hangar's own masking on top.
        let synced_id = format!("{id}_synced");
        let _ = app.airflow().delete_connection(&synced_id).await;
        let body = serde_json::json!({
            "connection_id": synced_id, "conn_type": "http", "team_name": "team_a",
            "extra": format!(r#"{{"signing_cert": "{api_key}"}}"#),
        });
        let client = app.airflow();
        support::retry_airflow(|| client.create_connection(&body))
            .await
            .unwrap();
        let env = &app.state.config.airflow[0];
        let client = app.state.airflow.main(&env.name).unwrap();
        hangar_server::sync::connections::sync_connections(
            &app.state.db,
            env,
            &client,
            app.state.clock.now_ms(),
        )
        .await
        .unwrap();
        let page = author
            .get("/t/team_a/connections")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!(r#"data-connection="{synced_id}""#)));
        assert!(!page.contains(&api_key) && !stored_text(&app).await.contains(&api_key));

        let delete = [
            ("team", "team_a"),
            ("environment", "main"),
            ("connection_id", id.as_str()),
        ];
        assert_eq!(
            author.function("delete_connection", &delete).await.0,
            StatusCode::OK
        );
        assert!(airflow_connection(&app, &id).await.is_none());
        let _ = app.airflow().delete_connection(&synced_id).await;
    }
}

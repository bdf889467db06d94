//! Variables against the real Airflow: every team sees its own and the global keys, values
//! stay in Airflow until an author reveals one (fetched live, audited), and a value typed
//! into Hangar reaches Airflow and nothing else Hangar keeps.
//!
//! Both backends run in turn (one shared Airflow), each with its own keys.

use crate::support;

use hangar_server::airflow::client::api_path;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::{Backend, TestApp};

const BACKENDS: [(Backend, &str); 2] = [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "pg")];

async fn airflow_variable(app: &TestApp, key: &str) -> Option<Value> {
    app.airflow()
        .call::<Value>(Method::GET, &api_path(&["variables", key]), &[], None)
        .await
        .ok()
}

/// Everything Hangar stored about variables, as text: the read model and the audit log.
async fn stored_text(app: &TestApp) -> String {
    let mut text = String::new();
    hangar_server::with_pool!(&app.state.db, pool => {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT variable_key, COALESCE(description, '') AS description FROM variables",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for row in rows {
            for column in ["variable_key", "description"] {
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

async fn sync(app: &TestApp) {
    let env = &app.state.config.airflow[0];
    let client = app.state.airflow.main(&env.name).unwrap();
    hangar_server::sync::variables::sync_variables(
        &app.state.db,
        env,
        &client,
        app.state.clock.now_ms(),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_stay_in_airflow_until_an_author_reveals_one() {
    for (backend, suffix) in BACKENDS {
        let app = TestApp::spawn_with_airflow(backend).await;
        let key = format!("hangar_test_var_{suffix}");
        let value = format!("value-{}", uuid::Uuid::new_v4().simple());
        let _ = app.airflow().delete_variable(&key).await;
        let author = app.signed_in("author").await;
        let create = [
            ("team", "team_a"),
            ("environment", "main"),
            ("key", key.as_str()),
            ("value", value.as_str()),
            ("description", "where the warehouse is"),
            ("create", "true"),
        ];
        let (status, body) = author.function("save_variable", &create).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {body}");
        let created = airflow_variable(&app, &key).await.expect("in Airflow");
        assert_eq!(created["value"], value.as_str());
        assert_eq!(created["team_name"], "team_a");

        // Listed without its value, everywhere Hangar keeps or shows things.
        let page = author
            .get("/t/team_a/variables")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!(r#"data-variable="{key}""#)),
            "{page}"
        );
        assert!(page.contains("where the warehouse is"));
        assert!(page.contains(r#"data-testid="variable-reveal""#));
        let answer = author
            .function("team_variables", &[("team", "team_a")])
            .await
            .1;
        for place in [&page, &answer, &stored_text(&app).await] {
            assert!(!place.contains(&value), "the value leaked");
        }

        // A link reveals nothing (a cross-site page could make an author follow one): only a
        // POST does, and Hangar's CSRF check refuses a cross-site one.
        let linked = author
            .get(&format!("/t/team_a/variables?reveal={key}&env=main"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!linked.contains(&value), "a GET reveals nothing");
        assert!(!app.audited("variable.reveal", "success").await);
        let form = [
            ("team", "team_a"),
            ("environment", "main"),
            ("key", key.as_str()),
            ("return_to", "/t/team_a/variables"),
        ];
        let forged = author
            .post_form_from("/api/reveal_variable", &form, Some("https://evil.example"))
            .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert!(!forged.text().await.unwrap().contains(&value));
        assert!(!app.audited("variable.reveal", "success").await);

        // The page's form (no JavaScript) fetches the value from Airflow now and audits it;
        // so does the server function.
        let response = author.post_form("/api/reveal_variable", &form).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "a revealed value is not cached"
        );
        let revealed = response.text().await.unwrap();
        assert!(
            revealed.contains(&value),
            "the answer page reveals the value"
        );
        let entry = hangar_server::audit::entries_after(&app.state.db, 0, 10_000)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            ("variable.reveal", "success")
        );
        assert_eq!(
            entry.target.as_deref(),
            Some(format!("main/variable/{key}").as_str())
        );
        let reveal = [
            ("team", "team_a"),
            ("environment", "main"),
            ("key", key.as_str()),
        ];
        let (status, body) = author.function("reveal_variable", &reveal).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&value));
        assert!(
            !stored_text(&app).await.contains(&value),
            "audited, not stored"
        );

        // A description-only edit keeps the value and the team; a typed value replaces it.
        let describe = [
            ("team", "team_a"),
            ("environment", "main"),
            ("key", key.as_str()),
            ("description", "moved"),
        ];
        let (status, body) = author.function("save_variable", &describe).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let edited = airflow_variable(&app, &key).await.unwrap();
        assert_eq!(edited["value"], value.as_str(), "the value was kept");
        assert_eq!(edited["description"], "moved");
        assert_eq!(edited["team_name"], "team_a", "still the team's");
        let mut retype = describe.to_vec();
        retype.push(("value", "v2"));
        assert_eq!(
            author.function("save_variable", &retype).await.0,
            StatusCode::OK
        );
        assert_eq!(airflow_variable(&app, &key).await.unwrap()["value"], "v2");

        // A viewer sees the key but no value and no way to reveal it.
        let viewer = app.signed_in("viewer").await;
        let page = viewer
            .get("/t/team_a/variables")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&key) && !page.contains(r#"data-testid="variable-reveal""#));
        let (status, body) = viewer.function("reveal_variable", &reveal).await;
        assert_ne!(status, StatusCode::OK);
        assert!(!body.contains("v2"));
        let page = viewer.post_form("/api/reveal_variable", &form).await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(
            !page.text().await.unwrap().contains("v2"),
            "nor the form for a viewer"
        );

        // Another team sees nothing of it: revealing it answers as for a key that never was.
        let other = app.signed_in("multi").await; // admin of team_b
        assert!(
            !other
                .get("/t/team_b/variables")
                .await
                .text()
                .await
                .unwrap()
                .contains(&key)
        );
        let via_b = [
            ("team", "team_b"),
            ("environment", "main"),
            ("key", key.as_str()),
        ];
        let missing = [("team", "team_b"), ("environment", "main"), ("key", "nope")];
        let answer = other.function("reveal_variable", &via_b).await;
        assert_eq!(answer, other.function("reveal_variable", &missing).await);
        assert_eq!(answer.0, StatusCode::NOT_FOUND);
        assert_eq!(
            other.function("delete_variable", &via_b).await,
            other.function("delete_variable", &missing).await
        );

        // Global variables are for platform admins.
        let global_key = format!("{key}_global");
        let global = [
            ("team", "team_a"),
            ("environment", "main"),
            ("key", global_key.as_str()),
            ("value", "x"),
            ("global", "true"),
            ("create", "true"),
        ];
        assert_eq!(
            author.function("save_variable", &global).await.0,
            StatusCode::FORBIDDEN
        );

        // Made in Airflow, it arrives by the sync; a secret-looking key stays `***` even
        // revealed (Airflow masks it for everyone), and removed in Airflow it goes.
        let secret_key = format!("{key}_password");
        let _ = app.airflow().delete_variable(&secret_key).await;
        let body =
            serde_json::json!({"key": secret_key, "value": "hunter2", "team_name": "team_a"});
        let client = app.airflow();
        support::retry_airflow(|| client.create_variable(&body))
            .await
            .unwrap();
        sync(&app).await;
        let reveal_secret = [
            ("team", "team_a"),
            ("environment", "main"),
            ("key", secret_key.as_str()),
        ];
        let (status, body) = author.function("reveal_variable", &reveal_secret).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("null") && !body.contains("hunter2"), "{body}");
        support::retry_airflow(|| client.delete_variable(&secret_key))
            .await
            .unwrap();
        sync(&app).await;
        let page = author
            .get("/t/team_a/variables")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains(&secret_key),
            "deleted in Airflow, gone from Hangar"
        );

        let delete = [
            ("team", "team_a"),
            ("environment", "main"),
            ("key", key.as_str()),
        ];
        assert_eq!(
            author.function("delete_variable", &delete).await.0,
            StatusCode::OK
        );
        assert!(airflow_variable(&app, &key).await.is_none());
        assert!(
            !author
                .get("/t/team_a/variables")
                .await
                .text()
                .await
                .unwrap()
                .contains(&key)
        );
    }
}

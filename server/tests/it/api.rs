//! `/api/v1`: the OpenAPI document against the routes that exist, and one permission matrix
//! for tokens and sessions, against the real app on SQLite and PostgreSQL.

use crate::support;

use std::collections::BTreeSet;

use hangar_app::models::Access;
use hangar_server::http::api::{API_ROUTES, ApiRoute};
use reqwest::StatusCode;
use serde_json::Value;
use support::{Backend, Browser, TestApp};

/// What the document says a person needs, from the route's declared access.
fn access_name(route: &ApiRoute) -> String {
    match route.access {
        Access::Public => "public".into(),
        Access::Authenticated => "authenticated".into(),
        Access::Team(action) => format!(
            "team:{}",
            serde_json::to_value(action).unwrap().as_str().unwrap()
        ),
        Access::Platform(action) => format!(
            "platform:{}",
            serde_json::to_value(action).unwrap().as_str().unwrap()
        ),
    }
}

fn concrete(path: &str, team: &str) -> String {
    path.replace("{team}", team).replace("{id}", "1")
}

async fn token(app: &TestApp, team: &str, scopes: &[&str]) -> String {
    // A token works while its creator holds a role in the team that may create it.
    let admins = if team == "team_a" {
        "a-admins"
    } else {
        "b-admins"
    };
    let created_by = app
        .seed_user_in(
            &format!("{team}-token-owner-{}", scopes.join("-")),
            &[admins],
        )
        .await;
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    hangar_server::tokens::create(
        &app.state.db,
        hangar_server::tokens::NewToken {
            team,
            name: "ci",
            scopes: &scopes,
            created_by,
            now_ms: 0,
            expires_ms: i64::MAX,
        },
    )
    .await
    .unwrap()
    .1
}

async fn get_with_token(app: &TestApp, path: &str, secret: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_json(browser: &Browser, path: &str) -> (StatusCode, Value) {
    let response = browser.get(path).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Every `$ref` in `value` names a schema of the document.
fn refs(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.insert(target.clone());
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

/// The properties a schema requires, by name.
fn required(document: &Value, schema: &str) -> Vec<String> {
    document["components"]["schemas"][schema]["required"]
        .as_array()
        .map(|names| {
            names
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn schema_of_ok(operation: &Value) -> Option<String> {
    let ok = operation["responses"]
        .get("200")
        .or_else(|| operation["responses"].get("201"))?;
    let target = ok["content"]["application/json"]["schema"]["$ref"].as_str()?;
    Some(target.rsplit('/').next()?.to_string())
}

/// Checks `value` against the schema's required properties, and those of the first item of
/// each array property that refers to another schema.
fn conforms(document: &Value, schema: &str, value: &Value, what: &str) {
    for name in required(document, schema) {
        assert!(
            value.get(&name).is_some(),
            "{what}: {schema}.{name} is documented as required: {value}"
        );
    }
    let properties = &document["components"]["schemas"][schema]["properties"];
    for (name, property) in properties.as_object().into_iter().flatten() {
        if let (Some(item_ref), Some(first)) = (
            property["items"]["$ref"].as_str(),
            value[name].as_array().and_then(|items| items.first()),
        ) {
            let item = item_ref.rsplit('/').next().unwrap();
            conforms(document, item, first, what);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_the_routes() {
    // Deploys set up, and an Airflow environment (nothing listens: reads come from the seed).
    let fixture = support::deploy::DeployFixture::new();
    let airflow = format!(
        "[[airflow]]\nname = \"main\"\nbase_url = \"http://127.0.0.1:{}\"\nusername = \"hangar\"\n\
         password = \"unused\"\nbundles = {{ team_a_dags = \"team_a\" }}\nshared = [\"shared_dags\"]\n",
        support::idp::free_port()
    );
    let app = TestApp::spawn_configured(
        Backend::Sqlite,
        "",
        &format!("{}\n{airflow}", fixture.config(false)),
    )
    .await;
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    app.seed_pool("main", "team_a_pool", Some("team_a")).await;
    let anonymous = app.browser();
    let (status, document) = get_json(&anonymous, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");

    // The same operations, both ways.
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.insert((method.to_uppercase(), path.clone()));
            let route = API_ROUTES
                .iter()
                .find(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method))
                .unwrap_or_else(|| panic!("{method} {path} is documented but not routed"));
            assert_eq!(
                operation["x-hangar-access"].as_str(),
                Some(access_name(route).as_str()),
                "{method} {path}"
            );
            assert_eq!(
                operation["x-hangar-token-scope"].as_str(),
                route.scope,
                "{method} {path}"
            );
        }
    }
    let routed: BTreeSet<(String, String)> = API_ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(documented, routed, "documented vs routed");
    // Every scope a document names is one a token can have.
    for route in &API_ROUTES {
        if let Some(scope) = route.scope {
            assert!(
                hangar_app::models::deploys::TOKEN_SCOPES
                    .iter()
                    .any(|(known, _)| *known == scope),
                "{scope}"
            );
        }
    }
    // Every reference resolves.
    let mut found = BTreeSet::new();
    refs(&document, &mut found);
    for target in found {
        let name = target.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "{target}"
        );
    }

    // Each operation is really there: anonymous callers get 401 (not 404 or 405).
    let client = reqwest::Client::new();
    for route in &API_ROUTES {
        let url = format!("{}{}", app.url, concrete(route.path, "team_a"));
        let response = client
            .request(route.method.clone(), &url)
            .header("origin", &app.url)
            .send()
            .await
            .unwrap();
        let expected = if route.access == Access::Public {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(
            response.status(),
            expected,
            "{} {}",
            route.method,
            route.path
        );
    }
    // A method the document does not list is not routed.
    let response = client
        .delete(format!("{}/api/v1/teams", app.url))
        .header("origin", &app.url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);

    // What each operation answers has what the document promises: a deploy opened by a
    // token first, then every read as a signed-in admin.
    fixture.origin.write("team_a/etl.py", "# v2\n");
    fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "etl v2");
    let opener = token(&app, "team_a", &["deploys:request"]).await;
    let opened = reqwest::Client::new()
        .post(format!("{}/api/v1/teams/team_a/deploys", app.url))
        .bearer_auth(&opener)
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::CREATED);
    let opened: Value = opened.json().await.unwrap();
    let post = &document["paths"]["/api/v1/teams/{team}/deploys"]["post"];
    conforms(
        &document,
        &schema_of_ok(post).unwrap(),
        &opened,
        "requestDeploy",
    );
    let id = opened["id"].as_i64().unwrap().to_string();
    let admin = app.signed_in("admin").await;
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(operation) = item.get("get") else {
            continue;
        };
        let Some(schema) = schema_of_ok(operation) else {
            continue;
        };
        let concrete = path.replace("{team}", "team_a").replace("{id}", &id);
        let (status, value) = get_json(&admin, &concrete).await;
        assert_eq!(status, StatusCode::OK, "{path}: {value}");
        conforms(&document, &schema, &value, path);
        let first_list = value
            .as_object()
            .and_then(|o| o.values().find_map(|v| v.as_array()));
        assert!(
            first_list.is_none_or(|items| !items.is_empty()),
            "{path}: an empty list proves nothing about its items: {value}"
        );
    }
}

async fn tokens_and_sessions_share_the_permission_matrix(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    app.seed_dag("main", "team_b_dag", Some("team_b")).await;
    app.seed_dag("main", "shared_dag", None).await;
    app.seed_pool("main", "team_a_pool", Some("team_a")).await;
    app.seed_pool("main", "team_b_pool", Some("team_b")).await;

    // A token reads its own team, within its scopes.
    let reader = token(&app, "team_a", &["team:read"]).await;
    let (status, dags) = get_with_token(&app, "/api/v1/teams/team_a/dags", &reader).await;
    assert_eq!(status, StatusCode::OK);
    let ids: BTreeSet<&str> = dags["dags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dag_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from(["shared_dag", "team_a_dag"]));
    assert_eq!(dags["dags"][0]["last_run_state"], "failed", "{dags}");
    let (status, pools) = get_with_token(&app, "/api/v1/teams/team_a/pools", &reader).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        pools.to_string().contains("team_a_pool") && !pools.to_string().contains("team_b_pool")
    );
    let (status, runs) = get_with_token(&app, "/api/v1/teams/team_a/runs", &reader).await;
    assert_eq!(status, StatusCode::OK);
    assert!(runs.to_string().contains("team_a_dag") && !runs.to_string().contains("team_b_dag"));
    let (_, teams) = get_with_token(&app, "/api/v1/teams", &reader).await;
    assert_eq!(teams["teams"][0]["name"], "team_a");
    assert_eq!(teams["teams"].as_array().unwrap().len(), 1);
    // Another team, existing or not: the same 404.
    let (other, other_body) = get_with_token(&app, "/api/v1/teams/team_b/dags", &reader).await;
    let (missing, missing_body) =
        get_with_token(&app, "/api/v1/teams/team_zzz/dags", &reader).await;
    assert_eq!(
        (other, missing),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(other_body, missing_body);
    // A scope the token lacks.
    let deployer = token(&app, "team_a", &["deploys:read"]).await;
    let (status, _) = get_with_token(&app, "/api/v1/teams/team_a/dags", &deployer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // (Past the token check, this app's teams have no deploys set up, and say so.)
    let (status, body) = get_with_token(&app, "/api/v1/teams/team_a/deploys", &deployer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"].as_str().unwrap().contains("not set up"),
        "{body}"
    );
    assert!(app.audited("api.read", "success").await);

    // A person reads with their role, as on the pages.
    let viewer = app.signed_in("viewer").await;
    assert_eq!(
        get_json(&viewer, "/api/v1/teams/team_a/dags").await.0,
        StatusCode::OK
    );
    let (status, body) = get_json(&viewer, "/api/v1/teams/team_b/dags").await;
    assert_eq!((status, &body), (StatusCode::NOT_FOUND, &other_body));
    let multi = app.signed_in("multi").await;
    let (_, teams) = get_json(&multi, "/api/v1/teams").await;
    let held: Vec<(&str, &str)> = teams["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["role"].as_str().unwrap()))
        .collect();
    assert_eq!(held, [("team_a", "author"), ("team_b", "admin")]);
    let nobody = app.signed_in("nobody").await;
    let (_, teams) = get_json(&nobody, "/api/v1/teams").await;
    assert_eq!(teams["teams"], serde_json::json!([]));

    // A person's change passes the CSRF check like any form, then the role check.
    let commit = serde_json::json!({ "commit": "0123456789abcdef0123456789abcdef01234567" });
    let cross_site = viewer
        .client
        .post(viewer.url("/api/v1/teams/team_a/deploys"))
        .json(&commit)
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        StatusCode::FORBIDDEN,
        "no Origin: refused"
    );
    let post = |browser: &Browser| {
        browser
            .client
            .post(browser.url("/api/v1/teams/team_a/deploys"))
            .header("origin", &app.url)
            .json(&commit)
            .send()
    };
    assert_eq!(post(&viewer).await.unwrap().status(), StatusCode::NOT_FOUND);
    let author = app.signed_in("author").await;
    let response = post(&author).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("not set up"));

    // With a bearer token the cookie counts for nothing: a bad token is refused even from a
    // signed-in admin's browser, and no Origin is needed for a token's change.
    let admin = app.signed_in("admin").await;
    let response = admin
        .client
        .get(admin.url("/api/v1/teams/team_a/dags"))
        .bearer_auth("hgr_not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // A proxy's Basic credentials are no token: the session still counts.
    let response = admin
        .client
        .get(admin.url("/api/v1/teams"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let requester = token(&app, "team_a", &["deploys:request"]).await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/teams/team_a/deploys", app.url))
        .bearer_auth(&requester)
        .json(&commit)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "past CSRF and auth"
    );
}

on_both_backends!(tokens_and_sessions_share_the_permission_matrix);

//! A person's fixed time zone: saved, shown on their next page at once (this replica keeps
//! zones for a second, and forgets a person's on their own change), in every one of their
//! sessions, and nobody else's.

use reqwest::StatusCode;

use crate::support::{Backend, Browser, TestApp};

/// The zone the settings page's "It is now" is shown in.
async fn zone_shown(browser: &Browser) -> String {
    let page = browser.get("/settings").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let at = html.find("data-zone=\"").expect("a time on the page") + "data-zone=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

async fn a_fixed_zone_shows_at_once_in_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let author = app.signed_in("author").await;
    let other_browser = app.signed_in("author").await;
    let someone_else = app.signed_in("viewer").await;
    // Read once (and remembered) before the change.
    assert_eq!(zone_shown(&author).await, "UTC");
    assert_eq!(zone_shown(&other_browser).await, "UTC");

    let saved = author
        .call("/api/save_time_zone", &[("zone", "Europe/Berlin")])
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    assert_eq!(zone_shown(&author).await, "Europe/Berlin");
    assert_eq!(zone_shown(&other_browser).await, "Europe/Berlin");
    assert_eq!(zone_shown(&someone_else).await, "UTC");

    // Not a zone: a sentence, and the saved one stays.
    let refused = author
        .call("/api/save_time_zone", &[("zone", "Mars/Olympus")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("is not a time zone"));
    assert_eq!(zone_shown(&author).await, "Europe/Berlin");

    // Empty: back to the browser's own (UTC without JavaScript).
    let cleared = author.call("/api/save_time_zone", &[("zone", "")]).await;
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(zone_shown(&author).await, "UTC");
}

on_both_backends!(a_fixed_zone_shows_at_once_in_every_session);

/// Every time component the server renders on a page is in the reader's fixed zone, however
/// the page's own data and the zone read race: pages write their times as soon as their own
/// data is in, so the zone must be known before the page renders, not read beside it. The
/// zone is saved again before every page, so that each page reads it from the database (a
/// save forgets the replica's copy) rather than from memory, which always won the race.
/// (Rows written as text, as on the DAG list, are UTC until the browser takes over.)
async fn every_time_component_is_in_the_fixed_zone(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    app.sync_sample_dags().await;
    let author = app.signed_in("author").await;
    // The settings page reads the zone for its own data too; a DAG's page does not.
    for round in 0..20 {
        for path in ["/settings", "/t/team_a/dags/main/team_a_etl"] {
            let saved = author
                .call("/api/save_time_zone", &[("zone", "Asia/Tokyo")])
                .await;
            assert_eq!(saved.status(), StatusCode::OK);
            let page = author.get(path).await;
            assert_eq!(page.status(), StatusCode::OK, "{path}");
            let html = page.text().await.unwrap();
            let zones: Vec<&str> = html
                .split("data-zone=\"")
                .skip(1)
                .map(|rest| &rest[..rest.find('"').unwrap()])
                .collect();
            assert!(!zones.is_empty(), "{path} shows no time");
            assert!(
                zones.iter().all(|zone| *zone == "Asia/Tokyo"),
                "round {round}, {path}: {zones:?}"
            );
        }
    }
}

on_both_backends!(every_time_component_is_in_the_fixed_zone);

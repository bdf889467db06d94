//! The server error of Hangar's own routes mapped to HTTP (once), and the small static pages
//! (not found, sign-in failed, server error) that must render without the app.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub use hangar_app::html::escape;

use crate::error::ServerError;

/// The cause goes to the log, inside the request's span (so with its id); the user sees a
/// clean page.
impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        internal_error()
    }
}

/// The page for a failure whose cause is in the log (under the request id).
pub fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        page(
            "Server error",
            "<h1>Something went wrong</h1><p>The problem was logged. Try again shortly.</p>",
        ),
    )
        .into_response()
}

/// The one "not found" for every missing page and every team or page the user may not see.
/// It names nothing from the request, so it is byte-for-byte the same in both cases.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        page(
            "Not found",
            "<h1>Not found</h1><p>There is nothing here, or it is not yours to see.</p>\
             <p><a href=\"/\">Go to your teams</a></p>",
        ),
    )
        .into_response()
}

/// A minimal standalone page in Hangar's style (no script).
pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Hangar</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/pkg/hangar.css\"></head>\
         <body><header class=\"site-header\"><a class=\"brand\" href=\"/\">Hangar</a></header>\
         <main><section class=\"notice\" data-testid=\"static-page\">{body}</section></main></body></html>",
        escape(title)
    ))
}

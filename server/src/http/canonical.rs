//! What answers where no route matched: a path with a trailing slash is sent to the same
//! path without it (`/t/team_a/` → `/t/team_a`, query kept); anything else is the one
//! not-found page.

use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Redirect, Response};

pub async fn fallback(request: Request) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD)
        && let Some(to) = without_trailing_slash(request.uri())
    {
        return Redirect::permanent(&to).into_response();
    }
    super::error::not_found()
}

/// The canonical form of a path that ends in slashes, if it has one. A path that would
/// become protocol-relative (`//host`, `/\host`) is never redirected: it stays not found
/// rather than become a way to send someone to another site.
fn without_trailing_slash(uri: &Uri) -> Option<String> {
    let path = uri.path();
    if !path.ends_with('/') {
        return None;
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() || trimmed.starts_with("//") || trimmed.starts_with("/\\") {
        return None;
    }
    Some(match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(uri: &str) -> Option<String> {
        without_trailing_slash(&uri.parse().unwrap())
    }

    #[test]
    fn trailing_slashes_go_and_nothing_leaves_the_site() {
        assert_eq!(canonical("/t/team_a/").as_deref(), Some("/t/team_a"));
        assert_eq!(
            canonical("/t/team_a/runs//?state=failed").as_deref(),
            Some("/t/team_a/runs?state=failed")
        );
        assert_eq!(canonical("/t/team_a"), None);
        assert_eq!(canonical("/"), None);
        assert_eq!(canonical("//evil.example/"), None);
        assert_eq!(canonical("///evil.example//"), None);
        if let Ok(uri) = "/\\evil.example/".parse::<Uri>() {
            assert_eq!(without_trailing_slash(&uri), None);
        }
    }
}

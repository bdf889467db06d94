//! How a failed load reads on a page, and the status the server answers with; how a refused
//! action reads beside its form.

use leptos::prelude::*;

use crate::errors::AppError;

/// Airflow's or Hangar's refusal of the last action, in words.
#[component]
pub fn ActionError(value: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        value.get().map(|error| {
            view! { <p class="notice error" role="alert" data-testid="action-error">{error.to_string()}</p> }
        })
    }
}

#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(error.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    match error {
        AppError::NotFound => view! { <NotFound/> }.into_any(),
        AppError::Unauthenticated => {
            let return_to = leptos_router::hooks::use_location()
                .pathname
                .get_untracked();
            let href = format!("/auth/login?return_to={}", encode_path(&return_to));
            view! {
                <section class="notice">
                    <h1>"Sign in again"</h1>
                    <p>{AppError::Unauthenticated.to_string()}</p>
                    <a class="button" href=href rel="external">"Sign in"</a>
                </section>
            }
            .into_any()
        }
        other => view! {
            <section class="notice error" role="alert">
                <h1>"That did not work"</h1>
                <p>{other.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}

/// The one "not found" everybody gets, whether the thing is missing or someone else's.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="notice" data-testid="not-found">
            <h1>"Not found"</h1>
            <p>"There is nothing here, or it is not yours to see."</p>
            <a href="/">"Go to your teams"</a>
        </section>
    }
}

/// Percent-encodes a path for use as a query value; only characters safe in a path stay.
fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_query_characters() {
        assert_eq!(super::encode_path("/t/a?x=1&y"), "/t/a%3Fx%3D1%26y");
    }
}

//! The HTML document around the app (server only).
//!
//! Each response gets a fresh script nonce. The shell hands it to the server's
//! security-headers layer in a private response header, which turns it into the
//! Content-Security-Policy; the policy itself is written in one place on the server.

use leptos::prelude::*;
use leptos_meta::MetaTags;

use crate::routes::App;

/// The private header that carries the nonce from the shell to the security-headers layer.
/// The server removes it before the response leaves.
pub const NONCE_HEADER: &str = "x-hangar-script-nonce";

pub fn shell(options: LeptosOptions) -> impl IntoView {
    leptos::nonce::provide_nonce();
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(value) = http::HeaderValue::from_str(&nonce)
    {
        response.insert_header(http::HeaderName::from_static(NONCE_HEADER), value);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

//! The HTML document around the app (server only).
//!
//! Each response gets a fresh script nonce. The shell hands it to the server's
//! security-headers layer in a private response header, which turns it into the
//! Content-Security-Policy; the policy itself is written in one place on the server.

use leptos::prelude::*;
use leptos::{PrefetchLazyFn, WasmSplitManifest};
use leptos_meta::{Link, MetaTags};

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

/// Starts collecting which lazy routes this render enters (each one's server-side view
/// notes its name here), once per request, before any route renders. Leptos' integration
/// has its own collector and writes the preload tags itself, but 2 renders in 5 went out
/// without them (the cause inside leptos is not pinned down: it looks the split manifest
/// up outside the app's reactive owner). This collector replaces it (same owner), and
/// [`preload_lazy_routes`] writes the tags from inside the route, where the manifest is in
/// reach: 5 renders in 5 since.
pub fn collect_lazy_routes() {
    provide_context(PrefetchLazyFn::default());
}

/// Puts `<link rel="preload">` tags for the chunks of the lazy routes this render entered
/// into the page's `<head>` (leptos_meta), from the split manifest that `HydrationScripts`
/// read: the browser fetches them beside the main module instead of after hydration asks.
/// Without a manifest (a bundle built without splitting) there is nothing to preload.
pub fn preload_lazy_routes() {
    let (Some(entered), Some(manifest)) = (
        use_context::<PrefetchLazyFn>(),
        use_context::<WasmSplitManifest>(),
    ) else {
        return;
    };
    let routes: Vec<&'static str> = entered.0.with_value(|set| set.iter().copied().collect());
    manifest.0.with_value(|(pkg, chunks_of, loader)| {
        let chunks = routes
            .iter()
            .filter_map(|route| chunks_of.get(*route))
            .flatten();
        for chunk in chunks {
            // Rendering a leptos_meta tag registers it for the <head>; the body gets nothing.
            _ = view! {
                <Link rel="preload" href=format!("{pkg}/{chunk}.wasm") as_="fetch"
                    type_="application/wasm" crossorigin="anonymous"/>
            }
            .to_html();
        }
        if !routes.is_empty() {
            _ = view! { <Link rel="modulepreload" href=format!("{pkg}/{loader}")/> }.to_html();
        }
    });
}

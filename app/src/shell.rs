//! The HTML document around the app (server only).
//!
//! Each response gets a fresh script nonce. The shell hands it to the server's
//! security-headers layer in a private response header, which turns it into the
//! Content-Security-Policy; the policy itself is written in one place on the server.

use leptos::prelude::*;
use leptos::{PrefetchLazyFn, WasmSplitManifest};
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

/// Starts collecting which lazy routes this render enters (each one's server-side view
/// notes its name here), once per request, before any route renders. Leptos' integration
/// has its own collector and writes preload tags itself, but 2 renders in 5 went out
/// without them (the cause inside leptos is not pinned down: it looks the split manifest
/// up outside the app's reactive owner). This collector replaces it (same owner), and
/// [`preload_lazy_routes`] names the files from inside the route, where the manifest is in
/// reach: 5 renders in 5 since.
pub fn collect_lazy_routes() {
    provide_context(PrefetchLazyFn::default());
}

/// Names the chunks of the lazy routes this render entered in the response's `Link` header
/// (`rel=preload`, and `rel=modulepreload` for the split loader), from the split manifest
/// that `HydrationScripts` read: the browser fetches them beside the main module instead of
/// after hydration asks. A header, not `<link>` tags in the `<head>`: rendering a tag per
/// chunk through leptos_meta cost 6 % of the team page's server time (20 chunks), and the
/// header is built once per route. Without a manifest (a bundle built without splitting)
/// there is nothing to preload. Several routes in one render (none today: no lazy route
/// nests another) each name the loader; browsers ignore the repeat.
pub fn preload_lazy_routes() {
    let (Some(entered), Some(manifest), Some(response)) = (
        use_context::<PrefetchLazyFn>(),
        use_context::<WasmSplitManifest>(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let routes: Vec<&'static str> = entered.0.with_value(|set| set.iter().copied().collect());
    let values: Vec<http::HeaderValue> = manifest.0.with_value(|(pkg, chunks_of, loader)| {
        routes
            .iter()
            .filter_map(|route| preload_header(route, pkg, chunks_of.get(*route)?, loader))
            .collect()
    });
    // Every call names every route entered so far: the last call's header is the whole set.
    let value = match values.as_slice() {
        [] => return,
        [one] => one.clone(),
        many => {
            let joined: Vec<&str> = many.iter().filter_map(|v| v.to_str().ok()).collect();
            match http::HeaderValue::from_str(&joined.join(", ")) {
                Ok(value) => value,
                Err(_) => return,
            }
        }
    };
    response.insert_header(http::header::LINK, value);
}

/// The `Link` header value that preloads `route`'s chunks, built once per route. Leptos reads
/// the split manifest once per process, so every app in a process has the same bundle; the
/// directory is kept beside the value all the same, so that a manifest read per app would
/// not be answered with another bundle's files.
fn preload_header(
    route: &'static str,
    pkg: &str,
    chunks: &[String],
    loader: &str,
) -> Option<http::HeaderValue> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, RwLock};
    // By route: the bundle directory it was built for, and the value.
    type Built = HashMap<&'static str, (String, http::HeaderValue)>;
    static BUILT: LazyLock<RwLock<Built>> = LazyLock::new(Default::default);
    if let Ok(built) = BUILT.read()
        && let Some((built_for, value)) = built.get(route)
        && built_for == pkg
    {
        return Some(value.clone());
    }
    let mut links: Vec<String> = chunks
        .iter()
        .map(|chunk| {
            format!(
                "<{pkg}/{chunk}.wasm>; rel=preload; as=fetch; type=\"application/wasm\"; crossorigin"
            )
        })
        .collect();
    links.push(format!("<{pkg}/{loader}>; rel=modulepreload"));
    let value = http::HeaderValue::from_str(&links.join(", ")).ok()?;
    if let Ok(mut built) = BUILT.write() {
        built.insert(route, (pkg.to_string(), value.clone()));
    }
    Some(value)
}

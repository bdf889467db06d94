//! Hangar's UI and its server-function boundary.
//!
//! Compiled twice: with `ssr` into the server (pages render there, server functions run
//! there), and with `hydrate` into the WASM bundle (the same pages take over in the browser).
//! Nothing in here touches a database, the identity provider or Airflow: server functions
//! reach what they need through the request the server hands them.

#![recursion_limit = "256"]

pub mod components;
pub mod errors;
pub mod functions;
pub mod html;
pub mod kept_html;
pub mod models;
pub mod pages;
pub mod paths;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod shell;
pub mod time_text;

pub use routes::App;

/// Takes over the server-rendered page. Routes are lazily loaded chunks, so hydration is
/// asynchronous: the page is marked hydrated (`data-hydrated`, and times switch to the
/// browser's zone) only once its route's chunk has arrived and hydrated as well.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::{RwSignal, Set};
    use std::sync::atomic::{AtomicBool, Ordering};
    static HYDRATED: AtomicBool = AtomicBool::new(false);
    std::panic::set_hook(Box::new(|panic| {
        console_error_panic_hook::hook(panic);
        // A page's chunk did not load after this page had hydrated: most likely Hangar was
        // deployed since the tab opened and this build's files are gone (the WASM cannot go
        // on after a panic). Load the page afresh instead of leaving it dead. Never during
        // the first hydration, so a broken build cannot reload in a loop.
        if HYDRATED.load(Ordering::Relaxed)
            && panic.to_string().contains("load callback should succeed")
            && let Some(window) = web_sys::window()
        {
            _ = window.location().reload();
        }
    }));
    // Err only means it was already started.
    _ = any_spawner::Executor::init_wasm_bindgen();
    let hydrated = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        let page = leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), move || {
            leptos::prelude::provide_context(routes::PageHydrated(hydrated));
            App()
        })
        .await;
        page.forget();
        hydrated.set(true);
        HYDRATED.store(true, Ordering::Relaxed);
    });
}

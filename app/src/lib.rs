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
pub mod models;
pub mod pages;
pub mod paths;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod shell;
pub mod time_text;

pub use routes::App;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}

//! Pages that show runs and tasks reload their data when the server says it changed.
//!
//! The server streams a bare `change` event (Server-Sent Events, `/t/{team}/events`) when
//! the sync or an action changed something the team may see. Without JavaScript nothing
//! connects, and a reload shows the same data.

/// Calls `on_change` on every change event for `team`'s data while the page lives.
pub fn use_live_updates(
    team: impl Fn() -> String + Send + Sync + 'static,
    on_change: impl Fn() + Clone + 'static,
) {
    use_event_stream(
        move || format!("/t/{}/events", crate::paths::encode(&team())),
        on_change,
    );
}

/// Calls `on_event(kind, data)` for every event of kind `lines`, `end`, `busy` or `failed` of
/// the stream at `url` while the page lives (a task log followed live). Without JavaScript
/// nothing connects.
pub fn use_event_data(
    url: impl Fn() -> String + Send + Sync + 'static,
    on_event: impl Fn(String, String) + Clone + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;

        type Listener = Closure<dyn FnMut(web_sys::MessageEvent)>;
        let source = StoredValue::new_local(None::<(web_sys::EventSource, Vec<Listener>)>);
        let close = move || {
            source.update_value(|open| {
                if let Some((events, _)) = open.take() {
                    events.close();
                }
            })
        };
        Effect::new(move |_| {
            let url = url();
            close();
            let Ok(events) = web_sys::EventSource::new(&url) else {
                return;
            };
            let mut listeners = Vec::new();
            for kind in ["lines", "end", "busy", "failed"] {
                let on_event = on_event.clone();
                let closing = events.clone();
                let listener: Listener = Closure::new(move |event: web_sys::MessageEvent| {
                    let data = event.data().as_string().unwrap_or_default();
                    if kind != "lines" {
                        // The stream is over: do not let the browser reconnect.
                        closing.close();
                    }
                    on_event(kind.to_string(), data);
                });
                let _ = events
                    .add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
                listeners.push(listener);
            }
            source.set_value(Some((events, listeners)));
        });
        on_cleanup(close);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, on_event);
}

/// Calls `on_change` on every change event of the stream at `url` while the page lives;
/// reconnects when `url` changes.
pub fn use_event_stream(
    url: impl Fn() -> String + Send + Sync + 'static,
    on_change: impl Fn() + Clone + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;

        type Listener = Closure<dyn FnMut(web_sys::Event)>;
        let source = StoredValue::new_local(None::<(web_sys::EventSource, Listener)>);
        let close = move || {
            source.update_value(|open| {
                if let Some((events, _)) = open.take() {
                    events.close();
                }
            })
        };
        Effect::new(move |_| {
            let url = url();
            close();
            let Ok(events) = web_sys::EventSource::new(&url) else {
                return;
            };
            let on_change = on_change.clone();
            let listener: Listener = Closure::new(move |_| on_change());
            let _ = events
                .add_event_listener_with_callback("change", listener.as_ref().unchecked_ref());
            source.set_value(Some((events, listener)));
        });
        on_cleanup(close);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, on_change);
}

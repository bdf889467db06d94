//! HTML the server keeps written (the DAG list's and runs list's rows, `functions::kept_pages`)
//! goes into a page's response as the kept bytes themselves, not copied through the render.
//!
//! Why: a 100-row DAG list is ~320 KB, nearly all of it kept rows. Rendered in place, the
//! rows were copied into leptos' buffer (growing it several times), again when the stream
//! was joined into one body, and moved on each growth: a sixth of the page's server time
//! went to `memmove` (`perf`, docs/benchmarks.md). Instead a view puts a placeholder where
//! the kept HTML goes ([`kept`]); the server's page handler finds each placeholder once in
//! the small rendered page and sends the body as its pieces with the kept bytes between
//! them (`http::spliced_page`).
//!
//! A placeholder carries a random token drawn per request by the server, so no text in a
//! page (a DAG's name, a log line) can pose as one: what the page writes is escaped, and the
//! token is unknown before the render. Without a server render asking for it (in the
//! browser, or a render with no [`Splices`] in the request), [`kept`] is the HTML itself.

use std::sync::Arc;

/// The kept HTML of one render, in the order its placeholders were written.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct Splices(Arc<std::sync::Mutex<SpliceList>>);

#[cfg(feature = "ssr")]
struct SpliceList {
    token: String,
    kept: Vec<Arc<str>>,
}

#[cfg(feature = "ssr")]
impl Splices {
    /// `token`: random, drawn by the server for this request alone.
    pub fn new(token: String) -> Self {
        Self(Arc::new(std::sync::Mutex::new(SpliceList {
            token,
            kept: Vec::new(),
        })))
    }

    /// How every placeholder of a render with `token` begins; its index and `-->` follow.
    pub fn opening(token: &str) -> String {
        format!("<!--hangar-kept:{token}:")
    }

    /// How every placeholder ends, after its index.
    pub const CLOSING: &str = "-->";

    /// The placeholder of the `index`th kept HTML of a render with `token`.
    pub fn placeholder(token: &str, index: usize) -> String {
        format!("{}{index}{}", Self::opening(token), Self::CLOSING)
    }

    /// Notes `html` and gives the placeholder that stands for it. Not every noted HTML
    /// reaches the page: a `Suspense` builds its children once to check they are ready and
    /// drops them, then builds them again for the render.
    fn stand_in(&self, html: Arc<str>) -> Arc<str> {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        list.kept.push(html);
        Self::placeholder(&list.token, list.kept.len() - 1).into()
    }

    /// The token and the kept HTML noted, in placeholder order (once, after the render).
    pub fn take(&self) -> (String, Vec<Arc<str>>) {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (list.token.clone(), std::mem::take(&mut list.kept))
    }
}

/// What a view writes where `html` (already escaped, kept) goes: on a server render that
/// splices, a placeholder the server replaces with `html`'s bytes; otherwise `html`.
pub fn kept(html: Arc<str>) -> Arc<str> {
    #[cfg(feature = "ssr")]
    if let Some(splices) = crate::functions::request_extension::<Splices>() {
        return splices.stand_in(html);
    }
    html
}

//! The code view: a DAG file's source as Airflow keeps it with each DAG version, highlighted
//! on the server (syntect's built-in Python grammar, pure-Rust regexes) into numbered lines
//! of HTML that name token kinds as classes (`hl-keyword`, `hl-string`, …; colours in the
//! stylesheet). Nothing of it reaches the browser bundle.
//!
//! A DAG version's code never changes, so highlighted files are kept by (environment, DAG,
//! version), a few dozen at most.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, LazyLock, Mutex};

use syntect::html::{ClassStyle, line_tokens_to_classed_spans};
use syntect::parsing::{ParseState, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

/// A source larger than this is not read (a generated DAG file can be huge).
pub const MAX_SOURCE_BYTES: usize = 2 * 1024 * 1024;
/// Highlighting stops after this many lines; the rest is shown plain.
const MAX_HIGHLIGHTED_LINES: usize = 20_000;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// A file as numbered, highlighted lines, and how many lines it has.
pub struct Highlighted {
    pub html: Arc<str>,
    pub lines: usize,
}

/// `source` (Python unless `file` names another known kind) as
/// `<div class="code-line" id="C{n}">` lines with their numbers.
pub fn highlight(source: &str, file: Option<&str>) -> Highlighted {
    let syntaxes = &*SYNTAXES;
    let extension = file
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, ext)| ext)
        .unwrap_or("py");
    let syntax = syntaxes
        .find_syntax_by_extension(extension)
        .or_else(|| syntaxes.find_syntax_by_extension("py"))
        .unwrap_or_else(|| syntaxes.find_syntax_plain_text());
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut html = String::with_capacity(source.len() * 3);
    let mut count = 0;
    html.push_str("<pre class=\"code\" data-testid=\"code\">");
    for (i, line) in LinesWithEndings::from(source).enumerate() {
        count = i + 1;
        let _ = write!(
            html,
            "<div class=\"code-line\" id=\"C{count}\"><a class=\"ln\" href=\"#C{count}\">{count}</a><code>"
        );
        let highlighted = (i < MAX_HIGHLIGHTED_LINES)
            .then(|| state.parse_line(line, syntaxes).ok())
            .flatten()
            .and_then(|ops| {
                // Each line stands alone: scopes open at its start are opened again, and
                // whatever is open at its end is closed.
                let mut out = String::new();
                for scope in stack.as_slice() {
                    out.push_str("<span class=\"");
                    out.push_str(&classes(&scope.build_string()));
                    out.push_str("\">");
                }
                let (spans, _) =
                    line_tokens_to_classed_spans(line, &ops, STYLE, &mut stack).ok()?;
                // The line break is the `<div>`'s.
                out.push_str(&spans.replace(['\n', '\r'], ""));
                for _ in stack.as_slice() {
                    out.push_str("</span>");
                }
                Some(out)
            });
        match highlighted {
            Some(line) => html.push_str(&line),
            None => hangar_app::html::escape_into(&mut html, line.trim_end_matches(['\n', '\r'])),
        }
        html.push_str("</code></div>");
    }
    html.push_str("</pre>");
    Highlighted {
        html: html.into(),
        lines: count,
    }
}

/// `keyword.control.python` → `hl-keyword hl-control hl-python` (as syntect writes them).
fn classes(scope: &str) -> String {
    scope
        .split('.')
        .map(|atom| format!("hl-{atom}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// (environment, DAG, version) → (last use, the highlighted file).
type KeptFiles = HashMap<(String, String, i64), (u64, Arc<Highlighted>)>;

/// Highlighted files by (environment, DAG, version).
#[derive(Default)]
pub struct CodeCache {
    kept: Mutex<KeptFiles>,
    uses: std::sync::atomic::AtomicU64,
}

const KEPT_FILES: usize = 64;

impl CodeCache {
    pub fn get(&self, environment: &str, dag_id: &str, version: i64) -> Option<Arc<Highlighted>> {
        let used = self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let entry = kept.get_mut(&(environment.to_string(), dag_id.to_string(), version))?;
        entry.0 = used;
        Some(entry.1.clone())
    }

    pub fn keep(&self, environment: &str, dag_id: &str, version: i64, file: Arc<Highlighted>) {
        let used = self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= KEPT_FILES
            && let Some(oldest) = kept
                .iter()
                .min_by_key(|(_, (last, _))| *last)
                .map(|(k, _)| k.clone())
        {
            kept.remove(&oldest);
        }
        kept.insert(
            (environment.to_string(), dag_id.to_string(), version),
            (used, file),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_is_highlighted_line_by_line_and_escaped() {
        let source = "\"\"\"A DAG <doc>\nwith two lines.\"\"\"\nfrom airflow.sdk import dag\n\n\ndef run():\n    return 1 < 2 or 'x'\n";
        let file = highlight(source, Some("etl.py"));
        assert_eq!(file.lines, 7);
        let html = &*file.html;
        assert!(html.contains("id=\"C1\""));
        assert!(html.contains("&lt;doc&gt;"), "{html}");
        assert!(!html.contains("<doc>"));
        assert!(html.contains("hl-keyword"), "{html}");
        assert!(html.contains("hl-string"), "{html}");
        // The docstring spans two lines: each line opens and closes its own spans.
        let second = html.split("id=\"C2\"").nth(1).unwrap();
        let second = &second[..second.find("</div>").unwrap()];
        assert_eq!(
            second.matches("<span").count(),
            second.matches("</span>").count()
        );
        assert!(second.contains("hl-comment"), "a docstring: {second}");
        assert!(html.contains("&lt;</span>"), "the operator escaped: {html}");
        assert!(!html.contains("1 < 2"));
    }

    #[test]
    fn kept_files_are_found_by_version() {
        let cache = CodeCache::default();
        cache.keep("main", "etl", 3, Arc::new(highlight("x = 1\n", None)));
        assert!(cache.get("main", "etl", 3).is_some());
        assert!(cache.get("main", "etl", 4).is_none());
    }
}

//! A DAG's `doc_md` as HTML that is safe to put into a page.
//!
//! DAG files are written by any author of a team and shown to everyone who can see the DAG,
//! so the Markdown is treated as untrusted: raw HTML (block and inline) is shown as text,
//! links keep only `http`, `https`, `mailto` and in-page targets, images become links (no
//! request leaves the page by itself), and headings start at `<h3>` so a document cannot
//! outrank the page's own headings.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// The longest document rendered; a longer one is cut (DAG docs are a few screens at most).
const MAX_DOC_BYTES: usize = 64 * 1024;

pub fn render(markdown: &str) -> String {
    let mut end = markdown.len().min(MAX_DOC_BYTES);
    while !markdown.is_char_boundary(end) {
        end -= 1;
    }
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut in_image = false;
    let events = Parser::new_ext(&markdown[..end], options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => {
            let _ = (id, classes, attrs);
            Event::Start(Tag::Heading {
                level: demoted(level),
                id: None,
                classes: Vec::new(),
                attrs: Vec::new(),
            })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demoted(level))),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            in_image = true;
            Event::Start(Tag::Link {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            })
        }
        Event::End(TagEnd::Image) if in_image => {
            in_image = false;
            Event::End(TagEnd::Link)
        }
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

fn demoted(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The URL if its scheme is harmless, else an empty one (the link text stays).
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme_end = lower.find([':', '/', '?', '#']);
    let has_scheme = scheme_end.is_some_and(|i| lower.as_bytes()[i] == b':');
    let allowed = !has_scheme
        || ["http:", "https:", "mailto:"]
            .iter()
            .any(|scheme| lower.starts_with(scheme));
    if allowed { url } else { CowStr::Borrowed("") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_headings_stay_below_the_page() {
        let html = render(
            "# Team A ETL\n\nLoads *yesterday's* orders.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h3>Team A ETL</h3>"), "{html}");
        assert!(
            html.contains("<em>yesterday's</em>") || html.contains("<em>yesterday’s</em>"),
            "{html}"
        );
        assert!(html.contains("<table>"), "{html}");
    }

    #[test]
    fn raw_html_and_script_urls_never_become_markup() {
        let html = render(
            "<script>alert(1)</script>\n\nHi <img src=x onerror=alert(2)> there\n\n\
             [click](javascript:alert(3)) [ok](https://example.test/a) [rel](#runs)\n\n\
             [data](DATA:text/html,x) ![pic](https://tracker.test/p.png)\n\n<a href=\"javascript:x\">a</a>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        // Raw HTML survives only as text: `<a href="javascript…` appears escaped, never as
        // markup.
        assert!(
            !html.to_lowercase().contains("<a href=\"javascript"),
            "{html}"
        );
        assert!(!html.to_lowercase().contains("<a href=\"data:"), "{html}");
        assert!(html.contains(r#"<a href="">click</a>"#), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.test/a">ok</a>"#),
            "{html}"
        );
        assert!(html.contains(r##"<a href="#runs">rel</a>"##), "{html}");
        assert!(
            html.contains(r#"<a href="https://tracker.test/p.png">pic</a>"#),
            "{html}"
        );
    }

    #[test]
    fn long_documents_are_cut_on_a_character_boundary() {
        let html = render(&"é".repeat(MAX_DOC_BYTES));
        assert!(html.len() < MAX_DOC_BYTES + 100);
    }
}

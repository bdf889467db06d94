//! A rendered page sent with its kept HTML between its pieces (see `hangar_app::kept_html`):
//! the render wrote a placeholder where each kept HTML goes; the body is the render's bytes
//! up to each placeholder, the kept bytes (shared, not copied), and the rest.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use hangar_app::kept_html::Splices;

/// A fresh [`Splices`] for one page render, with a token nobody can guess.
pub fn for_render() -> Splices {
    Splices::new(format!("{:032x}", rand::random::<u128>()))
}

/// The page's body pieces, in order: `rendered` with each placeholder of `token` replaced by
/// its kept HTML, in one pass over `rendered`, whatever order the placeholders are in. Kept
/// HTML whose placeholder the render did not write is not sent: a `Suspense` builds its
/// children once to check they are ready and drops them (see `Splices::stand_in`).
pub fn pieces(rendered: Bytes, token: &str, kept: Vec<Arc<str>>) -> VecDeque<Bytes> {
    let opening = Splices::opening(token);
    let mut kept: Vec<Option<Arc<str>>> = kept.into_iter().map(Some).collect();
    let mut pieces = VecDeque::with_capacity(kept.len() * 2 + 1);
    let mut from = 0;
    for at in memchr::memmem::find_iter(&rendered, opening.as_bytes()) {
        let rest = &rendered[at + opening.len()..];
        let Some(digits) = memchr::memmem::find(rest, Splices::CLOSING.as_bytes()) else {
            continue;
        };
        let index = std::str::from_utf8(&rest[..digits])
            .ok()
            .and_then(|digits| digits.parse::<usize>().ok());
        let Some(html) = index.and_then(|i| kept.get_mut(i)).and_then(Option::take) else {
            continue;
        };
        pieces.push_back(rendered.slice(from..at));
        pieces.push_back(Bytes::from_owner(KeptBytes(html)));
        from = at + opening.len() + digits + Splices::CLOSING.len();
    }
    pieces.push_back(rendered.slice(from..));
    pieces.retain(|piece| !piece.is_empty());
    pieces
}

/// Kept HTML as bytes a body can send without copying.
struct KeptBytes(Arc<str>);

impl AsRef<[u8]> for KeptBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A body of pieces of known total length (so the response keeps its `Content-Length`).
pub struct PiecesBody {
    pieces: VecDeque<Bytes>,
    remaining: u64,
}

impl PiecesBody {
    pub fn new(pieces: VecDeque<Bytes>) -> Self {
        let remaining = pieces.iter().map(|piece| piece.len() as u64).sum();
        Self { pieces, remaining }
    }
}

impl http_body::Body for PiecesBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let piece = self.pieces.pop_front();
        if let Some(piece) = &piece {
            self.remaining -= piece.len() as u64;
        }
        std::task::Poll::Ready(piece.map(|piece| Ok(http_body::Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;

    fn joined(pieces: &VecDeque<Bytes>) -> String {
        pieces
            .iter()
            .map(|piece| std::str::from_utf8(piece).unwrap())
            .collect()
    }

    #[test]
    fn each_placeholder_is_replaced_by_its_kept_html_in_order() {
        let token = "0123abcd";
        let rendered = format!(
            "<table><tbody>{}</tbody></table><p>between</p><tbody>{}</tbody>",
            Splices::placeholder(token, 0),
            Splices::placeholder(token, 1)
        );
        let kept: Vec<Arc<str>> = vec!["<tr>one</tr>".into(), "<tr>two</tr>".into()];
        let pieces = pieces(Bytes::from(rendered), token, kept);
        assert_eq!(
            joined(&pieces),
            "<table><tbody><tr>one</tr></tbody></table><p>between</p><tbody><tr>two</tr></tbody>"
        );
        assert_eq!(pieces.len(), 5);
    }

    #[test]
    fn placeholders_are_replaced_in_any_order_and_unplaced_html_is_dropped() {
        let token = "t0k";
        // Index 0 was noted by a build the Suspense dropped; 2 and 1 were rendered, in that
        // order.
        let rendered = format!(
            "<a>{}</a><b>{}</b>",
            Splices::placeholder(token, 2),
            Splices::placeholder(token, 1)
        );
        let kept: Vec<Arc<str>> = vec!["dropped".into(), "one".into(), "two".into()];
        let pieces = pieces(Bytes::from(rendered), token, kept);
        assert_eq!(joined(&pieces), "<a>two</a><b>one</b>");
    }

    #[test]
    fn a_placeholder_of_another_token_is_left_as_text() {
        // Text in the page shaped like a placeholder, but without this render's token (it
        // cannot have it: the token is drawn after the text was written), stays as it is.
        let forged = Splices::placeholder("guess", 0);
        let rendered = format!(
            "<p>{forged}</p><tbody>{}</tbody>",
            Splices::placeholder("real", 0)
        );
        let pieces = pieces(Bytes::from(rendered), "real", vec!["<tr>rows</tr>".into()]);
        assert_eq!(
            joined(&pieces),
            format!("<p>{forged}</p><tbody><tr>rows</tr></tbody>")
        );
    }

    #[test]
    fn kept_html_without_its_placeholder_is_not_sent_and_the_page_is_whole() {
        let rendered = Bytes::from_static(b"<p>no rows here</p>");
        let pieces = pieces(rendered, "t", vec!["<tr>lost</tr>".into()]);
        assert_eq!(joined(&pieces), "<p>no rows here</p>");
    }

    #[tokio::test]
    async fn the_body_says_its_length_and_sends_every_piece() {
        let pieces: VecDeque<Bytes> = ["ab", "cde", "f"].into_iter().map(Bytes::from).collect();
        let mut body = PiecesBody::new(pieces);
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(6));
        // What is left is what the size says, as the pieces go.
        let waker = std::task::Waker::noop();
        let first = std::pin::Pin::new(&mut body)
            .poll_frame(&mut std::task::Context::from_waker(waker))
            .map(|frame| frame.unwrap().unwrap().into_data().unwrap());
        assert_eq!(first, std::task::Poll::Ready(Bytes::from("ab")));
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(4));
        let bytes = axum::body::to_bytes(axum::body::Body::new(body), 100)
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"cdef", "the rest, after the first piece");
    }
}

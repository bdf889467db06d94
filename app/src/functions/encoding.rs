//! The encoding of every server function's answer: JSON, read in the browser as text.
//!
//! Why not server_fn's own `Json`: it reads an answer with `serde_json::from_slice`, while a
//! resource hydrating from the page reads the same type with `serde_json::from_str` (leptos'
//! default codec). Each reader monomorphises the whole deserialiser of every type a page
//! loads, so every page's WASM carried both (measured in `docs/benchmarks.md`, "What the
//! browser downloads"). Reading answers as text too leaves one. The wire format is unchanged:
//! the same bytes, the same `application/json`; a body that is not UTF-8 is refused as JSON
//! that is not UTF-8 would be.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON written with `serde_json::to_vec` and read with `serde_json::from_str`.
pub struct JsonText;

/// Answers as [`JsonText`] in the body of the `POST`'s response: `output = JsonAnswer`.
pub type JsonAnswer = Post<JsonText>;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            <serde_json::Error as serde::de::Error>::custom("the answer is not UTF-8")
        })?;
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Answer {
        name: String,
        count: u32,
    }

    #[test]
    fn an_answer_reads_back_as_it_was_written() {
        let answer = Answer {
            name: "team_a — ünïcode".into(),
            count: 7,
        };
        let bytes = <JsonText as Encodes<Answer>>::encode(&answer).unwrap();
        assert_eq!(
            bytes.as_ref(),
            serde_json::to_vec(&answer).unwrap().as_slice()
        );
        let read: Answer = <JsonText as Decodes<Answer>>::decode(bytes).unwrap();
        assert_eq!(read, answer);
    }

    #[test]
    fn a_body_that_is_not_utf8_or_not_json_is_an_error() {
        let not_utf8 = Bytes::from_static(&[b'"', 0xff, b'"']);
        assert!(<JsonText as Decodes<String>>::decode(not_utf8).is_err());
        let not_json = Bytes::from_static(b"{\"name\":");
        assert!(<JsonText as Decodes<Answer>>::decode(not_json).is_err());
    }
}

//! Canonical JSON bodies, as the gateway's canonical routes and the hub take
//! them: one message, `{"messages": [...]}` or a top-level array, turned into
//! one `iarms-json` document for the framer. A body that is not JSON is
//! refused here (400 `syntax`, at its line and column).

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;

/// A canonical body as an `iarms-json` document: one message is wrapped in
/// `{"messages": [...]}`; a document or a top-level array is taken as it is.
pub fn canonical_document(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    canonical_submission(body).map(|(document, _)| document)
}

/// [`canonical_document`], and whether the body was one message (wrapped).
pub fn canonical_submission(body: &[u8]) -> Result<(Vec<u8>, bool), ApiError> {
    let not_json = |e: serde_json::Error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "syntax",
            format!("the body is not JSON: {e}"),
        )
        .at(json!({"line": e.line(), "column": e.column()}))
    };
    match serde_json::from_slice::<TopLevel>(body).map_err(not_json)? {
        TopLevel::Message => {
            // One message is parsed in full here, so that its faults of encoding
            // and nesting are the body's (400, at the body's own positions), not
            // those of the wrapped document the framer would see. A batch's
            // are its records' own: the framer reports each and keeps the rest.
            serde_json::from_slice::<Value>(body).map_err(not_json)?;
            let mut wrapped = b"{\"messages\":[".to_vec();
            wrapped.extend_from_slice(body);
            wrapped.extend_from_slice(b"]}");
            Ok((wrapped, true))
        }
        TopLevel::Document | TopLevel::Other => Ok((body.to_vec(), false)),
    }
}

/// What a canonical body is at its top level. Found by a pass that checks the
/// syntax and skips every value without building it: the framer parses the
/// messages afterwards, and building them twice cost as much as decoding.
enum TopLevel {
    /// An object with a `messages` member.
    Document,
    /// Any other object: one message.
    Message,
    /// An array or a scalar (the framer says what is wrong with a scalar).
    Other,
}

impl<'de> Deserialize<'de> for TopLevel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<TopLevel, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

        /// A member name, compared with `messages` without keeping it.
        struct IsMessages(bool);
        impl<'de> Deserialize<'de> for IsMessages {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IsMessages, D::Error> {
                struct Name;
                impl Visitor<'_> for Name {
                    type Value = IsMessages;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a member name")
                    }
                    fn visit_str<E>(self, name: &str) -> Result<IsMessages, E> {
                        Ok(IsMessages(name == "messages"))
                    }
                }
                d.deserialize_str(Name)
            }
        }

        struct Shape;
        impl<'de> Visitor<'de> for Shape {
            type Value = TopLevel;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
                let mut shape = TopLevel::Message;
                while let Some(IsMessages(messages)) = map.next_key()? {
                    map.next_value::<IgnoredAny>()?;
                    if messages {
                        shape = TopLevel::Document;
                    }
                }
                Ok(shape)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TopLevel::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_unit<E>(self) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
        }
        deserializer.deserialize_any(Shape)
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_document;

    fn document(body: &str) -> String {
        let bytes = canonical_document(body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn one_message_is_wrapped_and_documents_pass_as_they_are() {
        let one = r#"{"kind":"record","nested":{"messages":[]}}"#;
        assert_eq!(document(one), format!(r#"{{"messages":[{one}]}}"#));
        for as_is in [
            r#"{"messages":[{"kind":"record"}]}"#,
            r#"{"x":1,"messages":[]}"#,
            r#"[{"kind":"record"}]"#,
            "42",
            "\"text\"",
            "null",
        ] {
            assert_eq!(document(as_is), as_is);
        }
    }

    #[test]
    fn bad_json_is_refused_with_its_position() {
        for (body, line, column) in [
            ("{\"kind\": \"record\",\n  oops}", 2, 3),
            ("{\"messages\": [1, 2", 1, 18),
            ("", 1, 0),
        ] {
            let error = canonical_document(body.as_bytes())
                .err()
                .unwrap_or_else(|| panic!("accepted {body:?}"));
            let text = format!("{error:?}");
            assert!(text.contains("syntax"), "{text}");
            assert!(
                text.contains(&format!("\"line\": Number({line})")),
                "{body:?}: {text}"
            );
            assert!(
                text.contains(&format!("\"column\": Number({column})")),
                "{body:?}: {text}"
            );
        }
        // A batch's deep nesting and bad encoding are its records' faults (the
        // framer reports them, keeping the other records); the skipping pass
        // does not recurse, so no stack is at risk.
        let deep = format!("[{{}}, {}{}]", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(document(&deep), deep);
        assert!(canonical_document(b"{\"messages\": [{\"serial\": \"\xff\"}]}").is_ok());
        // One message's are the body's.
        let deep = format!(
            "{{\"kind\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(canonical_document(deep.as_bytes()).is_err());
        assert!(canonical_document(b"{\"serial\": \"\xff\"}").is_err());
    }
}

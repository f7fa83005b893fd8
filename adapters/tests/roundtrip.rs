//! Property tests: every canonical encoding is lossless, alone and chained.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod arb;

use std::io::BufReader;

use iarms_adapters::{Limits, Message, Registry};
use proptest::prelude::*;

const FORMATS: [&str; 4] = ["iarms-json", "iarms-ndjson", "iarms-xml", "iarms-csv"];

fn encode(format: &str, messages: &[Message]) -> Result<Vec<u8>, String> {
    let registry = Registry::builtin();
    let adapter = registry.get(format).ok_or("no adapter")?;
    let mut out = Vec::new();
    {
        let mut encoder = adapter
            .encoder(Box::new(&mut out))
            .map_err(|e| e.to_string())?;
        for m in messages {
            encoder.write(m).map_err(|e| e.to_string())?;
        }
        encoder.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn decode(format: &str, bytes: &[u8]) -> Result<Vec<Message>, String> {
    let registry = Registry::builtin();
    let adapter = registry.get(format).ok_or("no adapter")?;
    adapter
        .decode(Box::new(BufReader::new(bytes)), Limits::default())
        .map_err(|e| e.to_string())?
        .map(|item| item.map(|d| d.message).map_err(|e| e.to_string()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_encoding_round_trips(messages in arb::messages_of_one_kind()) {
        for format in FORMATS {
            let bytes = encode(format, &messages).map_err(TestCaseError::fail)?;
            let back = decode(format, &bytes)
                .map_err(|e| TestCaseError::fail(format!("{format}: {e}\n{}", String::from_utf8_lossy(&bytes))))?;
            prop_assert_eq!(&back, &messages, "{} changed the messages", format);
        }
    }

    #[test]
    fn mixed_kinds_round_trip_in_document_formats(messages in proptest::collection::vec(arb::message(), 0..6)) {
        for format in ["iarms-json", "iarms-ndjson", "iarms-xml"] {
            let bytes = encode(format, &messages).map_err(TestCaseError::fail)?;
            let back = decode(format, &bytes).map_err(TestCaseError::fail)?;
            prop_assert_eq!(&back, &messages, "{} changed the messages", format);
        }
    }

    #[test]
    fn converting_across_all_four_encodings_is_lossless(messages in arb::messages_of_one_kind()) {
        let mut current = messages.clone();
        for format in FORMATS.iter().chain(FORMATS.iter().rev()) {
            let bytes = encode(format, &current).map_err(TestCaseError::fail)?;
            current = decode(format, &bytes).map_err(TestCaseError::fail)?;
        }
        prop_assert_eq!(current, messages);
    }
}

//! Feeds arbitrary bytes to every canonical decoder and the normalise/validate
//! pipeline. The first byte picks the format; the rest is the input. A panic,
//! an abort or runaway memory is a bug.
#![no_main]

use std::io::BufReader;

use iarms_adapters::pipeline::prepare;
use iarms_adapters::{Limits, Registry};
use libfuzzer_sys::fuzz_target;

const FORMATS: [&str; 4] = ["iarms-json", "iarms-ndjson", "iarms-xml", "iarms-csv"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(selector) % FORMATS.len()];
    let registry = Registry::builtin();
    let Some(adapter) = registry.get(format) else {
        return;
    };
    if let Ok(stream) = adapter.decode(Box::new(BufReader::new(input)), Limits::default()) {
        for decoded in stream.flatten() {
            let _ = prepare(decoded);
        }
    }
});

//! Every canonical decoder at once: the first byte picks iarms-json, iarms-ndjson, iarms-xml or iarms-csv (kept from the first fuzzing round; its corpus mixes formats).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    const FORMATS: [&str; 4] = ["iarms-json", "iarms-ndjson", "iarms-xml", "iarms-csv"];
    if let Some((&selector, input)) = data.split_first() {
        iarms_fuzz::decode_format(FORMATS[usize::from(selector) % FORMATS.len()], input);
    }
});

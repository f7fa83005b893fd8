//! Arbitrary bytes through the `registry-rs-trace-request` decoder, the normalise/validate pipeline and back through its encoder.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iarms_fuzz::decode_format("registry-rs-trace-request", data);
});

//! A mapping file (TOML) and a native input, separated by a NUL byte: the mapping is compiled (checker and loader) and run both ways on the input (decode, normalise, validate, encode).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iarms_fuzz::run_mapping(data);
});

//! Arbitrary text as gateway.toml: every fault must come back as a located error. Paths resolve inside a folder that does not exist, so nothing outside is read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = iarms_gateway::config::Config::parse(
            text,
            std::path::Path::new("/nonexistent/iarms-fuzz/gateway.toml"),
        );
    }
});

//! Arbitrary text as hub.toml: every fault must come back as a located error. Paths resolve inside a folder that does not exist.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = iarms_gateway::hub::config::HubConfig::parse(
            text,
            std::path::Path::new("/nonexistent/iarms-fuzz/hub.toml"),
        );
    }
});

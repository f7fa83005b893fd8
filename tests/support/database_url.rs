//! Whether a PostgreSQL test runs: the one decision shared by the black-box
//! tests (`tests/support`) and the library's store and hub suites
//! (`gateway/src/test_support.rs` includes this file), so both behave alike.
//!
//! Without `DATABASE_URL` a developer's run skips the PostgreSQL tests with a
//! notice; under CI (`CI` set and non-empty) that would hide a broken setup
//! behind green tests, so the test fails instead.

use std::io::Write;
use std::sync::Mutex;

/// `DATABASE_URL` for the PostgreSQL tests named `what`, or `None` (with a
/// notice on stderr, once per `what`) when it is unset or empty. Panics when
/// it is missing and `CI` is set.
pub fn database_url(what: &str) -> Option<String> {
    let url = std::env::var("DATABASE_URL").unwrap_or_default();
    if !url.is_empty() {
        return Some(url);
    }
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    assert!(
        !ci,
        "DATABASE_URL is not set, and CI is: the PostgreSQL {what} tests must run under CI \
         (export DATABASE_URL=postgres://USER@HOST:PORT/DB, or unset CI to skip them)"
    );
    // The real stderr: libtest captures the output of passing tests, and a
    // skipped PostgreSQL run must be seen.
    static SHOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    if let Ok(mut shown) = SHOWN.lock() {
        if !shown.iter().any(|s| s == what) {
            shown.push(what.to_string());
            let _ = writeln!(
                std::io::stderr(),
                "notice: DATABASE_URL not set; skipping the PostgreSQL {what} tests"
            );
        }
    }
    None
}

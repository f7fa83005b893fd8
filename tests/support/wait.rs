//! Waiting in tests: one polling helper, so every wait has a deadline and a
//! failure names what was awaited and where.

use std::fmt::Display;
use std::future::Future;
use std::panic::Location;
use std::time::{Duration, Instant};

/// How often a condition is asked again.
const POLL: Duration = Duration::from_millis(50);

/// Polls `condition` until it is true; panics after `within`, naming `what`
/// and the calling test's file and line.
#[track_caller]
pub fn wait_until<W, F, Fut>(
    within: Duration,
    what: W,
    mut condition: F,
) -> impl Future<Output = ()>
where
    W: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let at = Location::caller();
    async move {
        let deadline = Instant::now() + within;
        loop {
            if condition().await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{at}: gave up after {within:?} waiting for {what}"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

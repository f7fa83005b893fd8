//! Periodic upkeep of a service's store: forgetting the `Idempotency-Key`s
//! older than their retention, so the table stays as large as a retention's
//! worth of requests instead of growing for ever.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::store::Store;

/// How often the purge runs for `retention`: an eighth of it, between a
/// second and an hour, so a key outlives its retention by at most an eighth.
pub fn purge_every(retention: Duration) -> Duration {
    (retention / 8).clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

/// Purges idempotency keys older than `retention` at start and then every
/// [`purge_every`], until `stop`. A failed purge is logged and tried again at
/// the next tick (the store may be down for a while).
pub fn spawn_purge(
    store: Arc<dyn Store>,
    retention: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let every = purge_every(retention);
    tokio::spawn(async move {
        while !*stop.borrow() {
            match store.purge_idempotency(retention).await {
                Ok(0) => {}
                Ok(purged) => {
                    tracing::info!(purged, "idempotency keys past their retention purged")
                }
                Err(e) => tracing::warn!(error = %e, "the idempotency purge failed; retried later"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_runs_an_eighth_of_the_retention_within_bounds() {
        assert_eq!(
            purge_every(Duration::from_secs(7 * 86_400)),
            Duration::from_secs(3600)
        );
        assert_eq!(
            purge_every(Duration::from_secs(80)),
            Duration::from_secs(10)
        );
        assert_eq!(purge_every(Duration::from_secs(2)), Duration::from_secs(1));
    }
}

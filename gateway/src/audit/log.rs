//! Reading a stored log: verifying it whole, listing its tail, exporting a
//! time slice as a [`Bundle`]. The log is read through [`AuditLog`], which the
//! store implements, so the audit trail needs nothing of the store above it.

use async_trait::async_trait;
use serde::Serialize;

use super::bundle::Bundle;
use super::chain::{Break, Chain};
use super::checkpoint::Checkpoint;
use super::entry::AuditEntry;
use super::evidence::{StoredBody, StoredDelivery};
use super::{BUNDLE_FORMAT, GENESIS};
use crate::time::{rfc3339, Millis};

/// Entries read per query while walking the log.
const PAGE: u32 = 1000;

/// A stored audit log, read in `seq` order.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// The store's error; an entry the log should hold but does not becomes one.
    type Error: From<MissingEntry> + Send;

    /// Up to `limit` entries after `after_seq`, in order.
    async fn entries_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, Self::Error>;

    /// The first and last seq of the entries stamped in `[from, to)`; `None` when
    /// there are none.
    async fn seq_span(&self, from: Millis, to: Millis) -> Result<Option<(i64, i64)>, Self::Error>;

    /// The entry with the highest seq, as `(seq, hash)`; `None` for an empty log.
    async fn head(&self) -> Result<Option<(i64, String)>, Self::Error>;

    /// Every stored checkpoint, oldest first.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, Self::Error>;

    /// The most recent checkpoint.
    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, Self::Error>;

    /// Stores a signed checkpoint.
    async fn add_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), Self::Error>;

    /// Up to `limit` stored message bodies after message `after_seq`, in order.
    async fn bodies_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredBody>, Self::Error>;

    /// Up to `limit` deliveries after delivery `after_id`, in order.
    async fn deliveries_after(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredDelivery>, Self::Error>;
}

/// An entry that a slice of the log needs is not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {0} is missing")]
pub struct MissingEntry(pub i64);

/// A log that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub checked: u64,
    /// The last entry's hash (`GENESIS` for an empty log): keep it, and a later
    /// verification that does not reach it means entries were cut off the end.
    pub head_hash: String,
}

/// Walks the whole log in order. `Ok(Err(_))` names the first broken entry.
pub async fn verify_store<L: AuditLog + ?Sized>(
    log: &L,
) -> Result<Result<Verified, Break>, L::Error> {
    let mut chain = Chain::new();
    let mut after = 0;
    loop {
        let page = log.entries_after(after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        for entry in &page {
            if let Err(broken) = chain.check(entry) {
                return Ok(Err(broken));
            }
        }
    }
    Ok(Ok(Verified {
        checked: chain.checked(),
        head_hash: chain.head().to_string(),
    }))
}

/// The entries with `first <= seq <= last`, in order.
pub async fn read_range<L: AuditLog + ?Sized>(
    log: &L,
    first: i64,
    last: i64,
) -> Result<Vec<AuditEntry>, L::Error> {
    let mut entries = Vec::new();
    let mut after = first - 1;
    while after < last {
        let page = log.entries_after(after, PAGE).await?;
        let Some(end) = page.last().map(|e| e.seq) else {
            break;
        };
        entries.extend(page.into_iter().filter(|e| e.seq <= last));
        after = end;
    }
    Ok(entries)
}

/// The last `count` entries, in order.
pub async fn tail<L: AuditLog + ?Sized>(log: &L, count: u32) -> Result<Vec<AuditEntry>, L::Error> {
    match log.seq_span(Millis::MIN, Millis::MAX).await? {
        None => Ok(Vec::new()),
        Some((_, last)) => {
            // Not clamped at 1: rows with seq <= 0 are shown as verify reports them.
            let first = last.saturating_sub(i64::from(count)).saturating_add(1);
            read_range(log, first, last).await
        }
    }
}

/// The bundle of the entries stamped in `[from, to)` (either end open): every
/// entry from the first to the last of those, in seq order (replicas' clocks may
/// differ slightly, so a few entries just outside the range may come along),
/// with the hash of the entry before the first.
pub async fn export<L: AuditLog + ?Sized>(
    log: &L,
    from: Option<Millis>,
    to: Option<Millis>,
    now: Millis,
) -> Result<Bundle, L::Error> {
    let span = log
        .seq_span(from.unwrap_or(Millis::MIN), to.unwrap_or(Millis::MAX))
        .await?;
    let (prev_seq, prev_hash, entries) = match span {
        None => (0, GENESIS.to_string(), Vec::new()),
        Some((first, last)) => {
            let (prev_seq, prev_hash) = if first > 1 {
                let before = read_range(log, first - 1, first - 1).await?;
                let hash = before
                    .first()
                    .map(|e| e.hash.clone())
                    .ok_or(MissingEntry(first - 1))?;
                (first - 1, hash)
            } else {
                (0, GENESIS.to_string())
            };
            (prev_seq, prev_hash, read_range(log, first, last).await?)
        }
    };
    Ok(Bundle {
        format: BUNDLE_FORMAT.to_string(),
        from: from.map(rfc3339),
        to: to.map(rfc3339),
        exported_at: rfc3339(now),
        prev_seq,
        head_hash: entries
            .last()
            .map_or_else(|| prev_hash.clone(), |e| e.hash.clone()),
        prev_hash,
        entries,
        checkpoint: None,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::super::chain::tests::events;
    use super::super::link;
    use super::*;

    /// A log in memory, to read without a store.
    struct Memory(Mutex<Vec<AuditEntry>>);

    #[derive(Debug, PartialEq)]
    struct Missing(i64);

    impl From<MissingEntry> for Missing {
        fn from(e: MissingEntry) -> Missing {
            Missing(e.0)
        }
    }

    #[async_trait]
    impl AuditLog for Memory {
        type Error = Missing;

        async fn entries_after(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>, Missing> {
            let entries = self.0.lock().expect("lock");
            Ok(entries
                .iter()
                .filter(|e| e.seq > after)
                .take(limit as usize)
                .cloned()
                .collect())
        }

        async fn seq_span(&self, from: Millis, to: Millis) -> Result<Option<(i64, i64)>, Missing> {
            let entries = self.0.lock().expect("lock");
            let seqs = || {
                entries
                    .iter()
                    .filter(|e| e.at >= from && e.at < to)
                    .map(|e| e.seq)
            };
            Ok(seqs().min().zip(seqs().max()))
        }

        async fn head(&self) -> Result<Option<(i64, String)>, Missing> {
            let entries = self.0.lock().expect("lock");
            Ok(entries.last().map(|e| (e.seq, e.hash.clone())))
        }

        async fn checkpoints(&self) -> Result<Vec<Checkpoint>, Missing> {
            Ok(Vec::new())
        }

        async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, Missing> {
            Ok(None)
        }

        async fn add_checkpoint(&self, _: &Checkpoint) -> Result<(), Missing> {
            Ok(())
        }

        async fn bodies_after(&self, _: i64, _: u32) -> Result<Vec<StoredBody>, Missing> {
            Ok(Vec::new())
        }

        async fn deliveries_after(&self, _: i64, _: u32) -> Result<Vec<StoredDelivery>, Missing> {
            Ok(Vec::new())
        }
    }

    #[tokio::test]
    async fn a_log_is_read_verified_and_exported_through_the_trait() {
        let first = link(None, 10, &events(1500));
        let head = first.last().map(|e| (e.seq, e.hash.clone()));
        let mut all = first;
        all.extend(link(head, 20, &events(3)));
        let log = Memory(Mutex::new(all.clone()));

        let verified = verify_store(&log).await.expect("read").expect("intact");
        assert_eq!(verified.checked, 1503);
        assert_eq!(verified.head_hash, all[1502].hash);
        let last = tail(&log, 2).await.expect("tail");
        assert_eq!(last.iter().map(|e| e.seq).collect::<Vec<_>>(), [1502, 1503]);

        let bundle = export(&log, Some(20), None, 30).await.expect("export");
        assert_eq!((bundle.prev_seq, bundle.entries.len()), (1500, 3));
        assert_eq!(bundle.verify().expect("verifies"), 3);

        // The entry before the slice is gone: the export says which.
        log.0.lock().expect("lock").retain(|e| e.seq != 1500);
        assert_eq!(
            export(&log, Some(20), None, 30).await.map(|b| b.prev_seq),
            Err(Missing(1500))
        );
        assert!(verify_store(&log).await.expect("read").is_err());
    }
}

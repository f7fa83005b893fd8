//! Exported slices of the log that verify on their own.

use serde::{Deserialize, Serialize};

use super::chain::{Break, Chain};
use super::checkpoint::Checkpoint;
use super::entry::AuditEntry;
use super::signing::{KeyError, PublicKey};
use super::BUNDLE_FORMAT;

/// A slice of the log that verifies on its own: the entries plus the hash of the
/// entry before the first (`GENESIS` and 0 when the slice starts the log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    /// The time range asked for, RFC 3339 (`to` exclusive).
    pub from: Option<String>,
    pub to: Option<String>,
    pub exported_at: String,
    pub prev_seq: i64,
    pub prev_hash: String,
    /// The hash of the last entry (the `prev_hash` when there is none).
    pub head_hash: String,
    pub entries: Vec<AuditEntry>,
    /// The signed checkpoint of `head_hash`, made by the export (absent when
    /// the exporter has no signing key, and in bundles of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not an audit bundle: {0}")]
    Format(String),
    #[error("{0}")]
    Broken(#[from] Break),
    #[error("head_hash {stated} is not the hash of the last entry {actual}")]
    Head { stated: String, actual: String },
    #[error("the bundle carries no signed checkpoint of its head")]
    Unsigned,
    #[error("the checkpoint is of entry {seq} with hash {hash}, not of the bundle's head")]
    CheckpointHead { seq: i64, hash: String },
    #[error("the checkpoint's signature: {0}")]
    Signature(#[from] KeyError),
}

impl Bundle {
    /// Checks the slice: its format, its chain from `prev_hash`, and its head.
    /// Returns the number of entries checked.
    pub fn verify(&self) -> Result<u64, BundleError> {
        if self.format != BUNDLE_FORMAT {
            return Err(BundleError::Format(format!(
                "format `{}`, expected `{BUNDLE_FORMAT}`",
                self.format
            )));
        }
        let mut chain = Chain::after(self.prev_seq, self.prev_hash.clone());
        for entry in &self.entries {
            chain.check(entry)?;
        }
        if chain.head() != self.head_hash {
            return Err(BundleError::Head {
                stated: self.head_hash.clone(),
                actual: chain.head().to_string(),
            });
        }
        Ok(chain.checked())
    }

    /// [`Bundle::verify`], and its head signed by one of the trusted keys.
    pub fn verify_signed(&self, trusted: &[PublicKey]) -> Result<u64, BundleError> {
        let checked = self.verify()?;
        let checkpoint = self.checkpoint.as_ref().ok_or(BundleError::Unsigned)?;
        let head_seq = self.entries.last().map_or(self.prev_seq, |e| e.seq);
        if checkpoint.seq != head_seq || checkpoint.head_hash != self.head_hash {
            return Err(BundleError::CheckpointHead {
                seq: checkpoint.seq,
                hash: checkpoint.head_hash.clone(),
            });
        }
        checkpoint.verify(trusted)?;
        Ok(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::super::chain::tests::events;
    use super::super::{link, rfc3339};
    use super::*;

    #[test]
    fn a_bundle_slice_verifies_on_its_own() {
        let entries = link(None, 1, &events(5));
        let bundle = Bundle {
            format: BUNDLE_FORMAT.to_string(),
            from: None,
            to: None,
            exported_at: rfc3339(0),
            prev_seq: 2,
            prev_hash: entries[1].hash.clone(),
            head_hash: entries[4].hash.clone(),
            entries: entries[2..].to_vec(),
            checkpoint: None,
        };
        assert_eq!(bundle.verify().expect("verifies"), 3);
        let mut cut = bundle.clone();
        cut.entries.pop();
        assert!(matches!(cut.verify(), Err(BundleError::Head { .. })));
    }
}

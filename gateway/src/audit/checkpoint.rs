//! Signed checkpoints of the chain's head: what makes the trail survive
//! somebody who can write to the store. Anybody can recompute the hash chain
//! after editing an entry (the algorithm is public, it has no secret); nobody
//! without the signing key can sign the new head. A checkpoint is
//! `(seq, head_hash, at)` signed with the gateway's (or the hub's) Ed25519
//! key, taken at least every minute while entries are added and at every
//! export, and kept in the store (table `audit_checkpoints`) and in bundles.
//!
//! # The signed text (format `iarms-audit-checkpoint/1`)
//! The JSON array `["iarms-audit-checkpoint/1", seq, head_hash, at]` without
//! whitespace (strings and integers only, so also its RFC 8785 form), as UTF-8.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::log::AuditLog;
use super::signing::{KeyError, PublicKey, SigningKey};
use super::GENESIS;
use crate::time::{Clock, Millis};

/// The version tag that starts every signed checkpoint text.
pub const CHECKPOINT_FORMAT: &str = "iarms-audit-checkpoint/1";

/// A signed head of the chain, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Checkpoint {
    /// The seq of the head entry (0: the empty log).
    pub seq: i64,
    /// The hash of that entry (`GENESIS` for the empty log).
    pub head_hash: String,
    /// When it was signed, epoch milliseconds.
    pub at: Millis,
    /// The signer's public key (base64), so an auditor sees which key signed;
    /// verification uses the key the auditor trusts, never this one.
    pub public_key: String,
    /// The base64 Ed25519 signature of [`Checkpoint::signed_text`].
    pub signature: String,
}

impl Checkpoint {
    /// Signs the head `(seq, head_hash)` at `at`.
    pub fn sign(seq: i64, head_hash: &str, at: Millis, key: &SigningKey) -> Checkpoint {
        let text = signed_text(seq, head_hash, at);
        Checkpoint {
            seq,
            head_hash: head_hash.to_string(),
            at,
            public_key: key.public().to_string(),
            signature: key.sign(text.as_bytes()),
        }
    }

    /// The text the signature covers.
    pub fn signed_text(&self) -> String {
        signed_text(self.seq, &self.head_hash, self.at)
    }

    /// Whether one of the trusted keys signed this checkpoint.
    pub fn verify(&self, trusted: &[PublicKey]) -> Result<(), KeyError> {
        let text = self.signed_text();
        let mut last = KeyError::BadSignature(self.public_key.clone());
        for key in trusted {
            match key.verify(text.as_bytes(), &self.signature) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// Signs and stores the log's current head, unless the last checkpoint
/// already signs it (`force`: sign anyway, as at an export). Returns the new
/// checkpoint.
pub async fn checkpoint_now<L: AuditLog + ?Sized>(
    log: &L,
    key: &SigningKey,
    now: Millis,
    force: bool,
) -> Result<Option<Checkpoint>, L::Error> {
    let (seq, hash) = log.head().await?.unwrap_or((0, GENESIS.to_string()));
    if !force {
        if let Some(last) = log.last_checkpoint().await? {
            if last.seq == seq
                && last.head_hash == hash
                && last.public_key == key.public().to_string()
            {
                return Ok(None);
            }
        }
    }
    let checkpoint = Checkpoint::sign(seq, &hash, now, key);
    log.add_checkpoint(&checkpoint).await?;
    Ok(Some(checkpoint))
}

/// Checkpoints the head every `every` while entries are added, and once more
/// when `stop` turns true (the service is stopping).
pub async fn run_checkpoints<L: AuditLog + ?Sized>(
    log: &L,
    key: &SigningKey,
    clock: &dyn Clock,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) where
    L::Error: std::fmt::Display,
{
    loop {
        match checkpoint_now(log, key, clock.now(), false).await {
            Ok(Some(c)) => tracing::debug!(seq = c.seq, "audit checkpoint signed"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot sign an audit checkpoint; trying again"),
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
}

fn signed_text(seq: i64, head_hash: &str, at: Millis) -> String {
    // Strings and integers always serialise: the default is never taken.
    serde_json::to_string(&(CHECKPOINT_FORMAT, seq, head_hash, at)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::GENESIS;
    use super::*;

    #[test]
    fn a_checkpoint_verifies_with_its_key_only_and_covers_every_field() {
        let key = SigningKey::generate().expect("key");
        let other = SigningKey::generate().expect("key");
        let checkpoint = Checkpoint::sign(3, GENESIS, 17, &key);
        assert_eq!(
            checkpoint.signed_text(),
            format!(r#"["iarms-audit-checkpoint/1",3,"{GENESIS}",17]"#)
        );
        checkpoint.verify(&[key.public()]).expect("verifies");
        checkpoint
            .verify(&[other.public(), key.public()])
            .expect("one trusted key suffices");
        assert!(checkpoint.verify(&[other.public()]).is_err());
        assert!(checkpoint.verify(&[]).is_err());
        for altered in [
            Checkpoint {
                seq: 4,
                ..checkpoint.clone()
            },
            Checkpoint {
                at: 18,
                ..checkpoint.clone()
            },
            Checkpoint {
                head_hash: "1".repeat(64),
                ..checkpoint.clone()
            },
        ] {
            assert!(altered.verify(&[key.public()]).is_err());
        }
    }
}

//! The hash chain: entries numbered and linked after the chain head when they
//! are appended ([`link`]), and checked one by one when they are read ([`Chain`]).

use sha2::{Digest, Sha256};

use super::entry::{AuditEntry, AuditEvent};
use super::GENESIS;
use crate::time::Millis;

/// `hex(SHA-256(prev_hash || canonical))`.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// Numbers, stamps and chains `events` after the chain head `(seq, hash)`
/// (`None`: the log is empty). The caller holds the chain's append lock.
pub fn link(head: Option<(i64, String)>, at: Millis, events: &[AuditEvent]) -> Vec<AuditEntry> {
    let (mut seq, mut prev_hash) = head.unwrap_or((0, GENESIS.to_string()));
    events
        .iter()
        .map(|event| {
            seq += 1;
            let mut entry = AuditEntry {
                seq,
                at,
                actor: event.actor.clone(),
                action: event.action.as_str().to_string(),
                subject: event.subject.clone(),
                kind: event.kind.clone(),
                partner: event.partner.clone(),
                details: event.details.to_string(),
                prev_hash: std::mem::take(&mut prev_hash),
                hash: String::new(),
            };
            entry.hash = entry.computed_hash();
            prev_hash = entry.hash.clone();
            entry
        })
        .collect()
}

/// What is wrong with the first broken entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("gap: entry {expected} expected, entries {expected}..{} are missing", .found - 1)]
    Gap { expected: i64, found: i64 },
    #[error("out of order: entry {expected} expected")]
    OutOfOrder { expected: i64 },
    #[error("broken link: prev_hash {found} is not the previous entry's hash {expected}")]
    BrokenLink { expected: String, found: String },
    #[error("hash mismatch: stored {stored}, contents hash to {computed} (the entry was altered)")]
    HashMismatch { stored: String, computed: String },
}

/// The first broken entry of a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {problem}")]
pub struct Break {
    pub seq: i64,
    pub problem: Problem,
}

/// Checks entries one by one, in `seq` order.
#[derive(Debug, Clone)]
pub struct Chain {
    next_seq: i64,
    prev_hash: String,
    checked: u64,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain::new()
    }
}

impl Chain {
    /// A chain from its first entry.
    pub fn new() -> Chain {
        Chain::after(0, GENESIS.to_string())
    }

    /// A chain that continues after entry `seq` whose hash was `hash` (a bundle).
    pub fn after(seq: i64, hash: String) -> Chain {
        Chain {
            next_seq: seq + 1,
            prev_hash: hash,
            checked: 0,
        }
    }

    /// Entries checked so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The hash of the last entry checked (the chain head).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }

    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), Break> {
        let broken = |problem| Break {
            seq: entry.seq,
            problem,
        };
        if entry.seq > self.next_seq {
            return Err(broken(Problem::Gap {
                expected: self.next_seq,
                found: entry.seq,
            }));
        }
        if entry.seq < self.next_seq {
            return Err(broken(Problem::OutOfOrder {
                expected: self.next_seq,
            }));
        }
        if entry.prev_hash != self.prev_hash {
            return Err(broken(Problem::BrokenLink {
                expected: self.prev_hash.clone(),
                found: entry.prev_hash.clone(),
            }));
        }
        let computed = entry.computed_hash();
        if computed != entry.hash {
            return Err(broken(Problem::HashMismatch {
                stored: entry.hash.clone(),
                computed,
            }));
        }
        self.next_seq += 1;
        self.prev_hash = entry.hash.clone();
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::Action;
    use super::*;

    pub(crate) fn events(n: usize) -> Vec<AuditEvent> {
        (0..n)
            .map(|i| {
                AuditEvent::new("rs", Action::Accepted)
                    .subject(format!("m-{i}"))
                    .kind("record")
                    .details(serde_json::json!({"n": i}))
            })
            .collect()
    }

    #[test]
    fn a_linked_chain_verifies_and_continues() {
        let first = link(None, 1, &events(3));
        let second = link(Some((3, first[2].hash.clone())), 2, &events(2));
        let mut chain = Chain::new();
        for entry in first.iter().chain(&second) {
            chain.check(entry).expect("verifies");
        }
        assert_eq!(chain.checked(), 5);
        assert_eq!(second[1].seq, 5);
        assert_eq!(first[0].prev_hash, GENESIS);
    }

    #[test]
    fn the_hash_is_documented_sha256_over_prev_and_canonical() {
        let entry = &link(None, 7, &[AuditEvent::new("op", Action::Replayed)])[0];
        assert_eq!(
            entry.canonical(),
            r#"["iarms-audit/1",1,7,"op","replayed",null,null,null,"{}"]"#
        );
        let mut hasher = Sha256::new();
        hasher.update(GENESIS);
        hasher.update(entry.canonical());
        assert_eq!(entry.hash, hex::encode(hasher.finalize()));
    }

    #[test]
    fn tampering_gaps_and_relinking_are_named() {
        let entries = link(None, 1, &events(4));

        let mut altered = entries.clone();
        altered[1].details = r#"{"n":99}"#.to_string();
        let broken = verify_all(&altered).expect_err("altered");
        assert_eq!(broken.seq, 2);
        assert!(matches!(broken.problem, Problem::HashMismatch { .. }));

        let mut gap = entries.clone();
        gap.remove(1);
        let broken = verify_all(&gap).expect_err("gap");
        assert_eq!(broken.seq, 3);
        assert_eq!(
            broken.problem,
            Problem::Gap {
                expected: 2,
                found: 3
            }
        );

        // Altered and re-hashed: the next entry's link breaks.
        let mut rehashed = entries.clone();
        rehashed[1].details = r#"{"n":99}"#.to_string();
        rehashed[1].hash = rehashed[1].computed_hash();
        let broken = verify_all(&rehashed).expect_err("relinked");
        assert_eq!(broken.seq, 3);
        assert!(matches!(broken.problem, Problem::BrokenLink { .. }));
    }

    fn verify_all(entries: &[AuditEntry]) -> Result<u64, Break> {
        let mut chain = Chain::new();
        for entry in entries {
            chain.check(entry)?;
        }
        Ok(chain.checked())
    }
}

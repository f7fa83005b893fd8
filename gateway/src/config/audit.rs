//! `[audit]`: the Ed25519 key the gateway (or the hub, in `hub.toml`) signs
//! its audit checkpoints with, how often it signs, and the public keys an
//! audit trusts besides its own (keys used before a rotation).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::check::{resolve_path, Checker};
use crate::audit::{PublicKey, SigningKey};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAudit {
    signing_key: Option<Spanned<String>>,
    checkpoint_interval: Option<Spanned<String>>,
    #[serde(default)]
    trusted_keys: Vec<Spanned<String>>,
}

/// The checked `[audit]` table.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The key checkpoints are signed with; `None`: none are signed.
    pub signing_key: Option<SigningKey>,
    pub signing_key_file: Option<PathBuf>,
    /// How often the head is signed while entries are added (default 60 s).
    pub checkpoint_interval: Duration,
    /// Public keys whose checkpoints `audit verify` accepts besides the
    /// signing key's own.
    pub trusted_keys: Vec<PublicKey>,
}

impl Default for Audit {
    fn default() -> Audit {
        Audit {
            signing_key: None,
            signing_key_file: None,
            checkpoint_interval: DEFAULT_INTERVAL,
            trusted_keys: Vec::new(),
        }
    }
}

/// "At least every minute while entries are added."
const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

impl Audit {
    /// The keys `audit verify` trusts: the signing key's public key and the
    /// configured ones.
    pub fn trusted(&self) -> Vec<PublicKey> {
        self.signing_key
            .iter()
            .map(SigningKey::public)
            .chain(self.trusted_keys.iter().copied())
            .collect()
    }
}

impl Checker<'_> {
    /// A peer's Ed25519 public key (base64, as `keygen` prints it), whose
    /// HTTP message signatures are then required.
    pub(crate) fn public_key(
        &mut self,
        raw: Option<&Spanned<String>>,
        key: &str,
    ) -> Option<PublicKey> {
        let raw = raw?;
        match raw.get_ref().parse::<PublicKey>() {
            Ok(public) => Some(public),
            Err(e) => {
                self.error(raw.span(), key, e.to_string());
                None
            }
        }
    }

    /// `[audit]`: the key is read (and refused when others may read it) now,
    /// so a wrong path fails at start-up, at its line.
    pub(crate) fn audit(&mut self, raw: &RawAudit, base: &Path) -> Audit {
        let mut audit = Audit::default();
        if let Some(path) = &raw.signing_key {
            let file = resolve_path(base, path.get_ref());
            match SigningKey::load(&file) {
                Ok(key) => audit.signing_key = Some(key),
                Err(e) => self.error(path.span(), "audit.signing_key", e.to_string()),
            }
            audit.signing_key_file = Some(file);
        }
        if let Some(interval) = &raw.checkpoint_interval {
            if let Some(d) = self.duration(
                interval.get_ref(),
                interval.span(),
                "audit.checkpoint_interval",
            ) {
                if d.is_zero() || d > DEFAULT_INTERVAL {
                    self.error(
                        interval.span(),
                        "audit.checkpoint_interval",
                        "must be longer than 0 and at most 60s (a checkpoint at least every minute)",
                    );
                } else {
                    audit.checkpoint_interval = d;
                }
            }
        }
        for key in &raw.trusted_keys {
            match key.get_ref().parse::<PublicKey>() {
                Ok(public) => audit.trusted_keys.push(public),
                Err(e) => self.error(key.span(), "audit.trusted_keys", e.to_string()),
            }
        }
        audit
    }
}

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::audit::SigningKey;
    use crate::config::Config;

    const HEAD: &str =
        "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n";

    fn faults(text: &str, path: &Path) -> Vec<(Option<usize>, Option<String>, String)> {
        match Config::parse(text, path) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .0
                .into_iter()
                .map(|e| (e.line, e.key, e.message))
                .collect(),
        }
    }

    #[test]
    fn the_audit_key_and_the_peer_key_are_read_and_checked_at_their_lines() {
        let dir = tempfile::tempdir().expect("dir");
        let config = dir.path().join("gateway.toml");
        let key = SigningKey::generate().expect("key");
        key.write_new(&dir.path().join("audit.key")).expect("key");
        let good = format!(
            "{HEAD}[audit]\nsigning_key = \"audit.key\"\ncheckpoint_interval = \"30s\"\n\n[hub]\nurl = \"http://127.0.0.1:9\"\npublic_key = \"{}\"\n",
            key.public()
        );
        let (parsed, _) = Config::parse(&good, &config).expect("valid");
        assert_eq!(
            parsed.audit.signing_key.as_ref().map(SigningKey::public),
            Some(key.public())
        );
        assert_eq!(parsed.audit.checkpoint_interval.as_secs(), 30);
        assert_eq!(parsed.hub.public_key, Some(key.public()));
        assert_eq!(parsed.audit.trusted(), [key.public()]);

        let bad = format!(
            "{HEAD}[audit]\nsigning_key = \"missing.key\"\ncheckpoint_interval = \"5m\"\ntrusted_keys = [\"nope\"]\n\n[hub]\nurl = \"http://127.0.0.1:9\"\npublic_key = \"AAAA\"\n"
        );
        let found = faults(&bad, &config);
        let at = |line: usize, key: &str| {
            found
                .iter()
                .any(|(l, k, _)| *l == Some(line) && k.as_deref() == Some(key))
        };
        assert!(at(7, "audit.signing_key"), "{found:?}");
        assert!(at(8, "audit.checkpoint_interval"), "{found:?}");
        assert!(at(9, "audit.trusted_keys"), "{found:?}");
        assert!(at(13, "hub.public_key"), "{found:?}");
    }
}

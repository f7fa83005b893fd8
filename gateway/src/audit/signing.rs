//! The Ed25519 key a gateway or a hub signs its evidence with (checkpoints of
//! the audit chain, messages to its peer), and the public key others verify
//! it with.
//!
//! The key file is PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form
//! `openssl genpkey -algorithm ed25519` writes, created 0600 by
//! `iarms-gateway keygen`. A public key is written as the standard base64 of
//! its 32 bytes (RFC 8032), which is also its key id in message signatures.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, Verifier};

/// What can go wrong with a key or a signature.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: cannot read the signing key: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not an Ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): {reason}")]
    Parse { path: String, reason: String },
    #[error(
        "{path}: the signing key is readable by its group or others (mode {mode:o}); chmod 600 it"
    )]
    Exposed { path: String, mode: u32 },
    #[error("{path}: cannot write the key: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot draw a random key: {0}")]
    Random(String),
    #[error("`{0}` is not an Ed25519 public key (the base64 of 32 bytes)")]
    PublicKey(String),
    #[error("`{0}` is not an Ed25519 signature (the base64 of 64 bytes)")]
    SignatureText(String),
    #[error("the signature does not verify with public key {0}")]
    BadSignature(String),
}

/// A private key; never printed.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey(public {})", self.public())
    }
}

/// A public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&STANDARD.encode(self.0.as_bytes()))
    }
}

impl std::str::FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<PublicKey, KeyError> {
        let bad = || KeyError::PublicKey(text.to_string());
        let bytes: [u8; 32] = STANDARD
            .decode(text.trim())
            .map_err(|_| bad())?
            .try_into()
            .map_err(|_| bad())?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| bad())
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SigningKey, KeyError> {
        let mut seed = [0_u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SigningKey(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// The key of a PKCS#8 PEM text.
    pub fn from_pem(text: &str, path: &str) -> Result<SigningKey, KeyError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(text)
            .map(SigningKey)
            .map_err(|e| KeyError::Parse {
                path: path.to_string(),
                reason: e.to_string(),
            })
    }

    /// Reads a key file, refusing one that others may read: a key anybody on
    /// the machine can copy proves nothing.
    pub fn load(path: &Path) -> Result<SigningKey, KeyError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: shown.clone(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(|source| KeyError::Read {
                    path: shown.clone(),
                    source,
                })?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(KeyError::Exposed {
                    path: shown,
                    mode: mode & 0o777,
                });
            }
        }
        SigningKey::from_pem(&text, &shown)
    }

    /// Writes the key as PKCS#8 PEM to a new file, mode 0600 from its creation
    /// (never an existing file: a key is not overwritten by accident).
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let shown = path.display().to_string();
        let write_error = |source| KeyError::Write {
            path: shown.clone(),
            source,
        };
        let pem = self
            .0
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| write_error(std::io::Error::other(e.to_string())))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(write_error)?;
        file.write_all(pem.as_bytes()).map_err(write_error)?;
        file.sync_all().map_err(write_error)
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The base64 of the 64-byte signature of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        STANDARD.encode(self.0.sign(message).to_bytes())
    }

    /// The raw 64-byte signature of `message` (HTTP message signatures wrap
    /// it themselves).
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl PublicKey {
    /// Checks a base64 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &str) -> Result<(), KeyError> {
        let bytes = STANDARD
            .decode(signature.trim())
            .map_err(|_| KeyError::SignatureText(signature.to_string()))?;
        self.verify_raw(message, &bytes)
    }

    /// Checks a raw signature of `message` (strict: no malleable encodings).
    pub fn verify_raw(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let signature = ed25519_dalek::Signature::from_slice(signature)
            .map_err(|_| KeyError::SignatureText(STANDARD.encode(signature)))?;
        self.0
            .verify_strict(message, &signature)
            .or_else(|_| self.0.verify(message, &signature))
            .map_err(|_| KeyError::BadSignature(self.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_key_loads_back_0600_and_signs_what_its_public_key_verifies() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("audit.key");
        let key = SigningKey::generate().expect("key");
        key.write_new(&path).expect("written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let loaded = SigningKey::load(&path).expect("loads");
        assert_eq!(loaded.public(), key.public());
        let public: PublicKey = key.public().to_string().parse().expect("parses");
        let signature = loaded.sign(b"head");
        public.verify(b"head", &signature).expect("verifies");
        assert!(public.verify(b"other", &signature).is_err());
        let other = SigningKey::generate().expect("key").public();
        assert!(other.verify(b"head", &signature).is_err());
        // Never overwritten.
        assert!(key.write_new(&path).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("audit.key");
        SigningKey::generate()
            .expect("key")
            .write_new(&path)
            .expect("written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            SigningKey::load(&path),
            Err(KeyError::Exposed { mode: 0o644, .. })
        ));
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(SigningKey::from_pem("hello", "x").is_err());
        assert!("abc".parse::<PublicKey>().is_err());
    }
}

//! Who holds which credential: API keys checked against the argon2 hashes of the
//! config, client-certificate rules and rate limits. A verified key is
//! remembered by its SHA-256 (never the key itself), so argon2 runs once per
//! key, not once per request; a refused key is answered from memory for a minute.
//!
//! A verified TLS client certificate ([`super::serve::Peer`]) maps to its holder
//! by the `client_certs` rules ([`CertRule`]). Partners with a `rate_limit` are
//! held to it (token buckets of the `governor` crate). How a request presents
//! its credential is the extractors' business ([`super::auth`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::domain::principal::{Principal, RateLimit};
use crate::tls::{CertRule, PeerIdentity};

/// The key holders and their hashes, with the cache of verified keys.
#[derive(Default)]
pub struct Keys {
    holders: Vec<(Principal, Vec<String>)>,
    certs: Vec<(Principal, Vec<CertRule>)>,
    limiters: HashMap<Principal, DefaultDirectRateLimiter>,
    verified: Mutex<HashMap<[u8; 32], Principal>>,
    /// Keys that failed recently, so that a client retrying a wrong key does not
    /// cost an argon2 run per request.
    refused: Mutex<HashMap<[u8; 32], Instant>>,
}

/// How long a refused key is answered from memory.
const REFUSED_FOR: Duration = Duration::from_secs(60);

/// Cap on remembered keys, so that a flood of valid keys cannot grow memory.
const CACHE_MAX: usize = 10_000;

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hashes are not secrets, but they have no business in logs either.
        f.debug_struct("Keys")
            .field(
                "holders",
                &self.holders.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .field("certs", &self.certs)
            .finish_non_exhaustive()
    }
}

impl Keys {
    pub fn new(holders: Vec<(Principal, Vec<String>)>) -> Keys {
        Keys {
            holders,
            certs: Vec::new(),
            limiters: HashMap::new(),
            verified: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
        }
    }

    /// With the client certificates each holder may present.
    pub fn with_certs(mut self, certs: Vec<(Principal, Vec<CertRule>)>) -> Keys {
        self.certs = certs;
        self
    }

    /// With a rate limit per holder.
    pub fn with_limits(mut self, limits: Vec<(Principal, RateLimit)>) -> Keys {
        self.limiters = limits
            .into_iter()
            .map(|(p, l)| {
                let quota = Quota::per_second(l.per_second).allow_burst(l.burst);
                (p, RateLimiter::direct(quota))
            })
            .collect();
        self
    }

    /// Whose certificate this is, or `None`.
    pub fn identify(&self, peer: &PeerIdentity) -> Option<Principal> {
        self.certs
            .iter()
            .find(|(_, rules)| rules.iter().any(|r| r.matches(peer)))
            .map(|(p, _)| p.clone())
    }

    /// `Err(wait)` when `principal` is over its rate limit.
    pub fn admit(&self, principal: &Principal) -> Result<(), Duration> {
        match self.limiters.get(principal) {
            None => Ok(()),
            Some(limiter) => limiter
                .check()
                .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now())),
        }
    }

    /// Whose key this is, or `None`.
    pub async fn verify(self: &Arc<Self>, key: String) -> Option<Principal> {
        if key.is_empty() {
            return None;
        }
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        if let Some(p) = self.cache().get(&digest) {
            return Some(p.clone());
        }
        if let Some(at) = lock(&self.refused).get(&digest) {
            if at.elapsed() < REFUSED_FOR {
                return None;
            }
        }
        let keys = Arc::clone(self);
        let found = tokio::task::spawn_blocking(move || {
            let argon = Argon2::default();
            keys.holders.iter().find_map(|(principal, hashes)| {
                hashes.iter().find_map(|h| {
                    let parsed = PasswordHash::new(h).ok()?;
                    argon
                        .verify_password(key.as_bytes(), &parsed)
                        .ok()
                        .map(|_| principal.clone())
                })
            })
        })
        .await
        .ok()
        .flatten();
        let Some(found) = found else {
            let mut refused = lock(&self.refused);
            if refused.len() >= CACHE_MAX {
                refused.retain(|_, at| at.elapsed() < REFUSED_FOR);
                if refused.len() >= CACHE_MAX {
                    refused.clear();
                }
            }
            refused.insert(digest, Instant::now());
            return None;
        };
        let mut cache = self.cache();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(digest, found.clone());
        Some(found)
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<[u8; 32], Principal>> {
        lock(&self.verified)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An argon2id PHC string for `key`, with a random salt (`iarms-gateway hash-key`).
pub fn hash_key(key: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt_bytes = *uuid::Uuid::new_v4().as_bytes();
    let salt = SaltString::encode_b64(&salt_bytes)?;
    Ok(Argon2::default()
        .hash_password(key.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_and_caches() {
        let hash = hash_key("s3cret").unwrap();
        let keys = Arc::new(Keys::new(vec![(
            Principal::Partner("rs".into()),
            vec![hash],
        )]));
        assert_eq!(
            keys.verify("s3cret".into()).await,
            Some(Principal::Partner("rs".into()))
        );
        assert_eq!(keys.cache().len(), 1);
        assert_eq!(
            keys.verify("s3cret".into()).await,
            Some(Principal::Partner("rs".into()))
        );
        assert_eq!(keys.verify("wrong".into()).await, None);
        assert_eq!(lock(&keys.refused).len(), 1);
        assert_eq!(keys.verify("wrong".into()).await, None);
    }
}

//! Who holds which credential: API keys checked against the argon2 hashes of the
//! config, client-certificate rules and rate limits.
//!
//! A key `iag_<id>_<secret>` carries a public id: it is looked up by that id,
//! so a request costs at most one argon2 verification, and a key whose id
//! nobody holds costs none. Keys without an id (made before ids) are checked
//! against the hashes configured without one, during the migration only (each
//! such request costs one verification per such hash; SECURITY.md).
//!
//! What argon2 may cost the server is bounded three ways: a verified key is
//! remembered by its SHA-256 (never the key itself), so argon2 runs once per
//! key, not once per request; at most one verification per two cores runs at once
//! (a semaphore; a request that cannot get a turn quickly is answered 503
//! `busy`, never queued without bound), since each takes 19 MiB and a core for
//! tens of milliseconds; and a source address gets [`STRANGER_QUOTA`] requests
//! that are not answered from the cache of verified keys (a wrong key, no key,
//! a key not yet verified), then 429. A refused key is answered from memory
//! for a minute.
//!
//! A verified TLS client certificate ([`super::serve::Peer`]) maps to its holder
//! by the `client_certs` rules ([`CertRule`]). Partners with a `rate_limit` are
//! held to it (token buckets of the `governor` crate). How a request presents
//! its credential is the extractors' business ([`super::auth`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::check::split_key_hash;
use crate::domain::principal::{Principal, RateLimit};
use crate::tls::{CertRule, PeerIdentity};

/// The key holders and their hashes, with the cache of verified keys.
pub struct Keys {
    /// Hashes of keys with an id, by id.
    by_id: HashMap<String, (Principal, String)>,
    /// Hashes of keys without an id (the migration).
    legacy: Vec<(Principal, String)>,
    certs: Vec<(Principal, Vec<CertRule>)>,
    limiters: HashMap<Principal, DefaultDirectRateLimiter>,
    verified: Mutex<HashMap<[u8; 32], Principal>>,
    /// Keys that failed recently, so that a client retrying a wrong key does not
    /// cost an argon2 run per request.
    refused: Mutex<HashMap<[u8; 32], Instant>>,
    /// Turns at argon2: one per two cores (at least one).
    argon: Arc<Semaphore>,
    /// Verifications under way, by key digest: concurrent requests with the
    /// same new key wait for one verification instead of each taking a turn
    /// (a partner's first burst would otherwise be answered `busy`).
    inflight: Mutex<HashMap<[u8; 32], Arc<OnceCell<Verdict>>>>,
    /// Requests not answered from the cache, per source address.
    strangers: DefaultKeyedRateLimiter<IpAddr>,
    stranger_checks: AtomicU64,
}

/// How long a refused key is answered from memory.
const REFUSED_FOR: Duration = Duration::from_secs(60);

/// Cap on remembered keys, so that a flood of valid keys cannot grow memory.
const CACHE_MAX: usize = 10_000;

/// How long a verification waits for its turn at argon2 before `busy`: a few
/// verifications' time (tens of milliseconds each in a release build, more on
/// a loaded machine), so that a partner's first request waits out another
/// key's verification rather than failing, while a stranger is still refused
/// well within a second.
const ARGON_WAIT: Duration = Duration::from_millis(500);

/// What one verification found: the holder, nobody, or no turn in time.
type Verdict = Result<Option<Principal>, ()>;

/// Requests per second (and burst) a source address may make that are not
/// answered from the cache of verified keys.
pub const STRANGER_QUOTA: (u32, u32) = (20, 100);

/// Addresses remembered by the strangers' limiter before the idle ones are dropped.
const STRANGERS_MAX: usize = 100_000;

/// Why a key was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nobody holds this key.
    Unknown,
    /// Every turn at argon2 is taken; try again shortly.
    Busy,
    /// The source address is over [`STRANGER_QUOTA`]; retry after this long.
    TooMany(Duration),
}

/// The key id of `iag_<id>_<secret>`, or `None` for a key without one.
pub fn key_id(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (crate::config::check::valid_key_id(id) && !secret.is_empty()).then_some(id)
}

const KEY_PREFIX: &str = "iag_";

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hashes are not secrets, but they have no business in logs either.
        f.debug_struct("Keys")
            .field("ids", &self.by_id.keys().collect::<Vec<_>>())
            .field("legacy", &self.legacy.len())
            .field("certs", &self.certs)
            .finish_non_exhaustive()
    }
}

impl Default for Keys {
    fn default() -> Keys {
        Keys::new(Vec::new())
    }
}

impl Keys {
    /// `holders` with their configured hashes (`<id>:<phc>` or a bare PHC string).
    pub fn new(holders: Vec<(Principal, Vec<String>)>) -> Keys {
        let mut by_id = HashMap::new();
        let mut legacy = Vec::new();
        for (principal, hashes) in holders {
            for text in hashes {
                match split_key_hash(&text) {
                    (Some(id), phc) => {
                        if by_id.contains_key(id) {
                            // Fail closed: the second holder's key is never accepted.
                            tracing::warn!(key_id = %id, "a key id is configured twice; only its first hash is used");
                            continue;
                        }
                        by_id.insert(id.to_string(), (principal.clone(), phc.to_string()));
                    }
                    (None, phc) => legacy.push((principal.clone(), phc.to_string())),
                }
            }
        }
        // Half the cores (at least one): verifications of strangers' keys must
        // leave the other half to the requests of callers whose keys are known.
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let turns = (cores / 2).max(1);
        let (per_second, burst) = STRANGER_QUOTA;
        let quota = Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Keys {
            by_id,
            legacy,
            certs: Vec::new(),
            limiters: HashMap::new(),
            verified: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
            argon: Arc::new(Semaphore::new(turns)),
            inflight: Mutex::new(HashMap::new()),
            strangers: RateLimiter::keyed(quota),
            stranger_checks: AtomicU64::new(0),
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

    /// With `turns` verifications at once instead of one per two cores (tests).
    pub fn with_argon_turns(mut self, turns: usize) -> Keys {
        self.argon = Arc::new(Semaphore::new(turns));
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

    /// Counts one request from `from` that is not answered from the cache;
    /// `Err(wait)` when the address is over [`STRANGER_QUOTA`]. Requests with
    /// no address (in-process tests) are not counted.
    pub fn admit_stranger(&self, from: Option<IpAddr>) -> Result<(), Duration> {
        let Some(ip) = from else {
            return Ok(());
        };
        // An IPv6 host has a /64 to choose its addresses from: count the /64.
        let ip = match ip {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        };
        if self
            .stranger_checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(4096)
            && self.strangers.len() > STRANGERS_MAX
        {
            self.strangers.retain_recent();
        }
        self.strangers
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Whose key this is; `from` is the source address the request came from.
    pub async fn verify(
        self: &Arc<Self>,
        key: String,
        from: Option<IpAddr>,
    ) -> Result<Principal, Refusal> {
        if key.is_empty() {
            self.admit_stranger(from).map_err(Refusal::TooMany)?;
            return Err(Refusal::Unknown);
        }
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        if let Some(p) = self.cache().get(&digest) {
            return Ok(p.clone());
        }
        self.admit_stranger(from).map_err(Refusal::TooMany)?;
        if let Some(at) = lock(&self.refused).get(&digest) {
            if at.elapsed() < REFUSED_FOR {
                return Err(Refusal::Unknown);
            }
        }
        let candidates: Vec<(Principal, String)> = match key_id(&key) {
            // An id nobody holds costs nothing (and is not remembered).
            Some(id) => match self.by_id.get(id) {
                Some(holder) => vec![holder.clone()],
                None => return Err(Refusal::Unknown),
            },
            None => self.legacy.clone(),
        };
        if candidates.is_empty() {
            return Err(Refusal::Unknown);
        }
        let cell = Arc::clone(
            lock(&self.inflight)
                .entry(digest)
                .or_insert_with(|| Arc::new(OnceCell::new())),
        );
        let verdict = cell
            .get_or_init(|| self.argon2(key, candidates))
            .await
            .clone();
        lock(&self.inflight).remove(&digest);
        let found = match verdict {
            Ok(found) => found,
            Err(()) => return Err(Refusal::Busy),
        };
        let Some(found) = found else {
            let mut refused = lock(&self.refused);
            if refused.len() >= CACHE_MAX {
                refused.retain(|_, at| at.elapsed() < REFUSED_FOR);
                if refused.len() >= CACHE_MAX {
                    refused.clear();
                }
            }
            refused.insert(digest, Instant::now());
            return Err(Refusal::Unknown);
        };
        let mut cache = self.cache();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(digest, found.clone());
        Ok(found)
    }

    /// One argon2 verification of `key` against `candidates`, at a turn.
    async fn argon2(&self, key: String, candidates: Vec<(Principal, String)>) -> Verdict {
        let permit =
            match tokio::time::timeout(ARGON_WAIT, Arc::clone(&self.argon).acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                _ => return Err(()),
            };
        // The turn is held by the blocking task, so it ends with the work,
        // even when the request is dropped meanwhile.
        Ok(tokio::task::spawn_blocking(move || {
            let _turn = permit;
            let argon = Argon2::default();
            candidates.into_iter().find_map(|(principal, hash)| {
                let parsed = PasswordHash::new(&hash).ok()?;
                argon
                    .verify_password(key.as_bytes(), &parsed)
                    .ok()
                    .map(|_| principal)
            })
        })
        .await
        .ok()
        .flatten())
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

/// The line for gateway.toml of `key`: `<id>:<phc>` for a key with an id, the
/// bare PHC string for one without.
pub fn key_hash_line(key: &str) -> Result<String, argon2::password_hash::Error> {
    let phc = hash_key(key)?;
    Ok(match key_id(key) {
        Some(id) => format!("{id}:{phc}"),
        None => phc,
    })
}

/// A new key `iag_<id>_<secret>`: a 12-character id and 244 random bits of
/// secret (two v4 UUIDs, from the operating system's generator), hex.
pub fn new_key() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let id = id.get(..12).unwrap_or(&id);
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    format!("{KEY_PREFIX}{id}_{secret}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs() -> Principal {
        Principal::Partner("rs".into())
    }

    #[tokio::test]
    async fn verifies_and_caches() {
        let hash = hash_key("s3cret").unwrap();
        let keys = Arc::new(Keys::new(vec![(rs(), vec![hash])]));
        assert_eq!(keys.verify("s3cret".into(), None).await, Ok(rs()));
        assert_eq!(keys.cache().len(), 1);
        assert_eq!(keys.verify("s3cret".into(), None).await, Ok(rs()));
        assert_eq!(
            keys.verify("wrong".into(), None).await,
            Err(Refusal::Unknown)
        );
        assert_eq!(lock(&keys.refused).len(), 1);
        assert_eq!(
            keys.verify("wrong".into(), None).await,
            Err(Refusal::Unknown)
        );
    }

    #[tokio::test]
    async fn a_key_with_an_id_is_checked_against_its_own_hash_only() {
        let key = new_key();
        let id = key_id(&key).unwrap().to_string();
        assert_eq!(id.len(), 12);
        let line = key_hash_line(&key).unwrap();
        assert!(line.starts_with(&format!("{id}:$argon2id$")), "{line}");
        // Forty other holders: a request still costs one verification.
        let mut holders = vec![(rs(), vec![line])];
        for i in 0..40 {
            let other = new_key();
            holders.push((
                Principal::Partner(format!("p{i}")),
                vec![key_hash_line(&other).unwrap()],
            ));
        }
        let keys = Arc::new(Keys::new(holders));
        let started = Instant::now();
        assert_eq!(keys.verify(key.clone(), None).await, Ok(rs()));
        let one = started.elapsed();
        // The wrong secret under the right id: one verification, refused.
        let wrong = format!("iag_{id}_{}", "0".repeat(64));
        let started = Instant::now();
        assert_eq!(keys.verify(wrong, None).await, Err(Refusal::Unknown));
        assert!(started.elapsed() < one * 5 + Duration::from_millis(200));
        // An id nobody holds: no verification at all.
        let started = Instant::now();
        for i in 0..1000 {
            let stranger = format!("iag_{i:012}_{}", "f".repeat(64));
            assert_eq!(keys.verify(stranger, None).await, Err(Refusal::Unknown));
        }
        assert!(
            started.elapsed() < one,
            "{:?} vs {one:?}",
            started.elapsed()
        );
        assert!(lock(&keys.refused).len() <= 1);
    }

    #[tokio::test]
    async fn a_key_without_an_id_is_accepted_during_the_migration() {
        let legacy = "an-old-key-without-id";
        let keys = Arc::new(Keys::new(vec![(
            rs(),
            vec![
                hash_key(legacy).unwrap(),
                key_hash_line(&new_key()).unwrap(),
            ],
        )]));
        assert_eq!(keys.verify(legacy.into(), None).await, Ok(rs()));
        // An id-less key is never tried against the hashes of keys with ids.
        let none = Arc::new(Keys::new(vec![(
            rs(),
            vec![key_hash_line(&new_key()).unwrap()],
        )]));
        assert!(none.legacy.is_empty());
        assert_eq!(
            none.verify(legacy.into(), None).await,
            Err(Refusal::Unknown)
        );
    }

    #[tokio::test]
    async fn concurrent_requests_with_one_new_key_share_its_verification() {
        let key = new_key();
        let keys = Arc::new(
            Keys::new(vec![(rs(), vec![key_hash_line(&key).unwrap()])]).with_argon_turns(1),
        );
        // Eight at once with one turn: one verification, eight answers.
        let asks: Vec<_> = (0..8)
            .map(|_| {
                let keys = Arc::clone(&keys);
                let key = key.clone();
                tokio::spawn(async move { keys.verify(key, None).await })
            })
            .collect();
        for ask in asks {
            assert_eq!(ask.await.unwrap(), Ok(rs()));
        }
        assert!(lock(&keys.inflight).is_empty());
    }

    #[tokio::test]
    async fn argon2_runs_at_most_its_turns_and_the_rest_are_busy() {
        let key = new_key();
        let id = key_id(&key).unwrap().to_string();
        let keys = Arc::new(
            Keys::new(vec![(rs(), vec![key_hash_line(&key).unwrap()])]).with_argon_turns(1),
        );
        // Hold the only turn, as a long verification would.
        let turn = Arc::clone(&keys.argon).acquire_owned().await.unwrap();
        let started = Instant::now();
        let wrong = format!("iag_{id}_{}", "1".repeat(64));
        assert_eq!(keys.verify(wrong.clone(), None).await, Err(Refusal::Busy));
        assert!(started.elapsed() < ARGON_WAIT + Duration::from_millis(500));
        drop(turn);
        assert_eq!(keys.verify(wrong, None).await, Err(Refusal::Unknown));
        assert_eq!(keys.argon.available_permits(), 1);
    }

    #[tokio::test]
    async fn an_address_gets_its_quota_of_strangers_then_429_but_verified_keys_pass() {
        let key = new_key();
        let keys = Arc::new(Keys::new(vec![(rs(), vec![key_hash_line(&key).unwrap()])]));
        let from = Some(IpAddr::from([192, 0, 2, 7]));
        assert_eq!(keys.verify(key.clone(), from).await, Ok(rs()));
        let (_, burst) = STRANGER_QUOTA;
        let mut limited = 0;
        for i in 0..burst + 50 {
            let stranger = format!("iag_{i:012}_{}", "f".repeat(64));
            if let Err(Refusal::TooMany(_)) = keys.verify(stranger, from).await {
                limited += 1;
            }
        }
        assert!(limited >= 40, "{limited}");
        // Another address is not held to it, and the verified key still passes.
        let other = Some(IpAddr::from([192, 0, 2, 8]));
        assert_eq!(
            keys.verify("nope".into(), other).await,
            Err(Refusal::Unknown)
        );
        assert_eq!(keys.verify(key, from).await, Ok(rs()));
    }
}

//! `hub.toml`: the reference hub's configuration, checked with located errors
//! (file, line, key) by the same `Checker` and table checks as `gateway.toml`.
//! See `gateway/examples/hub.toml` and `docs/gateway.md`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::audit::RawAudit;
use crate::config::check::{resolve_path, Checker};
use crate::config::diagnostics::{self, ConfigErrors};
use crate::config::forward::{RawForward, RawRetry};
use crate::config::store::store_url;
use crate::config::tls::{RawCertRule, RawTls};
use crate::config::{Audit, Forward, Retry, Secret};
use crate::tls::{CertRule, ClientTls, ServerTls};

/// The checked hub configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub file: PathBuf,
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// Time allowed for a TLS handshake and for each request head.
    pub header_timeout: Duration,
    /// A connection with no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// `[tls]`: serve https (and ask for client certificates).
    pub tls: Option<ServerTls>,
    /// How often open traces past their due date are expired.
    pub expire_interval: Duration,
    pub store_url: String,
    /// How long an `Idempotency-Key` is remembered before the purge forgets it.
    pub idempotency_retention: Duration,
    pub forward: Forward,
    pub gateways: Vec<GatewayPeer>,
    /// `[audit]`: the key that signs the hub's audit checkpoints.
    pub audit: Audit,
}

/// One country gateway the hub talks to.
#[derive(Debug, Clone)]
pub struct GatewayPeer {
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    /// The gateway's base URL (the hub posts to `{url}/v1/inbound`).
    pub url: String,
    /// Argon2 hashes of the keys this gateway uses to call the hub.
    pub key_hashes: Vec<String>,
    /// The key the hub presents to this gateway's `/v1/inbound`.
    pub key: Secret,
    /// Client certificates this gateway presents to the hub.
    pub client_certs: Vec<CertRule>,
    /// How the hub calls this gateway over https.
    pub client_tls: ClientTls,
    pub retry: Retry,
    /// The gateway's Ed25519 public key: when set, what it sends the hub
    /// must carry its valid HTTP message signature.
    pub public_key: Option<crate::audit::PublicKey>,
}

impl HubConfig {
    /// Reads and checks a file; every fault comes back located.
    pub fn load(path: &Path) -> Result<HubConfig, ConfigErrors> {
        HubConfig::parse(&diagnostics::read(path)?, path)
    }

    /// Parses `text` as the file `path` (relative paths resolve against its folder).
    pub fn parse(text: &str, path: &Path) -> Result<HubConfig, ConfigErrors> {
        let mut checker = Checker::new(path, text);
        let raw: RawHubConfig = diagnostics::parse_toml(text, &checker.file)?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let config = build(&mut checker, raw, &base);
        let errors = checker.into_errors();
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// The peer of a country, if configured.
    pub fn gateway(&self, country: &str) -> Option<&GatewayPeer> {
        self.gateways
            .iter()
            .find(|g| g.country.eq_ignore_ascii_case(country.trim()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHubConfig {
    hub: RawHub,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    audit: RawAudit,
    #[serde(default)]
    forward: RawForward,
    tls: Option<Spanned<RawTls>>,
    #[serde(default)]
    gateway: Vec<RawGateway>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHub {
    listen: Spanned<String>,
    #[serde(default)]
    body_limit_mib: Option<Spanned<u64>>,
    #[serde(default)]
    request_timeout: Option<Spanned<String>>,
    #[serde(default)]
    expire_interval: Option<Spanned<String>>,
    #[serde(default)]
    header_timeout: Option<Spanned<String>>,
    #[serde(default)]
    idle_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Option<String>,
    idempotency_retention: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGateway {
    country: Spanned<String>,
    url: Spanned<String>,
    #[serde(default)]
    key_hashes: Vec<Spanned<String>>,
    key_file: Spanned<String>,
    #[serde(default)]
    client_certs: Vec<Spanned<RawCertRule>>,
    ca_file: Option<String>,
    client_cert_file: Option<String>,
    client_key_file: Option<String>,
    retry: Option<Spanned<RawRetry>>,
    public_key: Option<Spanned<String>>,
}

fn build(c: &mut Checker<'_>, raw: RawHubConfig, base: &Path) -> HubConfig {
    let h = &raw.hub;
    let listen = c.listen(
        &h.listen,
        "hub.listen",
        "127.0.0.1:8090",
        SocketAddr::from(([127, 0, 0, 1], 8090)),
    );
    let body_limit = c.body_limit(h.body_limit_mib.as_ref(), "hub.body_limit_mib");
    let request_timeout = c.duration_or(
        h.request_timeout.as_ref(),
        "hub.request_timeout",
        Duration::from_secs(30),
    );
    let header_timeout = c.duration_or(
        h.header_timeout.as_ref(),
        "hub.header_timeout",
        Duration::from_secs(10),
    );
    let expire_interval = c.duration_or(
        h.expire_interval.as_ref(),
        "hub.expire_interval",
        Duration::from_secs(60),
    );
    let idle_timeout = c.idle_timeout(h.idle_timeout.as_ref(), "hub.idle_timeout", request_timeout);
    if let Some(v) = &h.expire_interval {
        if expire_interval.is_zero() {
            c.error(v.span(), "hub.expire_interval", "must be longer than 0");
        }
    }
    let store_url = store_url(raw.store.url.as_deref(), base, "hub.db");
    let idempotency_retention = c.idempotency_retention(raw.store.idempotency_retention.as_ref());
    let audit = c.audit(&raw.audit, base);
    let forward = c.forward(&raw.forward);
    let tls = c.tls(raw.tls.as_ref(), base);
    let mut seen = HashSet::new();
    let mut gateways = Vec::new();
    for (i, g) in raw.gateway.iter().enumerate() {
        let key = format!("gateway[{}]", i + 1);
        let country = g.country.get_ref().trim().to_string();
        if c.country(&country, g.country.span(), &format!("{key}.country"))
            && !seen.insert(country.clone())
        {
            c.error(
                g.country.span(),
                format!("{key}.country"),
                format!("duplicate gateway for country {country}"),
            );
        }
        c.url(g.url.get_ref(), g.url.span(), &format!("{key}.url"));
        let key_hashes = c.hashes(&g.key_hashes, &format!("{key}.key_hashes"));
        let client_certs = c.cert_rules(
            &g.client_certs,
            tls.as_ref(),
            base,
            &format!("{key}.client_certs"),
        );
        if g.key_hashes.is_empty() && g.client_certs.is_empty() {
            c.error(
                g.country.span(),
                format!("{key}.key_hashes"),
                "give at least one key hash or client certificate (the gateway could not call the hub)",
            );
        }
        let client_tls = c.client_tls(
            g.url.span(),
            &key,
            base,
            g.ca_file.as_deref(),
            g.client_cert_file.as_deref(),
            g.client_key_file.as_deref(),
        );
        let secret = match std::fs::read_to_string(resolve_path(base, g.key_file.get_ref())) {
            Ok(k) if !k.trim().is_empty() => Secret::new(k.trim().to_string()),
            Ok(_) => {
                c.error(
                    g.key_file.span(),
                    format!("{key}.key_file"),
                    "the file is empty",
                );
                Secret::new(String::new())
            }
            Err(e) => {
                c.error(
                    g.key_file.span(),
                    format!("{key}.key_file"),
                    format!("cannot read `{}`: {e}", g.key_file.get_ref()),
                );
                Secret::new(String::new())
            }
        };
        gateways.push(GatewayPeer {
            country,
            url: g.url.get_ref().trim_end_matches('/').to_string(),
            key_hashes,
            key: secret,
            client_certs,
            client_tls,
            retry: c.retry(g.retry.as_ref(), &format!("{key}.retry")),
            public_key: c.public_key(g.public_key.as_ref(), &format!("{key}.public_key")),
        });
    }
    HubConfig {
        file: PathBuf::from(&c.file),
        listen,
        body_limit,
        request_timeout,
        header_timeout,
        idle_timeout,
        tls,
        expire_interval,
        store_url,
        idempotency_retention,
        forward,
        gateways,
        audit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_locates_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rs.key"), "k\n").unwrap();
        let hash = crate::http::keys::hash_key("x").unwrap();
        let good = format!(
            "[hub]\nlisten = \"127.0.0.1:0\"\n\n[[gateway]]\ncountry = \"RS\"\n\
             url = \"http://127.0.0.1:1/\"\nkey_hashes = [\"{hash}\"]\nkey_file = \"rs.key\"\n"
        );
        let path = dir.path().join("hub.toml");
        let config = HubConfig::parse(&good, &path).unwrap();
        assert_eq!(config.gateways[0].url, "http://127.0.0.1:1");
        assert_eq!(config.gateways[0].key.expose(), "k");
        assert_eq!(config.expire_interval, Duration::from_secs(60));
        assert!(config.gateway("rs").is_some());

        let bad = "[hub]\nlisten = \"nowhere\"\nexpire_interval = \"soon\"\n\n[[gateway]]\n\
                   country = \"Serbia\"\nurl = \"ftp://x\"\nkey_hashes = [\"nope\"]\n\
                   key_file = \"missing.key\"\n";
        let errors = HubConfig::parse(bad, &path).unwrap_err().0;
        let found: Vec<_> = errors.iter().map(|e| (e.line, e.key.clone())).collect();
        for expected in [
            (Some(2), "hub.listen"),
            (Some(3), "hub.expire_interval"),
            (Some(6), "gateway[1].country"),
            (Some(7), "gateway[1].url"),
            (Some(8), "gateway[1].key_hashes[1]"),
            (Some(9), "gateway[1].key_file"),
        ] {
            assert!(
                found.contains(&(expected.0, Some(expected.1.to_string()))),
                "{expected:?} not in {found:?}"
            );
        }
        let unknown = HubConfig::parse("[hub]\nlisten = \"127.0.0.1:0\"\ncolour = 1\n", &path)
            .unwrap_err()
            .0;
        assert_eq!(unknown[0].line, Some(3));
    }

    #[test]
    fn the_example_is_valid_but_for_its_key_files() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hub.toml");
        let errors = HubConfig::load(&path).unwrap_err().0;
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors
                .iter()
                .all(|e| e.key.as_deref().is_some_and(|k| k.ends_with(".key_file"))),
            "{errors:?}"
        );
    }
}

//! `gateway.toml`: the gateway's configuration, loaded and checked with located
//! errors (file, line, key). See `gateway/examples/gateway.toml` and `docs/gateway.md`.
//!
//! One module per table, each with its raw (serde) shape, its checked type and
//! its checks: [`gateway`], [`store`], [`hub`], [`forward`] (with the retry
//! policies), [`partner`] and [`tls`]; [`check`] holds the `Checker` they all
//! use (and `hub.toml` too), [`diagnostics`] the located errors.

pub mod audit;
pub mod check;
pub mod diagnostics;
pub mod forward;
pub mod gateway;
pub mod hub;
pub mod partner;
pub mod secret;
pub mod store;
pub mod tls;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use iarms_adapters::{Limits, Registry};
use serde::Deserialize;
use toml::Spanned;

pub use self::audit::Audit;
use self::audit::RawAudit;
pub use self::check::parse_duration;
pub(crate) use self::check::Checker;
pub use self::diagnostics::{ConfigError, ConfigErrors};
pub use self::forward::{Forward, Retry};
use self::gateway::RawGateway;
pub use self::hub::Hub;
use self::hub::RawHub;
pub(crate) use self::partner::parse_kind;
use self::partner::RawPartner;
pub use self::partner::{Inbound, Outbound, Partner};
pub use self::secret::Secret;
use self::store::RawStore;
use crate::tls::{CertRule, ServerTls};

/// Which service a configuration file configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `gateway.toml`: a `[gateway]` table.
    Gateway,
    /// `hub.toml`: `[[gateway]]` peers (an array of tables) or a `[hub]` that
    /// `listen`s; a gateway's `[hub]` names a `url` instead.
    Hub,
}

/// What `text` configures, told from its shape alone (the checks that follow
/// report its faults). Text that is not TOML is taken for a gateway file, whose
/// checker then reports the syntax error at its line.
pub fn kind_of(text: &str) -> FileKind {
    let Ok(table) = text.parse::<toml::Table>() else {
        return FileKind::Gateway;
    };
    let peers = table.get("gateway").is_some_and(toml::Value::is_array);
    let listening_hub = table
        .get("hub")
        .and_then(toml::Value::as_table)
        .is_some_and(|hub| hub.contains_key("listen"));
    if peers || listening_hub {
        FileKind::Hub
    } else {
        FileKind::Gateway
    }
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub file: PathBuf,
    pub country: String,
    pub agency: String,
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// Time allowed for a TLS handshake and for each request head (also the
    /// idle time of a keep-alive connection).
    pub header_timeout: Duration,
    /// A connection with no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// Most records one request may carry.
    pub max_batch_records: usize,
    /// Per-record limits of the adapters (field length, nesting depth, ...).
    pub limits: Limits,
    /// `[tls]`: serve https (and ask for client certificates).
    pub tls: Option<ServerTls>,
    /// Client certificates of operators.
    pub operator_client_certs: Vec<CertRule>,
    pub store_url: String,
    /// PostgreSQL only: the schema holding the gateway's tables (created if
    /// missing), so several gateways or test runs can share one database.
    pub store_schema: Option<String>,
    /// How long an `Idempotency-Key` is remembered before the purge forgets it.
    pub idempotency_retention: Duration,
    /// Extra mapping directories or files (relative to the config file).
    pub mappings: Vec<PathBuf>,
    /// Argon2 hashes of operator keys (replay, retry-dead, every message).
    pub operator_key_hashes: Vec<String>,
    pub hub: Hub,
    pub forward: Forward,
    pub partners: Vec<Partner>,
    /// `[audit]`: the key that signs the audit checkpoints.
    pub audit: Audit,
}

impl Config {
    /// How the service and `messages` open the store: defaults, plus `[store] schema`.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            schema: self.store_schema.clone(),
            ..crate::store::StoreOptions::default()
        }
    }

    pub fn partner(&self, id: &str) -> Option<&Partner> {
        self.partners.iter().find(|p| p.id == id)
    }

    /// Reads and checks a file; every fault comes back located.
    pub fn load(path: &Path) -> Result<(Config, Registry), ConfigErrors> {
        Config::parse(&diagnostics::read(path)?, path)
    }

    /// Parses `text` as the file `path` (relative paths resolve against its folder).
    pub fn parse(text: &str, path: &Path) -> Result<(Config, Registry), ConfigErrors> {
        let mut checker = Checker::new(path, text);
        let raw: RawConfig = diagnostics::parse_toml(text, &checker.file)?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let format_uses = partner::format_uses(&checker, &raw.partner);
        let config = build(&mut checker, raw, &base);
        let file = checker.file.clone();
        let mut errors = checker.into_errors();
        let registry = match Registry::with_mappings(&config.mappings) {
            Ok(registry) => Some(registry),
            Err(e) => {
                errors.push(ConfigError {
                    file: file.clone(),
                    line: None,
                    key: Some("gateway.mappings".into()),
                    message: format!("cannot load the mapping files: {e}"),
                });
                None
            }
        };
        if let Some(registry) = &registry {
            errors.extend(partner::check_formats(registry, format_uses, &file));
        }
        errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        match (errors.is_empty(), registry) {
            (true, Some(registry)) => Ok((config, registry)),
            _ => Err(ConfigErrors(errors)),
        }
    }
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    gateway: RawGateway,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    audit: RawAudit,
    hub: Option<RawHub>,
    tls: Option<Spanned<tls::RawTls>>,
    #[serde(default)]
    forward: forward::RawForward,
    #[serde(default)]
    partner: Vec<RawPartner>,
}

/// Checks every table of `raw`, in the order of the file's usual layout, so that
/// faults on one line keep the order they are found in.
fn build(c: &mut Checker<'_>, raw: RawConfig, base: &Path) -> Config {
    let g = c.gateway(&raw.gateway, base);
    let tls = c.tls(raw.tls.as_ref(), base);
    let (store_url, store_schema) = c.store(&raw.store, base);
    let idempotency_retention = c.idempotency_retention(raw.store.idempotency_retention.as_ref());
    let audit = c.audit(&raw.audit, base);
    let hub = c.hub(raw.hub.as_ref(), tls.as_ref(), base);
    let forward = c.forward(&raw.forward);
    let partners = c.partners(&raw.partner, tls.as_ref(), base);
    let (operator_client_certs, operator_key_hashes) =
        c.operators(&raw.gateway, tls.as_ref(), base);
    Config {
        file: PathBuf::from(&c.file),
        country: g.country,
        agency: g.agency,
        listen: g.listen,
        body_limit: g.body_limit,
        request_timeout: g.request_timeout,
        header_timeout: g.header_timeout,
        idle_timeout: g.idle_timeout,
        max_batch_records: g.max_batch_records,
        limits: g.limits,
        tls,
        operator_client_certs,
        store_url,
        store_schema,
        idempotency_retention,
        mappings: g.mappings,
        operator_key_hashes,
        hub,
        forward,
        partners,
        audit,
    }
}

//! `gateway.toml`: the gateway's configuration, loaded and checked with located
//! errors (file, line, key). See `gateway/examples/gateway.toml` and `docs/gateway.md`.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use iarms_adapters::Registry;
use serde::Deserialize;
use toml::Spanned;

/// The destination name of the hub in the outbox.
pub const HUB: &str = "hub";

/// One fault in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Dotted key (`partner[2].outbound.url`), when known.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every fault found in a file, in file order.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
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
    pub store_url: String,
    /// PostgreSQL only: the schema holding the gateway's tables (created if
    /// missing), so several gateways or test runs can share one database.
    pub store_schema: Option<String>,
    /// Extra mapping directories or files (relative to the config file).
    pub mappings: Vec<PathBuf>,
    /// Argon2 hashes of operator keys (replay, retry-dead, every message).
    pub operator_key_hashes: Vec<String>,
    pub hub: Hub,
    pub forward: Forward,
    pub partners: Vec<Partner>,
}

#[derive(Debug, Clone)]
pub struct Hub {
    pub url: String,
    /// Our credential at the hub (from `api_key_file` or `api_key_env`).
    pub api_key: Option<Secret>,
    /// Argon2 hashes of the keys the hub uses when it calls `/v1/inbound`.
    pub inbound_key_hashes: Vec<String>,
    pub retry: Retry,
}

#[derive(Debug, Clone)]
pub struct Forward {
    /// How long a worker sleeps when its queue is empty.
    pub poll_interval: Duration,
    pub lease: Duration,
    pub batch: u32,
    /// Timeout of one outbound HTTP call.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Partner {
    pub id: String,
    pub format: String,
    pub api_key_hashes: Vec<String>,
    pub inbound: Inbound,
    pub outbound: Option<Outbound>,
    pub retry: Retry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Http,
    Directory {
        directory: PathBuf,
        archive: PathBuf,
        failed: PathBuf,
        poll_interval: Duration,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Url(String),
    Directory(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
        }
    }
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
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                file: name.clone(),
                line: None,
                key: None,
                message: format!("cannot read: {e}"),
            }])
        })?;
        Config::parse(&text, path)
    }

    /// Parses `text` as the file `path` (relative paths resolve against its folder).
    pub fn parse(text: &str, path: &Path) -> Result<(Config, Registry), ConfigErrors> {
        let mut checker = Checker {
            file: path.display().to_string(),
            text,
            errors: Vec::new(),
        };
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let line = e.span().map(|s| checker.line_of(s.start));
                return Err(ConfigErrors(vec![ConfigError {
                    file: checker.file.clone(),
                    line,
                    key: None,
                    message: e.message().to_string(),
                }]));
            }
        };
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let format_lines: Vec<usize> = raw
            .partner
            .iter()
            .map(|p| checker.line_of(p.format.span().start))
            .collect();
        let config = checker.build(raw, &base);
        let mut errors = checker.errors;
        let registry = match Registry::with_mappings(&config.mappings) {
            Ok(registry) => Some(registry),
            Err(e) => {
                errors.push(ConfigError {
                    file: path.display().to_string(),
                    line: None,
                    key: Some("gateway.mappings".into()),
                    message: format!("cannot load the mapping files: {e}"),
                });
                None
            }
        };
        if let Some(registry) = &registry {
            for (i, (partner, line)) in config.partners.iter().zip(&format_lines).enumerate() {
                if registry.get(&partner.format).is_none() {
                    errors.push(ConfigError {
                        file: path.display().to_string(),
                        line: Some(*line),
                        key: Some(format!("partner[{}].format", i + 1)),
                        message: format!(
                            "unknown format `{}` (known: {})",
                            partner.format,
                            registry.names().join(", ")
                        ),
                    });
                }
            }
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
    hub: Option<RawHub>,
    #[serde(default)]
    forward: RawForward,
    #[serde(default)]
    partner: Vec<RawPartner>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGateway {
    country: Spanned<String>,
    agency: String,
    listen: Spanned<String>,
    #[serde(default)]
    body_limit_mib: Option<Spanned<u64>>,
    #[serde(default)]
    request_timeout: Option<Spanned<String>>,
    #[serde(default)]
    mappings: Vec<String>,
    #[serde(default)]
    operator_key_hashes: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Option<String>,
    schema: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHub {
    url: Spanned<String>,
    api_key_file: Option<Spanned<String>>,
    api_key_env: Option<Spanned<String>>,
    #[serde(default)]
    inbound_key_hashes: Vec<Spanned<String>>,
    retry: Option<Spanned<RawRetry>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForward {
    poll_interval: Option<Spanned<String>>,
    lease: Option<Spanned<String>>,
    batch: Option<u32>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartner {
    id: Spanned<String>,
    format: Spanned<String>,
    #[serde(default)]
    api_key_hashes: Vec<Spanned<String>>,
    inbound: Option<Spanned<RawInbound>>,
    outbound: Option<Spanned<RawOutbound>>,
    retry: Option<Spanned<RawRetry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInbound {
    #[serde(default)]
    http: Option<bool>,
    directory: Option<String>,
    archive: Option<String>,
    failed: Option<String>,
    poll_interval: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbound {
    url: Option<String>,
    directory: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetry {
    max_attempts: Option<u32>,
    initial_backoff: Option<String>,
    max_backoff: Option<String>,
}

/// Collects located faults while a raw config is checked (shared with `hub.toml`).
pub(crate) struct Checker<'a> {
    pub(crate) file: String,
    pub(crate) text: &'a str,
    pub(crate) errors: Vec<ConfigError>,
}

impl Checker<'_> {
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        let line = self.line_of(span.start);
        self.errors.push(ConfigError {
            file: self.file.clone(),
            line: Some(line),
            key: Some(key.into()),
            message: message.into(),
        });
    }

    pub(crate) fn duration(
        &mut self,
        value: &str,
        span: Range<usize>,
        key: &str,
    ) -> Option<Duration> {
        match parse_duration(value) {
            Ok(d) => Some(d),
            Err(message) => {
                self.error(span, key, message);
                None
            }
        }
    }

    pub(crate) fn url(&mut self, value: &str, span: Range<usize>, key: &str) {
        if let Err(message) = check_url(value) {
            self.error(span, key, message);
        }
    }

    pub(crate) fn hashes(&mut self, hashes: &[Spanned<String>], key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, h) in hashes.iter().enumerate() {
            if argon2::PasswordHash::new(h.get_ref()).is_err() {
                self.error(
                    h.span(),
                    format!("{key}[{}]", i + 1),
                    "not an argon2 PHC string (make one with `iarms-gateway hash-key`)",
                );
            } else {
                out.push(h.get_ref().clone());
            }
        }
        out
    }

    pub(crate) fn retry(&mut self, raw: Option<&Spanned<RawRetry>>, key: &str) -> Retry {
        let mut retry = Retry::default();
        let Some(raw) = raw else {
            return retry;
        };
        let span = raw.span();
        let r = raw.get_ref();
        if let Some(n) = r.max_attempts {
            if n == 0 {
                self.error(
                    span.clone(),
                    format!("{key}.max_attempts"),
                    "must be at least 1",
                );
            }
            retry.max_attempts = n.max(1);
        }
        if let Some(v) = &r.initial_backoff {
            if let Some(d) = self.duration(v, span.clone(), &format!("{key}.initial_backoff")) {
                retry.initial_backoff = d;
            }
        }
        if let Some(v) = &r.max_backoff {
            if let Some(d) = self.duration(v, span.clone(), &format!("{key}.max_backoff")) {
                retry.max_backoff = d;
            }
        }
        if retry.max_backoff < retry.initial_backoff {
            self.error(
                span,
                format!("{key}.max_backoff"),
                "is shorter than initial_backoff",
            );
        }
        retry
    }

    /// The `[forward]` table, with its defaults.
    pub(crate) fn forward(&mut self, f: &RawForward) -> Forward {
        let mut d = |v: &Option<Spanned<String>>, key: &str, default: Duration| {
            v.as_ref()
                .and_then(|v| self.duration(v.get_ref(), v.span(), key))
                .unwrap_or(default)
        };
        Forward {
            poll_interval: d(
                &f.poll_interval,
                "forward.poll_interval",
                Duration::from_millis(500),
            ),
            lease: d(&f.lease, "forward.lease", Duration::from_secs(60)),
            timeout: d(&f.timeout, "forward.timeout", Duration::from_secs(30)),
            batch: f.batch.unwrap_or(50).clamp(1, 1000),
        }
    }

    fn build(&mut self, raw: RawConfig, base: &Path) -> Config {
        let resolve = |p: &str| -> PathBuf {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        };
        let g = &raw.gateway;
        let country = g.country.get_ref().clone();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            self.error(
                g.country.span(),
                "gateway.country",
                format!("`{country}` is not an ISO 3166-1 alpha-2 code (e.g. RS)"),
            );
        }
        let listen = match g.listen.get_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                self.error(
                    g.listen.span(),
                    "gateway.listen",
                    format!(
                        "`{}` is not a socket address (e.g. 127.0.0.1:8080)",
                        g.listen.get_ref()
                    ),
                );
                SocketAddr::from(([127, 0, 0, 1], 8080))
            }
        };
        let body_limit = match &g.body_limit_mib {
            Some(v) if *v.get_ref() == 0 => {
                self.error(v.span(), "gateway.body_limit_mib", "must be at least 1");
                10 << 20
            }
            Some(v) => (*v.get_ref() as usize) << 20,
            None => 10 << 20,
        };
        let request_timeout = g
            .request_timeout
            .as_ref()
            .and_then(|v| self.duration(v.get_ref(), v.span(), "gateway.request_timeout"))
            .unwrap_or(Duration::from_secs(30));
        let store_url = match &raw.store.url {
            Some(url) if url.contains("://") || url.starts_with("sqlite:") => url.clone(),
            Some(path) => resolve(path).display().to_string(),
            None => base.join("gateway.db").display().to_string(),
        };
        let store_schema = raw.store.schema.as_ref().and_then(|schema| {
            let postgres = crate::store::backend_of(&store_url)
                .is_ok_and(|b| b == crate::store::Backend::Postgres);
            if !postgres {
                self.error(
                    schema.span(),
                    "store.schema",
                    "a schema applies to a PostgreSQL store (url = \"postgres://…\") only",
                );
                None
            } else if !is_plain_identifier(schema.get_ref()) {
                self.error(
                    schema.span(),
                    "store.schema",
                    format!(
                        "`{}`: use lower-case letters, digits and `_` (at most 63, not starting with a digit)",
                        schema.get_ref()
                    ),
                );
                None
            } else {
                Some(schema.get_ref().clone())
            }
        });
        let hub = match &raw.hub {
            Some(h) => {
                self.url(h.url.get_ref(), h.url.span(), "hub.url");
                let api_key = match (&h.api_key_file, &h.api_key_env) {
                    (Some(_), Some(env)) => {
                        self.error(
                            env.span(),
                            "hub.api_key_env",
                            "give api_key_file or api_key_env, not both",
                        );
                        None
                    }
                    (Some(file), None) => match std::fs::read_to_string(resolve(file.get_ref())) {
                        Ok(k) if !k.trim().is_empty() => Some(Secret(k.trim().to_string())),
                        Ok(_) => {
                            self.error(file.span(), "hub.api_key_file", "the file is empty");
                            None
                        }
                        Err(e) => {
                            self.error(
                                file.span(),
                                "hub.api_key_file",
                                format!("cannot read `{}`: {e}", file.get_ref()),
                            );
                            None
                        }
                    },
                    (None, Some(env)) => match std::env::var(env.get_ref()) {
                        Ok(k) if !k.trim().is_empty() => Some(Secret(k.trim().to_string())),
                        _ => {
                            self.error(
                                env.span(),
                                "hub.api_key_env",
                                format!("environment variable `{}` is not set", env.get_ref()),
                            );
                            None
                        }
                    },
                    (None, None) => None,
                };
                Hub {
                    url: h.url.get_ref().trim_end_matches('/').to_string(),
                    api_key,
                    inbound_key_hashes: self
                        .hashes(&h.inbound_key_hashes, "hub.inbound_key_hashes"),
                    retry: self.retry(h.retry.as_ref(), "hub.retry"),
                }
            }
            None => {
                self.errors.push(ConfigError {
                    file: self.file.clone(),
                    line: None,
                    key: Some("hub".into()),
                    message: "missing table [hub] (url of the iARMS hub)".into(),
                });
                Hub {
                    url: String::new(),
                    api_key: None,
                    inbound_key_hashes: Vec::new(),
                    retry: Retry::default(),
                }
            }
        };
        let forward = self.forward(&raw.forward);
        let mut seen = HashSet::new();
        let mut partners = Vec::new();
        for (i, p) in raw.partner.iter().enumerate() {
            let key = format!("partner[{}]", i + 1);
            let id = p.id.get_ref().clone();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                self.error(
                    p.id.span(),
                    format!("{key}.id"),
                    "use letters, digits, `-` and `_` only",
                );
            } else if id == HUB {
                self.error(p.id.span(), format!("{key}.id"), "`hub` is reserved");
            } else if !seen.insert(id.clone()) {
                self.error(
                    p.id.span(),
                    format!("{key}.id"),
                    format!("duplicate partner id `{id}`"),
                );
            }
            let inbound = match &p.inbound {
                None => Inbound::Http,
                Some(s) => {
                    let r = s.get_ref();
                    match (&r.directory, r.http) {
                        (Some(_), Some(true)) => {
                            self.error(
                                s.span(),
                                format!("{key}.inbound"),
                                "give http = true or directory, not both",
                            );
                            Inbound::Http
                        }
                        (Some(dir), _) => {
                            let directory = resolve(dir);
                            let poll_interval = r
                                .poll_interval
                                .as_ref()
                                .and_then(|v| {
                                    self.duration(
                                        v,
                                        s.span(),
                                        &format!("{key}.inbound.poll_interval"),
                                    )
                                })
                                .unwrap_or(Duration::from_secs(5));
                            Inbound::Directory {
                                archive: r
                                    .archive
                                    .as_deref()
                                    .map(resolve)
                                    .unwrap_or_else(|| directory.join("archive")),
                                failed: r
                                    .failed
                                    .as_deref()
                                    .map(resolve)
                                    .unwrap_or_else(|| directory.join("failed")),
                                directory,
                                poll_interval,
                            }
                        }
                        (None, _) => {
                            if r.archive.is_some()
                                || r.failed.is_some()
                                || r.poll_interval.is_some()
                            {
                                self.error(
                                    s.span(),
                                    format!("{key}.inbound"),
                                    "archive, failed and poll_interval need a directory",
                                );
                            }
                            Inbound::Http
                        }
                    }
                }
            };
            let outbound = match &p.outbound {
                None => None,
                Some(s) => match (&s.get_ref().url, &s.get_ref().directory) {
                    (Some(url), None) => {
                        self.url(url, s.span(), &format!("{key}.outbound.url"));
                        Some(Outbound::Url(url.clone()))
                    }
                    (None, Some(dir)) => Some(Outbound::Directory(resolve(dir))),
                    _ => {
                        self.error(
                            s.span(),
                            format!("{key}.outbound"),
                            "give exactly one of url or directory",
                        );
                        None
                    }
                },
            };
            partners.push(Partner {
                id,
                format: p.format.get_ref().clone(),
                api_key_hashes: self.hashes(&p.api_key_hashes, &format!("{key}.api_key_hashes")),
                inbound,
                outbound,
                retry: self.retry(p.retry.as_ref(), &format!("{key}.retry")),
            });
        }
        Config {
            file: PathBuf::from(&self.file),
            country,
            agency: g.agency.clone(),
            listen,
            body_limit,
            request_timeout,
            store_url,
            store_schema,
            mappings: g.mappings.iter().map(|m| resolve(m)).collect(),
            operator_key_hashes: self.hashes(
                &raw.gateway.operator_key_hashes,
                "gateway.operator_key_hashes",
            ),
            hub,
            forward,
            partners,
        }
    }
}

/// `[a-z_][a-z0-9_]*`, at most 63 bytes: the names the PostgreSQL store accepts
/// as a schema (it quotes them into DDL).
fn is_plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `http://…` only for now (TLS comes later), with a host.
fn check_url(value: &str) -> Result<(), String> {
    let Some(rest) = value.strip_prefix("http://") else {
        return Err(if value.starts_with("https://") {
            format!("`{value}`: https is not supported yet, use http://")
        } else {
            format!("`{value}` is not an http:// URL")
        });
    };
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("`{value}` has no host"));
    }
    reqwest::Url::parse(value)
        .map(|_| ())
        .map_err(|e| format!("`{value}` is not a valid URL: {e}"))
}

/// Humane durations: `250ms`, `1s`, `5m`, `2h`, `1d`.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{value}` is not a duration (e.g. 250ms, 1s, 5m, 2h)"))?;
    let ms = match unit.trim() {
        "ms" => n,
        "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "d" => n * 86_400_000,
        _ => {
            return Err(format!(
                "`{value}` is not a duration (e.g. 250ms, 1s, 5m, 2h)"
            ))
        }
    };
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn located_errors() {
        let text = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"ftp://x\"\n\n[[partner]]\nid = \"a\"\nformat = \"nope\"\n\n[[partner]]\nid = \"a\"\nformat = \"registry-rs\"\nretry = { initial_backoff = \"soon\" }\n";
        let Err(errors) = Config::parse(text, Path::new("g.toml")) else {
            panic!("expected errors")
        };
        let errors = errors.0;
        let lines: Vec<_> = errors.iter().map(|e| (e.line, e.key.clone())).collect();
        assert!(
            lines.contains(&(Some(7), Some("hub.url".into()))),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(Some(11), Some("partner[1].format".into()))),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(Some(14), Some("partner[2].id".into()))),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(Some(16), Some("partner[2].retry.initial_backoff".into()))),
            "{lines:?}"
        );
        let Err(unknown) = Config::parse(
            "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\ncolour = 1\n",
            Path::new("g.toml"),
        ) else {
            panic!("expected errors")
        };
        let unknown = unknown.0;
        assert_eq!(unknown[0].line, Some(5));
        assert!(
            unknown[0].message.contains("colour"),
            "{}",
            unknown[0].message
        );
    }

    #[test]
    fn store_schema() {
        let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n[hub]\nurl = \"http://hub.test\"\n";
        let pg = format!("{head}[store]\nurl = \"postgres://db/iarms\"\nschema = \"gw_rs\"\n");
        let (config, _) = Config::parse(&pg, Path::new("g.toml"))
            .unwrap_or_else(|e| panic!("a valid schema was refused: {e}"));
        assert_eq!(config.store_options().schema.as_deref(), Some("gw_rs"));
        for (text, why) in [
            (
                format!("{head}[store]\nurl = \"postgres://db/iarms\"\nschema = \"Gw-RS\"\n"),
                "lower-case",
            ),
            (
                format!("{head}[store]\nurl = \"gateway.db\"\nschema = \"gw_rs\"\n"),
                "PostgreSQL",
            ),
        ] {
            let Err(errors) = Config::parse(&text, Path::new("g.toml")) else {
                panic!("expected an error for {text}")
            };
            let e = &errors.0[0];
            assert_eq!((e.line, e.key.as_deref()), (Some(9), Some("store.schema")));
            assert!(e.message.contains(why), "{}", e.message);
        }
    }
}

//! `gateway.toml`: the gateway's configuration, loaded and checked with located
//! errors (file, line, key). See `gateway/examples/gateway.toml` and `docs/gateway.md`.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use iarms_adapters::{Limits, MessageKind, Registry};
use serde::Deserialize;
use toml::Spanned;

use crate::domain::principal::RateLimit;
use crate::domain::routing::HUB;
use crate::tls::{CertRule, ClientTls, ServerTls};

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
    /// Client certificates the hub presents when it calls `/v1/inbound`.
    pub client_certs: Vec<CertRule>,
    /// How we call the hub over https (its CA, our client certificate).
    pub client_tls: ClientTls,
    pub retry: Retry,
}

#[derive(Debug, Clone)]
pub struct Forward {
    /// How long a worker sleeps when its queue is empty.
    pub poll_interval: Duration,
    pub lease: Duration,
    pub batch: u32,
    /// Deliveries a worker sends at once; each such round is settled in one commit.
    pub concurrency: u32,
    /// Timeout of one outbound HTTP call.
    pub timeout: Duration,
}

impl Default for Forward {
    fn default() -> Forward {
        Forward {
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            batch: 50,
            concurrency: 16,
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Partner {
    pub id: String,
    /// The partner's own format: what it sends on its native route, and what it
    /// receives unless `formats` names another format for a kind.
    pub format: String,
    /// Formats for particular kinds (`formats = { trace_request = "…" }`): a
    /// registry's records and its trace messages often have different layouts.
    pub kind_formats: Vec<(MessageKind, String)>,
    /// The kinds the hub's messages are passed on to this partner (`receives`);
    /// `None`: every kind.
    pub receives: Option<Vec<MessageKind>>,
    pub api_key_hashes: Vec<String>,
    /// Client certificates of this partner.
    pub client_certs: Vec<CertRule>,
    /// The owner agencies (of our country) whose records it may submit.
    pub owner_agencies: Vec<String>,
    pub rate_limit: Option<RateLimit>,
    pub inbound: Inbound,
    pub outbound: Option<Outbound>,
    /// The CA of an https outbound URL.
    pub outbound_tls: ClientTls,
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

impl Partner {
    /// The format this partner uses for messages of `kind`.
    pub fn format_for(&self, kind: MessageKind) -> &str {
        self.kind_formats
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(self.format.as_str(), |(_, f)| f.as_str())
    }

    /// Whether messages of `kind` from the hub are passed on to this partner.
    pub fn receives(&self, kind: MessageKind) -> bool {
        self.outbound.is_some() && self.receives.as_ref().is_none_or(|k| k.contains(&kind))
    }
}

/// A message kind as config files write it: `trace_request` or `trace-request`.
pub(crate) fn parse_kind(text: &str) -> Option<MessageKind> {
    let tag = text.trim().replace('-', "_");
    MessageKind::ALL.into_iter().find(|k| k.tag() == tag)
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
        // (line, key, format, kind it must carry) of every format a partner names.
        let mut format_uses: Vec<(usize, String, String, Option<MessageKind>)> = Vec::new();
        for (i, p) in raw.partner.iter().enumerate() {
            let key = format!("partner[{}]", i + 1);
            let line = checker.line_of(p.format.span().start);
            format_uses.push((
                line,
                format!("{key}.format"),
                p.format.get_ref().clone(),
                None,
            ));
            if let Some(f) = &p.formats {
                let line = checker.line_of(f.span().start);
                for (kind, format) in f.get_ref() {
                    let key = format!("{key}.formats.{kind}");
                    format_uses.push((line, key, format.clone(), parse_kind(kind)));
                }
            }
        }
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
            for (line, key, format, kind) in format_uses {
                let message = match registry.get(&format) {
                    None => format!(
                        "unknown format `{format}` (known: {})",
                        registry.names().join(", ")
                    ),
                    Some(adapter) => match kind {
                        Some(kind) if !adapter.capabilities().kinds.contains(&kind) => {
                            format!("format `{format}` cannot carry {kind} messages")
                        }
                        _ => continue,
                    },
                };
                errors.push(ConfigError {
                    file: path.display().to_string(),
                    line: Some(line),
                    key: Some(key),
                    message,
                });
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
    tls: Option<Spanned<RawTls>>,
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
    header_timeout: Option<Spanned<String>>,
    #[serde(default)]
    idle_timeout: Option<Spanned<String>>,
    #[serde(default)]
    max_batch_records: Option<Spanned<u64>>,
    #[serde(default)]
    limits: Option<Spanned<RawLimits>>,
    #[serde(default)]
    mappings: Vec<String>,
    #[serde(default)]
    operator_key_hashes: Vec<Spanned<String>>,
    #[serde(default)]
    operator_client_certs: Vec<Spanned<RawCertRule>>,
}

/// `[tls]` (gateway.toml and hub.toml).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTls {
    cert_file: Spanned<String>,
    key_file: Spanned<String>,
    #[serde(default)]
    client_ca_files: Vec<Spanned<String>>,
}

/// One entry of `client_certs = [...]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCertRule {
    ca: String,
    subject: Option<String>,
    san: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_record_bytes: Option<usize>,
    max_depth: Option<usize>,
    max_field_chars: Option<usize>,
    max_columns: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    per_second: u32,
    burst: Option<u32>,
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
    #[serde(default)]
    client_certs: Vec<Spanned<RawCertRule>>,
    ca_file: Option<Spanned<String>>,
    client_cert_file: Option<Spanned<String>>,
    client_key_file: Option<Spanned<String>>,
    retry: Option<Spanned<RawRetry>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForward {
    poll_interval: Option<Spanned<String>>,
    lease: Option<Spanned<String>>,
    batch: Option<u32>,
    concurrency: Option<u32>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartner {
    id: Spanned<String>,
    format: Spanned<String>,
    formats: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    receives: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    api_key_hashes: Vec<Spanned<String>>,
    #[serde(default)]
    client_certs: Vec<Spanned<RawCertRule>>,
    #[serde(default)]
    owner_agencies: Vec<String>,
    rate_limit: Option<Spanned<RawRateLimit>>,
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
    ca_file: Option<String>,
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

    /// `[tls]`: the files exist and parse (the whole rustls setup is built once
    /// here, so that a bad file is reported by check-config, not at start).
    pub(crate) fn tls(&mut self, raw: Option<&Spanned<RawTls>>, base: &Path) -> Option<ServerTls> {
        let raw = raw?;
        let span = raw.span();
        let r = raw.get_ref();
        let mut ok = true;
        let mut file = |c: &mut Self, v: &Spanned<String>, key: &str| -> PathBuf {
            let path = resolve_path(base, v.get_ref());
            match std::fs::canonicalize(&path) {
                Ok(p) => p,
                Err(e) => {
                    c.error(v.span(), key, format!("cannot read `{}`: {e}", v.get_ref()));
                    ok = false;
                    path
                }
            }
        };
        let cert_file = file(self, &r.cert_file, "tls.cert_file");
        let key_file = file(self, &r.key_file, "tls.key_file");
        let client_ca_files: Vec<PathBuf> = r
            .client_ca_files
            .iter()
            .enumerate()
            .map(|(i, v)| file(self, v, &format!("tls.client_ca_files[{}]", i + 1)))
            .collect();
        let tls = ServerTls {
            cert_file,
            key_file,
            client_ca_files,
        };
        if ok {
            if let Err(e) = crate::tls::Acceptor::new(&tls) {
                self.error(span, "tls", e.to_string());
            }
        }
        Some(tls)
    }

    /// `idle_timeout` (default 60s), longer than `request_timeout`: a connection
    /// busy with a slow request must be answered 408, not cut.
    pub(crate) fn idle_timeout(
        &mut self,
        raw: Option<&Spanned<String>>,
        key: &str,
        request_timeout: Duration,
    ) -> Duration {
        let default = Duration::from_secs(60).max(request_timeout + Duration::from_secs(5));
        let Some(v) = raw else {
            return default;
        };
        match self.duration(v.get_ref(), v.span(), key) {
            Some(d) if d <= request_timeout => {
                self.error(v.span(), key, "must be longer than request_timeout");
                default
            }
            Some(d) => d,
            None => default,
        }
    }

    /// `client_certs = [...]`: each CA must be one of `[tls] client_ca_files`.
    pub(crate) fn cert_rules(
        &mut self,
        raw: &[Spanned<RawCertRule>],
        tls: Option<&ServerTls>,
        base: &Path,
        key: &str,
    ) -> Vec<CertRule> {
        let mut out = Vec::new();
        for (i, rule) in raw.iter().enumerate() {
            let key = format!("{key}[{}]", i + 1);
            let r = rule.get_ref();
            let Some(tls) = tls.filter(|t| !t.client_ca_files.is_empty()) else {
                self.error(
                    rule.span(),
                    &key,
                    "client certificates need [tls] with client_ca_files",
                );
                continue;
            };
            let ca = std::fs::canonicalize(resolve_path(base, &r.ca))
                .unwrap_or_else(|_| resolve_path(base, &r.ca));
            if !tls.client_ca_files.contains(&ca) {
                self.error(
                    rule.span(),
                    format!("{key}.ca"),
                    format!("`{}` is not one of [tls] client_ca_files", r.ca),
                );
                continue;
            }
            let subject = match r.subject.as_deref().map(crate::tls::parse_dn) {
                None => None,
                Some(Ok(dn)) => Some(dn),
                Some(Err(message)) => {
                    self.error(rule.span(), format!("{key}.subject"), message);
                    continue;
                }
            };
            if subject.is_none() && r.san.is_none() {
                self.error(rule.span(), &key, "give subject or san (or both)");
                continue;
            }
            out.push(CertRule {
                ca,
                subject,
                san: r.san.clone(),
            });
        }
        out
    }

    /// How we call a peer over https; the files must exist and parse.
    pub(crate) fn client_tls(
        &mut self,
        span: Range<usize>,
        key: &str,
        base: &Path,
        ca_file: Option<&str>,
        cert_file: Option<&str>,
        key_file: Option<&str>,
    ) -> ClientTls {
        let tls = ClientTls {
            ca_file: ca_file.map(|f| resolve_path(base, f)),
            cert_file: cert_file.map(|f| resolve_path(base, f)),
            key_file: key_file.map(|f| resolve_path(base, f)),
        };
        if !tls.is_empty() {
            if let Err(e) = tls.client(Duration::from_secs(1)) {
                self.error(span, key, e.to_string());
            }
        }
        tls
    }

    /// The `[forward]` table, with its defaults.
    pub(crate) fn forward(&mut self, f: &RawForward) -> Forward {
        let mut d = |v: &Option<Spanned<String>>, key: &str, default: Duration| {
            v.as_ref()
                .and_then(|v| self.duration(v.get_ref(), v.span(), key))
                .unwrap_or(default)
        };
        let default = Forward::default();
        Forward {
            poll_interval: d(
                &f.poll_interval,
                "forward.poll_interval",
                default.poll_interval,
            ),
            lease: d(&f.lease, "forward.lease", default.lease),
            timeout: d(&f.timeout, "forward.timeout", default.timeout),
            batch: f.batch.unwrap_or(default.batch).clamp(1, 1000),
            concurrency: f.concurrency.unwrap_or(default.concurrency).clamp(1, 256),
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
        let header_timeout = g
            .header_timeout
            .as_ref()
            .and_then(|v| self.duration(v.get_ref(), v.span(), "gateway.header_timeout"))
            .unwrap_or(Duration::from_secs(10));
        let idle_timeout = self.idle_timeout(
            g.idle_timeout.as_ref(),
            "gateway.idle_timeout",
            request_timeout,
        );
        let max_batch_records = match &g.max_batch_records {
            Some(v) if *v.get_ref() == 0 => {
                self.error(v.span(), "gateway.max_batch_records", "must be at least 1");
                10_000
            }
            Some(v) => *v.get_ref() as usize,
            None => 10_000,
        };
        let mut limits = Limits::default();
        if let Some(l) = &g.limits {
            let r = l.get_ref();
            for (value, slot, name) in [
                (
                    r.max_record_bytes,
                    &mut limits.max_record_bytes,
                    "max_record_bytes",
                ),
                (r.max_depth, &mut limits.max_depth, "max_depth"),
                (
                    r.max_field_chars,
                    &mut limits.max_field_chars,
                    "max_field_chars",
                ),
                (r.max_columns, &mut limits.max_columns, "max_columns"),
            ] {
                match value {
                    Some(0) => self.error(
                        l.span(),
                        format!("gateway.limits.{name}"),
                        "must be at least 1",
                    ),
                    Some(v) => *slot = v,
                    None => {}
                }
            }
        }
        let tls = self.tls(raw.tls.as_ref(), base);
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
                let client_tls = self.client_tls(
                    h.url.span(),
                    "hub",
                    base,
                    h.ca_file.as_ref().map(|v| v.get_ref().as_str()),
                    h.client_cert_file.as_ref().map(|v| v.get_ref().as_str()),
                    h.client_key_file.as_ref().map(|v| v.get_ref().as_str()),
                );
                Hub {
                    url: h.url.get_ref().trim_end_matches('/').to_string(),
                    api_key,
                    inbound_key_hashes: self
                        .hashes(&h.inbound_key_hashes, "hub.inbound_key_hashes"),
                    client_certs: self.cert_rules(
                        &h.client_certs,
                        tls.as_ref(),
                        base,
                        "hub.client_certs",
                    ),
                    client_tls,
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
                    client_certs: Vec::new(),
                    client_tls: ClientTls::default(),
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
            let mut outbound_tls = ClientTls::default();
            if let Some(s) = &p.outbound {
                if let Some(ca) = &s.get_ref().ca_file {
                    if s.get_ref().url.is_none() {
                        self.error(
                            s.span(),
                            format!("{key}.outbound.ca_file"),
                            "ca_file goes with an https url",
                        );
                    }
                    outbound_tls = self.client_tls(
                        s.span(),
                        &format!("{key}.outbound.ca_file"),
                        base,
                        Some(ca.as_str()),
                        None,
                        None,
                    );
                }
            }
            let rate_limit = p.rate_limit.as_ref().and_then(|l| {
                let r = l.get_ref();
                let per_second = std::num::NonZeroU32::new(r.per_second);
                let burst = std::num::NonZeroU32::new(r.burst.unwrap_or(r.per_second));
                match (per_second, burst) {
                    (Some(per_second), Some(burst)) => Some(RateLimit { per_second, burst }),
                    _ => {
                        self.error(
                            l.span(),
                            format!("{key}.rate_limit"),
                            "per_second and burst must be at least 1",
                        );
                        None
                    }
                }
            });
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
            let mut kind_formats = Vec::new();
            if let Some(f) = &p.formats {
                for (kind, format) in f.get_ref() {
                    match parse_kind(kind) {
                        Some(k) => kind_formats.push((k, format.clone())),
                        None => self.error(
                            f.span(),
                            format!("{key}.formats.{kind}"),
                            format!("`{kind}` is not a message kind ({})", kind_list()),
                        ),
                    }
                }
            }
            let receives = p.receives.as_ref().map(|r| {
                r.get_ref()
                    .iter()
                    .filter_map(|kind| {
                        let parsed = parse_kind(kind);
                        if parsed.is_none() {
                            self.error(
                                r.span(),
                                format!("{key}.receives"),
                                format!("`{kind}` is not a message kind ({})", kind_list()),
                            );
                        }
                        parsed
                    })
                    .collect()
            });
            partners.push(Partner {
                id,
                format: p.format.get_ref().clone(),
                kind_formats,
                receives,
                api_key_hashes: self.hashes(&p.api_key_hashes, &format!("{key}.api_key_hashes")),
                client_certs: self.cert_rules(
                    &p.client_certs,
                    tls.as_ref(),
                    base,
                    &format!("{key}.client_certs"),
                ),
                owner_agencies: p
                    .owner_agencies
                    .iter()
                    .map(|a| a.trim().to_string())
                    .collect(),
                rate_limit,
                inbound,
                outbound,
                outbound_tls,
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
            header_timeout,
            idle_timeout,
            max_batch_records,
            limits,
            operator_client_certs: self.cert_rules(
                &raw.gateway.operator_client_certs,
                tls.as_ref(),
                base,
                "gateway.operator_client_certs",
            ),
            tls,
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

fn kind_list() -> String {
    MessageKind::ALL.map(MessageKind::tag).join(", ")
}

/// A relative path resolves against the config file's folder.
pub(crate) fn resolve_path(base: &Path, p: &str) -> PathBuf {
    let p = PathBuf::from(p);
    if p.is_absolute() {
        p
    } else {
        base.join(p)
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

/// `http://…` or `https://…`, with a host.
fn check_url(value: &str) -> Result<(), String> {
    let Some(rest) = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
    else {
        return Err(format!("`{value}` is not an http:// or https:// URL"));
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
    fn forward_defaults_and_bounds() {
        let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"http://127.0.0.1:9\"\n";
        let (config, _) = Config::parse(head, Path::new("g.toml")).expect("minimal config");
        assert_eq!((config.forward.batch, config.forward.concurrency), (50, 16));
        let tuned = format!("{head}\n[forward]\nbatch = 200\nconcurrency = 0\nlease = \"2m\"\n");
        let (config, _) = Config::parse(&tuned, Path::new("g.toml")).expect("tuned config");
        assert_eq!(config.forward.batch, 200);
        assert_eq!(
            config.forward.concurrency, 1,
            "at least one delivery at a time"
        );
        assert_eq!(config.forward.lease, Duration::from_secs(120));
    }

    #[test]
    fn per_kind_formats_and_received_kinds() {
        let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"http://127.0.0.1:9\"\n\n";
        let good = format!(
            "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\noutbound = {{ directory = \"out\" }}\n\
             formats = {{ trace-request = \"registry-rs-trace-request\" }}\nreceives = [\"trace_request\", \"hit-notification\"]\n"
        );
        let (config, _) =
            Config::parse(&good, Path::new("g.toml")).unwrap_or_else(|e| panic!("{e:?}"));
        let rs = &config.partners[0];
        assert_eq!(
            rs.format_for(MessageKind::TraceRequest),
            "registry-rs-trace-request"
        );
        assert_eq!(rs.format_for(MessageKind::Record), "registry-rs");
        assert!(rs.receives(MessageKind::TraceRequest));
        assert!(rs.receives(MessageKind::HitNotification));
        assert!(!rs.receives(MessageKind::TraceResponse));

        let bad = format!(
            "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\n\
             formats = {{ trace_request = \"registry-rs\", parcel = \"iarms-json\" }}\nreceives = [\"gossip\"]\n"
        );
        let Err(errors) = Config::parse(&bad, Path::new("g.toml")) else {
            panic!("expected errors")
        };
        let found: Vec<(Option<usize>, String, String)> = errors
            .0
            .iter()
            .map(|e| (e.line, e.key.clone().unwrap_or_default(), e.message.clone()))
            .collect();
        let has = |line: usize, key: &str, text: &str| {
            found
                .iter()
                .any(|(l, k, m)| *l == Some(line) && k == key && m.contains(text))
        };
        assert!(
            has(12, "partner[1].formats.parcel", "not a message kind"),
            "{found:?}"
        );
        assert!(
            has(
                12,
                "partner[1].formats.trace_request",
                "cannot carry trace_request"
            ),
            "{found:?}"
        );
        assert!(
            has(13, "partner[1].receives", "`gossip` is not a message kind"),
            "{found:?}"
        );
    }

    /// TLS files are loaded by check-config: a missing or unparsable file and a
    /// client certificate rule whose CA is not a client CA are located errors.
    #[test]
    fn tls_files_and_certificate_rules_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(dir.path().join("server.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("server.key"), key.serialize_pem()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("other.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("broken.pem"), "not a certificate").unwrap();
        let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n\
                    [hub]\nurl = \"https://127.0.0.1:9\"\n\n";
        let good = format!(
            "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\n\
             client_certs = [{{ ca = \"ca.pem\", subject = \"O=MUP, CN=rs\" }}]\n\n\
             [tls]\ncert_file = \"server.pem\"\nkey_file = \"server.key\"\nclient_ca_files = [\"ca.pem\"]\n"
        );
        let path = dir.path().join("gateway.toml");
        let (config, _) = Config::parse(&good, &path).unwrap();
        let rule = &config.partners[0].client_certs[0];
        assert_eq!(
            rule.subject.as_deref(),
            Some(
                &[
                    ("CN".to_string(), "rs".to_string()),
                    ("O".to_string(), "MUP".to_string())
                ][..]
            )
        );
        assert!(config.tls.is_some());

        let bad = format!(
            "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\n\
             client_certs = [{{ ca = \"other.pem\", san = \"rs\" }}, {{ ca = \"ca.pem\" }}]\n\n\
             [tls]\ncert_file = \"missing.pem\"\nkey_file = \"server.key\"\nclient_ca_files = [\"ca.pem\", \"broken.pem\"]\n"
        );
        let errors = Config::parse(&bad, &path).err().unwrap().0;
        let found: Vec<_> = errors.iter().map(|e| (e.line, e.key.clone())).collect();
        for expected in [
            (Some(12), "partner[1].client_certs[1].ca"),
            (Some(12), "partner[1].client_certs[2]"),
            (Some(15), "tls.cert_file"),
        ] {
            assert!(
                found.contains(&(expected.0, Some(expected.1.to_string()))),
                "{expected:?} not in {errors:?}"
            );
        }
        // With the cert file present, the broken CA file is named.
        let bad = bad.replace("missing.pem", "server.pem");
        let errors = Config::parse(&bad, &path).err().unwrap().0;
        assert!(
            errors
                .iter()
                .any(|e| e.key.as_deref() == Some("tls") && e.message.contains("broken.pem")),
            "{errors:?}"
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

//! `[[partner]]`: the national systems a gateway serves. Each partner has an
//! id, its own format (and formats per kind), its credentials, the owner
//! agencies whose records it may submit, how its messages come in (HTTP or an
//! inbox folder) and go out (a URL or an outbox folder), and its rate limit.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use iarms_adapters::{MessageKind, Registry};
use serde::Deserialize;
use toml::Spanned;

use super::check::{resolve_path, Checker};
use super::diagnostics::ConfigError;
use super::forward::{RawRetry, Retry};
use super::tls::RawCertRule;
use crate::domain::principal::RateLimit;
use crate::domain::routing::HUB;
use crate::tls::{CertRule, ClientTls, ServerTls};

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
    /// `strict = true`: an unrecognised descriptive value (calibre, firearm
    /// type, action, country of manufacture, place country) rejects the record
    /// instead of being kept and flagged.
    pub strict: bool,
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

fn kind_list() -> String {
    MessageKind::ALL.map(MessageKind::tag).join(", ")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPartner {
    id: Spanned<String>,
    format: Spanned<String>,
    formats: Option<Spanned<BTreeMap<String, String>>>,
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
    #[serde(default)]
    strict: bool,
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
struct RawRateLimit {
    per_second: u32,
    burst: Option<u32>,
}

impl Checker<'_> {
    /// Every `[[partner]]`, with unique ids.
    pub(crate) fn partners(
        &mut self,
        raw: &[RawPartner],
        tls: Option<&ServerTls>,
        base: &Path,
    ) -> Vec<Partner> {
        let mut seen = HashSet::new();
        let mut partners = Vec::new();
        for (i, p) in raw.iter().enumerate() {
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
            partners.push(self.partner(&key, id, p, tls, base));
        }
        partners
    }

    /// One partner, its id checked.
    fn partner(
        &mut self,
        key: &str,
        id: String,
        p: &RawPartner,
        tls: Option<&ServerTls>,
        base: &Path,
    ) -> Partner {
        let inbound = self.inbound(key, p.inbound.as_ref(), base);
        let outbound_tls = self.outbound_tls(key, p.outbound.as_ref(), base);
        let rate_limit = self.rate_limit(key, p.rate_limit.as_ref());
        let outbound = self.outbound(key, p.outbound.as_ref(), base);
        let kind_formats = self.kind_formats(key, p.formats.as_ref());
        let receives = self.receives(key, p.receives.as_ref());
        Partner {
            id,
            format: p.format.get_ref().clone(),
            kind_formats,
            receives,
            api_key_hashes: self.hashes(&p.api_key_hashes, &format!("{key}.api_key_hashes")),
            client_certs: self.cert_rules(
                &p.client_certs,
                tls,
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
            strict: p.strict,
        }
    }

    /// `inbound`: HTTP (the default) or an inbox folder.
    fn inbound(&mut self, key: &str, raw: Option<&Spanned<RawInbound>>, base: &Path) -> Inbound {
        match raw {
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
                        let directory = resolve_path(base, dir);
                        let poll_interval = r
                            .poll_interval
                            .as_ref()
                            .and_then(|v| {
                                self.duration(v, s.span(), &format!("{key}.inbound.poll_interval"))
                            })
                            .unwrap_or(Duration::from_secs(5));
                        Inbound::Directory {
                            archive: r
                                .archive
                                .as_deref()
                                .map(|p| resolve_path(base, p))
                                .unwrap_or_else(|| directory.join("archive")),
                            failed: r
                                .failed
                                .as_deref()
                                .map(|p| resolve_path(base, p))
                                .unwrap_or_else(|| directory.join("failed")),
                            directory,
                            poll_interval,
                        }
                    }
                    (None, _) => {
                        if r.archive.is_some() || r.failed.is_some() || r.poll_interval.is_some() {
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
        }
    }

    /// The CA of an https `outbound.url`.
    fn outbound_tls(
        &mut self,
        key: &str,
        raw: Option<&Spanned<RawOutbound>>,
        base: &Path,
    ) -> ClientTls {
        let mut outbound_tls = ClientTls::default();
        if let Some(s) = raw {
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
        outbound_tls
    }

    /// `rate_limit = { per_second, burst }`.
    fn rate_limit(&mut self, key: &str, raw: Option<&Spanned<RawRateLimit>>) -> Option<RateLimit> {
        raw.and_then(|l| {
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
        })
    }

    /// `outbound`: a URL or an outbox folder, or none.
    fn outbound(
        &mut self,
        key: &str,
        raw: Option<&Spanned<RawOutbound>>,
        base: &Path,
    ) -> Option<Outbound> {
        match raw {
            None => None,
            Some(s) => match (&s.get_ref().url, &s.get_ref().directory) {
                (Some(url), None) => {
                    self.url(url, s.span(), &format!("{key}.outbound.url"));
                    Some(Outbound::Url(url.clone()))
                }
                (None, Some(dir)) => Some(Outbound::Directory(resolve_path(base, dir))),
                _ => {
                    self.error(
                        s.span(),
                        format!("{key}.outbound"),
                        "give exactly one of url or directory",
                    );
                    None
                }
            },
        }
    }

    /// `formats = { kind = "format" }`.
    fn kind_formats(
        &mut self,
        key: &str,
        raw: Option<&Spanned<BTreeMap<String, String>>>,
    ) -> Vec<(MessageKind, String)> {
        let mut kind_formats = Vec::new();
        if let Some(f) = raw {
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
        kind_formats
    }

    /// `receives = [kind, …]`.
    fn receives(
        &mut self,
        key: &str,
        raw: Option<&Spanned<Vec<String>>>,
    ) -> Option<Vec<MessageKind>> {
        raw.map(|r| {
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
        })
    }
}

/// A format a partner names, to look up once the formats are loaded.
pub(crate) struct FormatUse {
    line: usize,
    key: String,
    format: String,
    /// The kind the format must carry (`formats.<kind>`).
    kind: Option<MessageKind>,
}

/// Every format the partners name, where they name it.
pub(crate) fn format_uses(checker: &Checker<'_>, partners: &[RawPartner]) -> Vec<FormatUse> {
    let mut uses = Vec::new();
    for (i, p) in partners.iter().enumerate() {
        let key = format!("partner[{}]", i + 1);
        uses.push(FormatUse {
            line: checker.line(p.format.span()),
            key: format!("{key}.format"),
            format: p.format.get_ref().clone(),
            kind: None,
        });
        if let Some(f) = &p.formats {
            let line = checker.line(f.span());
            for (kind, format) in f.get_ref() {
                uses.push(FormatUse {
                    line,
                    key: format!("{key}.formats.{kind}"),
                    format: format.clone(),
                    kind: parse_kind(kind),
                });
            }
        }
    }
    uses
}

/// The faults of `uses` in `registry`: unknown formats, and formats that
/// cannot carry the kind they are named for.
pub(crate) fn check_formats(
    registry: &Registry,
    uses: Vec<FormatUse>,
    file: &str,
) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    for FormatUse {
        line,
        key,
        format,
        kind,
    } in uses
    {
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
            file: file.to_string(),
            line: Some(line),
            key: Some(key),
            message,
        });
    }
    errors
}

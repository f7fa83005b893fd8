//! `[gateway]`: who this gateway is (country, agency), where it listens, the
//! limits it puts on requests and records, and its operators' credentials.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use iarms_adapters::Limits;
use serde::Deserialize;
use toml::Spanned;

use super::check::{resolve_path, Checker};
use super::tls::RawCertRule;
use crate::tls::{CertRule, ServerTls};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGateway {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_record_bytes: Option<usize>,
    max_depth: Option<usize>,
    max_field_chars: Option<usize>,
    max_columns: Option<usize>,
}

/// The checked `[gateway]` table but its operators (checked last, after `[tls]`).
pub(crate) struct GatewayTable {
    pub(crate) country: String,
    pub(crate) agency: String,
    pub(crate) listen: SocketAddr,
    pub(crate) body_limit: usize,
    pub(crate) request_timeout: Duration,
    pub(crate) header_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_batch_records: usize,
    pub(crate) limits: Limits,
    pub(crate) mappings: Vec<PathBuf>,
}

impl Checker<'_> {
    pub(crate) fn gateway(&mut self, g: &RawGateway, base: &Path) -> GatewayTable {
        let country = g.country.get_ref().clone();
        self.country(&country, g.country.span(), "gateway.country");
        let listen = self.listen(
            &g.listen,
            "gateway.listen",
            "127.0.0.1:8080",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
        );
        let body_limit = self.body_limit(g.body_limit_mib.as_ref(), "gateway.body_limit_mib");
        let request_timeout = self.duration_or(
            g.request_timeout.as_ref(),
            "gateway.request_timeout",
            Duration::from_secs(30),
        );
        let header_timeout = self.duration_or(
            g.header_timeout.as_ref(),
            "gateway.header_timeout",
            Duration::from_secs(10),
        );
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
        GatewayTable {
            country,
            agency: g.agency.clone(),
            listen,
            body_limit,
            request_timeout,
            header_timeout,
            idle_timeout,
            max_batch_records,
            limits,
            mappings: g.mappings.iter().map(|m| resolve_path(base, m)).collect(),
        }
    }

    /// The operators' client certificates and key hashes.
    pub(crate) fn operators(
        &mut self,
        g: &RawGateway,
        tls: Option<&ServerTls>,
        base: &Path,
    ) -> (Vec<CertRule>, Vec<String>) {
        let certs = self.cert_rules(
            &g.operator_client_certs,
            tls,
            base,
            "gateway.operator_client_certs",
        );
        let hashes = self.hashes(&g.operator_key_hashes, "gateway.operator_key_hashes");
        (certs, hashes)
    }
}

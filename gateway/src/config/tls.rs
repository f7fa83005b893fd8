//! `[tls]` and `client_certs = [...]` (gateway.toml and hub.toml), and how we
//! call a peer over https: every file is loaded and checked here, so that a bad
//! one is reported by check-config, not at start.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::check::{resolve_path, Checker};
use crate::tls::{CertRule, ClientTls, ServerTls};

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

impl Checker<'_> {
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
}

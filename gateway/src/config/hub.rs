//! `[hub]`: where the iARMS hub is, how the gateway calls it, and how the hub
//! calls the gateway back (`/v1/inbound`).

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::check::{resolve_path, Checker};
use super::forward::{RawRetry, Retry};
use super::secret::Secret;
use super::tls::RawCertRule;
use crate::tls::{CertRule, ClientTls, ServerTls};

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
    /// The hub's Ed25519 public key: when set, what the hub sends to
    /// `/v1/inbound` must carry its valid HTTP message signature.
    pub public_key: Option<crate::audit::PublicKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHub {
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
    public_key: Option<Spanned<String>>,
}

impl Checker<'_> {
    /// The `[hub]` table, which a gateway must have.
    pub(crate) fn hub(
        &mut self,
        raw: Option<&RawHub>,
        tls: Option<&ServerTls>,
        base: &Path,
    ) -> Hub {
        match raw {
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
                    (Some(file), None) => {
                        match std::fs::read_to_string(resolve_path(base, file.get_ref())) {
                            Ok(k) if !k.trim().is_empty() => {
                                Some(Secret::new(k.trim().to_string()))
                            }
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
                        }
                    }
                    (None, Some(env)) => match std::env::var(env.get_ref()) {
                        Ok(k) if !k.trim().is_empty() => Some(Secret::new(k.trim().to_string())),
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
                    client_certs: self.cert_rules(&h.client_certs, tls, base, "hub.client_certs"),
                    client_tls,
                    retry: self.retry(h.retry.as_ref(), "hub.retry"),
                    public_key: self.public_key(h.public_key.as_ref(), "hub.public_key"),
                }
            }
            None => {
                self.missing("hub", "missing table [hub] (url of the iARMS hub)");
                Hub {
                    url: String::new(),
                    api_key: None,
                    inbound_key_hashes: Vec::new(),
                    client_certs: Vec::new(),
                    client_tls: ClientTls::default(),
                    retry: Retry::default(),
                    public_key: None,
                }
            }
        }
    }
}

//! TLS and mutual TLS (rustls, aws-lc-rs provider; no OpenSSL).
//!
//! - Server side ([`Acceptor`]): the gateway's and the hub's listeners present
//!   `cert_file`/`key_file`; with `client_ca_files` they ask for a client
//!   certificate. An unknown CA or an expired certificate fails the handshake; a
//!   client without a certificate may still connect and use an API key.
//! - Which configured CA issued a verified certificate is found by verifying it
//!   against each CA alone, so a [`CertRule`] can name its CA exactly; the
//!   subject DN and SANs come from the certificate ([`PeerIdentity`]).
//! - Client side ([`ClientTls`]): the CA a peer's certificate must chain to
//!   (instead of the system roots) and the certificate we present.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

/// A TLS fault, naming the file it comes from.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read `{path}`: {message}")]
    Read { path: PathBuf, message: String },
    #[error("`{path}` holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("`{path}` holds no PEM private key: {message}")]
    NoKey { path: PathBuf, message: String },
    #[error("`{path}`: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{0}")]
    Config(String),
}

/// `[tls]` of gateway.toml and hub.toml: our certificate and the CAs whose
/// client certificates we accept (mutual TLS when not empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTls {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// Canonical paths, so that [`CertRule::ca`] compares exactly.
    pub client_ca_files: Vec<PathBuf>,
}

/// How we call a peer over https: the CA its certificate must chain to
/// (default: the system's roots) and our own client certificate, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTls {
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// One allowed client certificate: issued by `ca`, with this subject DN and/or
/// this SAN (at least one of the two is set and every one set must match).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRule {
    /// Canonical path of one of the `client_ca_files`.
    pub ca: PathBuf,
    /// Attribute/value pairs, attribute upper case, in any order.
    pub subject: Option<Vec<(String, String)>>,
    pub san: Option<String>,
}

impl CertRule {
    pub fn matches(&self, peer: &PeerIdentity) -> bool {
        peer.cas.contains(&self.ca)
            && (self.subject.is_some() || self.san.is_some())
            && self.subject.as_ref().is_none_or(|s| *s == peer.subject)
            && self
                .san
                .as_ref()
                .is_none_or(|san| peer.sans.iter().any(|s| s.eq_ignore_ascii_case(san)))
    }
}

/// The verified client certificate of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// Subject DN as sorted attribute/value pairs.
    pub subject: Vec<(String, String)>,
    /// DNS names, IP addresses, URIs and e-mail addresses of the SAN extension.
    pub sans: Vec<String>,
    /// Canonical paths of the configured CA files the certificate verifies against.
    pub cas: Vec<PathBuf>,
}

impl PeerIdentity {
    /// `CN=x,O=y` for logs and error messages (a name, not a secret).
    pub fn subject_text(&self) -> String {
        self.subject
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Parses `CN=rs-registry,O=MUP` into sorted (ATTRIBUTE, value) pairs; `\,`
/// escapes a comma inside a value.
pub fn parse_dn(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ',' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    let mut pairs = Vec::new();
    for part in parts {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!(
                "`{text}`: `{}` is not ATTRIBUTE=value (e.g. CN=rs-registry,O=MUP)",
                part.trim()
            ));
        };
        let (k, v) = (k.trim().to_ascii_uppercase(), v.trim().to_string());
        if k.is_empty() || v.is_empty() {
            return Err(format!("`{text}`: empty attribute or value in `{part}`"));
        }
        pairs.push((k, v));
    }
    pairs.sort();
    Ok(pairs)
}

/// The one crypto provider of the build (reqwest's `rustls` feature uses it too).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Every certificate of a PEM file, in order (at least one).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid {
            path: path.to_path_buf(),
            message: format!("not a PEM certificate file: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    for cert in &certs {
        x509_parser::parse_x509_certificate(cert).map_err(|e| TlsError::Invalid {
            path: path.to_path_buf(),
            message: format!("not an X.509 certificate: {e}"),
        })?;
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError::NoKey {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The accepting side of TLS: the rustls server config and, per client CA,
/// a verifier that trusts that CA alone (to tell which CA issued a certificate).
pub struct Acceptor {
    pub config: Arc<ServerConfig>,
    per_ca: Vec<(PathBuf, Arc<dyn ClientCertVerifier>)>,
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor")
            .field(
                "client_cas",
                &self.per_ca.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn roots(files: &[&Path]) -> Result<Arc<RootCertStore>, TlsError> {
    let mut store = RootCertStore::empty();
    for file in files {
        for cert in load_certs(file)? {
            store.add(cert).map_err(|e| TlsError::Invalid {
                path: file.to_path_buf(),
                message: format!("not usable as a CA certificate: {e}"),
            })?;
        }
    }
    Ok(Arc::new(store))
}

fn client_verifier(files: &[&Path]) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    // Clients without a certificate may connect (API keys for local partners);
    // a presented certificate must verify or the handshake fails.
    WebPkiClientVerifier::builder_with_provider(roots(files)?, provider())
        .allow_unauthenticated()
        .build()
        .map_err(|e| TlsError::Config(format!("client CA files: {e}")))
}

impl Acceptor {
    /// Loads and checks every file of `[tls]`.
    pub fn new(tls: &ServerTls) -> Result<Acceptor, TlsError> {
        let certs = load_certs(&tls.cert_file)?;
        let key = load_key(&tls.key_file)?;
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let mut per_ca = Vec::new();
        let builder = if tls.client_ca_files.is_empty() {
            builder.with_no_client_auth()
        } else {
            let all: Vec<&Path> = tls.client_ca_files.iter().map(PathBuf::as_path).collect();
            for ca in &tls.client_ca_files {
                per_ca.push((ca.clone(), client_verifier(&[ca])?));
            }
            builder.with_client_cert_verifier(client_verifier(&all)?)
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| TlsError::Invalid {
                path: tls.key_file.clone(),
                message: format!("does not go with `{}`: {e}", tls.cert_file.display()),
            })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Acceptor {
            config: Arc::new(config),
            per_ca,
        })
    }

    /// The identity of a client's verified certificate chain (leaf first).
    pub fn identify(&self, chain: &[CertificateDer<'_>]) -> Option<PeerIdentity> {
        let (leaf, intermediates) = chain.split_first()?;
        let now = UnixTime::now();
        let cas = self
            .per_ca
            .iter()
            .filter(|(_, v)| v.verify_client_cert(leaf, intermediates, now).is_ok())
            .map(|(path, _)| path.clone())
            .collect();
        let (_, cert) = x509_parser::parse_x509_certificate(leaf).ok()?;
        let mut subject: Vec<(String, String)> = cert
            .subject()
            .iter_attributes()
            .map(|attr| {
                let name = x509_parser::objects::oid2abbrev(
                    attr.attr_type(),
                    x509_parser::objects::oid_registry(),
                )
                .map(str::to_string)
                .unwrap_or_else(|_| attr.attr_type().to_id_string());
                let value = attr.as_str().unwrap_or_default().to_string();
                (name.to_ascii_uppercase(), value)
            })
            .collect();
        subject.sort();
        let mut sans = Vec::new();
        if let Ok(Some(ext)) = cert.subject_alternative_name() {
            use x509_parser::extensions::GeneralName;
            for name in &ext.value.general_names {
                match name {
                    GeneralName::DNSName(s) | GeneralName::URI(s) | GeneralName::RFC822Name(s) => {
                        sans.push(s.to_string())
                    }
                    GeneralName::IPAddress(bytes) => match bytes.len() {
                        4 => sans.push(
                            std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*bytes).ok()?).to_string(),
                        ),
                        16 => sans.push(
                            std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*bytes).ok()?)
                                .to_string(),
                        ),
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
        Some(PeerIdentity { subject, sans, cas })
    }
}

impl ClientTls {
    pub fn is_empty(&self) -> bool {
        self.ca_file.is_none() && self.cert_file.is_none() && self.key_file.is_none()
    }

    /// `builder` with this CA as the only trust anchor and this client identity.
    pub fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, TlsError> {
        if let Some(ca) = &self.ca_file {
            // Checked with rustls first so that a bad file is named precisely.
            load_certs(ca)?;
            let certs = reqwest::Certificate::from_pem_bundle(&read(ca)?).map_err(|e| {
                TlsError::Invalid {
                    path: ca.clone(),
                    message: e.to_string(),
                }
            })?;
            builder = builder.tls_certs_only(certs);
        }
        match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => {
                load_certs(cert)?;
                load_key(key)?;
                let mut pem = read(cert)?;
                pem.push(b'\n');
                pem.extend(read(key)?);
                let identity =
                    reqwest::Identity::from_pem(&pem).map_err(|e| TlsError::Invalid {
                        path: cert.clone(),
                        message: format!("with `{}`: {e}", key.display()),
                    })?;
                builder = builder.identity(identity);
            }
            (None, None) => {}
            _ => {
                return Err(TlsError::Config(
                    "give client_cert_file and client_key_file together".into(),
                ))
            }
        }
        Ok(builder)
    }

    /// A client with this TLS setup and `timeout` per request.
    pub fn client(&self, timeout: std::time::Duration) -> Result<reqwest::Client, TlsError> {
        self.apply(reqwest::Client::builder().timeout(timeout))?
            .build()
            .map_err(|e| TlsError::Config(format!("cannot build the HTTP client: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguished_names() {
        assert_eq!(
            parse_dn("O=MUP, cn=rs-registry").unwrap(),
            vec![
                ("CN".to_string(), "rs-registry".to_string()),
                ("O".to_string(), "MUP".to_string())
            ]
        );
        assert_eq!(
            parse_dn("O=A\\, B").unwrap(),
            vec![("O".to_string(), "A, B".to_string())]
        );
        assert!(parse_dn("rs-registry").is_err());
        assert!(parse_dn("CN=").is_err());
    }
}

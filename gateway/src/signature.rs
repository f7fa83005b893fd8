//! HTTP Message Signatures (RFC 9421) between the gateways and the hub: the
//! sender signs the body's digest (`Content-Digest`, RFC 9530, sha-256) and
//! the routing headers with its Ed25519 key; the receiver verifies them with
//! the peer's public key from its config, and keeps the signature as evidence.
//!
//! Hand-written, the small subset this needs: one algorithm (`ed25519`),
//! request components `@method`, `@path` and header fields, the parameters
//! `created`, `keyid` and `alg`, and the two Structured Field dictionaries
//! (RFC 8941) of `Signature-Input` and `Signature` as senders write them. The
//! crates that implement RFC 9421 are early releases (0.0.x) built around
//! their own request types and several key algorithms we do not use; this is
//! under 300 lines and checked against the RFC's own ed25519 example
//! (appendix B.2.6).
//!
//! What the gateway and the hub sign: `("@method" "@path" "content-digest"`
//! and, when present, `"content-type" "idempotency-key" "x-message-id"
//! "x-correlation-id")`, with `created`, `keyid` (the public key, base64) and
//! `alg="ed25519"`, label `iarms`. A receiver requires at least `@method`,
//! `@path` and `content-digest`, a digest that matches the body, and a
//! `created` within [`MAX_SKEW_SECS`] of its clock.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::audit::{PublicKey, SigningKey};

/// The label of our signatures.
pub const LABEL: &str = "iarms";

/// How far a signature's `created` may be from the receiver's clock.
pub const MAX_SKEW_SECS: i64 = 300;

/// The components every signature must cover.
const REQUIRED: [&str; 3] = ["@method", "@path", "content-digest"];

/// Headers covered when the request has them.
const OPTIONAL: [&str; 4] = [
    "content-type",
    "idempotency-key",
    "x-message-id",
    "x-correlation-id",
];

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed (no Signature-Input and Signature headers)")]
    Missing,
    #[error("malformed {header}: {reason}")]
    Malformed {
        header: &'static str,
        reason: String,
    },
    #[error("the signature does not cover {0}")]
    NotCovered(String),
    #[error("the signed component {0} is not in the request")]
    Absent(String),
    #[error("Content-Digest does not match the body (it was changed on the way)")]
    Digest,
    #[error(
        "the signature was created at {created}, {skew} s from now (at most {MAX_SKEW_SECS} s)"
    )]
    Stale { created: i64, skew: i64 },
    #[error("the signature does not verify with the key configured for this peer")]
    Bad,
}

/// A signature that verified: what is kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `Signature-Input` member, as `label=(...);params`.
    pub input: String,
    /// The `Signature` member, as `label=:base64:`.
    pub signature: String,
}

impl Verified {
    /// One text holding both, for a column or an audit entry.
    pub fn evidence(&self) -> String {
        format!(
            "signature-input: {}\nsignature: {}",
            self.input, self.signature
        )
    }
}

/// `sha-256=:base64:` of the body (RFC 9530).
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// A parameter value: an integer or a string (the only kinds used here).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Param {
    Int(i64),
    Str(String),
}

/// One parsed `Signature-Input` member.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Input {
    label: String,
    components: Vec<String>,
    params: Vec<(String, Param)>,
}

impl Input {
    /// The `@signature-params` value: the inner list with its parameters,
    /// serialised as RFC 8941 does.
    fn serialise(&self) -> String {
        let mut out = String::from("(");
        let quoted: Vec<String> = self.components.iter().map(|c| quote(c)).collect();
        out.push_str(&quoted.join(" "));
        out.push(')');
        for (name, value) in &self.params {
            out.push(';');
            out.push_str(name);
            out.push('=');
            match value {
                Param::Int(i) => out.push_str(&i.to_string()),
                Param::Str(s) => out.push_str(&quote(s)),
            }
        }
        out
    }

    fn int(&self, name: &str) -> Option<i64> {
        self.params.iter().find_map(|(n, v)| match v {
            Param::Int(i) if n == name => Some(*i),
            _ => None,
        })
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The value of one component of a request, as RFC 9421 section 2 defines it.
fn component(name: &str, method: &str, path: &str, headers: &HeaderMap) -> Option<String> {
    match name {
        "@method" => Some(method.to_ascii_uppercase()),
        "@path" => Some(if path.is_empty() { "/" } else { path }.to_string()),
        n if n.starts_with('@') => None,
        n => {
            let values: Vec<String> = headers
                .get_all(n)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
                .collect();
            (!values.is_empty()).then(|| values.join(", "))
        }
    }
}

/// The signature base (RFC 9421 section 2.5).
fn base(
    input: &Input,
    method: &str,
    path: &str,
    headers: &HeaderMap,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(input.components.len() + 1);
    for name in &input.components {
        let value = component(name, method, path, headers)
            .ok_or_else(|| SignatureError::Absent(name.clone()))?;
        lines.push(format!("\"{name}\": {value}"));
    }
    lines.push(format!("\"@signature-params\": {}", input.serialise()));
    Ok(lines.join("\n"))
}

/// Signs a request: sets `Content-Digest` of `body`, then `Signature-Input`
/// and `Signature` over the method, the path and the routing headers. `path`
/// is the request target's path, without the query.
pub fn sign_request(
    method: &str,
    path: &str,
    headers: &mut HeaderMap,
    body: &[u8],
    key: &SigningKey,
    created: i64,
) -> Result<(), SignatureError> {
    let malformed = |reason: String| SignatureError::Malformed {
        header: "request",
        reason,
    };
    let digest =
        HeaderValue::from_str(&content_digest(body)).map_err(|e| malformed(e.to_string()))?;
    headers.insert(HeaderName::from_static("content-digest"), digest);
    let mut components: Vec<String> = REQUIRED.iter().map(|c| c.to_string()).collect();
    components.extend(
        OPTIONAL
            .iter()
            .filter(|h| headers.contains_key(**h))
            .map(|h| h.to_string()),
    );
    let input = Input {
        label: LABEL.to_string(),
        components,
        params: vec![
            ("created".into(), Param::Int(created)),
            ("keyid".into(), Param::Str(key.public().to_string())),
            ("alg".into(), Param::Str("ed25519".into())),
        ],
    };
    let base = base(&input, method, path, headers)?;
    let signature = STANDARD.encode(key.sign_raw(base.as_bytes()));
    let input_header = format!("{LABEL}={}", input.serialise());
    let signature_header = format!("{LABEL}=:{signature}:");
    for (name, value) in [
        ("signature-input", input_header),
        ("signature", signature_header),
    ] {
        let value = HeaderValue::from_str(&value).map_err(|e| malformed(e.to_string()))?;
        headers.insert(HeaderName::from_static(name), value);
    }
    Ok(())
}

/// [`sign_request`] for a POST to `target` (a URL) now. A request that cannot
/// be signed (a header value that is not text) goes unsigned, and the
/// receiver, which requires the signature, refuses it with a reason.
pub fn sign_outbound(target: &str, headers: &mut HeaderMap, body: &[u8], key: &SigningKey) {
    let path = reqwest::Url::parse(target)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| "/".to_string());
    if let Err(e) = sign_request("POST", &path, headers, body, key, now_secs()) {
        tracing::warn!(error = %e, "cannot sign the request");
    }
}

/// The receiver's clock, in seconds.
pub fn now_secs() -> i64 {
    crate::time::now_millis() / 1000
}

/// Verifies a signed request with the peer's trusted keys; `now` in seconds.
pub fn verify_request(
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    trusted: &[PublicKey],
    now: i64,
) -> Result<Verified, SignatureError> {
    let (Some(input_text), Some(signature_text)) = (
        header_text(headers, "signature-input")?,
        header_text(headers, "signature")?,
    ) else {
        return Err(SignatureError::Missing);
    };
    let inputs = parse_inputs(&input_text)?;
    let signatures = parse_signatures(&signature_text)?;
    // Ours if present, else the first member with a signature.
    let input = inputs
        .iter()
        .find(|i| i.label == LABEL)
        .or_else(|| {
            inputs
                .iter()
                .find(|i| signatures.iter().any(|(l, _)| *l == i.label))
        })
        .ok_or(SignatureError::Missing)?;
    let (_, signature) = signatures
        .iter()
        .find(|(l, _)| *l == input.label)
        .ok_or(SignatureError::Missing)?;
    for required in REQUIRED {
        if !input.components.iter().any(|c| c == required) {
            return Err(SignatureError::NotCovered(required.to_string()));
        }
    }
    let digest = component("content-digest", method, path, headers)
        .ok_or_else(|| SignatureError::Absent("content-digest".into()))?;
    if digest != content_digest(body) {
        return Err(SignatureError::Digest);
    }
    let created = input
        .int("created")
        .ok_or_else(|| SignatureError::Malformed {
            header: "Signature-Input",
            reason: "no `created` parameter".into(),
        })?;
    let skew = (now - created).abs();
    if skew > MAX_SKEW_SECS {
        return Err(SignatureError::Stale { created, skew });
    }
    let base = base(input, method, path, headers)?;
    if !trusted
        .iter()
        .any(|key| key.verify_raw(base.as_bytes(), signature).is_ok())
    {
        return Err(SignatureError::Bad);
    }
    Ok(Verified {
        input: format!("{}={}", input.label, input.serialise()),
        signature: format!("{}=:{}:", input.label, STANDARD.encode(signature)),
    })
}

fn header_text(headers: &HeaderMap, name: &'static str) -> Result<Option<String>, SignatureError> {
    let values: Result<Vec<&str>, _> = headers.get_all(name).iter().map(|v| v.to_str()).collect();
    let values = values.map_err(|_| SignatureError::Malformed {
        header: name,
        reason: "not ASCII".into(),
    })?;
    Ok((!values.is_empty()).then(|| values.join(", ")))
}

/// A cursor over a Structured Field text.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
    header: &'static str,
}

impl<'a> Cursor<'a> {
    fn error(&self, reason: &str) -> SignatureError {
        SignatureError::Malformed {
            header: self.header,
            reason: format!("{reason} at character {}", self.at + 1),
        }
    }

    fn peek(&self) -> Option<char> {
        self.text
            .get(self.at..)
            .and_then(|rest| rest.chars().next())
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn spaces(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.at += 1;
        }
    }

    /// An RFC 8941 key: `[a-z*][a-z0-9_.*-]*`.
    fn key(&mut self) -> Result<String, SignatureError> {
        let start = self.at;
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_lowercase()
                || c == '*'
                || (self.at > start && (c.is_ascii_digit() || "_-.".contains(c)));
            if !ok {
                break;
            }
            self.at += 1;
        }
        match self.text.get(start..self.at) {
            Some(key) if !key.is_empty() => Ok(key.to_string()),
            _ => Err(self.error("a key expected")),
        }
    }

    fn string(&mut self) -> Result<String, SignatureError> {
        if !self.eat('"') {
            return Err(self.error("a string expected"));
        }
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("an unterminated string")),
                Some('"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(c @ ('"' | '\\')) => {
                            out.push(c);
                            self.at += 1;
                        }
                        _ => return Err(self.error("a bad escape")),
                    }
                }
                Some(c) if (' '..='~').contains(&c) => {
                    out.push(c);
                    self.at += 1;
                }
                Some(_) => return Err(self.error("a character strings may not hold")),
            }
        }
    }

    fn integer(&mut self) -> Result<i64, SignatureError> {
        let start = self.at;
        self.eat('-');
        while matches!(self.peek(), Some('0'..='9')) {
            self.at += 1;
        }
        self.text
            .get(start..self.at)
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| self.error("an integer expected"))
    }

    fn params(&mut self) -> Result<Vec<(String, Param)>, SignatureError> {
        let mut params = Vec::new();
        while self.eat(';') {
            self.spaces();
            let name = self.key()?;
            if !self.eat('=') {
                return Err(self.error("`=` expected"));
            }
            let value = if self.peek() == Some('"') {
                Param::Str(self.string()?)
            } else {
                Param::Int(self.integer()?)
            };
            params.push((name, value));
        }
        Ok(params)
    }

    /// `,` between members, or the end; true while members follow.
    fn next_member(&mut self) -> Result<bool, SignatureError> {
        self.spaces();
        if self.at >= self.text.len() {
            return Ok(false);
        }
        if !self.eat(',') {
            return Err(self.error("`,` expected"));
        }
        self.spaces();
        Ok(true)
    }
}

fn parse_inputs(text: &str) -> Result<Vec<Input>, SignatureError> {
    let mut c = Cursor {
        text: text.trim(),
        at: 0,
        header: "Signature-Input",
    };
    let mut inputs = Vec::new();
    loop {
        let label = c.key()?;
        if !c.eat('=') || !c.eat('(') {
            return Err(c.error("`=(` expected"));
        }
        let mut components = Vec::new();
        loop {
            c.spaces();
            if c.eat(')') {
                break;
            }
            components.push(c.string()?);
        }
        let params = c.params()?;
        inputs.push(Input {
            label,
            components,
            params,
        });
        if !c.next_member()? {
            return Ok(inputs);
        }
    }
}

fn parse_signatures(text: &str) -> Result<Vec<(String, Vec<u8>)>, SignatureError> {
    let mut c = Cursor {
        text: text.trim(),
        at: 0,
        header: "Signature",
    };
    let mut signatures = Vec::new();
    loop {
        let label = c.key()?;
        if !c.eat('=') || !c.eat(':') {
            return Err(c.error("`=:` expected"));
        }
        let start = c.at;
        while matches!(c.peek(), Some(ch) if ch != ':') {
            c.at += 1;
        }
        let bytes = c
            .text
            .get(start..c.at)
            .and_then(|b| STANDARD.decode(b).ok())
            .ok_or_else(|| c.error("base64 expected"))?;
        if !c.eat(':') {
            return Err(c.error("`:` expected"));
        }
        c.params()?;
        signatures.push((label, bytes));
        if !c.next_member()? {
            return Ok(signatures);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9421 appendix B.1.4.
    const TEST_KEY_ED25519: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n\
        -----END PRIVATE KEY-----\n";

    fn rfc_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            ("content-type", "application/json"),
            ("content-length", "18"),
        ] {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        headers
    }

    /// RFC 9421 appendix B.2.6, "Signing a Request Using ed25519": the same
    /// base, and (ed25519 is deterministic) the same signature.
    #[test]
    fn the_rfc_ed25519_example_signs_and_verifies() {
        let key = SigningKey::from_pem(TEST_KEY_ED25519, "rfc").expect("the RFC's key");
        assert_eq!(
            key.public().to_string(),
            "JrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs="
        );
        let input_text = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
        let inputs = parse_inputs(input_text).expect("parses");
        let input = &inputs[0];
        // `@authority` is not in our subset: the base is built with it given.
        let mut headers = rfc_headers();
        let components: Vec<String> = input
            .components
            .iter()
            .map(|c| {
                if c == "@authority" {
                    headers.insert("x-authority", HeaderValue::from_static("example.com"));
                    "x-authority".to_string()
                } else {
                    c.clone()
                }
            })
            .collect();
        let base_text = base(
            &Input {
                components,
                ..input.clone()
            },
            "POST",
            "/foo",
            &headers,
        )
        .expect("base")
        .replace("\"x-authority\"", "\"@authority\"");
        assert_eq!(
            base_text,
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\
             \"@authority\": example.com\n\"content-type\": application/json\n\
             \"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \
             \"@authority\" \"content-type\" \"content-length\");created=1618884473;\
             keyid=\"test-key-ed25519\""
        );
        let signature = STANDARD.encode(key.sign_raw(base_text.as_bytes()));
        assert_eq!(
            signature,
            "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
        );
        let parsed = parse_signatures(&format!("sig-b26=:{signature}:")).expect("parses");
        key.public()
            .verify_raw(base_text.as_bytes(), &parsed[0].1)
            .expect("verifies");
        assert_eq!(input.serialise(), input_text.trim_start_matches("sig-b26="));
    }

    /// RFC 9530's example: `{"hello": "world"}`.
    #[test]
    fn content_digest_is_rfc_9530_sha_256() {
        assert_eq!(
            content_digest(br#"{"hello": "world"}"#),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
    }

    fn signed(key: &SigningKey, body: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("x-message-id", HeaderValue::from_static("m-1"));
        sign_request("POST", "/v1/records", &mut headers, body, key, 1_000).expect("signed");
        headers
    }

    #[test]
    fn a_signed_request_verifies_and_every_change_is_refused() {
        let key = SigningKey::generate().expect("key");
        let trusted = [key.public()];
        let body = br#"{"record_id":"R-1"}"#;
        let headers = signed(&key, body);
        let verified = verify_request("POST", "/v1/records", &headers, body, &trusted, 1_010)
            .expect("verifies");
        assert!(verified.input.contains(r#""x-message-id""#), "{verified:?}");

        let verify = |method: &str, path: &str, headers: &HeaderMap, body: &[u8], now: i64| {
            verify_request(method, path, headers, body, &trusted, now)
        };
        assert_eq!(
            verify(
                "POST",
                "/v1/records",
                &headers,
                br#"{"record_id":"R-2"}"#,
                1_000
            ),
            Err(SignatureError::Digest)
        );
        assert_eq!(
            verify("POST", "/v1/searches", &headers, body, 1_000),
            Err(SignatureError::Bad)
        );
        let mut rerouted = headers.clone();
        rerouted.insert("x-message-id", HeaderValue::from_static("m-2"));
        assert_eq!(
            verify("POST", "/v1/records", &rerouted, body, 1_000),
            Err(SignatureError::Bad)
        );
        assert!(matches!(
            verify(
                "POST",
                "/v1/records",
                &headers,
                body,
                1_000 + MAX_SKEW_SECS + 1
            ),
            Err(SignatureError::Stale { .. })
        ));
        let stranger = SigningKey::generate().expect("key");
        assert_eq!(
            verify_request(
                "POST",
                "/v1/records",
                &headers,
                body,
                &[stranger.public()],
                1_000
            ),
            Err(SignatureError::Bad)
        );
        assert_eq!(
            verify("POST", "/v1/records", &HeaderMap::new(), body, 1_000),
            Err(SignatureError::Missing)
        );
        let mut narrow = headers.clone();
        narrow.insert(
            "signature-input",
            HeaderValue::from_static(r#"iarms=("@method");created=1000"#),
        );
        assert_eq!(
            verify("POST", "/v1/records", &narrow, body, 1_000),
            Err(SignatureError::NotCovered("@path".into()))
        );
        let mut garbage = headers.clone();
        garbage.insert("signature", HeaderValue::from_static("iarms=:not base64!:"));
        assert!(matches!(
            verify("POST", "/v1/records", &garbage, body, 1_000),
            Err(SignatureError::Malformed { .. })
        ));
    }
}

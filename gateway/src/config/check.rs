//! The `Checker` a raw configuration is checked with, shared by `gateway.toml`
//! and `hub.toml`: it collects every fault with its line and key instead of
//! stopping at the first, and checks the values both files have (durations,
//! URLs, key hashes, listen addresses, limits). The tables' own checks are
//! beside their types (`forward.rs`, `tls.rs`, `store.rs`, …).

use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::diagnostics::{line_of, ConfigError};

/// Collects located faults while a raw config is checked (shared with `hub.toml`).
pub(crate) struct Checker<'a> {
    pub(crate) file: String,
    pub(crate) text: &'a str,
    pub(crate) errors: Vec<ConfigError>,
}

impl<'a> Checker<'a> {
    /// A checker of `text`, the content of the file `path`.
    pub(crate) fn new(path: &Path, text: &'a str) -> Checker<'a> {
        Checker {
            file: path.display().to_string(),
            text,
            errors: Vec::new(),
        }
    }

    /// Every fault found, in file order (faults without a line last).
    pub(crate) fn into_errors(self) -> Vec<ConfigError> {
        let mut errors = self.errors;
        errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        errors
    }

    /// The line a span starts on.
    pub(crate) fn line(&self, span: Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    /// A fault of the file as a whole (no line), at `key`.
    pub(crate) fn missing(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            line: None,
            key: Some(key.into()),
            message: message.into(),
        });
    }

    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        let line = line_of(self.text, span.start);
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
            let (id, phc) = split_key_hash(h.get_ref());
            let message = if argon2::PasswordHash::new(phc).is_err() {
                Some("not an argon2 PHC string (make one with `iarms-gateway hash-key`)")
            } else if id.is_some_and(|id| !valid_key_id(id)) {
                Some("the key id before `:` must be 1 to 32 lowercase letters and digits")
            } else {
                None
            };
            match message {
                Some(message) => self.error(h.span(), format!("{key}[{}]", i + 1), message),
                None => out.push(h.get_ref().clone()),
            }
        }
        out
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

    /// A duration, or `default` when the key is absent or wrong (a wrong one is a fault).
    pub(crate) fn duration_or(
        &mut self,
        raw: Option<&Spanned<String>>,
        key: &str,
        default: Duration,
    ) -> Duration {
        raw.and_then(|v| self.duration(v.get_ref(), v.span(), key))
            .unwrap_or(default)
    }

    /// `listen`: a socket address (`example` in the message), else `fallback`.
    pub(crate) fn listen(
        &mut self,
        raw: &Spanned<String>,
        key: &str,
        example: &str,
        fallback: SocketAddr,
    ) -> SocketAddr {
        match raw.get_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                self.error(
                    raw.span(),
                    key,
                    format!(
                        "`{}` is not a socket address (e.g. {example})",
                        raw.get_ref()
                    ),
                );
                fallback
            }
        }
    }

    /// `body_limit_mib`, in bytes (default 10 MiB, at least 1 MiB).
    pub(crate) fn body_limit(&mut self, raw: Option<&Spanned<u64>>, key: &str) -> usize {
        match raw {
            Some(v) if *v.get_ref() == 0 => {
                self.error(v.span(), key, "must be at least 1");
                10 << 20
            }
            Some(v) => (*v.get_ref() as usize) << 20,
            None => 10 << 20,
        }
    }

    /// An ISO 3166-1 alpha-2 country code (`RS`).
    pub(crate) fn country(&mut self, country: &str, span: Range<usize>, key: &str) -> bool {
        let ok = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
        if !ok {
            self.error(
                span,
                key,
                format!("`{country}` is not an ISO 3166-1 alpha-2 code (e.g. RS)"),
            );
        }
        ok
    }
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

/// The longest duration a configuration may give: ten years. Durations are
/// added to epoch milliseconds (leases, retention, due times); a bound far
/// below what those can hold keeps every such sum exact.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 86_400);

/// Humane durations: `250ms`, `1s`, `5m`, `2h`, `1d`. Hand-written (humantime
/// is not a dependency, and its grammar is wider than the one documented in
/// the example files): one whole number and one unit, the product checked
/// for overflow and bounded by [`MAX_DURATION`].
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let not_a_duration = || format!("`{value}` is not a duration (e.g. 250ms, 1s, 5m, 2h, 1d)");
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    if number.is_empty() {
        return Err(not_a_duration());
    }
    let unit_ms: u64 = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(not_a_duration()),
    };
    let too_long = || format!("`{value}` is longer than the most allowed, 3650d");
    // A number too long for u64 is too long a duration, not a malformed one.
    let n: u64 = number.parse().map_err(|_| too_long())?;
    let ms = n.checked_mul(unit_ms).ok_or_else(too_long)?;
    let duration = Duration::from_millis(ms);
    if duration > MAX_DURATION {
        return Err(too_long());
    }
    Ok(duration)
}

/// A configured key hash: `<id>:<argon2 PHC string>` for a key `iag_<id>_<secret>`
/// (looked up by its id), or a bare PHC string for a key without an id (the
/// keys made before ids, accepted during the migration; see SECURITY.md).
pub fn split_key_hash(text: &str) -> (Option<&str>, &str) {
    match text.split_once(':') {
        Some((id, phc)) if !id.contains('$') => (Some(id), phc),
        _ => (None, text),
    }
}

/// A key id: what `hash-key` makes (lowercase letters and digits), at most 32.
pub fn valid_key_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

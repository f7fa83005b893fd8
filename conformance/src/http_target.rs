//! Live targets: the steps of an `http` case against a gateway or hub
//! (`--target URL --api-key KEY`), and of a `registry` case against a registry's
//! endpoint. Each step is one request; its status and JSON reply are checked,
//! values are captured for later steps, and a step with `within` is polled until
//! its expectations hold. Every exchange is kept; the report shows those of failed cases.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::expect::{capture_text, check_json};
use crate::outcome::{Exchange, Finding};
use crate::suite::{Auth, Step, Suite};
use crate::template::Vars;

/// Where steps are sent and with which key.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub base: String,
    pub key: String,
    pub timeout: Duration,
    pub client: reqwest::Client,
}

/// How often a `within` step is tried again.
const POLL: Duration = Duration::from_millis(250);
/// How much of a body the report keeps.
const KEEP: usize = 4000;

fn truncate(text: &str) -> String {
    if text.len() <= KEEP {
        return text.to_string();
    }
    let mut end = KEEP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// A request body of exactly `n` bytes: a JSON document with one long string,
/// so that a size limit, not a syntax error, is what refuses it.
fn filler(n: u64) -> Vec<u8> {
    let n = n as usize;
    let head = b"{\"filler\":\"";
    let tail = b"\"}";
    if n <= head.len() + tail.len() {
        return vec![b' '; n];
    }
    let mut body = Vec::with_capacity(n);
    body.extend_from_slice(head);
    body.resize(n - tail.len(), b'x');
    body.extend_from_slice(tail);
    body
}

/// The request of a step, templates expanded.
struct Prepared {
    method: reqwest::Method,
    /// The path with its templates expanded, as the report names the step.
    path: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

fn prepare(
    suite: &Suite,
    endpoint: &Endpoint,
    step: &Step,
    vars: &mut Vars,
) -> Result<Prepared, String> {
    let method = reqwest::Method::from_bytes(step.method.as_bytes())
        .map_err(|_| format!("not an HTTP method: {}", step.method))?;
    let path = vars.expand(&step.path)?;
    let url = format!("{}{}", endpoint.base.trim_end_matches('/'), path);
    let mut headers = Vec::new();
    match step.auth {
        Auth::Valid => headers.push(("Authorization".into(), format!("Bearer {}", endpoint.key))),
        Auth::Wrong => headers.push((
            "Authorization".into(),
            format!("Bearer conformance-wrong-{}", uuid::Uuid::new_v4().simple()),
        )),
        Auth::None => {}
    }
    for (name, value) in &step.headers {
        headers.push((name.clone(), vars.expand(value)?));
    }
    let body = if let Some(text) = &step.body {
        Some(vars.expand(text)?.into_bytes())
    } else if let Some(file) = &step.body_file {
        let bytes = suite
            .input(file)
            .ok_or_else(|| format!("no input file {file}"))?;
        Some(match std::str::from_utf8(bytes) {
            Ok(text) => vars.expand(text)?.into_bytes(),
            Err(_) => bytes.to_vec(),
        })
    } else {
        step.body_bytes.map(filler)
    };
    if body.is_some() {
        let content_type = step
            .content_type
            .clone()
            .unwrap_or_else(|| "application/json".to_string());
        headers.push(("Content-Type".into(), content_type));
    }
    Ok(Prepared {
        method,
        path,
        url,
        headers,
        body,
    })
}

fn describe_request(p: &Prepared) -> String {
    let mut text = format!("{} {}\n", p.method, p.url);
    for (name, value) in &p.headers {
        // The key is a secret: the report names it, never shows it.
        let shown = if name.eq_ignore_ascii_case("authorization") {
            "Bearer <redacted>"
        } else {
            value
        };
        text.push_str(&format!("{name}: {shown}\n"));
    }
    if let Some(body) = &p.body {
        text.push('\n');
        text.push_str(&truncate(&String::from_utf8_lossy(body)));
    }
    text
}

/// Sends a request; a connection error (not a timeout) is tried twice more.
/// A server that refuses an oversized body answers 413 and closes the connection
/// while the body is still being written; depending on timing the client sees the
/// answer or a broken pipe, so a broken connection is not yet a verdict.
async fn send(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let mut tries = 0;
    loop {
        let Some(attempt) = request.try_clone() else {
            return request.send().await;
        };
        match attempt.send().await {
            Err(e) if !e.is_timeout() && tries < 2 => {
                tries += 1;
                tracing::debug!(error = %e, "connection error; trying again");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

/// One try of a step: the failures found (empty = the step holds) and the exchange.
async fn attempt(
    endpoint: &Endpoint,
    prepared: &Prepared,
    step: &Step,
    vars: &mut Vars,
) -> Result<(Vec<String>, Option<Value>, Exchange), String> {
    let mut request = endpoint
        .client
        .request(prepared.method.clone(), &prepared.url)
        .timeout(endpoint.timeout);
    for (name, value) in &prepared.headers {
        request = request.header(name, value);
    }
    if let Some(body) = &prepared.body {
        request = request.body(body.clone());
    }
    let mut exchange = Exchange {
        request: describe_request(prepared),
        response: String::new(),
    };
    let started = Instant::now();
    let response = match send(request).await {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                format!("no answer within {:?}", endpoint.timeout)
            } else {
                format!("the request failed: {e}")
            };
            exchange.response = why.clone();
            return Ok((
                vec![format!("{} {}: {why}", prepared.method, prepared.path)],
                None,
                exchange,
            ));
        }
    };
    let status = response.status().as_u16();
    let mut head = format!("HTTP {status} ({} ms)\n", started.elapsed().as_millis());
    for (name, value) in response.headers() {
        head.push_str(&format!(
            "{name}: {}\n",
            value.to_str().unwrap_or("<binary>")
        ));
    }
    let bytes = match tokio::time::timeout(endpoint.timeout, response.bytes()).await {
        Ok(Ok(b)) => b.to_vec(),
        Ok(Err(e)) => {
            exchange.response = format!("{head}\n<the body could not be read: {e}>");
            return Ok((
                vec![format!("the reply body could not be read: {e}")],
                None,
                exchange,
            ));
        }
        Err(_) => {
            exchange.response = format!("{head}\n<the body did not arrive in time>");
            return Ok((
                vec![format!(
                    "the reply body did not arrive within {:?}",
                    endpoint.timeout
                )],
                None,
                exchange,
            ));
        }
    };
    exchange.response = format!("{head}\n{}", truncate(&String::from_utf8_lossy(&bytes)));
    let reply: Option<Value> = serde_json::from_slice(&bytes).ok();
    let mut failures = Vec::new();
    let status_ok = match (step.expect_status, step.expect_status_in.is_empty()) {
        (Some(s), _) => status == s,
        (None, false) => step.expect_status_in.contains(&status),
        (None, true) => true,
    };
    if !status_ok {
        let expected = match step.expect_status {
            Some(s) => s.to_string(),
            None => format!("one of {:?}", step.expect_status_in),
        };
        let code = reply
            .as_ref()
            .and_then(|r| r.pointer("/error/code"))
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        failures.push(format!(
            "{} {}: expected status {expected}, found {status}{code}",
            prepared.method, prepared.path
        ));
    }
    for f in check_json(&step.expect_json, reply.as_ref(), vars)? {
        failures.push(format!("{} {}: {f}", prepared.method, prepared.path));
    }
    Ok((failures, reply, exchange))
}

/// Runs the steps in order; the first failing step ends the case.
pub async fn run_steps(
    suite: &Suite,
    endpoint: &Endpoint,
    steps: &[Step],
    vars: &mut Vars,
    finding: &mut Finding,
) -> bool {
    for (i, step) in steps.iter().enumerate() {
        let prepared = match prepare(suite, endpoint, step, vars) {
            Ok(p) => p,
            Err(e) => {
                finding.messages.push(format!("step {}: {e}", i + 1));
                return false;
            }
        };
        let deadline = step
            .within
            .as_deref()
            .and_then(|w| crate::suite::parse_duration(w).ok())
            .map(|d| Instant::now() + d);
        loop {
            let (failures, reply, exchange) = match attempt(endpoint, &prepared, step, vars).await {
                Ok(r) => r,
                Err(e) => {
                    finding.messages.push(format!("step {}: {e}", i + 1));
                    return false;
                }
            };
            if failures.is_empty() {
                finding.exchanges.push(exchange);
                for (name, pointer) in &step.capture {
                    match reply.as_ref().and_then(|r| r.pointer(pointer)) {
                        Some(v) => {
                            vars.values.insert(name.clone(), capture_text(v));
                        }
                        None => {
                            finding.messages.push(format!(
                                "step {}: cannot capture {name}: no value at {pointer}",
                                i + 1
                            ));
                            return false;
                        }
                    }
                }
                break;
            }
            match deadline {
                Some(d) if Instant::now() + POLL < d => {
                    tokio::time::sleep(POLL).await;
                }
                _ => {
                    finding.exchanges.push(exchange);
                    finding.expected = Some(expected_of(step));
                    finding.actual = finding.exchanges.last().map(|e| e.response.clone());
                    finding
                        .messages
                        .extend(failures.into_iter().map(|f| format!("step {}: {f}", i + 1)));
                    if let Some(w) = &step.within {
                        finding
                            .messages
                            .push(format!("step {}: still failing after {w}", i + 1));
                    }
                    return false;
                }
            }
        }
    }
    true
}

/// The expectation of a step in words, for the report.
fn expected_of(step: &Step) -> String {
    let mut text = match step.expect_status {
        Some(s) => format!("status {s}"),
        None => format!("status in {:?}", step.expect_status_in),
    };
    for e in &step.expect_json {
        if let Some(v) = &e.equals {
            text.push_str(&format!("\n{} = {v}", e.pointer));
        }
        if let Some(x) = e.exists {
            text.push_str(&format!(
                "\n{} {}",
                e.pointer,
                if x { "exists" } else { "absent" }
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filler_has_the_exact_size_and_is_json() {
        let body = filler(1000);
        assert_eq!(body.len(), 1000);
        assert!(serde_json::from_slice::<Value>(&body).is_ok());
        assert_eq!(filler(3).len(), 3);
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let text = "é".repeat(KEEP);
        let cut = truncate(&text);
        assert!(cut.contains("bytes in all"));
    }
}

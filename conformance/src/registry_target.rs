//! The registry target: the runner plays the hub. It sends a case's steps to the
//! registry's endpoint (e.g. a gateway's `POST /v1/inbound` with the hub's key)
//! and listens (axum) as the hub for what the registry sends back: every request
//! is recorded, answered 200 like the hub would, and matched against the case's
//! `[[case.await]]` entries within their time.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::expect::{capture_text, check_json};
use crate::outcome::{Exchange, Finding};
use crate::suite::Await;
use crate::template::Vars;

/// One request the registry sent to the runner's hub listener.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: Option<Value>,
    pub text: String,
}

/// Everything received so far, and a bell rung on each arrival.
#[derive(Debug, Default)]
pub struct Inbox {
    received: Mutex<Vec<Received>>,
    arrived: Notify,
}

impl Inbox {
    fn push(&self, r: Received) {
        if let Ok(mut list) = self.received.lock() {
            list.push(r);
        }
        self.arrived.notify_waiters();
    }

    fn snapshot(&self) -> Vec<Received> {
        self.received.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// The hub listener: started once per run, stopped when the handle drops.
pub struct HubListener {
    pub addr: SocketAddr,
    pub inbox: Arc<Inbox>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HubListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `listen` and answers every request like the hub: 200 with a receipt.
pub async fn listen(listen: SocketAddr) -> std::io::Result<HubListener> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let inbox = Arc::new(Inbox::default());
    let shared = Arc::clone(&inbox);
    let app = Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let inbox = Arc::clone(&shared);
        async move {
            let text = String::from_utf8_lossy(&body).into_owned();
            let parsed: Option<Value> = serde_json::from_slice(&body).ok();
            tracing::debug!(%method, path = %uri.path(), "the registry called the hub");
            let receipt = |message: Option<&Value>| {
                let message_id = message
                    .and_then(|b| b.pointer("/header/message_id"))
                    .cloned()
                    .unwrap_or(Value::Null);
                json!({"outcome": "accepted", "message_id": message_id})
            };
            // A `{"messages": [...]}` batch, as a gateway's forwarder sends:
            // each message arrives as a request of its own, answered in
            // `results`, in order, as the hub answers.
            let batch = parsed
                .as_ref()
                .and_then(|b| b.get("messages"))
                .and_then(Value::as_array)
                .cloned();
            if let Some(messages) = batch {
                let mut results = Vec::with_capacity(messages.len());
                for message in messages {
                    results.push(receipt(Some(&message)));
                    inbox.push(Received {
                        method: method.to_string(),
                        path: uri.path().to_string(),
                        text: message.to_string(),
                        body: Some(message),
                    });
                }
                return (StatusCode::OK, axum::Json(json!({ "results": results }))).into_response();
            }
            let reply = receipt(parsed.as_ref());
            inbox.push(Received {
                method: method.to_string(),
                path: uri.path().to_string(),
                body: parsed,
                text,
            });
            (StatusCode::OK, axum::Json(reply)).into_response()
        }
    });
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the conformance hub listener stopped");
        }
    });
    Ok(HubListener { addr, inbox, task })
}

/// Waits for each await in order; captures become variables for later awaits.
pub async fn run_awaits(
    inbox: &Inbox,
    awaits: &[Await],
    vars: &mut Vars,
    finding: &mut Finding,
) -> bool {
    for (i, a) in awaits.iter().enumerate() {
        let path = match vars.expand(&a.path) {
            Ok(p) => p,
            Err(e) => {
                finding.messages.push(format!("await {}: {e}", i + 1));
                return false;
            }
        };
        let method = a.method.clone().unwrap_or_else(|| "POST".to_string());
        let within = crate::suite::parse_duration(&a.within).unwrap_or(Duration::from_secs(30));
        let deadline = Instant::now() + within;
        let mut closest: Option<(Received, Vec<String>)> = None;
        let matched = loop {
            let notified = inbox.arrived.notified();
            let mut found = None;
            for r in inbox.snapshot() {
                if r.path != path || !r.method.eq_ignore_ascii_case(&method) {
                    continue;
                }
                match check_json(&a.expect_json, r.body.as_ref(), vars) {
                    Ok(f) if f.is_empty() => {
                        found = Some(r);
                        break;
                    }
                    Ok(f) => closest = Some((r, f)),
                    Err(e) => {
                        finding.messages.push(format!("await {}: {e}", i + 1));
                        return false;
                    }
                }
            }
            if found.is_some() {
                break found;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break None;
            }
            // Woken by an arrival, or every 250ms in case one slipped in between.
            let _ = tokio::time::timeout(left.min(Duration::from_millis(250)), notified).await;
        };
        match matched {
            Some(r) => {
                for (name, pointer) in &a.capture {
                    match r.body.as_ref().and_then(|b| b.pointer(pointer)) {
                        Some(v) => {
                            vars.values.insert(name.clone(), capture_text(v));
                        }
                        None => {
                            finding.messages.push(format!(
                                "await {}: cannot capture {name}: no value at {pointer}",
                                i + 1
                            ));
                            return false;
                        }
                    }
                }
            }
            None => {
                finding.expected = Some(format!(
                    "{method} {path} within {}{}",
                    a.within,
                    a.expect_json
                        .iter()
                        .map(|e| format!(
                            "\n{} {}",
                            e.pointer,
                            e.equals
                                .as_ref()
                                .map(|v| format!("= {v}"))
                                .unwrap_or_else(|| "exists".to_string())
                        ))
                        .collect::<String>()
                ));
                match closest {
                    Some((r, failures)) => {
                        finding.messages.push(format!(
                            "await {}: {method} {path} arrived but {}",
                            i + 1,
                            failures.join("; ")
                        ));
                        finding.actual = Some(r.text.clone());
                        finding.exchanges.push(Exchange {
                            request: format!(
                                "{} {} (from the registry)\n\n{}",
                                r.method, r.path, r.text
                            ),
                            response: "HTTP 200 (the runner's hub listener)".to_string(),
                        });
                    }
                    None => {
                        finding.messages.push(format!(
                            "await {}: the registry did not call {method} {path} within {}",
                            i + 1,
                            a.within
                        ));
                        let seen: Vec<String> = inbox
                            .snapshot()
                            .iter()
                            .map(|r| format!("{} {}", r.method, r.path))
                            .collect();
                        finding.actual = Some(if seen.is_empty() {
                            "nothing received".to_string()
                        } else {
                            format!("received: {}", seen.join(", "))
                        });
                    }
                }
                return false;
            }
        }
    }
    true
}

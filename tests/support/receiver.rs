//! A receiving endpoint inside the test, standing for the hub (or a partner):
//! it records every arrival and, like the real hub and our gateway, dedupes by
//! message id (of each message of a `{"messages": [...]}` batch, else the
//! `Idempotency-Key`, falling back to `X-Message-Id`): the first arrival of an id
//! is accepted (202), a resend is answered as a duplicate (200) and counted.
//! Per record (owner country, agency, record id) it keeps the versions in the
//! order it accepted them, to check per-record ordering.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

/// What the receiver has taken so far.
#[derive(Debug, Clone, Default)]
pub struct Arrivals {
    /// Message ids in the order they were first accepted.
    pub accepted: Vec<String>,
    /// Every delivery attempt that reached the receiver, resends included.
    pub raw: u64,
    /// Arrivals of an id already accepted (answered as duplicates).
    pub resends: u64,
    /// Record key -> versions, in the order accepted.
    pub versions: HashMap<String, Vec<u64>>,
    /// Requests without a message id (answered 400).
    pub without_id: u64,
}

#[derive(Default)]
struct State {
    arrivals: Arrivals,
    seen: HashSet<String>,
}

#[derive(Clone)]
pub struct Receiver {
    state: Arc<Mutex<State>>,
    pub url: String,
}

impl Receiver {
    /// Listens on 127.0.0.1:0. Each accepted arrival is recorded first, then
    /// answered after `delay` (a slow receiver: a kill lands mid-delivery).
    pub async fn start(delay: Duration) -> Receiver {
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = Arc::clone(&state);
        let app = Router::new().fallback(post(move |headers: HeaderMap, body: Bytes| {
            let state = Arc::clone(&shared);
            async move {
                let answer = take(&state, &headers, &body);
                tokio::time::sleep(delay).await;
                answer
            }
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { state, url }
    }

    pub fn arrivals(&self) -> Arrivals {
        self.state.lock().unwrap().arrivals.clone()
    }

    /// Waits until `n` distinct messages were accepted or `timeout` passed.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Arrivals {
        let deadline = Instant::now() + timeout;
        loop {
            let arrivals = self.arrivals();
            if arrivals.accepted.len() >= n || Instant::now() > deadline {
                return arrivals;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn take(state: &Mutex<State>, headers: &HeaderMap, body: &[u8]) -> (StatusCode, String) {
    // A batch (`{"messages": [...]}`, as the forwarder sends to the hub): each
    // message taken by its own id, and answered in `results`, in order.
    let batch = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("messages").and_then(Value::as_array).cloned());
    if let Some(messages) = batch {
        let mut state = state.lock().unwrap();
        let results: Vec<Value> = messages
            .iter()
            .map(|message| {
                let id = message["header"]["message_id"]
                    .as_str()
                    .filter(|id| !id.is_empty())
                    .map(str::to_string);
                take_one(&mut state, id, message).1
            })
            .collect();
        return (StatusCode::OK, json!({ "results": results }).to_string());
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut state = state.lock().unwrap();
    let id = header("idempotency-key").or_else(|| header("x-message-id"));
    let message: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let (status, answer) = take_one(&mut state, id, &message);
    (status, answer.to_string())
}

/// One message, by its id: the first arrival accepted, a resend a duplicate.
fn take_one(state: &mut State, id: Option<String>, message: &Value) -> (StatusCode, Value) {
    state.arrivals.raw += 1;
    let Some(id) = id else {
        state.arrivals.without_id += 1;
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": {"code": "invalid", "message": "no message id", "status": 400}}),
        );
    };
    if !state.seen.insert(id.clone()) {
        state.arrivals.resends += 1;
        return (
            StatusCode::OK,
            json!({ "message_id": format!("rx-{id}"), "duplicate": true }),
        );
    }
    if let Some(version) = message["version"].as_u64() {
        let key = format!(
            "{}/{}/{}",
            message["owner_country"].as_str().unwrap_or_default(),
            message["owner_agency"].as_str().unwrap_or_default(),
            message["record_id"].as_str().unwrap_or_default()
        );
        state
            .arrivals
            .versions
            .entry(key)
            .or_default()
            .push(version);
    }
    state.arrivals.accepted.push(id.clone());
    (
        StatusCode::ACCEPTED,
        json!({ "message_id": format!("rx-{id}") }),
    )
}

impl Arrivals {
    /// Asserts that exactly the messages `expected` arrived (each accepted once:
    /// the receiver dedupes as a real one does), that every record's versions
    /// arrived in order (1, 2, …, all of them), and that raw resends stay within
    /// `max_resends`; prints the figures.
    pub fn assert_delivered_once(
        &self,
        label: &str,
        expected: &HashSet<String>,
        versions_per_record: u64,
        max_resends: u64,
    ) {
        eprintln!(
            "{label}: {} messages accepted by the receiver, {} raw arrivals, {} resends \
             (answered as duplicates; bound {max_resends})",
            self.accepted.len(),
            self.raw,
            self.resends
        );
        assert_eq!(
            self.without_id, 0,
            "{label}: deliveries without a message id"
        );
        let accepted: HashSet<String> = self.accepted.iter().cloned().collect();
        assert_eq!(
            accepted.len(),
            self.accepted.len(),
            "{label}: an id accepted twice"
        );
        let missing: Vec<&String> = expected.difference(&accepted).take(5).collect();
        let unexpected: Vec<&String> = accepted.difference(expected).take(5).collect();
        assert!(
            missing.is_empty() && unexpected.is_empty(),
            "{label}: {} of {} messages missing (e.g. {missing:?}), {} unexpected (e.g. {unexpected:?})",
            expected.difference(&accepted).count(),
            expected.len(),
            accepted.difference(expected).count(),
        );
        let in_order: Vec<u64> = (1..=versions_per_record).collect();
        for (key, versions) in &self.versions {
            assert_eq!(
                versions, &in_order,
                "{label}: versions of {key} out of order"
            );
        }
        assert!(
            self.resends <= max_resends,
            "{label}: {} resends, more than the {max_resends} that can be in flight",
            self.resends
        );
    }
}

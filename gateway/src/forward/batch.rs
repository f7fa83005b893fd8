//! Batched requests to the hub and to the gateways: a round's stored canonical
//! texts go as one `{"messages": [...]}` document, and the answer's `results`
//! (one per message, in order) settle each message by its own result, so one
//! refused message does not fail the others.

use serde_json::Value;

use super::request::Answer;
use super::retry;
use super::sink::Attempt;
use crate::store::{ClaimedDelivery, Receipt};

/// The document of a round: the stored texts as they are (each is one JSON
/// object, validated when it was accepted), never parsed again.
pub fn document(round: &[&ClaimedDelivery]) -> String {
    let size = round.iter().map(|c| c.body.len() + 1).sum::<usize>() + 16;
    let mut body = String::with_capacity(size);
    body.push_str("{\"messages\":[");
    for (i, claimed) in round.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&claimed.body);
    }
    body.push_str("]}");
    body
}

/// How each of `n` messages ended, from the receiver's answer. `judge` reads one
/// result; an answer without one result per message settles all of them by its
/// status.
pub fn settle(answer: &Answer, n: usize, judge: impl Fn(&Value, u16) -> Attempt) -> Vec<Attempt> {
    let results = serde_json::from_str::<Value>(&answer.text)
        .ok()
        .and_then(|v| match v.get("results") {
            Some(Value::Array(results)) if results.len() == n => Some(results.clone()),
            _ => None,
        });
    match results {
        Some(results) => results.iter().map(|r| judge(r, answer.status)).collect(),
        None if answer.success() => {
            // A success without per-message results: every message taken.
            (0..n)
                .map(|_| {
                    Attempt::Delivered(Receipt {
                        remote_id: None,
                        status: Some(answer.status),
                        detail: None,
                    })
                })
                .collect()
        }
        None => {
            let attempt = retry::refused(answer.status, answer.short());
            (0..n).map(|_| attempt.clone()).collect()
        }
    }
}

/// A refused message of a batch: its own status when the receiver gave one,
/// else the request's (a batch answers with the status of its first refusal).
pub fn refused_item(status: Option<u16>, request_status: u16, reason: String) -> Attempt {
    let status = status.unwrap_or(if (200..300).contains(&request_status) {
        422
    } else {
        request_status
    });
    retry::refused(status, reason)
}

/// The message id the receiver gave a message, if any.
pub fn remote_id(result: &Value) -> Option<String> {
    result
        .get("message_id")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A successful message of a batch.
pub fn delivered(result: &Value, status: u16) -> Attempt {
    Attempt::Delivered(Receipt {
        remote_id: remote_id(result),
        status: Some(if (200..300).contains(&status) {
            status
        } else {
            200
        }),
        detail: None,
    })
}

/// A reason no longer than the receiver's first 300 characters.
pub fn short(text: &str) -> String {
    text.chars().take(300).collect()
}

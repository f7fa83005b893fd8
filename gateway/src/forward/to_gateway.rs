//! A country gateway's `POST /v1/inbound` (the reference hub's deliveries): a
//! round as one batch, settled by the gateway's per-record `results`
//! (`accepted`, `duplicate`, or `rejected` with its errors).

use async_trait::async_trait;
use serde_json::Value;

use super::batch;
use super::request;
use super::sink::{Attempt, Sink};
use crate::audit::SigningKey;
use crate::store::ClaimedDelivery;

pub struct ToGateway {
    pub url: String,
    pub key: String,
    /// Signs each request (RFC 9421) when the hub has a signing key.
    pub signer: Option<SigningKey>,
}

#[async_trait]
impl Sink for ToGateway {
    fn batched(&self) -> bool {
        true
    }

    async fn send(&self, client: &reqwest::Client, round: &[ClaimedDelivery]) -> Vec<Attempt> {
        let group: Vec<&ClaimedDelivery> = round.iter().collect();
        let target = format!("{}/v1/inbound", self.url);
        let post = request::signed_post(
            client,
            &target,
            Some(&self.key),
            self.signer.as_ref(),
            batch::document(&group),
        );
        match request::send(post).await {
            Ok(answer) => batch::settle(&answer, group.len(), judge),
            Err(attempt) => group.iter().map(|_| attempt.clone()).collect(),
        }
    }
}

/// One record's result from a gateway's ingest report.
fn judge(result: &Value, status: u16) -> Attempt {
    match result.get("outcome").and_then(Value::as_str) {
        Some("accepted") | Some("duplicate") => batch::delivered(result, status),
        _ => {
            let errors = result
                .get("errors")
                .map(Value::to_string)
                .unwrap_or_else(|| "rejected".to_string());
            batch::refused_item(None, status, batch::short(&format!("rejected: {errors}")))
        }
    }
}

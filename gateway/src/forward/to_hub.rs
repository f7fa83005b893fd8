//! The hub's canonical API: a round goes as one batched request per route
//! (`/v1/records`, `/v1/searches`, `/v1/traces`, `/v1/traces/{id}/responses`,
//! `/v1/hits`), the stored canonical text as it is, and the hub's `results`
//! settle each message.

use async_trait::async_trait;
use futures_util::future::join_all;
use iarms_adapters::MessageKind;
use serde_json::Value;

use super::batch;
use super::request;
use super::sink::{Attempt, Sink};
use crate::audit::SigningKey;
use crate::store::{ClaimedDelivery, Failure};

pub struct ToHub {
    pub url: String,
    pub key: Option<String>,
    /// Signs each request (RFC 9421) when the gateway has a signing key.
    pub signer: Option<SigningKey>,
}

#[async_trait]
impl Sink for ToHub {
    fn batched(&self) -> bool {
        true
    }

    async fn send(&self, client: &reqwest::Client, round: &[ClaimedDelivery]) -> Vec<Attempt> {
        let mut attempts: Vec<Option<Attempt>> = vec![None; round.len()];
        // The round's deliveries grouped by route, each group in claim order.
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, claimed) in round.iter().enumerate() {
            match hub_path(claimed.kind, claimed.trace_id.as_deref()) {
                Ok(path) => match groups.iter_mut().find(|(p, _)| *p == path) {
                    Some((_, members)) => members.push(i),
                    None => groups.push((path, vec![i])),
                },
                Err(reason) => {
                    if let Some(slot) = attempts.get_mut(i) {
                        *slot = Some(Attempt::Permanent(reason));
                    }
                }
            }
        }
        let sent = join_all(groups.iter().map(|(path, members)| {
            let group: Vec<&ClaimedDelivery> =
                members.iter().filter_map(|&i| round.get(i)).collect();
            self.post(client, path, group)
        }))
        .await;
        for ((_, members), results) in groups.iter().zip(sent) {
            for (&i, attempt) in members.iter().zip(results) {
                if let Some(slot) = attempts.get_mut(i) {
                    *slot = Some(attempt);
                }
            }
        }
        attempts
            .into_iter()
            .map(|a| a.unwrap_or(Attempt::Unsent))
            .collect()
    }
}

impl ToHub {
    async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        group: Vec<&ClaimedDelivery>,
    ) -> Vec<Attempt> {
        let target = format!("{}{path}", self.url);
        let post = request::signed_post(
            client,
            &target,
            self.key.as_deref(),
            self.signer.as_ref(),
            batch::document(&group),
        );
        match request::send(post).await {
            Ok(answer) => batch::settle(&answer, group.len(), judge),
            Err(attempt) => group.iter().map(|_| attempt.clone()).collect(),
        }
    }
}

/// One of the hub's results: an outcome, or `{"error": {"code", "message",
/// "status"}}`.
fn judge(result: &Value, status: u16) -> Attempt {
    match result.get("error") {
        None => batch::delivered(result, status),
        Some(error) => {
            let code = error.get("code").and_then(Value::as_str).unwrap_or("error");
            let message = error.get("message").and_then(Value::as_str).unwrap_or("");
            let own = error
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok());
            batch::refused_item(own, status, batch::short(&format!("{code}: {message}")))
        }
    }
}

/// The hub's route for a message kind, from the columns stored beside the
/// body: a trace response's route names its trace.
fn hub_path(kind: MessageKind, trace_id: Option<&str>) -> Result<String, Failure> {
    Ok(match kind {
        MessageKind::Record => "/v1/records".into(),
        MessageKind::Search => "/v1/searches".into(),
        MessageKind::TraceRequest => "/v1/traces".into(),
        MessageKind::TraceResponse => match trace_id {
            Some(trace_id) => format!("/v1/traces/{trace_id}/responses"),
            None => return Err("stored trace response has no trace id".into()),
        },
        MessageKind::HitNotification => "/v1/hits".into(),
    })
}

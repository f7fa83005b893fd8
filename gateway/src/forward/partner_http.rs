//! A partner's HTTP endpoint: each message posted alone, in the partner's own
//! format, with the content type its encoder declares.

use async_trait::async_trait;
use futures_util::future::join_all;

use super::formats::{encode_claimed, PartnerFormats};
use super::request;
use super::retry;
use super::sink::{Attempt, Sink};
use crate::store::{ClaimedDelivery, Receipt};

pub struct PartnerHttp {
    pub url: String,
    pub formats: PartnerFormats,
}

#[async_trait]
impl Sink for PartnerHttp {
    fn batched(&self) -> bool {
        false
    }

    async fn send(&self, client: &reqwest::Client, round: &[ClaimedDelivery]) -> Vec<Attempt> {
        join_all(round.iter().map(|claimed| self.one(client, claimed))).await
    }
}

impl PartnerHttp {
    async fn one(&self, client: &reqwest::Client, claimed: &ClaimedDelivery) -> Attempt {
        let encoded = match encode_claimed(&self.formats, claimed) {
            Ok(encoded) => encoded,
            Err(attempt) => return attempt,
        };
        let id = claimed.delivery.message_id.to_string();
        let post = request::post(
            client,
            &self.url,
            encoded.media.content_type,
            None,
            encoded.bytes,
        )
        .header("x-message-format", encoded.format)
        .header("x-message-id", &id)
        .header("x-message-kind", claimed.kind.tag())
        .header("idempotency-key", &id);
        let answer = match request::send(post).await {
            Ok(answer) => answer,
            Err(attempt) => return attempt,
        };
        if !answer.success() {
            return retry::refused(answer.status, answer.short());
        }
        Attempt::Delivered(Receipt {
            remote_id: remote_id(&answer.text),
            status: Some(answer.status),
            detail: None,
        })
    }
}

/// The receiver's id for the message, when its answer names one.
pub(super) fn remote_id(text: &str) -> Option<String> {
    let value = serde_json::from_str::<serde_json::Value>(text).ok()?;
    value
        .get("message_id")
        .or_else(|| value.pointer("/results/0/message_id"))
        .and_then(|id| id.as_str().map(str::to_string))
}

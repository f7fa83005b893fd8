//! Load for the crash and replica tests: canonical records, several versions of
//! each, sent in batches to `POST /v1/records` so that version `v` of a record is
//! always in an earlier batch than version `v + 1`.

use std::collections::HashSet;

use serde_json::{json, Value};

/// Every record version of a run, in sending order.
pub struct Load {
    pub batches: Vec<Vec<Value>>,
    pub versions: u64,
}

impl Load {
    /// `records` records (ids `{prefix}-{n}`) with `versions` versions each, in
    /// batches of `batch_size`: all first versions, then all second versions, ….
    pub fn new(prefix: &str, records: u64, versions: u64, batch_size: usize) -> Load {
        let mut all = Vec::new();
        for version in 1..=versions {
            for n in 0..records {
                all.push(record(&format!("{prefix}-{n:06}"), version));
            }
        }
        Load {
            batches: all.chunks(batch_size).map(<[Value]>::to_vec).collect(),
            versions,
        }
    }

    pub fn message_ids(&self) -> HashSet<String> {
        self.batches
            .iter()
            .flatten()
            .map(|m| {
                m["header"]["message_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }
}

/// One canonical record version of a Zastava pistol held by the Serbian police.
pub fn record(record_id: &str, version: u64) -> Value {
    let id = uuid::Uuid::new_v4().to_string();
    json!({
        "kind": "record",
        "header": { "message_id": id, "correlation_id": id, "schema_version": "1.0" },
        "record_id": record_id,
        "owner_country": "RS",
        "owner_agency": "RS-MUP",
        "action": if version == 1 { "create" } else { "update" },
        "version": version,
        "firearm": {
            "make": "Zastava",
            "model": "M70",
            "serial_number": format!("Z-{record_id}"),
            "calibre": "7.65mm Browning",
            "firearm_type": "pistol"
        },
        "event": {
            "status": "stolen",
            "date": "2025-03-14",
            "place": { "country": "RS", "locality": "Novi Sad" }
        }
    })
}

/// The outcome of posting one batch.
pub enum Posted {
    /// 200: every message of the batch is stored (accepted now or before).
    Stored(Vec<String>),
    /// No answer (the process died) or a non-200 answer: send it again.
    Unanswered(String),
}

/// Posts one batch as `{"messages": [...]}`; checks that each record is
/// `accepted`, or a `duplicate` of itself (a resend of a batch whose answer
/// was lost).
pub async fn post_batch(client: &reqwest::Client, url: &str, key: &str, batch: &[Value]) -> Posted {
    let body = json!({ "messages": batch }).to_string();
    let response = match client
        .post(format!("{url}/v1/records"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return Posted::Unanswered(e.to_string()),
    };
    let status = response.status().as_u16();
    let reply: Value = match response.json().await {
        Ok(v) => v,
        Err(e) => return Posted::Unanswered(format!("{status}: {e}")),
    };
    if status != 200 {
        return Posted::Unanswered(format!("{status}: {reply}"));
    }
    let results = reply["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), batch.len(), "{reply}");
    let mut stored = Vec::new();
    for (sent, result) in batch.iter().zip(&results) {
        let id = sent["header"]["message_id"].as_str().unwrap_or_default();
        match result["outcome"].as_str() {
            Some("accepted") => assert_eq!(result["message_id"], id, "{result}"),
            Some("duplicate") => assert_eq!(result["original_message_id"], id, "{result}"),
            _ => panic!("record refused: {result}"),
        }
        stored.push(id.to_string());
    }
    Posted::Stored(stored)
}

//! The forwarder: one worker task per destination (the hub, and each partner with
//! an `outbound`) loops `claim -> encode -> send -> settle`, sending a round of
//! `[forward] concurrency` deliveries at once and settling the round in one commit
//! while the claim's next round is sent.
//!
//! Outcomes: 2xx is delivered (receipt: status and the receiver's message id if
//! it gave one); 408, 429, 5xx, timeouts and connection errors are retried with
//! exponential backoff and jitter up to `max_attempts`, then dead; any other 4xx,
//! and a message the destination's format cannot carry, is dead at once with the
//! reason. Directory sinks write a temporary file and rename it into place
//! ([`crate::atomic_file`]).
//! A kind a partner's format cannot carry goes to it in canonical JSON ([`FALLBACK`]).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use futures_util::stream::{FuturesUnordered, StreamExt};
use iarms_adapters::{Adapter, Message, MessageKind};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::atomic_file;
use crate::audit::SigningKey;
use crate::config::{Forward, Outbound, Retry};
use crate::domain::routing::HUB;
use crate::shared::Shared;
use crate::store::{
    ClaimedDelivery, Clock, Failure, NextStep, Receipt, Settlement, Store, SystemClock,
};
use crate::telemetry::events::{Delivered, DeliveryDead, DeliveryRetried};
use crate::telemetry::Metrics;
use crate::tls::ClientTls;

/// What the workers run against: the gateway service ([`Shared`]) or the
/// reference hub, which also hears of every successful delivery.
#[async_trait::async_trait]
pub trait Host: Send + Sync + 'static {
    fn store(&self) -> &Arc<dyn Store>;
    fn forward(&self) -> &Forward;
    fn metrics(&self) -> &Metrics;
    /// Called after a delivery succeeded and was marked delivered.
    async fn delivered(&self, _claimed: &ClaimedDelivery, _destination: &str) {}
}

#[async_trait::async_trait]
impl Host for Shared {
    fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
    fn forward(&self) -> &Forward {
        &self.config.forward
    }
    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    async fn delivered(&self, claimed: &ClaimedDelivery, destination: &str) {
        crate::traces::delivered(self, claimed, destination).await;
    }
}

/// Where one destination's deliveries go.
#[derive(Clone)]
pub enum Sink {
    /// The hub's canonical API; `signer` signs each request (RFC 9421).
    Hub {
        url: String,
        key: Option<String>,
        signer: Option<SigningKey>,
    },
    /// A country gateway's `POST /v1/inbound` (the reference hub's deliveries).
    Gateway {
        url: String,
        key: String,
        signer: Option<SigningKey>,
    },
    /// A partner's HTTP endpoint, in its own formats.
    Http {
        url: String,
        formats: PartnerFormats,
    },
    /// A partner's outbox directory, in its own formats.
    Directory {
        dir: PathBuf,
        formats: PartnerFormats,
    },
}

/// The adapters a partner receives messages in: per kind where the config says
/// so (`formats`), else its own format, else [`FALLBACK`] for a kind its format
/// cannot carry.
#[derive(Clone)]
pub struct PartnerFormats {
    by_kind: Vec<(MessageKind, Arc<dyn Adapter>)>,
    fallback: Arc<dyn Adapter>,
}

impl PartnerFormats {
    /// The adapters of `partner`; `None` when a format is unknown (check-config
    /// refuses such a config before this is called).
    pub fn of(
        registry: &iarms_adapters::Registry,
        partner: &crate::config::Partner,
    ) -> Option<PartnerFormats> {
        let by_kind = MessageKind::ALL
            .into_iter()
            .map(|kind| Some((kind, registry.get(partner.format_for(kind))?)))
            .collect::<Option<Vec<_>>>()?;
        Some(PartnerFormats {
            by_kind,
            fallback: registry.get(FALLBACK)?,
        })
    }

    /// The adapter for `kind`.
    fn pick(&self, kind: MessageKind) -> &dyn Adapter {
        match self.by_kind.iter().find(|(k, _)| *k == kind) {
            Some((_, adapter)) if carries(adapter.as_ref(), kind) => adapter.as_ref(),
            _ => self.fallback.as_ref(),
        }
    }
}

/// How one attempt ended.
#[derive(Debug)]
pub enum Attempt {
    Delivered(Receipt),
    Retry(Failure),
    Permanent(Failure),
}

/// One destination's worker.
pub struct Worker {
    pub destination: String,
    pub worker_id: String,
    pub sink: Sink,
    pub retry: Retry,
    /// The peer's CA and our client certificate, for https URLs.
    pub tls: ClientTls,
}

/// The workers for every destination of the config.
pub fn workers(shared: &Shared, instance: &str) -> Vec<Worker> {
    let config = &shared.config;
    let mut out = vec![Worker {
        destination: HUB.to_string(),
        worker_id: format!("{instance}/{HUB}"),
        sink: Sink::Hub {
            url: config.hub.url.clone(),
            key: config.hub.api_key.as_ref().map(|k| k.expose().to_string()),
            signer: config.audit.signing_key.clone(),
        },
        retry: config.hub.retry,
        tls: config.hub.client_tls.clone(),
    }];
    for partner in &config.partners {
        let (Some(outbound), Some(formats)) = (
            &partner.outbound,
            PartnerFormats::of(&shared.registry, partner),
        ) else {
            continue;
        };
        let sink = match outbound {
            Outbound::Url(url) => Sink::Http {
                url: url.clone(),
                formats,
            },
            Outbound::Directory(dir) => Sink::Directory {
                dir: dir.clone(),
                formats,
            },
        };
        out.push(Worker {
            destination: partner.id.clone(),
            worker_id: format!("{instance}/{}", partner.id),
            sink,
            retry: partner.retry,
            tls: partner.outbound_tls.clone(),
        });
    }
    out
}

/// Starts every worker; each stops when `stop` turns true, then gives its leases back.
pub fn spawn<H: Host>(
    shared: Arc<H>,
    workers: Vec<Worker>,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let timeout = shared.forward().timeout;
    workers
        .into_iter()
        .filter_map(|worker| {
            // One client per destination: each may trust its own CA and get our
            // client certificate. The files were checked with the config.
            let client = match worker.tls.client(timeout) {
                Ok(client) => client,
                Err(e) => {
                    tracing::error!(destination = %worker.destination, error = %e,
                        "cannot set up TLS; this destination's deliveries stay queued");
                    return None;
                }
            };
            let shared = Arc::clone(&shared);
            let stop = stop.clone();
            Some(tokio::spawn(async move {
                run_worker(shared, worker, client, stop).await
            }))
        })
        .collect()
}

async fn run_worker<H: Host>(
    shared: Arc<H>,
    worker: Worker,
    client: reqwest::Client,
    mut stop: watch::Receiver<bool>,
) {
    let forward = shared.forward().clone();
    tracing::info!(destination = %worker.destination, worker = %worker.worker_id, "worker started");
    while !*stop.borrow() {
        let claimed = match shared
            .store()
            .claim(
                &worker.worker_id,
                Some(&worker.destination),
                forward.batch,
                forward.lease,
            )
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(destination = %worker.destination, error = %e, "claim failed");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(forward.poll_interval) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        // A claim holds at most one delivery per record key, so a round's
        // deliveries may go out at once without an update overtaking its create.
        // Each round's settlement commits while the next round is on the wire:
        // on SQLite every commit waits its turn at the one writer, and waiting
        // for it between rounds held a busy gateway's forwarding to one round
        // per turn.
        let claimed_at = tokio::time::Instant::now();
        let mut settling = FuturesUnordered::new();
        for (i, round) in claimed
            .chunks(forward.concurrency.max(1) as usize)
            .enumerate()
        {
            if *stop.borrow() {
                break;
            }
            if !round_fits(i, claimed_at.elapsed(), &forward) {
                tracing::warn!(destination = %worker.destination, unsent = claimed.len() - i * forward.concurrency.max(1) as usize, "claim's leases run short; the rest is claimed again when they expire");
                break;
            }
            let attempts = join_all(round.iter().map(|c| deliver(&worker.sink, &client, c)));
            let attempts = while_settling(attempts, &mut settling).await;
            settling.push(settle_round(shared.as_ref(), &worker, round, attempts));
        }
        while settling.next().await.is_some() {}
    }
    match shared.store().release(&worker.worker_id).await {
        Ok(n) => {
            tracing::info!(destination = %worker.destination, released = n, "worker stopped")
        }
        Err(e) => tracing::warn!(destination = %worker.destination, error = %e, "release failed"),
    }
}

/// Whether round `i` of a claim may still start `elapsed` after the claim. A
/// later round that could outlast the claim's leases is not started: another
/// worker may claim its deliveries once the leases run out, and a late send
/// would then be a second one. The first round always starts, whatever the
/// configured timeout and lease, so that a worker always makes progress.
fn round_fits(i: usize, elapsed: Duration, forward: &Forward) -> bool {
    i == 0 || elapsed + forward.timeout < forward.lease
}

/// Awaits `work` while the settlements already under way make progress too.
async fn while_settling<T, S: Future<Output = ()>>(
    work: impl Future<Output = T>,
    settling: &mut FuturesUnordered<S>,
) -> T {
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return done,
            Some(()) = settling.next(), if !settling.is_empty() => {}
        }
    }
}

/// Records how each delivery of a sent round ended, in one store commit.
async fn settle_round<H: Host>(
    shared: &H,
    worker: &Worker,
    round: &[ClaimedDelivery],
    attempts: Vec<Attempt>,
) {
    let outcomes: Vec<(i64, Settlement)> = round
        .iter()
        .zip(attempts)
        .map(|(claimed, attempt)| (claimed.delivery.id, judge(shared, worker, claimed, attempt)))
        .collect();
    let settled = match shared.store().settle(&worker.worker_id, &outcomes).await {
        Ok(settled) => settled,
        Err(e) => {
            // The leases run out and the deliveries are claimed again: at least once.
            tracing::warn!(destination = %worker.destination, deliveries = round.len(), error = %e, "cannot settle");
            return;
        }
    };
    for ((claimed, (_, outcome)), settled) in round.iter().zip(&outcomes).zip(settled) {
        let message_id = claimed.delivery.message_id;
        if !settled {
            tracing::warn!(%message_id, destination = %worker.destination, "lease lost before settling");
        } else if matches!(outcome, Settlement::Delivered(_)) {
            shared.delivered(claimed, &worker.destination).await;
        }
    }
}

/// What an attempt means for its delivery under the worker's retry policy; counts
/// and logs it.
fn judge<H: Host>(
    shared: &H,
    worker: &Worker,
    claimed: &ClaimedDelivery,
    attempt: Attempt,
) -> Settlement {
    let d = &claimed.delivery;
    let message_id = d.message_id;
    match attempt {
        Attempt::Delivered(receipt) => {
            let latency = (SystemClock.now() - d.created_at).max(0) as f64 / 1000.0;
            shared.metrics().emit(Delivered {
                message_id,
                destination: &worker.destination,
                kind: claimed.kind.tag(),
                status: receipt.status,
                latency_seconds: latency,
            });
            Settlement::Delivered(receipt)
        }
        Attempt::Retry(reason) if d.attempts < worker.retry.max_attempts => {
            let wait = backoff(&worker.retry, d.attempts);
            shared.metrics().emit(DeliveryRetried {
                message_id,
                destination: &worker.destination,
                attempt: d.attempts,
                retry_in: wait,
                reason: &reason,
            });
            Settlement::Failed {
                error: reason,
                next: NextStep::RetryAfter(wait),
            }
        }
        Attempt::Retry(reason) | Attempt::Permanent(reason) => {
            shared.metrics().emit(DeliveryDead {
                message_id,
                destination: &worker.destination,
                attempt: d.attempts,
                reason: &reason,
            });
            Settlement::Failed {
                error: reason,
                next: NextStep::Dead,
            }
        }
    }
}

/// `initial * 2^(attempt-1)`, capped at `max`, then "equal jitter": a random
/// point in the upper half, so that retries of many messages spread out.
pub fn backoff(retry: &Retry, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let base = retry
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(retry.max_backoff);
    let half = base / 2;
    let random = u64::from_le_bytes(
        uuid::Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or([0; 8]),
    );
    let span = half.as_millis().max(1) as u64;
    half + Duration::from_millis(random % span)
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

/// Sends one claimed message through a sink. The hub and the gateways get the
/// stored canonical text as it is; only a partner's own format needs the
/// message itself.
pub async fn deliver(sink: &Sink, client: &reqwest::Client, claimed: &ClaimedDelivery) -> Attempt {
    let id = claimed.delivery.message_id.to_string();
    let (formats, to_dir) = match sink {
        Sink::Hub { url, key, signer } => {
            let path = match hub_path(claimed.kind, claimed.trace_id.as_deref()) {
                Ok(path) => path,
                Err(reason) => return Attempt::Permanent(reason),
            };
            let target = format!("{url}{path}");
            return send(canonical_post(
                client,
                &target,
                key.as_deref(),
                signer.as_ref(),
                claimed,
                &id,
            ))
            .await;
        }
        Sink::Gateway { url, key, signer } => {
            let target = format!("{url}/v1/inbound");
            return send(canonical_post(
                client,
                &target,
                Some(key),
                signer.as_ref(),
                claimed,
                &id,
            ))
            .await;
        }
        Sink::Http { url, formats } => (formats, Err(url)),
        Sink::Directory { dir, formats } => (formats, Ok(dir)),
    };
    let adapter = formats.pick(claimed.kind);
    let message = match claimed.message() {
        Ok(m) => m,
        Err(e) => return Attempt::Permanent(format!("stored message unreadable: {e}").into()),
    };
    let bytes = match encode(adapter, &message) {
        Ok(bytes) => bytes,
        Err(reason) => return Attempt::Permanent(reason.into()),
    };
    match to_dir {
        Err(url) => {
            let request = client
                .post(url)
                .header("x-message-format", adapter.name())
                .header("x-message-id", &id)
                .header("x-message-kind", claimed.kind.tag())
                .header("idempotency-key", &id)
                .body(bytes);
            send(request).await
        }
        Ok(dir) => {
            let name = format!(
                "{:012}-{}-{id}.{}",
                claimed.delivery.id,
                claimed.kind.tag(),
                extension(&bytes)
            );
            let path = dir.join(name);
            let target = path.clone();
            match tokio::task::spawn_blocking(move || atomic_file::write(&target, &bytes)).await {
                Ok(Ok(())) => Attempt::Delivered(Receipt {
                    remote_id: None,
                    status: None,
                    detail: Some(path.display().to_string()),
                }),
                Ok(Err(e)) => {
                    Attempt::Retry(format!("cannot write the outbox file: {}", e.source).into())
                }
                Err(e) => Attempt::Retry(e.to_string().into()),
            }
        }
    }
}

/// A POST of the stored canonical JSON, with the message id as idempotency
/// key, signed (RFC 9421) over its digest and routing headers with `signer`.
fn canonical_post(
    client: &reqwest::Client,
    target: &str,
    key: Option<&str>,
    signer: Option<&SigningKey>,
    claimed: &ClaimedDelivery,
    id: &str,
) -> reqwest::RequestBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    let pairs = [
        ("content-type", "application/json".to_string()),
        ("idempotency-key", id.to_string()),
        ("x-message-id", id.to_string()),
        ("x-correlation-id", claimed.correlation_id.to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if let Some(signer) = signer {
        crate::signature::sign_outbound(target, &mut headers, claimed.body.as_bytes(), signer);
    }
    let request = client
        .post(target)
        .headers(headers)
        .body(claimed.body.clone());
    match key {
        Some(key) => request.bearer_auth(key),
        None => request,
    }
}

/// The canonical format used for kinds a partner's own format cannot carry.
pub const FALLBACK: &str = "iarms-json";

fn encode(adapter: &dyn Adapter, message: &Message) -> Result<Vec<u8>, String> {
    if !adapter.capabilities().kinds.contains(&message.kind()) {
        return Err(format!(
            "format `{}` cannot carry {} messages",
            adapter.name(),
            message.kind().tag()
        ));
    }
    let mut out = Vec::new();
    {
        let mut encoder = adapter
            .encoder(Box::new(&mut out))
            .map_err(|e| format!("cannot encode for `{}`: {e}", adapter.name()))?;
        encoder
            .write(message)
            .and_then(|()| encoder.finish())
            .map_err(|e| format!("cannot encode for `{}`: {e}", adapter.name()))?;
    }
    Ok(out)
}

/// A file extension from the encoded bytes (formats do not declare one).
fn extension(bytes: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(bytes.get(..4096).unwrap_or(bytes));
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let first_line = text.lines().next().unwrap_or("");
    if text.starts_with('<') {
        "xml"
    } else if text.starts_with('{') || text.starts_with('[') {
        "json"
    } else if first_line.contains(';') || first_line.contains(',') || first_line.contains('\t') {
        "csv"
    } else {
        "txt"
    }
}

async fn send(request: reqwest::RequestBuilder) -> Attempt {
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            return Attempt::Retry(Failure::from(if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "cannot connect".to_string()
            } else {
                format!("request failed: {e}")
            }))
        }
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let short: String = text.chars().take(300).collect();
    if status.is_success() {
        let remote_id = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("message_id")
                    .or_else(|| v.pointer("/results/0/message_id"))
                    .and_then(|id| id.as_str().map(str::to_string))
            });
        return Attempt::Delivered(Receipt {
            remote_id,
            status: Some(status.as_u16()),
            detail: None,
        });
    }
    let reason = Failure::http(status.as_u16(), short);
    if status.as_u16() == 408 || status.as_u16() == 429 || status.is_server_error() {
        Attempt::Retry(reason)
    } else {
        Attempt::Permanent(reason)
    }
}

/// Which message kinds a format can carry (for routing messages from the hub).
pub fn carries(adapter: &dyn Adapter, kind: MessageKind) -> bool {
    adapter.capabilities().kinds.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let retry = Retry {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
        };
        for _ in 0..50 {
            let first = backoff(&retry, 1);
            assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
            let third = backoff(&retry, 3);
            assert!(third >= Duration::from_secs(2) && third <= Duration::from_secs(4));
            let late = backoff(&retry, 20);
            assert!(late >= Duration::from_secs(5) && late <= Duration::from_secs(10));
        }
    }

    #[test]
    fn a_round_starts_only_if_it_ends_within_the_leases() {
        let forward = Forward {
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
            ..Forward::default()
        };
        assert!(round_fits(1, Duration::from_secs(29), &forward));
        assert!(!round_fits(1, Duration::from_secs(30), &forward));
        assert!(!round_fits(5, Duration::from_secs(45), &forward));
        // A timeout as long as the lease still lets the first round out.
        let tight = Forward {
            timeout: Duration::from_secs(60),
            ..forward
        };
        assert!(round_fits(0, Duration::ZERO, &tight));
        assert!(!round_fits(1, Duration::ZERO, &tight));
    }
}

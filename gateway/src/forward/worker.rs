//! The one worker loop every destination runs: `claim -> send -> settle` over
//! its [`Sink`], with the destination's health deciding when and how much to
//! claim.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::watch;

use super::health::{Health, Verdict};
use super::retry::backoff;
use super::sink::Attempt;
use super::{Host, Worker};
use crate::config::Forward;
use crate::domain::delivery::DestinationHealth;
use crate::store::{ClaimedDelivery, Clock, NextStep, Settlement, SystemClock};
use crate::telemetry::events::{Delivered, DeliveryDead, DeliveryRetried};

/// Rounds of a batched sink's claim: each round one request per route of
/// `[forward] batch` messages; the rounds go out together, so the claim is sent
/// within one timeout, and each is settled as its answer comes.
const BATCHED_ROUNDS: u32 = 4;

/// How often an idle worker blocks what was queued behind a dead delivery.
const BLOCK_SWEEP_EVERY: Duration = Duration::from_secs(2);

pub(super) async fn run<H: Host>(
    shared: Arc<H>,
    worker: Worker,
    client: reqwest::Client,
    mut stop: watch::Receiver<bool>,
) {
    let forward = shared.forward().clone();
    let metrics = shared.metrics();
    let mut health = Health::new(&worker.destination, worker.retry, metrics);
    let mut last_sweep = tokio::time::Instant::now();
    tracing::info!(destination = %worker.destination, worker = %worker.worker_id, "worker started");
    while !*stop.borrow() {
        if let Some(wait) = health.wait(tokio::time::Instant::now(), metrics) {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let (limit, round_size) = claim_plan(&forward, worker.sink.batched());
        let mut claimed = claim(shared.as_ref(), &worker, health.claim_limit(limit)).await;
        if claimed.is_empty() && health.state() == DestinationHealth::Probing {
            // Everything waits out its own backoff: the probe takes one of them
            // now, or the destination's return would go unnoticed until then.
            if let Err(e) = shared.store().make_due(&worker.destination).await {
                tracing::warn!(destination = %worker.destination, error = %e, "cannot make a probe due");
            }
            claimed = claim(shared.as_ref(), &worker, 1).await;
        }
        if claimed.is_empty() {
            // Idle: whatever is still queued waits behind something; what
            // waits behind a dead delivery is shown as blocked.
            if last_sweep.elapsed() >= BLOCK_SWEEP_EVERY {
                last_sweep = tokio::time::Instant::now();
                if let Err(e) = shared.store().block_behind_dead(&worker.destination).await {
                    tracing::warn!(destination = %worker.destination, error = %e, "cannot block deliveries behind dead ones");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(forward.poll_interval) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        // A claim holds at most one delivery per record key, so a round's
        // deliveries may go out at once without an update overtaking its create.
        // Each round's settlement commits while the next round is on the wire:
        // on SQLite every commit waits its turn at the one writer.
        let claimed_at = tokio::time::Instant::now();
        let mut settling = FuturesUnordered::new();
        let rounds: Vec<&[ClaimedDelivery]> = claimed.chunks(round_size).collect();
        let mut unsent: Vec<&ClaimedDelivery> = Vec::new();
        let mut halted = false;
        // A batched sink's rounds go out together (each one request per route,
        // so the wave takes one timeout); the others one round at a time.
        let wave_size = if worker.sink.batched() {
            rounds.len().max(1)
        } else {
            1
        };
        for (i, wave) in rounds.chunks(wave_size).enumerate() {
            // A wave that could outlast the claim's leases is not started:
            // another worker may claim its deliveries once the leases run out,
            // and a late send would be a second one. Unsent deliveries go back
            // to the queue without counting an attempt.
            halted = halted || *stop.borrow() || !round_fits(i, claimed_at.elapsed(), &forward);
            if halted {
                unsent.extend(wave.iter().flat_map(|round| round.iter()));
                continue;
            }
            let sent = join_all(wave.iter().map(|round| worker.sink.send(&client, round)));
            let sent = while_settling(sent, &mut settling).await;
            for (round, attempts) in wave.iter().zip(sent) {
                match health.observe(&attempts, tokio::time::Instant::now(), metrics) {
                    Verdict::Recovered => {
                        match shared.store().make_due(&worker.destination).await {
                            Ok(n) => {
                                tracing::info!(destination = %worker.destination, due = n, "waiting deliveries due now")
                            }
                            Err(e) => {
                                tracing::warn!(destination = %worker.destination, error = %e, "cannot make the waiting deliveries due")
                            }
                        }
                    }
                    // The rest of the claim would fail the same way.
                    Verdict::Failed => halted = true,
                    Verdict::Unchanged => {}
                }
                settling.push(settle_round(
                    shared.as_ref(),
                    &worker,
                    round.iter().collect(),
                    attempts,
                ));
            }
        }
        if !unsent.is_empty() {
            let attempts = vec![Attempt::Unsent; unsent.len()];
            settling.push(settle_round(shared.as_ref(), &worker, unsent, attempts));
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

async fn claim<H: Host>(shared: &H, worker: &Worker, limit: u32) -> Vec<ClaimedDelivery> {
    let lease = shared.forward().lease;
    match shared
        .store()
        .claim(&worker.worker_id, Some(&worker.destination), limit, lease)
        .await
    {
        Ok(claimed) => claimed,
        Err(e) => {
            tracing::warn!(destination = %worker.destination, error = %e, "claim failed");
            Vec::new()
        }
    }
}

/// How many deliveries a claim takes and how many go in one round. A batched
/// sink sends a round of `batch` in one request per route and all of a claim's
/// rounds at once, so a claim holds a few rounds that end within one timeout; a
/// sink that posts one by one sends `concurrency` at once and claims no more
/// rounds than surely fit in a lease (each round may take the whole timeout),
/// so no claimed delivery waits out its lease unsent.
pub(super) fn claim_plan(forward: &Forward, batched: bool) -> (u32, usize) {
    let batch = forward.batch.max(1);
    if batched {
        return (batch.saturating_mul(BATCHED_ROUNDS), batch as usize);
    }
    let timeout = forward.timeout.as_millis().max(1);
    let rounds = (forward.lease.as_millis().saturating_sub(1) / timeout).max(1);
    let rounds = u32::try_from(rounds).unwrap_or(u32::MAX);
    let concurrency = forward.concurrency.max(1);
    (
        batch.min(concurrency.saturating_mul(rounds)),
        concurrency as usize,
    )
}

/// Whether round `i` of a claim may still start `elapsed` after the claim. The
/// first round always starts, whatever the configured timeout and lease, so
/// that a worker always makes progress.
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

/// Records how each delivery of a round ended, in one store commit.
async fn settle_round<H: Host>(
    shared: &H,
    worker: &Worker,
    round: Vec<&ClaimedDelivery>,
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
    let mut lost = 0usize;
    for ((claimed, (_, outcome)), settled) in round.iter().zip(&outcomes).zip(settled) {
        if !settled {
            lost += 1;
        } else if matches!(outcome, Settlement::Delivered(_)) {
            shared.delivered(claimed, &worker.destination).await;
        }
    }
    if lost > 0 {
        tracing::warn!(destination = %worker.destination, deliveries = lost, "leases lost before settling");
    }
}

/// What an attempt means for its delivery under the worker's retry policy;
/// counts it (and logs what is worth a line).
fn judge<H: Host>(
    shared: &H,
    worker: &Worker,
    claimed: &ClaimedDelivery,
    attempt: Attempt,
) -> Settlement {
    let d = &claimed.delivery;
    let message_id = d.message_id;
    match attempt {
        Attempt::Unsent => Settlement::Unsent,
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_claim_holds_no_more_than_its_lease_can_send() {
        let forward = Forward {
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            batch: 500,
            concurrency: 16,
            ..Forward::default()
        };
        // Five rounds of 16 surely end within 60 s at 10 s each.
        assert_eq!(claim_plan(&forward, false), (80, 16));
        // Batched: rounds of `batch`, one request per route each, sent together.
        assert_eq!(claim_plan(&forward, true), (2000, 500));
        let tight_batched = Forward {
            timeout: Duration::from_secs(60),
            ..forward.clone()
        };
        assert_eq!(claim_plan(&tight_batched, true), (2000, 500));
        let tight = Forward {
            timeout: Duration::from_secs(60),
            ..forward
        };
        assert_eq!(claim_plan(&tight, false), (16, 16));
    }
}

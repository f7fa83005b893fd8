//! Accepting, what both backends share: a batch keyed before
//! its transaction, cut into multi-row statements of a few fixed sizes, and the
//! outcome of each message decided from what the inserts took.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use iarms_adapters::model::Message;
use uuid::Uuid;

use super::{
    due_date_end, ordering_key, AcceptOutcome, ConflictReason, DuplicateReason, NaturalKey,
    NewMessage, StoreError,
};
use crate::time::Millis;

/// One message of a batch, prepared for insertion.
pub(crate) struct Prepared {
    pub(crate) message_id: Uuid,
    pub(crate) correlation_id: Uuid,
    pub(crate) kind: &'static str,
    pub(crate) source_partner: String,
    pub(crate) ordering_key: String,
    pub(crate) natural_key: Option<NaturalKey>,
    /// Shared, so binding it to an INSERT copies no text.
    pub(crate) body: Arc<str>,
    pub(crate) destinations: Vec<String>,
    /// The trace of a trace request or response, kept beside the body for routing.
    pub(crate) trace_id: Option<String>,
    /// Trace requests: (trace_id, requesting_country, requested_country, due_at).
    pub(crate) trace: Option<(String, String, String, Option<Millis>)>,
    /// An earlier message of the same batch has the same id ([`mark_repeats`]).
    pub(crate) repeat_in_batch: bool,
}

/// Marks each message whose id an earlier message of the batch already has. The
/// batch is what one transaction inserts: one request, or on SQLite a group of
/// concurrent requests.
pub(crate) fn mark_repeats<'a>(batch: impl IntoIterator<Item = &'a mut Prepared>) {
    let mut seen = HashSet::new();
    for p in batch {
        p.repeat_in_batch = !seen.insert(p.message_id);
    }
}

/// Refuses `p` unless it is the message stored (or earlier in the batch) under
/// its id: the same canonical body, from the same sender. Duplicates are decided
/// per sender, so that nobody can answer for another sender's message id. A
/// record is the one exception: the same record, byte for byte, from another
/// partner of its owner (the owner check let both submit it; a registry's HTTP
/// and inbox partners send the same export) hides nothing, and is a duplicate.
pub(crate) fn check_same_message(p: &Prepared, from: &str, body: &str) -> Result<(), StoreError> {
    let same_body = body == &*p.body;
    let reason = if from != p.source_partner && !(same_body && p.natural_key.is_some()) {
        ConflictReason::OtherSender
    } else if !same_body {
        ConflictReason::OtherContent
    } else {
        return Ok(());
    };
    Err(StoreError::MessageIdConflict {
        message_id: p.message_id,
        reason,
    })
}

/// Keys a batch before any transaction starts (the caller serialised each
/// message once). Owned, so that it can wait for the SQLite group writer.
pub(crate) fn prepare(batch: &[NewMessage]) -> Result<Vec<Prepared>, StoreError> {
    batch
        .iter()
        .map(|new| {
            let message = &new.message;
            let header = message.header();
            let mut destinations: Vec<String> = Vec::with_capacity(new.destinations.len());
            for destination in &new.destinations {
                if destination.is_empty() {
                    return Err(StoreError::Invalid(format!(
                        "message {}: empty destination",
                        header.message_id
                    )));
                }
                if !destinations.contains(destination) {
                    destinations.push(destination.clone());
                }
            }
            let trace_id = match message {
                Message::TraceRequest(t) => Some(t.trace_id.clone()),
                Message::TraceResponse(t) => Some(t.trace_id.clone()),
                _ => None,
            };
            let trace = match message {
                Message::TraceRequest(t) => Some((
                    t.trace_id.clone(),
                    t.requesting_country.clone(),
                    t.requested_country.clone(),
                    t.due_date.as_deref().and_then(due_date_end),
                )),
                _ => None,
            };
            Ok(Prepared {
                message_id: header.message_id,
                correlation_id: header.correlation_id,
                kind: message.kind().tag(),
                source_partner: new.source_partner.clone(),
                ordering_key: ordering_key(message),
                natural_key: NaturalKey::of(message),
                body: Arc::clone(&new.body),
                destinations,
                trace_id,
                trace,
                repeat_in_batch: false,
            })
        })
        .collect()
}

/// Rows per multi-row statement, largest first: the first is well under both
/// databases' bind-parameter limits. A batch is cut into these sizes only, so
/// a handful of statement texts serve every batch and stay in the connection's
/// prepared-statement cache (a new size would be parsed and planned anew).
pub(crate) const CHUNK_SIZES: [usize; 5] = [500, 100, 20, 5, 1];

/// `items` in consecutive slices of [`CHUNK_SIZES`] rows.
pub(crate) fn chunks<T>(items: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        let size = CHUNK_SIZES
            .iter()
            .copied()
            .find(|size| *size <= rest.len())?;
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

pub(crate) fn version_i64(key: &NaturalKey) -> i64 {
    i64::from(key.version)
}

/// The outcome of each message of a batch, in order, from what the insert took
/// (`accepted`: id -> seq), which refused ids were already stored, and the original
/// of each refused record that repeats a natural key.
pub(crate) fn outcomes(
    batch: &[&Prepared],
    accepted: &HashMap<Uuid, i64>,
    known_ids: &HashSet<Uuid>,
    originals: &HashMap<Uuid, Uuid>,
) -> Result<Vec<AcceptOutcome>, StoreError> {
    batch
        .iter()
        .map(|p| {
            let message_id = p.message_id;
            if p.repeat_in_batch || known_ids.contains(&message_id) {
                Ok(AcceptOutcome::Duplicate {
                    message_id,
                    original_message_id: message_id,
                    reason: DuplicateReason::MessageId,
                })
            } else if accepted.contains_key(&message_id) {
                Ok(AcceptOutcome::Accepted { message_id })
            } else {
                let original = originals.get(&message_id).ok_or_else(|| {
                    StoreError::Corrupt(format!("message {message_id} refused for no known reason"))
                })?;
                Ok(AcceptOutcome::Duplicate {
                    message_id,
                    original_message_id: *original,
                    reason: DuplicateReason::NaturalKey,
                })
            }
        })
        .collect()
}

/// (message seq, destination, ordering key) for every delivery of the accepted
/// messages, in batch order so that delivery ids follow arrival.
pub(crate) fn delivery_rows<'a>(
    firsts: &[&'a Prepared],
    accepted: &HashMap<Uuid, i64>,
) -> Vec<(i64, &'a str, &'a str)> {
    firsts
        .iter()
        .filter_map(|p| accepted.get(&p.message_id).map(|seq| (*seq, *p)))
        .flat_map(|(seq, p)| {
            p.destinations
                .iter()
                .map(move |d| (seq, d.as_str(), p.ordering_key.as_str()))
        })
        .collect()
}

/// A delivery created by an accept: (delivery id, message id, destination).
pub(crate) type NewDelivery = (i64, Uuid, String);

/// The deliveries created by an accept, by message: (delivery id, destination).
pub(crate) type DeliveriesOf<'a> = HashMap<Uuid, Vec<(i64, &'a str)>>;

pub(crate) fn deliveries_of(deliveries: &[NewDelivery]) -> DeliveriesOf<'_> {
    let mut of: DeliveriesOf<'_> = HashMap::with_capacity(deliveries.len());
    for (delivery_id, message_id, destination) in deliveries {
        of.entry(*message_id)
            .or_default()
            .push((*delivery_id, destination.as_str()));
    }
    of
}

//! The inbound road shared by the HTTP API and the directory inbox: decode with
//! the partner's adapter, `prepare` every record, accept the good ones in one store
//! transaction with a delivery to the hub, and report one result per record.

use std::io::Cursor;

use iarms_adapters::framing::cancel::{Cancel, Cancellable};
use iarms_adapters::normalise::Strictness;
use iarms_adapters::pipeline::{self, Canonical};
use iarms_adapters::{Location, Message, MessageKind, RecordError};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, Action, AuditEvent, Origin};
use crate::domain::routing::HUB;
use crate::shared::Shared;
use crate::store::{AcceptOutcome, ConflictReason, DuplicateReason, NewMessage, StoreError};
use crate::telemetry::events::{Accepted, Duplicate, Rejected};

/// What happened to one record of a request or file.
#[derive(Debug, Clone, Serialize)]
pub struct RecordResult {
    /// 1-based position in the input.
    pub index: u64,
    /// `accepted`, `duplicate` or `rejected`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_message_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_reason: Option<DuplicateReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RecordError>,
}

/// The answer to a batch.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub results: Vec<RecordResult>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("unknown format `{0}`")]
    UnknownFormat(String),
    #[error("the store is unavailable: {0}")]
    Store(#[from] StoreError),
    #[error("decoding failed: {0}")]
    Internal(String),
    #[error("the batch has more than {max} records (gateway.max_batch_records)")]
    BatchTooLarge { max: usize },
    /// A record's message id is another sender's, or this sender's for other
    /// content: nothing of the batch was stored, the stored message stands.
    #[error("record {index}: message id {message_id} {reason}; nothing of this batch was stored")]
    MessageIdConflict {
        index: u64,
        message_id: Uuid,
        reason: ConflictReason,
    },
}

/// A decoded record: its 1-based index, where it is, and the clean message with
/// its canonical text or its located errors.
pub(crate) type Prepared = (u64, Location, Result<Canonical, Vec<RecordError>>);

/// A record of the report: its index, location, and kind or errors.
type Item = (u64, Location, Result<MessageKind, Vec<RecordError>>);

/// Where accepted messages go: to the hub (everything from partners), or, for
/// messages from the hub, to every partner with an `outbound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Hub,
    Partners,
}

/// Decodes `body` in `format` and accepts every clean record from `partner`
/// (routed to the hub). `kinds` restricts the message kinds allowed.
pub async fn ingest(
    shared: &Shared,
    partner: &str,
    format: &str,
    body: Vec<u8>,
    source: String,
    kinds: Option<&'static [MessageKind]>,
) -> Result<IngestReport, IngestError> {
    ingest_routed(
        shared,
        partner,
        format,
        body,
        source,
        kinds,
        Route::Hub,
        None,
    )
    .await
}

/// What a partner may submit (deny by default): records owned by our country
/// and one of its `owner_agencies`; searches, trace requests and responses of
/// our country; never hit notifications (those come from the hub).
struct Owner {
    country: String,
    agencies: Vec<String>,
}

impl Owner {
    fn check(&self, partner: &str, message: &Message) -> Result<(), RecordError> {
        let refuse = |field: &str, why: String| {
            Err(RecordError::new(
                iarms_adapters::ErrorCode::Forbidden,
                format!("forbidden_owner: {why}"),
            )
            .with_field(field))
        };
        let ours = |c: &str| c.trim().eq_ignore_ascii_case(&self.country);
        match message {
            Message::Record(r) => {
                if !ours(&r.owner_country) {
                    return refuse(
                        "owner_country",
                        format!(
                            "partner `{partner}` may submit records of {} only, not of `{}`",
                            self.country, r.owner_country
                        ),
                    );
                }
                if !self
                    .agencies
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(r.owner_agency.trim()))
                {
                    return refuse(
                        "owner_agency",
                        format!(
                            "partner `{partner}` may not submit records of agency `{}` \
                             (its owner_agencies: [{}])",
                            r.owner_agency,
                            self.agencies.join(", ")
                        ),
                    );
                }
                Ok(())
            }
            Message::Search(s) if !ours(&s.searching_country) => refuse(
                "searching_country",
                format!(
                    "searches must come from {}, not `{}`",
                    self.country, s.searching_country
                ),
            ),
            Message::TraceRequest(t) if !ours(&t.requesting_country) => refuse(
                "requesting_country",
                format!(
                    "trace requests must come from {}, not `{}`",
                    self.country, t.requesting_country
                ),
            ),
            Message::TraceResponse(t) if !ours(&t.responding_country) => refuse(
                "responding_country",
                format!(
                    "trace responses must come from {}, not `{}`",
                    self.country, t.responding_country
                ),
            ),
            Message::HitNotification(_) => refuse(
                "kind",
                "hit notifications come from the hub, not from partners".to_string(),
            ),
            _ => Ok(()),
        }
    }
}

/// [`ingest`] with an explicit route and, for HTTP requests, the most records.
// Each argument is one knob of the one inbound road, named at every call.
#[allow(clippy::too_many_arguments)]
pub async fn ingest_routed(
    shared: &Shared,
    partner: &str,
    format: &str,
    body: Vec<u8>,
    source: String,
    kinds: Option<&'static [MessageKind]>,
    route: Route,
    max_records: Option<usize>,
) -> Result<IngestReport, IngestError> {
    let how = Submission {
        actor: partner,
        partner,
        format,
        kinds,
        route,
        max_records,
        signature: None,
    };
    ingest_as(shared, how, body, source).await
}

/// Who submits what, for [`ingest_as`].
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// Who acts, for the audit trail: the partner itself over HTTP,
    /// `inbox:<partner>` for its directory inbox.
    pub actor: &'a str,
    pub partner: &'a str,
    pub format: &'a str,
    pub kinds: Option<&'static [MessageKind]>,
    pub route: Route,
    /// The most records one request may hold (HTTP); `None`: no bound (files).
    pub max_records: Option<usize>,
    /// The peer's verified message signature, kept with the accepted messages.
    pub signature: Option<&'a str>,
}

/// [`ingest`] with an explicit actor and route. The store transaction that
/// accepts the good records also appends the audit entries of the rejected ones.
pub async fn ingest_as(
    shared: &Shared,
    how: Submission<'_>,
    body: Vec<u8>,
    source: String,
) -> Result<IngestReport, IngestError> {
    // Dropped with this future (a timeout, a client gone): the decoding stops.
    let cancel = Cancel::new();
    let _cancel_on_drop = cancel.on_drop();
    let decode = decoder(
        shared,
        how,
        Box::new(Cursor::new(body)),
        source.clone(),
        Some(cancel),
    )?;
    // A request's body is in memory already: one blocking task collects its
    // records, with no channel between.
    let prepared = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let mut fault = None;
        decode(&mut |item| match item {
            Ok(prepared) => {
                out.push(prepared);
                true
            }
            Err(e) => {
                fault = Some(e);
                false
            }
        });
        fault.map_or(Ok(out), Err)
    })
    .await
    .map_err(|e| IngestError::Internal(e.to_string()))??;
    accept_prepared(shared, how, prepared, &source).await
}

/// What a [`decoder`] hands each prepared record to; `false` stops it.
type Sink<'s> = &'s mut dyn FnMut(Result<Prepared, IngestError>) -> bool;

/// Records a [`decode_stream`] holds ready beyond the one being taken: the
/// bound on what a stream keeps in memory ahead of its consumer.
const STREAM_AHEAD: usize = 256;

/// Decodes and prepares `input` on a blocking thread, record by record, into a
/// bounded channel: at most [`STREAM_AHEAD`] records wait in memory, so a file
/// of any size is read as the consumer takes it. The stream ends after the
/// last record, after a fatal error, or with [`IngestError::BatchTooLarge`].
pub(crate) fn decode_stream(
    shared: &Shared,
    how: Submission<'_>,
    input: Box<dyn std::io::BufRead + Send>,
    source: String,
) -> Result<tokio::sync::mpsc::Receiver<Result<Prepared, IngestError>>, IngestError> {
    // The consumer stops the stream by dropping it (see `blocking_send`).
    let decode = decoder(shared, how, input, source, None)?;
    let (tx, rx) = tokio::sync::mpsc::channel(STREAM_AHEAD);
    // `blocking_send` fails only when the consumer is gone: stop then.
    tokio::task::spawn_blocking(move || decode(&mut |item| tx.blocking_send(item).is_ok()));
    Ok(rx)
}

/// The decoding and preparing of `input` as `how` says, to run on a blocking
/// thread: each record, prepared, goes to the sink, in order, until the input
/// ends, a fatal error, [`IngestError::BatchTooLarge`] or the sink says stop.
///
/// With `cancel`, the decoding stops at the next read and the loop at the next
/// record once it is cancelled: a blocking thread outlives a timed-out or
/// abandoned request, whose guard cancels it.
fn decoder(
    shared: &Shared,
    how: Submission<'_>,
    input: Box<dyn std::io::BufRead + Send>,
    source: String,
    cancel: Option<Cancel>,
) -> Result<impl FnOnce(Sink<'_>) + Send + 'static, IngestError> {
    let Submission {
        partner,
        format,
        kinds,
        route,
        max_records,
        ..
    } = how;
    let owner = (route == Route::Hub).then(|| Owner {
        country: shared.config.country.clone(),
        agencies: shared
            .config
            .partner(partner)
            .map(|p| p.owner_agencies.clone())
            .unwrap_or_default(),
    });
    let limits = shared.config.limits;
    let partner_id = partner.to_string();
    let adapter = shared
        .registry
        .get(format)
        .ok_or_else(|| IngestError::UnknownFormat(format.to_string()))?;
    // A strict partner rejects unrecognised descriptive values; otherwise they
    // are kept and flagged, except in the adapter's own strict fields.
    let partner_strict = shared.config.partner(partner).is_some_and(|p| p.strict);
    let strict = if partner_strict {
        Strictness::all()
    } else {
        adapter.strictness()
    };
    Ok(move |send: Sink<'_>| {
        let input: Box<dyn std::io::BufRead + Send> = match &cancel {
            Some(cancel) => Box::new(Cancellable::new(input, cancel.clone())),
            None => input,
        };
        let stream = match adapter.decode(input, limits) {
            Ok(stream) => stream,
            Err(mut e) => {
                e.location.source = Some(source.clone());
                let location = (*e.location).clone();
                send(Ok((1, location, Err(vec![e]))));
                return;
            }
        };
        for (i, item) in stream.enumerate() {
            if cancel.as_ref().is_some_and(Cancel::is_cancelled) {
                return;
            }
            if max_records.is_some_and(|max| i >= max) {
                send(Err(IngestError::BatchTooLarge {
                    max: max_records.unwrap_or_default(),
                }));
                return;
            }
            let index = i as u64 + 1;
            let (prepared, fatal) = match item {
                Ok(decoded) => {
                    let mut location = decoded.site.location.clone();
                    location.source = Some(source.clone());
                    let result = pipeline::prepare_canonical_with(decoded, &strict)
                        .map_err(|errors| with_source(errors, &source))
                        .and_then(|c| match kinds {
                            Some(allowed) if !allowed.contains(&c.message.kind()) => {
                                Err(vec![RecordError::new(
                                    iarms_adapters::ErrorCode::Unsupported,
                                    format!(
                                        "a {} message does not belong at this endpoint",
                                        c.message.kind().tag()
                                    ),
                                )
                                .at(location.clone())])
                            }
                            _ => Ok(c),
                        })
                        .and_then(|c| match &owner {
                            Some(owner) => owner
                                .check(&partner_id, &c.message)
                                .map(|()| c)
                                .map_err(|e| vec![e.at(location.clone())]),
                            None => Ok(c),
                        });
                    ((index, location, result), false)
                }
                Err(e) => {
                    let fatal = e.fatal;
                    let mut e = e;
                    e.location.source = Some(source.to_string());
                    let location = (*e.location).clone();
                    ((index, location, Err(vec![e])), fatal)
                }
            };
            if !send(Ok(prepared)) || fatal {
                return;
            }
        }
    })
}

/// Accepts the good records of `prepared` in one store transaction, with the
/// audit entries of the rejected ones, and reports one result per record.
pub(crate) async fn accept_prepared(
    shared: &Shared,
    how: Submission<'_>,
    mut prepared: Vec<Prepared>,
    source_name: &str,
) -> Result<IngestReport, IngestError> {
    let Submission {
        actor,
        partner,
        format,
        route,
        signature,
        ..
    } = how;
    if route == Route::Hub {
        refuse_foreign_answers(shared, partner, &mut prepared).await?;
    }
    // The good messages move into the batch (no copy); the report keeps their kinds.
    let mut batch: Vec<NewMessage> = Vec::new();
    let mut items: Vec<Item> = Vec::with_capacity(prepared.len());
    for (index, location, result) in prepared {
        match result {
            Ok(canonical) => {
                items.push((index, location, Ok(canonical.message.kind())));
                let to = destinations(shared, route, &canonical.message).await;
                batch.push(NewMessage::canonical(canonical, partner, to));
            }
            Err(errors) => items.push((index, location, Err(errors))),
        }
    }
    let mut origin = Origin::actor(actor).format(format);
    origin.signature = signature.map(str::to_string);
    origin.also = items
        .iter()
        .filter_map(|(index, _, r)| r.as_ref().err().map(|e| (index, e)))
        .map(|(index, errors)| rejected_event(actor, partner, format, source_name, *index, errors))
        .collect();
    let outcomes = if batch.is_empty() && origin.also.is_empty() {
        Vec::new()
    } else {
        match shared.store.accept(&batch, &origin).await {
            Ok(outcomes) => outcomes,
            Err(StoreError::MessageIdConflict { message_id, reason }) => {
                return Err(conflict(shared, &batch, &items, origin, message_id, reason).await);
            }
            Err(e) => return Err(e.into()),
        }
    };
    // Accepted or a duplicate alike: a crash between accepting and moving the
    // trace heals on the resend.
    for new in &batch {
        crate::traces::accepted(shared, &new.message).await;
    }
    let mut outcomes = outcomes.into_iter();
    let mut report = IngestReport {
        accepted: 0,
        duplicates: 0,
        rejected: 0,
        results: Vec::with_capacity(items.len()),
    };
    for (index, location, result) in items {
        let item = match result {
            Ok(kind) => {
                let kind = kind.tag();
                match outcomes.next() {
                    Some(AcceptOutcome::Accepted { message_id }) => {
                        report.accepted += 1;
                        shared.metrics.emit(Accepted {
                            message_id,
                            partner,
                            kind,
                        });
                        RecordResult {
                            index,
                            outcome: "accepted",
                            kind: Some(kind),
                            message_id: Some(message_id),
                            original_message_id: None,
                            duplicate_reason: None,
                            location: Some(location),
                            errors: Vec::new(),
                        }
                    }
                    Some(AcceptOutcome::Duplicate {
                        message_id,
                        original_message_id,
                        reason,
                    }) => {
                        report.duplicates += 1;
                        shared.metrics.emit(Duplicate {
                            message_id,
                            original_message_id,
                            partner,
                        });
                        RecordResult {
                            index,
                            outcome: "duplicate",
                            kind: Some(kind),
                            message_id: Some(message_id),
                            original_message_id: Some(original_message_id),
                            duplicate_reason: Some(reason),
                            location: Some(location),
                            errors: Vec::new(),
                        }
                    }
                    None => {
                        return Err(IngestError::Internal(
                            "the store returned fewer outcomes than messages".into(),
                        ))
                    }
                }
            }
            Err(errors) => {
                report.rejected += 1;
                RecordResult {
                    index,
                    outcome: "rejected",
                    kind: None,
                    message_id: None,
                    original_message_id: None,
                    duplicate_reason: None,
                    location: Some(location),
                    errors,
                }
            }
        };
        report.results.push(item);
    }
    shared.metrics.emit(Rejected {
        partner,
        count: report.rejected,
    });
    Ok(report)
}

/// A partner answers only the traces it is party to: a trace response to any
/// other trace (unknown, or other partners') is refused with one text for
/// both, so that trace ids do not leak.
async fn refuse_foreign_answers(
    shared: &Shared,
    partner: &str,
    prepared: &mut [Prepared],
) -> Result<(), StoreError> {
    for (_, location, result) in prepared.iter_mut() {
        let Ok(Canonical {
            message: Message::TraceResponse(response),
            ..
        }) = &*result
        else {
            continue;
        };
        let party = match shared.store.get_trace(&response.trace_id).await? {
            Some(trace) => crate::traces::party_of(shared, &trace, partner)
                .await?
                .is_some(),
            None => false,
        };
        if !party {
            let error = RecordError::new(
                iarms_adapters::ErrorCode::Forbidden,
                format!(
                    "partner `{partner}` is party to no trace `{}`",
                    response.trace_id
                ),
            )
            .with_field("trace_id")
            .at(location.clone());
            *result = Err(vec![error]);
        }
    }
    Ok(())
}

/// Where one accepted message goes: everything from partners to the hub; a
/// message from the hub to every partner that receives its kind, except that
/// the answer to a trace goes back to the partner that asked (when it takes
/// answers), and a hit on one of our records to the partners of its agency.
async fn destinations(shared: &Shared, route: Route, message: &Message) -> Vec<String> {
    match route {
        Route::Hub => vec![HUB.to_string()],
        Route::Partners => {
            let kind = message.kind();
            if let Message::TraceResponse(response) = message {
                if let Some(asker) = trace_requester(shared, &response.trace_id).await {
                    return vec![asker];
                }
            }
            let receivers = shared.config.partners.iter().filter(|p| p.receives(kind));
            // A hit on one of our records goes to the partners of the record's
            // agency (its `owner_agencies`) when there are any.
            let agency = match message {
                Message::HitNotification(hit)
                    if hit
                        .matched_record
                        .owner_country
                        .eq_ignore_ascii_case(&shared.config.country) =>
                {
                    Some(hit.matched_record.owner_agency.as_str())
                }
                _ => None,
            };
            let of_agency: Vec<String> = receivers
                .clone()
                .filter(|p| {
                    agency
                        .is_some_and(|a| p.owner_agencies.iter().any(|o| o.eq_ignore_ascii_case(a)))
                })
                .map(|p| p.id.clone())
                .collect();
            if !of_agency.is_empty() {
                return of_agency;
            }
            let to: Vec<String> = receivers.map(|p| p.id.clone()).collect();
            if to.is_empty() {
                // Kept in the store (an operator can see it), but nobody gets it.
                tracing::warn!(
                    message_id = %message.header().message_id,
                    kind = kind.tag(),
                    "no partner receives this kind of message from the hub; stored, not delivered"
                );
            }
            to
        }
    }
}

/// The error of a batch refused for a message id conflict, after recording the
/// refusal (and the batch's rejected records) in the audit trail: the accept's
/// own entries went with its transaction.
async fn conflict(
    shared: &Shared,
    batch: &[NewMessage],
    items: &[Item],
    mut origin: Origin,
    message_id: Uuid,
    reason: ConflictReason,
) -> IngestError {
    // The batch holds the good items in order: the conflicting one's position
    // among them names its index in the input.
    let index = batch
        .iter()
        .position(|m| m.message.header().message_id == message_id)
        .and_then(|at| items.iter().filter(|(_, _, r)| r.is_ok()).nth(at))
        .map_or(0, |(index, _, _)| *index);
    let sender = batch
        .first()
        .map(|m| m.source_partner.clone())
        .unwrap_or_default();
    origin.also.push(
        AuditEvent::new(origin.actor.as_str(), Action::Rejected)
            .subject(message_id.to_string())
            .partner(sender)
            .details(serde_json::json!({
                "index": index,
                "codes": ["message_id_conflict"],
                "conflict": reason,
            })),
    );
    if let Err(e) = shared.store.audit(&origin.also).await {
        return IngestError::Store(e);
    }
    IngestError::MessageIdConflict {
        index,
        message_id,
        reason,
    }
}

/// The `rejected` entry of one record: its position, the error codes and a
/// digest of the file or request name, never the record or the messages.
fn rejected_event(
    actor: &str,
    partner: &str,
    format: &str,
    source: &str,
    index: u64,
    errors: &[RecordError],
) -> AuditEvent {
    let mut codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    AuditEvent::new(actor, Action::Rejected)
        .partner(partner)
        .details(serde_json::json!({
            "format": format,
            "index": index,
            "errors": errors.len(),
            "codes": codes,
            "source_sha256": audit::digest(source),
        }))
}

/// The partner that sent trace `trace_id`'s request, if it is still configured
/// and takes trace responses.
async fn trace_requester(shared: &Shared, trace_id: &str) -> Option<String> {
    let trace = shared.store.get_trace(trace_id).await.ok()??;
    let request = shared
        .store
        .get_message(trace.request_message_id)
        .await
        .ok()??;
    let partner = shared.config.partner(&request.message.source_partner)?;
    partner
        .receives(MessageKind::TraceResponse)
        .then(|| partner.id.clone())
}

fn with_source(mut errors: Vec<RecordError>, source: &str) -> Vec<RecordError> {
    for e in &mut errors {
        e.location.source = Some(source.to_string());
    }
    errors
}

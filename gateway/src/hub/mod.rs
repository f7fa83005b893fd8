//! The reference hub's core: a stand-in for the iARMS central service, for tests,
//! demos and integrators. It is a reference implementation of our canonical API,
//! not INTERPOL's system.
//!
//! - [`register`]: the current record of every owner, with matching indexes;
//! - [`matching`]: searches against the register, exact and partial hits, and
//!   the hit notifications they produce;
//! - [`routing`]: destinations (`gateway:XX`) and the trace lifecycle;
//! - [`Hub::receive`]: what the hub's routes ([`routes`]) call for every message
//!   a country gateway submits; [`state`] is what they share with the
//!   delivery workers ([`delivery`]).
//!
//! Outgoing messages are queued as deliveries in the [`Store`] (source partner
//! [`HUB_PARTNER`], destinations `gateway:XX`); the forwarder delivers them and
//! reports success through [`Hub::delivered`].

pub mod config;
pub mod delivery;
pub mod fault;
pub mod matching;
pub mod openapi;
pub mod register;
pub mod routes;
pub mod routing;
pub mod state;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use iarms_adapters::model::{MatchSummary, Message, MessageKind, RecordRef};
use iarms_adapters::pipeline::Canonical;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{Action, AuditEvent, Origin};
use crate::domain::routing::{gateway_destination, same_country, trace_request_destination};
use crate::store::{
    self, AcceptOutcome, ClaimedDelivery, Clock, DuplicateReason, NewMessage, Store, StoreError,
    StoreOptions, TraceState, Transition,
};
use matching::{find_matches, hit_notifications, NoMatchReason};
use register::Register;
pub use register::{RegisterOutcome, RegisteredRecord};
use routing::route_trace_response;

/// The source partner of the messages the hub itself produces.
pub const HUB_PARTNER: &str = "hub";

/// Why the hub refused a message or a request.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The submitting gateway may not send this (deny by default).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("trace `{trace_id}` is unknown")]
    UnknownTrace { trace_id: String },
    #[error(
        "trace `{trace_id}` was addressed to {requested_country}, not to {country}: \
         only the requested country may respond to it or acknowledge it"
    )]
    NotAsked {
        trace_id: String,
        country: String,
        requested_country: String,
    },
    #[error("trace `{trace_id}` is {state}: it accepts no further response")]
    TraceClosed { trace_id: String, state: TraceState },
    #[error("trace `{trace_id}` already exists, started by another request ({existing})")]
    TraceConflict { trace_id: String, existing: Uuid },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HubError {
    /// A stable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            HubError::Forbidden(_) => "forbidden",
            HubError::UnknownTrace { .. } => "unknown_trace",
            HubError::NotAsked { .. } => "not_asked",
            HubError::TraceClosed { .. } => "trace_closed",
            HubError::TraceConflict { .. } => "trace_conflict",
            HubError::Store(StoreError::NotFound { .. }) => "not_found",
            HubError::Store(StoreError::TraceTransition { .. }) => "trace_transition",
            HubError::Store(StoreError::MessageIdConflict { .. }) => "message_id_conflict",
            HubError::Store(StoreError::Invalid(_)) => "invalid",
            HubError::Store(StoreError::Unavailable(_)) => "store_unavailable",
            HubError::Store(_) => "store_error",
        }
    }

    /// The HTTP status an API should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            HubError::Forbidden(_) | HubError::NotAsked { .. } => 403,
            HubError::UnknownTrace { .. } | HubError::Store(StoreError::NotFound { .. }) => 404,
            HubError::TraceClosed { .. }
            | HubError::TraceConflict { .. }
            | HubError::Store(StoreError::TraceTransition { .. })
            | HubError::Store(StoreError::MessageIdConflict { .. }) => 409,
            HubError::Store(StoreError::Invalid(_)) => 400,
            HubError::Store(StoreError::Unavailable(_)) => 503,
            HubError::Store(_) => 500,
        }
    }
}

/// A hit notification queued for one country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedNotification {
    pub message_id: Uuid,
    pub destination: String,
    /// `duplicate` when the same search was run before.
    pub stored: AcceptOutcome,
}

/// One matched record with its notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitOutcome {
    pub record: RecordRef,
    #[serde(rename = "match")]
    pub summary: MatchSummary,
    pub notifications: Vec<QueuedNotification>,
}

/// What [`Hub::receive`] did with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HubOutcome {
    Record {
        message_id: Uuid,
        /// The message as stored for the audit trail (a resent version is a duplicate).
        stored: AcceptOutcome,
        register: RegisterOutcome,
    },
    Search {
        message_id: Uuid,
        stored: AcceptOutcome,
        /// Set when the search could not be matched (no usable serial).
        #[serde(skip_serializing_if = "Option::is_none")]
        no_match: Option<NoMatchReason>,
        hits: Vec<HitOutcome>,
    },
    TraceRequest {
        message_id: Uuid,
        trace_id: String,
        destination: String,
        stored: AcceptOutcome,
    },
    TraceResponse {
        message_id: Uuid,
        trace_id: String,
        destination: String,
        stored: AcceptOutcome,
        transition: Transition,
    },
}

impl HubOutcome {
    /// Where the messages this outcome queued are going (`gateway:XX`).
    pub fn destinations(&self) -> Vec<&str> {
        match self {
            HubOutcome::Record { .. } => Vec::new(),
            HubOutcome::Search { hits, .. } => hits
                .iter()
                .flat_map(|h| h.notifications.iter().map(|n| n.destination.as_str()))
                .collect(),
            HubOutcome::TraceRequest { destination, .. }
            | HubOutcome::TraceResponse { destination, .. } => vec![destination.as_str()],
        }
    }
}

/// The hub: its register and the store its outgoing messages are queued in.
#[derive(Debug, Clone)]
pub struct Hub {
    register: Register,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl Hub {
    pub fn new(register: Register, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Hub {
        Hub {
            register,
            store,
            clock,
        }
    }

    /// Opens the store and the register in the same database and migrates both.
    pub async fn open(url: &str, options: StoreOptions) -> Result<Hub, HubError> {
        let register = Register::open(url, &options).await?;
        let clock = options.clock.clone();
        let store = store::open_with(url, options).await?;
        Ok(Hub::new(register, store, clock))
    }

    pub fn register(&self) -> &Register {
        &self.register
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub async fn close(&self) {
        self.register.close().await;
        self.store.close().await;
    }

    /// Handles one canonical message submitted by the gateway of `from_country`
    /// (the authenticated identity, not anything the message claims).
    ///
    /// Authorisation, deny by default: a record only from its owner country, a
    /// search only from its searching country, a trace request only from its
    /// requesting country, a trace response only from the country the trace was
    /// addressed to (and naming itself as responder); hit notifications only come
    /// from the hub. Every 2xx-worthy outcome is committed before returning.
    ///
    /// A refusal (4xx) gets a `rejected` audit entry naming the submitting
    /// gateway, the message id and kind and the error code.
    pub async fn receive(
        &self,
        from_country: &str,
        message: Message,
    ) -> Result<HubOutcome, HubError> {
        let text = serde_json::to_string(&message).map_err(|e| {
            StoreError::Invalid(format!(
                "message {}: cannot serialise: {e}",
                message.header().message_id
            ))
        })?;
        self.receive_canonical(from_country, Canonical { message, text })
            .await
    }

    /// [`Hub::receive`] for a message validated with its canonical text
    /// ([`iarms_adapters::pipeline::prepare_canonical`]), which the store keeps
    /// as it is: the hub's routes parse and serialise a submission once.
    pub async fn receive_canonical(
        &self,
        from_country: &str,
        canonical: Canonical,
    ) -> Result<HubOutcome, HubError> {
        self.receive_signed(from_country, canonical, None).await
    }

    /// [`Hub::receive_canonical`] of a message whose gateway signed the
    /// request (its verified HTTP message signature), kept in the `accepted`
    /// audit entries as evidence of what the gateway sent.
    pub async fn receive_signed(
        &self,
        from_country: &str,
        canonical: Canonical,
        signature: Option<&str>,
    ) -> Result<HubOutcome, HubError> {
        let message_id = canonical.message.header().message_id;
        let kind = canonical.message.kind().tag();
        let result = self
            .receive_checked(from_country, canonical, signature)
            .await;
        if let Err(refusal) = &result {
            let status = refusal.http_status();
            if (400..500).contains(&status) {
                let event = rejected_event(from_country.trim(), message_id, kind, refusal);
                if let Err(e) = self.store.audit(&[event]).await {
                    tracing::warn!(%message_id, error = %e, "cannot audit a refused submission");
                }
            }
        }
        result
    }

    /// Records of `from_country` received as one batch, each authorised as
    /// [`Hub::receive`] does: the allowed ones are stored in one store
    /// transaction and applied to the register in one, two commits for the
    /// whole batch instead of two per record. One result per record, in order;
    /// a refusal (audited as `rejected`) does not stop the others. A failing
    /// store fails the whole call.
    pub async fn receive_records(
        &self,
        from_country: &str,
        records: Vec<Canonical>,
        signature: Option<&str>,
    ) -> Result<Vec<Result<HubOutcome, HubError>>, HubError> {
        let from = from_country.trim();
        let source = gateway_destination(from);
        let mut results: Vec<Option<Result<HubOutcome, HubError>>> = Vec::new();
        let mut refusals = Vec::new();
        let mut batch = Vec::new();
        let mut register_records = Vec::new();
        let mut slots = Vec::new();
        for canonical in records {
            let message_id = canonical.message.header().message_id;
            let kind = canonical.message.kind().tag();
            let refusal = match &canonical.message {
                _ if from.is_empty() => Some(HubError::Forbidden(
                    "the submitting gateway has no country".to_string(),
                )),
                Message::Record(record) if same_country(&record.owner_country, from) => {
                    register_records.push(record.clone());
                    None
                }
                Message::Record(record) => Some(HubError::Forbidden(format!(
                    "the gateway of {from} may only submit records owned by {from}, not by {}",
                    record.owner_country
                ))),
                _ => Some(HubError::Forbidden(
                    "only records belong in a batch of records".to_string(),
                )),
            };
            match refusal {
                Some(refusal) => {
                    refusals.push(rejected_event(from, message_id, kind, &refusal));
                    results.push(Some(Err(refusal)));
                }
                None => {
                    slots.push((results.len(), message_id));
                    results.push(None);
                    batch.push(NewMessage::canonical(canonical, &source, Vec::new()));
                }
            }
        }
        if !batch.is_empty() {
            let stored = self
                .store
                .accept(&batch, &signed_origin(source, signature))
                .await?;
            let applied = self.register.apply_all(&register_records).await?;
            if stored.len() != slots.len() || applied.len() != slots.len() {
                return Err(StoreError::Invalid(
                    "the store returned another number of outcomes".to_string(),
                )
                .into());
            }
            for (((slot, message_id), stored), register) in
                slots.into_iter().zip(stored).zip(applied)
            {
                if let Some(result) = results.get_mut(slot) {
                    *result = Some(Ok(HubOutcome::Record {
                        message_id,
                        stored,
                        register,
                    }));
                }
            }
        }
        if !refusals.is_empty() {
            if let Err(e) = self.store.audit(&refusals).await {
                tracing::warn!(refused = refusals.len(), error = %e, "cannot audit refused submissions");
            }
        }
        Ok(results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(StoreError::Invalid("a record got no outcome".to_string()).into())
                })
            })
            .collect())
    }

    async fn receive_checked(
        &self,
        from_country: &str,
        canonical: Canonical,
        signature: Option<&str>,
    ) -> Result<HubOutcome, HubError> {
        let from = from_country.trim();
        if from.is_empty() {
            return Err(HubError::Forbidden(
                "the submitting gateway has no country".to_string(),
            ));
        }
        let source = gateway_destination(from);
        let message_id = canonical.message.header().message_id;
        match &canonical.message {
            Message::Record(record) => {
                allow(same_country(&record.owner_country, from), || {
                    format!(
                        "the gateway of {from} may only submit records owned by {from}, \
                         not by {}",
                        record.owner_country
                    )
                })?;
                let register_record = record.clone();
                let stored = self
                    .accept_one(
                        NewMessage::canonical(canonical, &source, Vec::new()),
                        signature,
                    )
                    .await?;
                let register = self.register.apply(&register_record).await?;
                Ok(HubOutcome::Record {
                    message_id,
                    stored,
                    register,
                })
            }
            Message::Search(search) => {
                allow(same_country(&search.searching_country, from), || {
                    format!(
                        "the gateway of {from} may only submit searches of {from}, not of {}",
                        search.searching_country
                    )
                })?;
                let search = search.clone();
                let report = find_matches(&self.register, &search.firearm).await?;
                let notified_at = crate::time::rfc3339(self.clock.now());
                let mut batch = vec![NewMessage::canonical(canonical, &source, Vec::new())];
                let mut hits = Vec::with_capacity(report.hits.len());
                for hit in &report.hits {
                    let mut notifications = Vec::new();
                    for addressed in hit_notifications(&search, hit, &notified_at) {
                        let destination = gateway_destination(&addressed.recipient_country);
                        let message_id = addressed.notification.header.message_id;
                        // A notification's id names the search, the record and the
                        // recipient: one sent before (a search run again) is that
                        // notification, not new content under its id.
                        if self.store.get_message(message_id).await?.is_some() {
                            notifications.push(QueuedNotification {
                                message_id,
                                destination,
                                stored: AcceptOutcome::Duplicate {
                                    message_id,
                                    original_message_id: message_id,
                                    reason: DuplicateReason::MessageId,
                                },
                            });
                            continue;
                        }
                        notifications.push(QueuedNotification {
                            message_id,
                            destination: destination.clone(),
                            stored: AcceptOutcome::Accepted { message_id },
                        });
                        batch.push(NewMessage::serialise(
                            Message::HitNotification(addressed.notification),
                            HUB_PARTNER,
                            vec![destination],
                        )?);
                    }
                    hits.push(HitOutcome {
                        record: hit.record_ref(),
                        summary: hit.summary.clone(),
                        notifications,
                    });
                }
                // The search and its notifications commit together.
                // The submitting gateway acts; the notifications are the hub's own
                // messages (their source partner).
                let mut outcomes = self
                    .store
                    .accept(&batch, &signed_origin(source, signature))
                    .await?
                    .into_iter();
                let stored = outcomes.next().ok_or_else(|| {
                    StoreError::Invalid("the store returned no outcome".to_string())
                })?;
                // The batch holds the notifications not sent before, in order.
                for notification in hits
                    .iter_mut()
                    .flat_map(|h| h.notifications.iter_mut())
                    .filter(|n| n.stored.is_accepted())
                {
                    notification.stored = outcomes.next().ok_or_else(|| {
                        StoreError::Invalid("the store returned too few outcomes".to_string())
                    })?;
                }
                Ok(HubOutcome::Search {
                    message_id,
                    stored,
                    no_match: report.no_match,
                    hits,
                })
            }
            Message::TraceRequest(request) => {
                allow(same_country(&request.requesting_country, from), || {
                    format!(
                        "the gateway of {from} may only submit trace requests of {from}, \
                         not of {}",
                        request.requesting_country
                    )
                })?;
                if let Some(existing) = self.store.get_trace(&request.trace_id).await? {
                    if existing.request_message_id != message_id {
                        return Err(HubError::TraceConflict {
                            trace_id: request.trace_id.clone(),
                            existing: existing.request_message_id,
                        });
                    }
                }
                let destination = trace_request_destination(request);
                let trace_id = request.trace_id.clone();
                let stored = self
                    .accept_one(
                        NewMessage::canonical(canonical, &source, vec![destination.clone()]),
                        signature,
                    )
                    .await?;
                Ok(HubOutcome::TraceRequest {
                    message_id,
                    trace_id,
                    destination,
                    stored,
                })
            }
            Message::TraceResponse(response) => {
                let route = route_trace_response(self.store.as_ref(), from, response).await?;
                let trace_id = response.trace_id.clone();
                let stored = self
                    .accept_one(
                        NewMessage::canonical(canonical, &source, vec![route.destination.clone()]),
                        signature,
                    )
                    .await?;
                // Also after a duplicate: a crash between accept and transition heals
                // on the resend.
                let transition = self.store.transition(&trace_id, route.next_state).await?;
                Ok(HubOutcome::TraceResponse {
                    message_id,
                    trace_id,
                    destination: route.destination,
                    stored,
                    transition,
                })
            }
            Message::HitNotification(_) => Err(HubError::Forbidden(
                "hit notifications are issued by the hub, not submitted to it".to_string(),
            )),
        }
    }

    /// Tells the hub that `claimed` reached `destination` (the forwarder calls this
    /// after a successful delivery). A trace request delivered to the requested
    /// country's gateway moves its trace from `submitted` to `delivered`; a trace
    /// already further along is left alone. Returns the transition, if any. The
    /// kind and trace come from the delivery's columns, not its body.
    pub async fn delivered(
        &self,
        claimed: &ClaimedDelivery,
        destination: &str,
    ) -> Result<Option<Transition>, HubError> {
        let (MessageKind::TraceRequest, Some(trace_id)) =
            (claimed.kind, claimed.trace_id.as_deref())
        else {
            return Ok(None);
        };
        match self.store.get_trace(trace_id).await? {
            Some(trace)
                if trace.state == TraceState::Submitted
                    && destination == gateway_destination(&trace.requested_country) =>
            {
                match self.store.transition(trace_id, TraceState::Delivered).await {
                    Ok(transition) => Ok(Some(transition)),
                    // Moved on concurrently (an answer came first): nothing to do.
                    Err(StoreError::TraceTransition { .. }) => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }
            _ => Ok(None),
        }
    }

    /// The requested country acknowledges a trace request.
    pub async fn acknowledge(
        &self,
        from_country: &str,
        trace_id: &str,
    ) -> Result<Transition, HubError> {
        let trace = self.party_trace(from_country, trace_id).await?;
        if !same_country(&trace.requested_country, from_country) {
            return Err(HubError::NotAsked {
                trace_id: trace.trace_id,
                country: from_country.trim().to_string(),
                requested_country: trace.requested_country,
            });
        }
        Ok(self
            .store
            .transition(trace_id, TraceState::Acknowledged)
            .await?)
    }

    /// The requesting country cancels its trace request.
    pub async fn cancel(&self, from_country: &str, trace_id: &str) -> Result<Transition, HubError> {
        let trace = self.party_trace(from_country, trace_id).await?;
        allow(
            same_country(&trace.requesting_country, from_country),
            || {
                format!(
                    "only the requesting country ({}) may cancel trace `{trace_id}`",
                    trace.requesting_country
                )
            },
        )?;
        Ok(self
            .store
            .transition(trace_id, TraceState::Cancelled)
            .await?)
    }

    /// Expires every open trace past its due date; returns their ids.
    pub async fn expire_due(&self) -> Result<Vec<String>, HubError> {
        Ok(self.store.expire_due().await?)
    }

    /// The trace, if `country` is one of its two countries; for every other
    /// country the same `unknown_trace` as for a trace that does not exist, so
    /// that a third country learns nothing (not even the two countries' codes).
    async fn party_trace(&self, country: &str, trace_id: &str) -> Result<store::Trace, HubError> {
        let trace = self.trace(trace_id).await?;
        if same_country(&trace.requesting_country, country)
            || same_country(&trace.requested_country, country)
        {
            Ok(trace)
        } else {
            Err(HubError::UnknownTrace {
                trace_id: trace_id.to_string(),
            })
        }
    }

    async fn trace(&self, trace_id: &str) -> Result<store::Trace, HubError> {
        self.store
            .get_trace(trace_id)
            .await?
            .ok_or_else(|| HubError::UnknownTrace {
                trace_id: trace_id.to_string(),
            })
    }

    async fn accept_one(
        &self,
        new: NewMessage,
        signature: Option<&str>,
    ) -> Result<AcceptOutcome, HubError> {
        let origin = signed_origin(new.source_partner.as_str(), signature);
        self.store
            .accept(std::slice::from_ref(&new), &origin)
            .await?
            .pop()
            .ok_or_else(|| StoreError::Invalid("the store returned no outcome".to_string()).into())
    }
}

/// Who submits, with the signature of the request when it was signed.
fn signed_origin(actor: impl Into<String>, signature: Option<&str>) -> Origin {
    let mut origin = Origin::actor(actor);
    origin.signature = signature.map(str::to_string);
    origin
}

/// The `rejected` audit entry of a refused submission, naming the submitting
/// gateway, the message and the error code.
fn rejected_event(from: &str, message_id: Uuid, kind: &str, refusal: &HubError) -> AuditEvent {
    let actor = gateway_destination(from);
    AuditEvent::new(actor.clone(), Action::Rejected)
        .subject(message_id.to_string())
        .kind(kind)
        .partner(actor)
        .details(serde_json::json!({
            "code": refusal.code(),
            "http_status": refusal.http_status(),
        }))
}

fn allow(allowed: bool, reason: impl FnOnce() -> String) -> Result<(), HubError> {
    if allowed {
        Ok(())
    } else {
        Err(HubError::Forbidden(reason()))
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn error_codes_and_statuses() {
        let e = HubError::NotAsked {
            trace_id: "T1".to_string(),
            country: "BR".to_string(),
            requested_country: "RS".to_string(),
        };
        assert_eq!((e.code(), e.http_status()), ("not_asked", 403));
        assert!(e.to_string().contains("addressed to RS, not to BR"));
        let e = HubError::Forbidden("x".to_string());
        assert_eq!((e.code(), e.http_status()), ("forbidden", 403));
    }
}

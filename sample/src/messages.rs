//! One message of each kind: record, search, hit notification, trace request
//! and response.

use iarms_adapters::model::{
    Event, FirearmRecord, Header, HitNotification, MatchKind, MatchSummary, Place, RecordAction,
    RecordRef, Search, Seizure, SerialState, TraceOutcome, TracePriority, TraceQuestion,
    TraceRequest, TraceResponse,
};

use crate::dates::{Date, FIRST_DAY, LAST_DAY};
use crate::generator::{Detail, Gen, MessKind, FIREARM_MESS};
use crate::lookups::{agency_of, current_code};
use crate::tables::{
    event_descriptions, DECLINED_REMARKS, EXACT_FIELDS, GUNS, INTENDED_USES, NOT_FOUND_REMARKS,
    OWNERS, PARTIAL_FIELDS, PARTIAL_REMARKS, SEIZURE_CIRCUMSTANCES, STATUSES, TRACED_REMARKS,
};

impl Gen<'_> {
    pub(crate) fn record(&mut self) -> FirearmRecord {
        let mess = self.mess(FIREARM_MESS);
        let header = Header::new(self.uuid());
        let owner = self.owner();
        let gun = self.pick(GUNS);
        let day = self.day_between(Self::first_event_day(gun, FIRST_DAY), LAST_DAY);
        let year = self.year_of_manufacture(gun, day.year() - 1);
        let status = self.weighted(STATUSES);
        let (action, version) = match self.weighted(&[(0u8, 80), (1, 15), (2, 5)]) {
            1 => (RecordAction::Update, 2 + self.below(3)),
            2 => (RecordAction::Cancel, 2 + self.below(3)),
            _ => (RecordAction::Create, 1),
        };
        let mut firearm = self.firearm(gun, year, owner.code, Detail::Record);
        let case_reference = self.chance(0.85).then(|| self.case_reference(owner, day));
        let date = Some(self.date_string(day, 0.1));
        let place_country = if self.chance(0.9) {
            owner
        } else {
            self.other_owner(owner.code)
        };
        let place = if self.chance(0.95) {
            Some(Place {
                country: Some(place_country.code.to_string()),
                locality: self
                    .chance(0.95)
                    .then(|| (*self.pick(place_country.towns)).to_string()),
            })
        } else {
            None
        };
        let description = self
            .chance(0.7)
            .then(|| (*self.pick(event_descriptions(status))).to_string());
        let mut event = Event {
            status,
            date,
            place,
            description,
        };
        self.mess_firearm(&mut firearm, mess, owner.lang);
        let mut owner_country = owner.code.to_string();
        if mess.country {
            let event_country = event.place.as_mut().and_then(|p| p.country.as_mut());
            match (
                self.below(3),
                firearm.country_of_manufacture.as_mut(),
                event_country,
            ) {
                (0, Some(c), _) | (1, _, Some(c)) => self.mess_country(c),
                _ => self.mess_country(&mut owner_country),
            }
        }
        FirearmRecord {
            header,
            record_id: format!("{}-{}-{:06}", owner.agency, day.year(), self.seq),
            owner_country,
            owner_agency: owner.agency.to_string(),
            case_reference,
            action,
            version,
            firearm,
            event,
        }
    }

    pub(crate) fn search(&mut self) -> Search {
        let mess = self.mess(FIREARM_MESS);
        let header = Header::new(self.uuid());
        let owner = self.owner();
        let gun = self.pick(GUNS);
        let day = self.day_between(Self::first_event_day(gun, FIRST_DAY), LAST_DAY);
        let year = self.year_of_manufacture(gun, day.year() - 1);
        let mut firearm = self.firearm(gun, year, owner.code, Detail::Search);
        if firearm.serial_number.is_none() {
            // A check needs a serial: searches of obliterated guns go by trace.
            firearm.serial_number = Some(self.serial(gun));
            firearm.serial_state = Some(SerialState::Legible);
        }
        let case_reference = self.chance(0.7).then(|| self.case_reference(owner, day));
        let requested_at = Some(self.timestamp(day, owner.offset));
        self.mess_firearm(&mut firearm, mess, owner.lang);
        let mut searching_country = owner.code.to_string();
        if mess.country {
            match firearm.country_of_manufacture.as_mut() {
                Some(c) if self.chance(0.3) => self.mess_country(c),
                _ => self.mess_country(&mut searching_country),
            }
        }
        Search {
            header,
            search_id: format!("{}-S-{}-{:06}", owner.agency, day.year(), self.seq),
            searching_country,
            searching_agency: owner.agency.to_string(),
            case_reference,
            firearm,
            requested_at,
        }
    }

    pub(crate) fn hit_notification(&mut self) -> HitNotification {
        let mess = self.mess(&[MessKind::Country]);
        let message_id = self.uuid();
        let correlation_id = self.uuid();
        let searcher = self.owner();
        let owner = if self.chance(0.85) {
            self.other_owner(searcher.code)
        } else {
            searcher
        };
        let day = self.day_between(FIRST_DAY, LAST_DAY);
        let search_number = 1 + self.below(999_999);
        let record_year = self.between(i64::from(FIRST_DAY.year()), i64::from(day.year()));
        let record_number = 1 + self.below(999_999);
        let (kind, fields) = if self.chance(0.6) {
            (MatchKind::Exact, *self.pick(EXACT_FIELDS))
        } else {
            (MatchKind::Partial, *self.pick(PARTIAL_FIELDS))
        };
        let notified_at = self.timestamp(day, searcher.offset);
        let mut searching_country = searcher.code.to_string();
        if mess.country {
            self.mess_country(&mut searching_country);
        }
        HitNotification {
            header: Header {
                correlation_id,
                ..Header::new(message_id)
            },
            search_id: format!("{}-S-{}-{search_number:06}", searcher.agency, day.year()),
            searching_country,
            matched_record: RecordRef {
                owner_country: owner.code.to_string(),
                owner_agency: owner.agency.to_string(),
                record_id: format!("{}-{record_year}-{record_number:06}", owner.agency),
            },
            match_summary: MatchSummary {
                kind,
                fields: fields.iter().map(|f| (*f).to_string()).collect(),
                serial_pattern: None,
            },
            notified_at,
        }
    }

    pub(crate) fn trace_request(&mut self) -> TraceRequest {
        let mess = self.mess(FIREARM_MESS);
        let header = Header::new(self.uuid());
        let requester = self.owner();
        let gun = self.pick(GUNS);
        let day = self.day_between(Self::first_event_day(gun, FIRST_DAY), LAST_DAY);
        let year = self.year_of_manufacture(gun, day.year() - 1);
        let mut firearm = self.firearm(gun, year, requester.code, Detail::Trace);
        let maker_country = current_code(gun.origin.code(year));
        let import_country = firearm
            .import_marking
            .as_ref()
            .map(|m| m.country.clone())
            .filter(|c| c != requester.code);
        let requested_country = match import_country {
            Some(c) if self.chance(0.4) => c,
            _ if maker_country != requester.code => maker_country.to_string(),
            _ => self.other_owner(requester.code).code.to_string(),
        };
        let priority = self
            .chance(0.9)
            .then(|| self.weighted(&[(TracePriority::Routine, 75), (TracePriority::Urgent, 25)]));
        let seizure = Seizure {
            date: Some(day.iso()),
            place: Some(Place {
                country: Some(requester.code.to_string()),
                locality: Some((*self.pick(requester.towns)).to_string()),
            }),
            circumstances: Some((*self.pick(SEIZURE_CIRCUMSTANCES)).to_string()),
        };
        let linked_record = if self.chance(0.25) {
            let owner = self.owner();
            let record_year = self.between(i64::from(FIRST_DAY.year()), i64::from(day.year()));
            let number = 1 + self.below(999_999);
            Some(RecordRef {
                owner_country: owner.code.to_string(),
                owner_agency: owner.agency.to_string(),
                record_id: format!("{}-{record_year}-{number:06}", owner.agency),
            })
        } else {
            None
        };
        let mask = 1 + self.below(31);
        let questions: Vec<TraceQuestion> = [
            TraceQuestion::Manufacture,
            TraceQuestion::Export,
            TraceQuestion::Import,
            TraceQuestion::LastLegalOwner,
            TraceQuestion::Sales,
        ]
        .into_iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, q)| q)
        .collect();
        let intended_use = self
            .chance(0.6)
            .then(|| (*self.pick(INTENDED_USES)).to_string());
        let due_days = self.between(30, 120);
        let due_date = Some(day.add_days(due_days).iso());
        let contact = self.chance(0.7).then(|| self.contact(requester));
        self.mess_firearm(&mut firearm, mess, requester.lang);
        let mut requesting_country = requester.code.to_string();
        let mut requested_country = requested_country;
        let mut seizure = seizure;
        if mess.country {
            match self.below(4) {
                0 => self.mess_country(&mut requesting_country),
                1 => self.mess_country(&mut requested_country),
                2 => {
                    if let Some(c) = seizure.place.as_mut().and_then(|p| p.country.as_mut()) {
                        self.mess_country(c);
                    }
                }
                _ => match firearm.country_of_manufacture.as_mut() {
                    Some(c) => self.mess_country(c),
                    None => self.mess_country(&mut requested_country),
                },
            }
        }
        TraceRequest {
            header,
            trace_id: format!("{}-T-{}-{:06}", requester.agency, day.year(), self.seq),
            requesting_country,
            requesting_agency: requester.agency.to_string(),
            requested_country,
            priority,
            firearm,
            seizure,
            linked_record,
            questions,
            intended_use,
            due_date,
            contact,
        }
    }

    pub(crate) fn trace_response(&mut self) -> TraceResponse {
        let mess = self.mess(&[MessKind::Country]);
        let message_id = self.uuid();
        let correlation_id = self.uuid();
        let requester = self.owner();
        let gun = self.pick(GUNS);
        let first = Self::first_event_day(gun, Date::new(2016, 1, 1));
        let answered = self.day_between(first, LAST_DAY);
        let year = self.year_of_manufacture(gun, answered.year() - 1);
        let origin = gun.origin.code(year);
        let maker_country = current_code(origin);
        // Asked as the country of manufacture, or of last legal import.
        let responder = if maker_country != requester.code && self.chance(0.7) {
            maker_country
        } else {
            self.other_owner(requester.code).code
        };
        let request_day = answered.add_days(-self.between(5, 90));
        let trace_number = 1 + self.below(999_999);
        let outcome = self.weighted(&[
            (TraceOutcome::Traced, 45),
            (TraceOutcome::PartiallyTraced, 25),
            (TraceOutcome::NotFound, 20),
            (TraceOutcome::Declined, 10),
        ]);
        let (custody_chain, diversion_point) = match outcome {
            TraceOutcome::Traced | TraceOutcome::PartiallyTraced => {
                self.custody_chain(gun, year, responder, requester.code, answered, outcome)
            }
            TraceOutcome::NotFound | TraceOutcome::Declined => (Vec::new(), None),
        };
        let remarks = self.chance(0.9).then(|| {
            let table = match outcome {
                TraceOutcome::Traced => TRACED_REMARKS,
                TraceOutcome::PartiallyTraced => PARTIAL_REMARKS,
                TraceOutcome::NotFound => NOT_FOUND_REMARKS,
                TraceOutcome::Declined => DECLINED_REMARKS,
            };
            (*self.pick(table)).to_string()
        });
        let offset = OWNERS
            .iter()
            .find(|o| o.code == responder)
            .map(|o| o.offset)
            .unwrap_or("");
        let responded_at = self.timestamp(answered, offset);
        let mut responding_country = responder.to_string();
        if mess.country {
            self.mess_country(&mut responding_country);
        }
        TraceResponse {
            header: Header {
                correlation_id,
                ..Header::new(message_id)
            },
            trace_id: format!(
                "{}-T-{}-{trace_number:06}",
                requester.agency,
                request_day.year()
            ),
            responding_country,
            responding_agency: agency_of(responder),
            outcome,
            custody_chain,
            diversion_point,
            remarks,
            responded_at,
        }
    }
}

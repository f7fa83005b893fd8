//! Deterministic generator of realistic canonical messages, for tests, demos and
//! benchmarks.
//!
//! [`generate`] returns a [`SampleStream`]: an iterator that builds one
//! [`Message`] at a time from a [`ChaCha8Rng`] seeded with
//! [`SampleOptions::seed`], so memory use does not grow with
//! [`SampleOptions::count`] (200 000 records cost no more memory than one).
//!
//! # Determinism
//! The same options give the same sequence of messages on every machine, every
//! run and every build: the only source of randomness is the seeded ChaCha8
//! stream (portable by design), integer ranges are sampled as `u32`, no system
//! time, thread-local RNG or hash-map iteration order is involved, and every
//! UUID is built from RNG bytes ([`uuid::Builder::from_random_bytes`]), never
//! from `Uuid::new_v4`. The first `n` messages of a stream do not depend on
//! `count`. Changing the tables below changes the sequence, so tests should
//! assert properties of generated data, not exact values.
//!
//! # Content
//! Messages describe real firearm models (make, model, canonical calibre, type,
//! action, country of manufacture, serial-number shapes per make), owned by
//! about fifteen national registries (Western Balkans, Africa, Latin America,
//! France, Germany) with their towns, case-number styles and agency codes.
//! Event dates fall between 2015 and mid-2025, some of them partial
//! (`2023-10`, `2021`). Names of officers are invented; e-mail addresses are
//! under `example.org`.
//!
//! # Messy values
//! With probability [`SampleOptions::messy_rate`] a message carries one or two
//! values spelled the way registries really send them: a calibre synonym
//! ("9mm Parabellum", "7,62x39", "12 GA"), a country as alpha-3 or English
//! name ("SRB", "Brazil"), a firearm type in a national language ("Pistole",
//! "ESPINGARDA", "fusil d'assaut") or a serial number with odd spacing or
//! hyphens. Every messy value is a synonym listed in the code lists
//! (`adapters/codes/*.toml`, `countries.csv`), so the normaliser turns the
//! message into a valid canonical one; ambiguous calibres such as "9mm" or
//! ".38" are never produced. With `messy_rate = 0.0` every message is already
//! canonical (`serial_key` is always left for the normaliser to derive).
//!
//! One module per part: `tables` (the content), `dates`, `generator` (the RNG
//! and its primitives), `values`, `messages` and `custody` (what is drawn), and
//! `lookups` in the tables.

mod custody;
mod dates;
mod generator;
mod lookups;
mod messages;
mod tables;
#[cfg(test)]
mod tests;
mod values;

use std::iter::FusedIterator;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use iarms_adapters::model::{Message, MessageKind};

use crate::generator::Gen;

/// Options of the generator.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// The kind of every generated message.
    pub kind: MessageKind,
    /// How many messages the stream yields.
    pub count: u64,
    /// Seed of the ChaCha8 stream: the same seed gives the same messages.
    pub seed: u64,
    /// Share of messages carrying messy-but-normalisable values (0.0..=1.0),
    /// default 0.3. Values outside the range are clamped; NaN counts as 0.
    pub messy_rate: f64,
}

impl SampleOptions {
    /// Default messy rate.
    pub const DEFAULT_MESSY_RATE: f64 = 0.3;

    /// Options for `count` messages of `kind` from `seed`, with the default messy rate.
    pub fn new(kind: MessageKind, count: u64, seed: u64) -> SampleOptions {
        SampleOptions {
            kind,
            count,
            seed,
            messy_rate: Self::DEFAULT_MESSY_RATE,
        }
    }
}

impl Default for SampleOptions {
    /// 100 records from seed 0, messy rate 0.3.
    fn default() -> SampleOptions {
        SampleOptions::new(MessageKind::Record, 100, 0)
    }
}

/// An iterator yielding `count` messages, one at a time (constant memory), the
/// same sequence for the same options on every machine and run.
pub fn generate(options: &SampleOptions) -> SampleStream {
    let messy_rate = if options.messy_rate.is_nan() {
        0.0
    } else {
        options.messy_rate.clamp(0.0, 1.0)
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    // One ChaCha stream per kind: the same seed gives unrelated records and
    // searches (no shared message ids when kinds are mixed).
    rng.set_stream(options.kind as u64);
    SampleStream {
        rng,
        kind: options.kind,
        messy_rate,
        index: 0,
        count: options.count,
    }
}

/// The stream of generated messages returned by [`generate`]. Holds only the
/// RNG state and counters: it never buffers messages.
#[derive(Debug, Clone)]
pub struct SampleStream {
    rng: ChaCha8Rng,
    kind: MessageKind,
    messy_rate: f64,
    index: u64,
    count: u64,
}

impl SampleStream {
    /// How many messages are still to come.
    pub fn remaining(&self) -> u64 {
        self.count.saturating_sub(self.index)
    }
}

impl Iterator for SampleStream {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        if self.index >= self.count {
            return None;
        }
        self.index += 1;
        let mut gen = Gen {
            rng: &mut self.rng,
            messy_rate: self.messy_rate,
            seq: self.index,
        };
        Some(match self.kind {
            MessageKind::Record => Message::Record(gen.record()),
            MessageKind::Search => Message::Search(gen.search()),
            MessageKind::HitNotification => Message::HitNotification(gen.hit_notification()),
            MessageKind::TraceRequest => Message::TraceRequest(gen.trace_request()),
            MessageKind::TraceResponse => Message::TraceResponse(gen.trace_response()),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match usize::try_from(self.remaining()) {
            Ok(n) => (n, Some(n)),
            Err(_) => (usize::MAX, None),
        }
    }
}

impl FusedIterator for SampleStream {}

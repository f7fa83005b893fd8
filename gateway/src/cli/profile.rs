//! `iarms-gateway profile`: the data-quality report a registry reads before it
//! connects. Per descriptive field, how many values resolved, were kept with a
//! flag, were ambiguous or rejected their record; the most frequent
//! unrecognised values, printed as a mapping code table ready to paste; and the
//! serial keys that occur more than once in the file.
//!
//! Streams one record at a time. Memory is bounded by stated limits, not by
//! the input: at most [`MAX_VALUES`] distinct unrecognised values per field
//! (later new values are counted, not named) and [`MAX_KEYS`] serial keys,
//! held as 64-bit hashes (two different keys share a hash with odds of about
//! 1 in 10^7 at a million keys; past the limit new keys are not tracked, and
//! the report says so).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use iarms_adapters::normalise::serial::serial_key;
use iarms_adapters::pipeline::prepare_with;
use iarms_adapters::quality::{descriptive_values, outcomes, QualityCounts};
use iarms_adapters::{Limits, Message};
use serde::Serialize;

use super::io::open_input;
use super::validate::ReportFormat;
use super::Status;

/// Distinct unrecognised values remembered per field.
pub const MAX_VALUES: usize = 10_000;
/// Serial keys remembered for the duplicate check.
pub const MAX_KEYS: usize = 2_000_000;
/// Duplicate serial keys named in the report.
const MAX_DUPLICATES_NAMED: usize = 1_000;

#[derive(Debug, Args)]
#[command(
    about = "Profile a file's data quality: per-field counts, the most frequent unrecognised values as a mapping code table, duplicate serial keys",
    after_help = "Exit status: 0 the file was read to its end, 2 usage or I/O error.\n\
Memory stays bounded: at most 10,000 distinct unrecognised values per field and 2,000,000 serial keys are remembered.\n\n\
Examples:\n  iarms-gateway profile --format registry-br export.json\n  \
iarms-gateway profile --format iarms-csv records.csv --report json > profile.json"
)]
pub struct ProfileArgs {
    /// Input format (see `iarms-gateway formats`).
    #[arg(long)]
    pub format: String,
    /// Input file; `-` or nothing reads standard input.
    pub input: Option<PathBuf>,
    /// Report style on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub report: ReportFormat,
    /// Unrecognised values listed per field.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
}

/// Unrecognised values of one field and their counts, bounded.
#[derive(Default)]
struct ValueCounts {
    counts: HashMap<String, u64>,
    untracked: u64,
}

impl ValueCounts {
    fn add(&mut self, value: &str) {
        if let Some(n) = self.counts.get_mut(value) {
            *n += 1;
        } else if self.counts.len() < MAX_VALUES {
            self.counts.insert(value.to_string(), 1);
        } else {
            self.untracked += 1;
        }
    }

    fn top(&self, n: usize) -> Vec<ValueCount> {
        let mut all: Vec<(&String, &u64)> = self.counts.iter().collect();
        all.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        all.into_iter()
            .take(n)
            .map(|(value, &count)| ValueCount {
                value: value.clone(),
                count,
            })
            .collect()
    }
}

#[derive(Serialize)]
struct ValueCount {
    value: String,
    count: u64,
}

/// Serial keys seen, as hashes, and the ones seen again.
struct Duplicates {
    seen: KeyHashes,
    repeated: HashMap<String, u64>,
    duplicate_records: u64,
    untracked: u64,
}

impl Default for Duplicates {
    fn default() -> Duplicates {
        Duplicates {
            seen: KeyHashes::new(),
            repeated: HashMap::new(),
            duplicate_records: 0,
            untracked: 0,
        }
    }
}

impl Duplicates {
    fn add(&mut self, key: &str) {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let hash = hasher.finish();
        if self.seen.contains(hash) {
            self.duplicate_records += 1;
            let room = self.repeated.len() < MAX_DUPLICATES_NAMED;
            match self.repeated.get_mut(key) {
                Some(n) => *n += 1,
                None if room => {
                    self.repeated.insert(key.to_string(), 2);
                }
                None => {}
            }
        } else if self.seen.len < MAX_KEYS {
            self.seen.insert(hash);
        } else {
            self.untracked += 1;
        }
    }
}

/// A set of 64-bit key hashes split into shards by their top byte. One set
/// of a million hashes doubles its table in one step, briefly holding the
/// old table beside the new one; shards grow one at a time, so the peak stays
/// close to what the hashes need (the 50 MiB bound of `profile` on a million
/// records rests on this).
struct KeyHashes {
    shards: Vec<HashSet<u64>>,
    len: usize,
}

const SHARDS: usize = 256;

impl KeyHashes {
    fn new() -> KeyHashes {
        KeyHashes {
            shards: (0..SHARDS).map(|_| HashSet::new()).collect(),
            len: 0,
        }
    }

    fn shard(&mut self, hash: u64) -> Option<&mut HashSet<u64>> {
        self.shards.get_mut((hash >> 56) as usize)
    }

    fn contains(&mut self, hash: u64) -> bool {
        self.shard(hash).is_some_and(|s| s.contains(&hash))
    }

    fn insert(&mut self, hash: u64) {
        if self.shard(hash).is_some_and(|s| s.insert(hash)) {
            self.len += 1;
        }
    }
}

#[derive(Serialize)]
struct DuplicateReport {
    records: u64,
    named: Vec<KeyCount>,
    keys_not_tracked: u64,
    limit: usize,
}

#[derive(Serialize)]
struct KeyCount {
    serial_key: String,
    count: u64,
}

#[derive(Serialize)]
struct Report<'a> {
    source: &'a str,
    format: &'a str,
    records: u64,
    accepted: u64,
    rejected: u64,
    fields: &'a QualityCounts,
    unrecognised: Vec<(String, Vec<ValueCount>, u64)>,
    duplicates: DuplicateReport,
}

pub fn run(args: ProfileArgs, mappings: &[PathBuf]) -> anyhow::Result<Status> {
    let registry = super::registry(mappings)?;
    let adapter = super::formats::reader(&registry, &args.format)?;
    let strict = adapter.strictness();
    let input = open_input(args.input.as_deref())?;
    let stream = adapter
        .decode(input.reader, Limits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (mut records, mut accepted, mut rejected) = (0u64, 0u64, 0u64);
    let mut quality = QualityCounts::default();
    let mut values: HashMap<String, ValueCounts> = HashMap::new();
    let mut duplicates = Duplicates::default();
    for item in stream {
        records += 1;
        let decoded = match item {
            Ok(decoded) => decoded,
            Err(error) => {
                rejected += 1;
                quality.count_errors(std::slice::from_ref(&error));
                if error.fatal {
                    break;
                }
                continue;
            }
        };
        let raw = descriptive_values(&decoded.message);
        if let Some(serial) = serial_of(&decoded.message) {
            let key = serial_key(serial);
            if !key.is_empty() {
                duplicates.add(&key);
            }
        }
        match prepare_with(decoded, &strict) {
            Ok(message) => {
                accepted += 1;
                for (field, outcome) in outcomes(&message) {
                    quality.add(&field, outcome);
                    // Unknown or ambiguous, not merely flagged (a historic country is known).
                    let unrecognised = message.header().flags.iter().any(|f| {
                        f.field == field
                            && (f.code.starts_with("unknown_") || f.code.starts_with("ambiguous_"))
                    });
                    if unrecognised {
                        note_value(&mut values, &raw, &field);
                    }
                }
            }
            Err(errors) => {
                rejected += 1;
                quality.count_errors(&errors);
                for error in &errors {
                    if let Some(field) = error.field.as_deref() {
                        note_value(&mut values, &raw, field);
                    }
                }
            }
        }
    }
    let mut unrecognised: Vec<(String, Vec<ValueCount>, u64)> = values
        .iter()
        .map(|(field, v)| (field.clone(), v.top(args.top), v.untracked))
        .collect();
    unrecognised.sort_by(|a, b| a.0.cmp(&b.0));
    let mut named: Vec<KeyCount> = duplicates
        .repeated
        .iter()
        .map(|(k, &count)| KeyCount {
            serial_key: k.clone(),
            count,
        })
        .collect();
    named.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.serial_key.cmp(&b.serial_key))
    });
    let report = Report {
        source: &input.name,
        format: &args.format,
        records,
        accepted,
        rejected,
        fields: &quality,
        unrecognised,
        duplicates: DuplicateReport {
            records: duplicates.duplicate_records,
            named,
            keys_not_tracked: duplicates.untracked,
            limit: MAX_KEYS,
        },
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.report {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        ReportFormat::Text => write_text(&mut out, &report)?,
    }
    out.flush()?;
    Ok(Status::Ok)
}

/// Remembers the recorded value of `field`, if the record had one.
fn note_value(
    values: &mut HashMap<String, ValueCounts>,
    raw: &[(String, Option<String>)],
    field: &str,
) {
    if let Some((_, Some(value))) = raw.iter().find(|(f, _)| f == field) {
        values.entry(field.to_string()).or_default().add(value);
    }
}

fn serial_of(message: &Message) -> Option<&str> {
    match message {
        Message::Record(r) => r.firearm.serial_number.as_deref(),
        Message::Search(s) => s.firearm.serial_number.as_deref(),
        Message::TraceRequest(t) => t.firearm.serial_number.as_deref(),
        Message::HitNotification(_) | Message::TraceResponse(_) => None,
    }
}

fn write_text(out: &mut impl Write, report: &Report<'_>) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} ({}): {} records, {} accepted, {} rejected",
        report.source, report.format, report.records, report.accepted, report.rejected
    )?;
    writeln!(out, "\nper field:")?;
    for line in report.fields.lines() {
        writeln!(out, "  {line}")?;
    }
    writeln!(
        out,
        "\nmost frequent unrecognised values, as mapping code tables (fill in the canonical codes, then `codes = \"NAME\"` on the field's rule):"
    )?;
    if report.unrecognised.is_empty() {
        writeln!(out, "  none")?;
    }
    for (field, list, untracked) in &report.unrecognised {
        let table = field.rsplit('.').next().unwrap_or(field);
        writeln!(out, "\n# {field}")?;
        writeln!(out, "[codes.{table}]")?;
        for v in list {
            writeln!(
                out,
                "{} = \"\"  # seen {} times",
                toml_key(&v.value),
                v.count
            )?;
        }
        if *untracked > 0 {
            writeln!(
                out,
                "# and {untracked} more values not tracked (limit {MAX_VALUES} per field)"
            )?;
        }
    }
    let d = &report.duplicates;
    writeln!(
        out,
        "\nduplicate serial keys: {} records repeat a serial key already seen in the file",
        d.records
    )?;
    for k in d.named.iter().take(20) {
        writeln!(out, "  {} x{}", k.serial_key, k.count)?;
    }
    if d.keys_not_tracked > 0 {
        writeln!(
            out,
            "  {} records past the limit of {} serial keys were not checked",
            d.keys_not_tracked, d.limit
        )?;
    }
    Ok(())
}

/// A TOML key for a value as recorded: always quoted, escaped by serde.
fn toml_key(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| format!("{value:?}"))
}

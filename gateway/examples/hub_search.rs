//! Hub search benchmark (run by hand, not in CI; `benches/hub_search.sh`).
//!
//! Registers COUNT records (default 1,000,000; 10% of them partial serials
//! with one or two unknown positions) in a SQLite register, bulk-loaded in one
//! transaction with the rows `Register::apply` writes, then times SEARCHES
//! searches through `matching::find_matches` (the hub's own road): a quarter
//! each of recorded keys, keys that fill recorded patterns, searched patterns
//! (two unknown positions, by prefix or by suffix) and serials nobody recorded.
//! Prints p50, p90, p99 and max, and the hits found.
//!
//! Usage: hub_search [COUNT] [SEARCHES] [DB_PATH]

// A benchmark over the data it generates itself: every index is within the
// vectors it built (non-empty by construction), not input.
#![allow(clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use iarms_adapters::model::{Event, Firearm, FirearmRecord, Header, RecordAction, RecordStatus};
use iarms_gateway::hub::matching::find_matches;
use iarms_gateway::hub::register::{serial_rows, FirearmKeys, Register, INSERT_SERIAL, UPSERT};
use iarms_gateway::store::StoreOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// A small deterministic generator (xorshift): the same data on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// A serial as registries have them: 0-3 letters then 5-8 digits.
fn serial(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(4) {
        s.push(char::from(
            LETTERS[rng.below(LETTERS.len() as u64) as usize],
        ));
    }
    for _ in 0..5 + rng.below(4) {
        s.push(char::from(b'0' + rng.below(10) as u8));
    }
    s
}

/// The serial with `unknown` positions (not the first) replaced by `?`.
fn with_unknowns(serial: &str, unknown: usize, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = serial.chars().collect();
    for _ in 0..unknown {
        let i = 1 + rng.below(chars.len() as u64 - 1) as usize;
        chars[i] = '?';
    }
    chars.into_iter().collect()
}

fn firearm(serial: &str) -> Firearm {
    Firearm {
        make: Some("Zastava".to_string()),
        serial_number: Some(serial.to_string()),
        calibre: Some("7.62x39mm".to_string()),
        ..Firearm::default()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).map_or(Ok(1_000_000), |a| a.parse())?;
    let searches: usize = args.get(2).map_or(Ok(2_000), |a| a.parse())?;
    let path = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "/dev/shm/iarms-hub-search.db".to_string());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let register = Register::open(&path, &StoreOptions::default()).await?;

    // Bulk load beside the register, in one transaction, with apply's rows.
    let started = Instant::now();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&path))
        .await?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut recorded: Vec<String> = Vec::with_capacity(count);
    let mut patterns: Vec<(String, String)> = Vec::new();
    let mut tx = pool.begin().await?;
    for i in 0..count {
        let full = serial(&mut rng);
        let number = if i % 10 == 9 {
            let p = with_unknowns(&full, 1 + rng.below(2) as usize, &mut rng);
            patterns.push((p.clone(), full.clone()));
            p
        } else {
            recorded.push(full.clone());
            full
        };
        let record = FirearmRecord {
            header: Header::new(uuid::Uuid::from_u128(i as u128 + 1)),
            record_id: format!("R-{i:07}"),
            owner_country: "RS".to_string(),
            owner_agency: "RS-MUP".to_string(),
            case_reference: None,
            action: RecordAction::Create,
            version: 1,
            firearm: firearm(&number),
            event: Event {
                status: RecordStatus::Stolen,
                date: None,
                place: None,
                description: None,
            },
        };
        let keys = FirearmKeys::of(&record.firearm);
        sqlx::query(UPSERT)
            .bind(&record.owner_country)
            .bind(&record.owner_agency)
            .bind(&record.record_id)
            .bind(1_i64)
            .bind("active")
            .bind(&keys.serial)
            .bind(&keys.tolerant)
            .bind(&keys.make)
            .bind(serde_json::to_string(&record)?)
            .bind(0_i64)
            .execute(&mut *tx)
            .await?;
        for (ordinal, row) in serial_rows(&keys).iter().enumerate() {
            sqlx::query(INSERT_SERIAL)
                .bind(&record.owner_country)
                .bind(&record.owner_agency)
                .bind(&record.record_id)
                .bind(ordinal as i64)
                .bind(&row.key)
                .bind(&row.tolerant)
                .bind(row.key_len)
                .bind(&row.key_rev)
                .bind(&row.pattern)
                .bind(row.pattern_len)
                .bind(row.anchor_side)
                .bind(&row.anchor)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    pool.close().await;
    println!(
        "registered {count} records ({} patterns) in {:.1?}",
        patterns.len(),
        started.elapsed()
    );

    let mut times: Vec<Duration> = Vec::with_capacity(searches);
    let mut by_class: [Vec<Duration>; 4] = Default::default();
    let (mut hits, mut with_hits) = (0usize, 0usize);
    for i in 0..searches {
        let searched = match i % 4 {
            0 => recorded[rng.below(recorded.len() as u64) as usize].clone(),
            1 => patterns[rng.below(patterns.len() as u64) as usize]
                .1
                .clone(),
            2 => {
                let full = &recorded[rng.below(recorded.len() as u64) as usize];
                with_unknowns(full, 2, &mut rng)
            }
            _ => format!("Q{}", serial(&mut rng)),
        };
        let f = firearm(&searched);
        let t = Instant::now();
        let report = find_matches(&register, &f).await?;
        times.push(t.elapsed());
        by_class[i % 4].push(t.elapsed());
        hits += report.hits.len();
        with_hits += usize::from(!report.hits.is_empty());
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{searches} searches: p50 {:.2?}  p90 {:.2?}  p99 {:.2?}  max {:.2?}; {with_hits} with hits, {hits} hits",
        at(0.50),
        at(0.90),
        at(0.99),
        times[times.len() - 1]
    );
    for (name, mut class) in [
        "keys",
        "keys filling patterns",
        "searched patterns",
        "misses",
    ]
    .into_iter()
    .zip(by_class)
    {
        class.sort();
        let p99 = class[((class.len() as f64 * 0.99) as usize).min(class.len() - 1)];
        println!("  {name}: p99 {p99:.2?}");
    }
    register.close().await;
    Ok(())
}

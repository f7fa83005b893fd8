//! Reference for `benches/convert.sh`: the cost of merely reading a CSV file with
//! the csv crate (no conversion), so our conversion speed has a floor to compare to.
//!
//! Usage: cargo run --release -p iarms-adapters --example csv_baseline -- FILE

// An example, not an input path of the library (clippy cannot tell it from library code).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: csv_baseline FILE");
        return ExitCode::from(2);
    };
    let mut reader = match csv::Reader::from_path(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot open {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    let mut bytes = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                rows += 1;
                bytes += record.as_slice().len() as u64;
            }
            Ok(false) => break,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    println!("{rows} rows, {bytes} field bytes");
    ExitCode::SUCCESS
}

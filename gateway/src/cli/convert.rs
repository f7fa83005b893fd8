//! `iarms-gateway convert`: the gateway's road without the store. Decode,
//! normalise, validate, encode; every bad record is reported, the good ones go through.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use iarms_adapters::format::csv::FormulaPolicy;
use iarms_adapters::{EncodeOptions, Limits};

use super::io::{open_input, run_records, Output, Tally};
use super::Status;
use crate::report::record_error_line;

#[derive(Debug, Args)]
#[command(
    about = "Convert messages between formats, normalising and validating every record",
    after_help = "Exit status: 0 all records converted, 1 some rejected (see the error report), 2 usage or I/O error.\n\n\
Examples:\n  iarms-gateway convert --from iarms-csv --to iarms-ndjson records.csv -o records.ndjson\n  \
cat records.xml | iarms-gateway convert --from iarms-xml --to iarms-json - > records.json\n  \
iarms-gateway convert --from iarms-ndjson --to iarms-csv big.ndjson -o big.csv --errors rejected.ndjson"
)]
pub struct ConvertArgs {
    /// Input format (see `iarms-gateway formats`).
    #[arg(long)]
    pub from: String,
    /// Output format.
    #[arg(long)]
    pub to: String,
    /// Input file; `-` or nothing reads standard input.
    pub input: Option<PathBuf>,
    /// Output file (written atomically); standard output when absent.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Write the error report here instead of stderr; `.json`/`.ndjson` files get one JSON object per error.
    #[arg(long)]
    pub errors: Option<PathBuf>,
    /// CSV output: `escape` (the default) prefixes cells a spreadsheet would run
    /// as formulas (starting with =, +, -, @, tab or CR; not plain negative
    /// numbers) with `'`; `keep` writes them as they are. Without the flag a
    /// mapping follows its `[source] formula_escape` key.
    #[arg(long, value_name = "escape|keep", value_parser = parse_formula_policy)]
    pub csv_formulas: Option<FormulaPolicy>,
}

fn parse_formula_policy(name: &str) -> Result<FormulaPolicy, String> {
    FormulaPolicy::parse(name).ok_or_else(|| format!("\"{name}\" is not escape or keep"))
}

/// Where record errors go: stderr, a text file or an NDJSON file.
pub enum ErrorSink {
    Stderr,
    Text(std::io::BufWriter<std::fs::File>),
    Json(std::io::BufWriter<std::fs::File>),
}

impl ErrorSink {
    pub fn open(path: Option<&std::path::Path>) -> anyhow::Result<ErrorSink> {
        let Some(path) = path else {
            return Ok(ErrorSink::Stderr);
        };
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let writer = std::io::BufWriter::new(file);
        let json = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "ndjson" | "jsonl")
        );
        Ok(if json {
            ErrorSink::Json(writer)
        } else {
            ErrorSink::Text(writer)
        })
    }

    pub fn write(&mut self, error: &iarms_adapters::RecordError) -> anyhow::Result<()> {
        match self {
            ErrorSink::Stderr => eprintln!("{}", record_error_line(error)),
            ErrorSink::Text(w) => writeln!(w, "{}", record_error_line(error))?,
            ErrorSink::Json(w) => {
                serde_json::to_writer(&mut *w, error)?;
                w.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            ErrorSink::Stderr => Ok(()),
            ErrorSink::Text(mut w) | ErrorSink::Json(mut w) => {
                w.flush().context("cannot write the error report")
            }
        }
    }
}

pub fn run(args: ConvertArgs, mappings: &[std::path::PathBuf]) -> anyhow::Result<Status> {
    let registry = super::registry(mappings)?;
    let from = super::formats::reader(&registry, &args.from)?;
    let to = super::formats::writer(&registry, &args.to)?;
    let input = open_input(args.input.as_deref())?;
    let mut output = Output::create(args.output.as_deref())?;
    let mut errors = ErrorSink::open(args.errors.as_deref())?;
    let started = Instant::now();
    let stream = from
        .decode(input.reader, Limits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tally = {
        let mut encoder = to
            .encoder_with(
                Box::new(output.writer()),
                EncodeOptions {
                    csv_formulas: args.csv_formulas,
                },
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let tally = run_records(
            stream,
            &from.strictness(),
            &input.name,
            |message| encoder.write(message),
            |error| errors.write(error),
        )?;
        encoder
            .finish()
            .map_err(|e| anyhow::anyhow!("cannot finish the output: {e}"))?;
        tally
    };
    output.commit()?;
    errors.finish()?;
    print_summary(
        "converted",
        &tally,
        &input.name,
        &args.from,
        &args.to,
        started,
    );
    Ok(status_of(&tally))
}

pub fn status_of(tally: &Tally) -> Status {
    if tally.rejected > 0 || tally.stopped {
        Status::Rejected
    } else {
        Status::Ok
    }
}

fn print_summary(verb: &str, tally: &Tally, source: &str, from: &str, to: &str, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    let rate = if seconds > 0.0 {
        tally.records as f64 / seconds
    } else {
        0.0
    };
    eprintln!(
        "{verb} {} of {} records from {source} ({from} -> {to}); {} rejected{} in {seconds:.2} s ({rate:.0} records/s)",
        tally.accepted,
        tally.records,
        tally.rejected,
        if tally.stopped { "; input ended early on a broken document" } else { "" },
    );
    for line in tally.quality.lines() {
        eprintln!("  {line}");
    }
}

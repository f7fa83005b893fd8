//! `iarms-gateway validate`: checks every record of a file and reports each
//! problem with its location, without writing anything.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use iarms_adapters::Limits;

use super::convert::status_of;
use super::io::{open_input, run_records};
use super::Status;
use crate::report::record_error_line;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(
    about = "Validate every record of a file: decode, normalise, check against the canonical schema",
    after_help = "Exit status: 0 all records valid, 1 some invalid, 2 usage or I/O error.\n\
Each error names the record, its line (and column) or JSON pointer / XML path, the field and the reason, e.g.\n  \
records.csv: record 1234 (line 1235) field firearm.calibre: unknown calibre \"7,9 mn\"\n\n\
Examples:\n  iarms-gateway validate --format iarms-csv records.csv\n  \
iarms-gateway validate --format iarms-xml records.xml --report json > report.json"
)]
pub struct ValidateArgs {
    /// Input format (see `iarms-gateway formats`).
    #[arg(long)]
    pub format: String,
    /// Input file; `-` or nothing reads standard input.
    pub input: Option<PathBuf>,
    /// Report style on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub report: ReportFormat,
}

pub fn run(args: ValidateArgs, mappings: &[std::path::PathBuf]) -> anyhow::Result<Status> {
    let registry = super::registry(mappings)?;
    let adapter = super::formats::reader(&registry, &args.format)?;
    let input = open_input(args.input.as_deref())?;
    let started = Instant::now();
    let stream = adapter
        .decode(input.reader, Limits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let json = args.report == ReportFormat::Json;
    if json {
        // Streamed, so a file with a million bad records does not build a million-entry report in memory.
        write!(
            out,
            "{{\"source\":{},\"format\":{},\"errors\":[",
            serde_json::to_string(&input.name)?,
            serde_json::to_string(&args.format)?
        )?;
    }
    let mut first = true;
    let tally = run_records(
        stream,
        &adapter.strictness(),
        &input.name,
        |_| Ok(()),
        |error| {
            if json {
                if !first {
                    out.write_all(b",")?;
                }
                out.write_all(b"\n")?;
                serde_json::to_writer(&mut out, error)?;
            } else {
                writeln!(out, "{}", record_error_line(error))?;
            }
            first = false;
            Ok(())
        },
    )?;
    if json {
        writeln!(
            out,
            "\n],\"summary\":{{\"records\":{},\"valid\":{},\"invalid\":{},\"complete\":{},\"fields\":{}}}}}",
            tally.records,
            tally.accepted,
            tally.rejected,
            !tally.stopped,
            serde_json::to_string(&tally.quality)?
        )?;
    } else {
        writeln!(
            out,
            "{}: {} records, {} valid, {} invalid{} ({:.2} s)",
            input.name,
            tally.records,
            tally.accepted,
            tally.rejected,
            if tally.stopped {
                ", input ended early on a broken document"
            } else {
                ""
            },
            started.elapsed().as_secs_f64()
        )?;
        for line in tally.quality.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    out.flush()?;
    Ok(status_of(&tally))
}

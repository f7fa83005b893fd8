//! `iarms-gateway demo`: the main job on bundled data, with nothing to set up.
//!
//! By default it runs the two-country end-to-end demo (see `demo_live`). With
//! `--formats` it walks the bundled canonical samples through the whole
//! conversion road (decode, normalise, validate, encode into every canonical
//! format, decode again) and shows that good records survive every format
//! unchanged and bad records are reported with their location.

use std::io::BufReader;

use clap::Args;
use iarms_adapters::pipeline::prepare;
use iarms_adapters::{Limits, Message, RecordError, Registry};

use super::Status;
use crate::report::record_error_line;

/// A sample bundled into the binary, and how many of its records are known to be bad.
pub struct BundledSample {
    pub name: &'static str,
    pub format: &'static str,
    pub text: &'static str,
    pub expected_rejections: u64,
}

pub const SAMPLES: &[BundledSample] = &[
    BundledSample {
        name: "samples/records.csv",
        format: "iarms-csv",
        text: include_str!("../../../samples/records.csv"),
        expected_rejections: 0,
    },
    BundledSample {
        name: "samples/searches.json",
        format: "iarms-json",
        text: include_str!("../../../samples/searches.json"),
        expected_rejections: 0,
    },
    BundledSample {
        name: "samples/trace-requests.xml",
        format: "iarms-xml",
        text: include_str!("../../../samples/trace-requests.xml"),
        expected_rejections: 0,
    },
    BundledSample {
        name: "samples/trace-responses.ndjson",
        format: "iarms-ndjson",
        text: include_str!("../../../samples/trace-responses.ndjson"),
        expected_rejections: 0,
    },
    BundledSample {
        name: "samples/hit-notifications.ndjson",
        format: "iarms-ndjson",
        text: include_str!("../../../samples/hit-notifications.ndjson"),
        expected_rejections: 0,
    },
    BundledSample {
        name: "samples/records-with-errors.ndjson",
        format: "iarms-ndjson",
        text: include_str!("../../../samples/records-with-errors.ndjson"),
        expected_rejections: 3,
    },
];

#[derive(Debug, Args)]
#[command(
    about = "Run the end-to-end demo: a hub and two country gateways on localhost, in one process",
    long_about = "Run the end-to-end demo: the reference hub and two country gateways (RS with a \
registry-rs partner, BR with a registry-br partner) start in this process on localhost, with \
SQLite stores in a temporary directory and keys generated for the run. The bundled Serbian and \
Brazilian exports are translated, validated, stored and forwarded to the hub; a Brazilian search \
hits a Serbian record, both registries get the hit notification, and a BR -> RS trace request is \
answered. Each step prints one timeline line. With --formats, walk the bundled canonical samples \
through every format instead.",
    after_help = "Exit status: 0 every step happened, 1 a step failed or timed out (20 s each).\n\n\
Examples:\n  iarms-gateway demo\n  iarms-gateway demo --keep-running\n  iarms-gateway demo --formats"
)]
pub struct DemoArgs {
    /// Instead of the end-to-end demo, walk the bundled canonical samples through
    /// decode -> normalise -> validate -> encode in every canonical format.
    #[arg(long, conflicts_with = "keep_running")]
    pub formats: bool,
    /// After the story, keep the hub and both gateways running (with their URLs,
    /// keys and example curl commands printed) until Ctrl-C.
    #[arg(long)]
    pub keep_running: bool,
}

const CANONICAL: [&str; 4] = ["iarms-json", "iarms-ndjson", "iarms-xml", "iarms-csv"];

pub fn run(args: DemoArgs, mappings: &[std::path::PathBuf]) -> anyhow::Result<Status> {
    if args.formats {
        run_formats(mappings)
    } else {
        super::demo_live::run(args.keep_running)
    }
}

/// `demo --formats`: the bundled canonical samples through the conversion road.
fn run_formats(mappings: &[std::path::PathBuf]) -> anyhow::Result<Status> {
    let registry = super::registry(mappings)?;
    let mut all_as_expected = true;
    println!("iarms-gateway demo --formats: the bundled samples through decode -> normalise -> validate -> encode\n");
    for sample in SAMPLES {
        let (messages, errors) = read_sample(&registry, sample.format, sample.text, sample.name)?;
        let flagged: usize = messages.iter().map(|m| m.header().flags.len()).sum();
        println!(
            "{} ({}): {} accepted, {} rejected, {} data-quality flags",
            sample.name,
            sample.format,
            messages.len(),
            errors.rejected,
            flagged
        );
        for error in &errors.lines {
            println!("    rejected  {error}");
        }
        if errors.rejected != sample.expected_rejections {
            all_as_expected = false;
            println!(
                "    UNEXPECTED: {} rejections, the sample documents {}",
                errors.rejected, sample.expected_rejections
            );
        }
        let mut lossless = Vec::new();
        for format in CANONICAL {
            match round_trip(&registry, format, &messages) {
                Ok(()) => lossless.push(format),
                Err(reason) => {
                    all_as_expected = false;
                    println!("    UNEXPECTED: {format} round trip: {reason}");
                }
            }
        }
        println!("    lossless through {}", lossless.join(", "));
    }
    println!();
    if all_as_expected {
        println!("demo: every sample behaved as documented");
        Ok(Status::Ok)
    } else {
        println!("demo: some samples did not behave as documented (see UNEXPECTED above)");
        Ok(Status::Rejected)
    }
}

struct Rejections {
    rejected: u64,
    lines: Vec<String>,
}

fn read_sample(
    registry: &Registry,
    format: &str,
    text: &str,
    name: &str,
) -> anyhow::Result<(Vec<Message>, Rejections)> {
    let adapter = super::formats::reader(registry, format)?;
    let stream = adapter
        .decode(Box::new(BufReader::new(text.as_bytes())), Limits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut messages = Vec::new();
    let mut rejections = Rejections {
        rejected: 0,
        lines: Vec::new(),
    };
    let mut reject = |errors: Vec<RecordError>| {
        rejections.rejected += 1;
        for mut error in errors {
            error.location.source = Some(name.to_string());
            rejections.lines.push(record_error_line(&error));
        }
    };
    for item in stream {
        match item.map_err(|e| vec![e]).and_then(prepare) {
            Ok(message) => messages.push(message),
            Err(errors) => reject(errors),
        }
    }
    Ok((messages, rejections))
}

/// Encodes the messages in `format`, reads them back and checks nothing changed.
/// CSV holds one kind per file, which every bundled sample respects.
fn round_trip(registry: &Registry, format: &str, messages: &[Message]) -> Result<(), String> {
    let adapter = registry.get(format).ok_or("format missing")?;
    let mut bytes = Vec::new();
    {
        let mut encoder = adapter
            .encoder(Box::new(&mut bytes))
            .map_err(|e| e.to_string())?;
        for message in messages {
            encoder.write(message).map_err(|e| e.to_string())?;
        }
        encoder.finish().map_err(|e| e.to_string())?;
    }
    let stream = adapter
        .decode(
            Box::new(BufReader::new(bytes.as_slice())),
            Limits::default(),
        )
        .map_err(|e| e.to_string())?;
    let mut back = Vec::new();
    for item in stream {
        let message = item
            .map_err(|e| vec![e])
            .and_then(prepare)
            .map_err(|errors| {
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        back.push(message);
    }
    if back.as_slice() == messages {
        Ok(())
    } else {
        Err(format!(
            "{} messages in, {} out, or their content changed",
            messages.len(),
            back.len()
        ))
    }
}

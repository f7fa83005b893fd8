//! `iarms-gateway sample`: deterministic, realistic test data.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use iarms_adapters::MessageKind;
use iarms_sample::{generate, SampleOptions};

use super::io::Output;
use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Generate realistic sample messages, the same for the same seed on every machine",
    after_help = "Messages carry real makes, models and calibre spellings, partial dates and some messy \
(but normalisable) values, as real registry exports do.\n\n\
Examples:\n  iarms-gateway sample --message record --count 1000 --format iarms-csv --seed 7 -o records.csv\n  \
iarms-gateway sample --message trace-request --count 5 --format iarms-xml"
)]
pub struct SampleArgs {
    /// record, search, hit-notification, trace-request or trace-response.
    #[arg(long, default_value = "record")]
    pub message: String,
    /// How many messages.
    #[arg(long, default_value_t = 10)]
    pub count: u64,
    /// Output format.
    #[arg(long, default_value = "iarms-ndjson")]
    pub format: String,
    /// Random seed; the same seed gives the same output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of messages with messy but normalisable values (0 to 1).
    #[arg(long, default_value_t = 0.3)]
    pub messy_rate: f64,
    /// Output file (written atomically); standard output when absent.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: SampleArgs, mappings: &[std::path::PathBuf]) -> anyhow::Result<Status> {
    let kind = MessageKind::from_tag(&args.message).with_context(|| {
        let known: Vec<&str> = MessageKind::ALL.iter().map(|k| k.tag()).collect();
        format!(
            "unknown message kind \"{}\"; choose one of: {}",
            args.message,
            known.join(", ")
        )
    })?;
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.messy_rate),
        "--messy-rate must be between 0 and 1"
    );
    let registry = super::registry(mappings)?;
    let adapter = super::formats::writer(&registry, &args.format)?;
    let mut output = Output::create(args.output.as_deref())?;
    {
        let mut encoder = adapter
            .encoder(Box::new(output.writer()))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let options = SampleOptions {
            kind,
            count: args.count,
            seed: args.seed,
            messy_rate: args.messy_rate,
        };
        for message in generate(&options) {
            encoder
                .write(&message)
                .map_err(|e| anyhow::anyhow!("cannot write sample: {e}"))?;
        }
        encoder
            .finish()
            .map_err(|e| anyhow::anyhow!("cannot finish the output: {e}"))?;
    }
    output.commit()?;
    Ok(Status::Ok)
}

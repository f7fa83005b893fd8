//! `iarms-gateway check-config` and `iarms-gateway hash-key`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use iarms_gateway::config::{kind_of, FileKind};
use iarms_gateway::hub::config::HubConfig;

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Check a gateway or hub configuration file; every error is located (file, line, key)",
    after_help = "Checks unknown keys, formats, URLs, durations, argon2 key hashes, duplicate \
partner ids, key files, and that [forward] lease is longer than timeout. Whether the file \
configures a gateway or the reference hub is told from its shape ([[gateway]] peers or a \
[hub] that listens make a hub file); --hub says so outright.\n\n\
Exit status: 0 valid, 1 errors found (one per line on stderr).\n\n\
Examples:\n  iarms-gateway check-config gateway.toml\n  \
iarms-gateway check-config gateway/examples/hub.toml\n  \
iarms-gateway check-config --hub --config hub.toml"
)]
pub struct CheckConfigArgs {
    /// The file to check (or give it with --config).
    #[arg(value_name = "FILE", conflicts_with = "config")]
    pub file: Option<PathBuf>,
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Check it as a hub configuration (hub.toml), whatever its shape.
    #[arg(long)]
    pub hub: bool,
}

pub fn run(args: CheckConfigArgs) -> anyhow::Result<Status> {
    let path = args
        .file
        .or(args.config)
        .unwrap_or_else(|| PathBuf::from("gateway.toml"));
    let kind = if args.hub {
        FileKind::Hub
    } else {
        match std::fs::read_to_string(&path) {
            Ok(text) => kind_of(&text),
            // The loader reports the unreadable file, located.
            Err(_) => FileKind::Gateway,
        }
    };
    match kind {
        FileKind::Gateway => {
            let Some((config, _)) = super::serve::load(&path) else {
                return Ok(Status::Rejected);
            };
            eprintln!(
                "{}: ok (gateway {} {}, listen {}, {} partner(s))",
                path.display(),
                config.country,
                config.agency,
                config.listen,
                config.partners.len()
            );
        }
        FileKind::Hub => match HubConfig::load(&path) {
            Ok(config) => eprintln!(
                "{}: ok (hub, listen {}, {} gateway(s))",
                path.display(),
                config.listen,
                config.gateways.len()
            ),
            Err(errors) => {
                for e in &errors.0 {
                    eprintln!("error: {e}");
                }
                return Ok(Status::Rejected);
            }
        },
    }
    Ok(Status::Ok)
}

#[derive(Debug, Args)]
#[command(
    about = "Hash an API key (read from standard input) into an argon2 string for gateway.toml",
    after_help = "The key is read from standard input (trailing newline removed) so that it stays \
out of the shell history; the PHC string goes to standard output.\n\n\
Examples:\n  head -c 32 /dev/urandom | base64 > rs.key && iarms-gateway hash-key < rs.key"
)]
pub struct HashKeyArgs {}

pub fn hash_key(_args: HashKeyArgs) -> anyhow::Result<Status> {
    let mut key = String::new();
    std::io::stdin()
        .read_to_string(&mut key)
        .context("cannot read the key from standard input")?;
    let key = key.trim_end_matches(['\n', '\r']);
    if key.is_empty() {
        anyhow::bail!("no key on standard input");
    }
    let hash = iarms_gateway::http::keys::hash_key(key)
        .map_err(|e| anyhow::anyhow!("cannot hash the key: {e}"))?;
    println!("{hash}");
    Ok(Status::Ok)
}

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
    about = "Make a new API key and the line for gateway.toml that holds its hash",
    after_help = "Prints two lines on standard output: the new key `iag_<id>_<secret>` (give it to \
the partner; it is not kept anywhere), then `<id>:<argon2 PHC string>` for `api_key_hashes` \
(or `operator_key_hashes`, `[hub] inbound_key_hashes`, the hub's `key_hashes`). The gateway \
finds a key by its id, so a request costs at most one argon2 verification.\n\n\
With --stdin the key is read from standard input instead (trailing newline removed, so that it \
stays out of the shell history) and only its line is printed: a key without an id (made before \
ids) gets a bare PHC string, accepted during the migration (SECURITY.md).\n\n\
Examples:\n  iarms-gateway hash-key\n  iarms-gateway hash-key --stdin < rs.key"
)]
pub struct HashKeyArgs {
    /// Hash the key read from standard input instead of making a new one.
    #[arg(long)]
    pub stdin: bool,
}

pub fn hash_key(args: HashKeyArgs) -> anyhow::Result<Status> {
    use iarms_gateway::http::keys::{key_hash_line, new_key};
    let hash_line =
        |key: &str| key_hash_line(key).map_err(|e| anyhow::anyhow!("cannot hash the key: {e}"));
    if !args.stdin {
        let key = new_key();
        println!("{key}");
        println!("{}", hash_line(&key)?);
        return Ok(Status::Ok);
    }
    let mut key = String::new();
    std::io::stdin()
        .read_to_string(&mut key)
        .context("cannot read the key from standard input")?;
    let key = key.trim_end_matches(['\n', '\r']);
    if key.is_empty() {
        anyhow::bail!("no key on standard input");
    }
    println!("{}", hash_line(key)?);
    Ok(Status::Ok)
}

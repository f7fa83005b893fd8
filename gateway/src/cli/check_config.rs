//! `iarms-gateway check-config` and `iarms-gateway hash-key`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Check a gateway configuration file; every error is located (file, line, key)",
    after_help = "Checks unknown keys, formats, URLs, durations, argon2 key hashes, duplicate \
partner ids and the hub key file.\n\n\
Exit status: 0 valid, 1 errors found (one per line on stderr).\n\n\
Examples:\n  iarms-gateway check-config --config gateway.toml"
)]
pub struct CheckConfigArgs {
    #[arg(long, short, default_value = "gateway.toml")]
    pub config: PathBuf,
}

pub fn run(args: CheckConfigArgs) -> anyhow::Result<Status> {
    let Some((config, _)) = super::serve::load(&args.config) else {
        return Ok(Status::Rejected);
    };
    eprintln!(
        "{}: ok ({} {}, listen {}, {} partner(s))",
        args.config.display(),
        config.country,
        config.agency,
        config.listen,
        config.partners.len()
    );
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

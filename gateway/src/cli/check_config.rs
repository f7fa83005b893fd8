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

//! `iarms-gateway keygen`: a new Ed25519 key for a gateway or a hub, written
//! 0600 (PKCS#8 PEM), its public key printed for the peers and the auditors.

use std::path::PathBuf;

use clap::Args;
use iarms_gateway::audit::SigningKey;

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Create the Ed25519 key that signs audit checkpoints and messages to the peer",
    after_help = "Writes the private key to --out (a new file, mode 0600; PKCS#8 PEM, as \
`openssl genpkey -algorithm ed25519` writes it) and prints the public key (base64) on stdout: \
give it to the auditors (`audit verify --public-key`) and to the peer.\n\n\
Example:\n  iarms-gateway keygen --out /etc/iarms/audit.key\n  \
then in gateway.toml:  [audit] signing_key = \"/etc/iarms/audit.key\""
)]
pub struct KeygenArgs {
    /// The new key file (never overwritten).
    #[arg(long, short)]
    pub out: PathBuf,
}

pub fn run(args: KeygenArgs) -> anyhow::Result<Status> {
    let key = SigningKey::generate()?;
    key.write_new(&args.out)?;
    println!("{}", key.public());
    eprintln!(
        "{}: new Ed25519 key (0600); its public key is above",
        args.out.display()
    );
    Ok(Status::Ok)
}

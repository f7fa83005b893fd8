//! `iarms-gateway serve`: runs the gateway service until SIGINT or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use iarms_gateway::config::Config;

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Run the gateway service: HTTP API, directory inboxes and delivery workers",
    after_help = "Stops gracefully on SIGINT or SIGTERM (no new requests, in-flight ones finish, \
leases given back) and exits 0. Logs go to stderr; RUST_LOG=info shows every accepted and delivered message.\n\n\
Exit status: 0 stopped cleanly, 1 the configuration has errors, 2 the service could not start.\n\n\
Examples:\n  iarms-gateway serve --config gateway.toml\n  \
RUST_LOG=info iarms-gateway serve --config /etc/iarms/gateway.toml"
)]
pub struct ServeArgs {
    /// The configuration file (see gateway/examples/gateway.toml).
    #[arg(long, short, default_value = "gateway.toml")]
    pub config: PathBuf,
    /// Once listening, write `{"address": "IP:PORT", "url": "..."}` to this file
    /// (atomically; removed on a graceful stop): the address bound, also with
    /// `listen = "127.0.0.1:0"`.
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
}

/// Loads a config, printing every located error; `None` when it has errors.
pub fn load(path: &std::path::Path) -> Option<(Config, iarms_adapters::Registry)> {
    match Config::load(path) {
        Ok(loaded) => Some(loaded),
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            None
        }
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<Status> {
    let Some((config, registry)) = load(&args.config) else {
        return Ok(Status::Rejected);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(iarms_gateway::app::gateway::run(
        config,
        registry,
        args.ready_file,
        iarms_gateway::app::runtime::shutdown_signal(),
    ))?;
    Ok(Status::Ok)
}

//! `iarms-gateway hub`: runs the reference hub until SIGINT or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use iarms_gateway::hub::config::HubConfig;

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Run the reference hub: a stand-in for the iARMS central service (not INTERPOL's system)",
    long_about = "Run the reference hub: a stand-in for the iARMS central service for tests, demos \
and integrators, not INTERPOL's system. It takes the canonical API the country gateways call \
(records, searches, trace requests and responses), keeps a register per owner country, answers \
searches with exact and partial hits, sends hit notifications to both countries, routes trace \
requests to the requested country's gateway and tracks their state.",
    after_help = "Stops gracefully on SIGINT or SIGTERM (no new requests, in-flight ones finish, \
leases given back) and exits 0. Logs go to stderr; RUST_LOG=info shows every delivery.\n\n\
Exit status: 0 stopped cleanly, 1 the configuration has errors, 2 the hub could not start.\n\n\
Examples:\n  iarms-gateway hub --config hub.toml\n  \
RUST_LOG=info iarms-gateway hub --config gateway/examples/hub.toml"
)]
pub struct HubArgs {
    /// The configuration file (see gateway/examples/hub.toml).
    #[arg(long, short, default_value = "hub.toml")]
    pub config: PathBuf,
    /// Once listening, write `{"address": "IP:PORT", "url": "..."}` to this file
    /// (atomically; removed on a graceful stop): the address bound, also with
    /// `listen = "127.0.0.1:0"`.
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
    /// TEST ONLY: misbehave on purpose for conformance tests (drop-field, accept-invalid, wrong-status, late-answer).
    #[arg(long, value_name = "NAME", hide = true)]
    pub fault: Option<String>,
}

pub fn run(args: HubArgs) -> anyhow::Result<Status> {
    if let Some(name) = &args.fault {
        use iarms_gateway::hub::fault::Fault;
        let fault = Fault::parse(name)
            .ok_or_else(|| anyhow::anyhow!("unknown fault \"{name}\" ({})", Fault::NAMES))?;
        iarms_gateway::hub::fault::set(fault);
    }
    let config = match HubConfig::load(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            return Ok(Status::Rejected);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(iarms_gateway::app::hub::run(
        config,
        args.ready_file,
        iarms_gateway::app::runtime::shutdown_signal(),
    ))?;
    Ok(Status::Ok)
}

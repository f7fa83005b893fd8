//! Command-line interface: one module per subcommand.

mod audit;
mod check_config;
mod conformance;
mod convert;
mod demo;
mod demo_live;
mod formats;
mod hub;
mod io;
mod keygen;
mod mappings;
mod messages;
mod profile;
mod sample;
mod schema;
mod serve;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use iarms_adapters::Registry;

/// Exit statuses shared by every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything was accepted.
    Ok,
    /// Some records were rejected (and reported); the good ones went through.
    Rejected,
    /// Usage or I/O error: nothing could be done.
    Usage,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        match status {
            Status::Ok => ExitCode::SUCCESS,
            Status::Rejected => ExitCode::from(1),
            Status::Usage => ExitCode::from(2),
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "iarms-gateway",
    version,
    about = "Interoperability gateway between national firearms registries and INTERPOL iARMS",
    long_about = "Translates, validates and forwards firearm records, searches, hit notifications, \
                  trace requests and trace responses between national registry formats and the \
                  iarms-gateway canonical model.",
    after_help = "Examples:\n  iarms-gateway demo\n  iarms-gateway formats\n  \
                  iarms-gateway convert --from iarms-csv --to iarms-xml records.csv -o records.xml\n  \
                  iarms-gateway validate --format iarms-ndjson records.ndjson\n  \
                  iarms-gateway --mappings ./my-mappings convert --from registry-xy --to iarms-json export.csv"
)]
pub struct Cli {
    /// Log debug details to stderr (RUST_LOG overrides).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Also load the mapping files (*.toml) of this directory, or this mapping file;
    /// repeatable. A mapping with the name of a built-in format replaces it.
    #[arg(long = "mappings", value_name = "DIR", global = true)]
    pub mappings: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Convert(convert::ConvertArgs),
    Validate(validate::ValidateArgs),
    Profile(profile::ProfileArgs),
    Sample(sample::SampleArgs),
    Formats(formats::FormatsArgs),
    Schema(schema::SchemaArgs),
    Demo(demo::DemoArgs),
    Mappings(mappings::MappingsArgs),
    Serve(serve::ServeArgs),
    Hub(hub::HubArgs),
    CheckConfig(check_config::CheckConfigArgs),
    HashKey(check_config::HashKeyArgs),
    Keygen(keygen::KeygenArgs),
    Messages(messages::MessagesArgs),
    Audit(audit::AuditArgs),
    Conformance(conformance::ConformanceArgs),
}

/// The formats every command can use: the built-in adapters, the built-in
/// mappings and the mappings found in `--mappings` directories.
pub fn registry(mappings: &[PathBuf]) -> anyhow::Result<Registry> {
    Registry::with_mappings(mappings).context("cannot load the mapping files")
}

pub fn run(cli: Cli) -> anyhow::Result<Status> {
    let mappings = cli.mappings;
    match cli.command {
        Command::Convert(args) => convert::run(args, &mappings),
        Command::Validate(args) => validate::run(args, &mappings),
        Command::Profile(args) => profile::run(args, &mappings),
        Command::Sample(args) => sample::run(args, &mappings),
        Command::Formats(args) => formats::run(args, &mappings),
        Command::Schema(args) => schema::run(args),
        Command::Demo(args) => demo::run(args, &mappings),
        Command::Mappings(args) => mappings::run(args, &mappings),
        Command::Serve(args) => serve::run(args),
        Command::Hub(args) => hub::run(args),
        Command::CheckConfig(args) => check_config::run(args),
        Command::HashKey(args) => check_config::hash_key(args),
        Command::Messages(args) => messages::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Conformance(args) => conformance::run(args, &mappings),
    }
}

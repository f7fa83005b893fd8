//! `iarms-gateway`: the interoperability gateway between national firearms
//! registries and INTERPOL iARMS. One binary: conversion and validation tools
//! today; the service, the reference hub and the conformance runner build on them.

mod cli;
mod report;

use std::process::ExitCode;

use clap::Parser;

// Conversion allocates many small strings per record; mimalloc roughly halves
// the allocator's share of the time compared with the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    init_logging(args.verbose);
    match cli::run(args) {
        Ok(status) => status.into(),
        Err(error) => {
            report::print_fatal(&error);
            cli::Status::Usage.into()
        }
    }
}

/// Logs go to stderr so they never mix with converted output on stdout.
/// `RUST_LOG` overrides the level; `-v` raises it to debug.
fn init_logging(verbose: bool) {
    let default = if verbose { "debug" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

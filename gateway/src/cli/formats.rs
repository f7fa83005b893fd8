//! `iarms-gateway formats`: what the gateway can read and write.

use std::sync::Arc;

use clap::Args;
use iarms_adapters::{Adapter, Registry};

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "List every format and what it can read and write",
    after_help = "Examples:\n  iarms-gateway formats\n  iarms-gateway formats --json"
)]
pub struct FormatsArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: FormatsArgs, mappings: &[std::path::PathBuf]) -> anyhow::Result<Status> {
    let registry = super::registry(mappings)?;
    if args.json {
        let list: Vec<serde_json::Value> = registry
            .iter()
            .map(|a| {
                let caps = a.capabilities();
                serde_json::json!({
                    "name": a.name(),
                    "read": caps.read,
                    "write": caps.write,
                    "kinds": caps.kinds.iter().map(|k| k.tag()).collect::<Vec<_>>(),
                    "description": a.description(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(Status::Ok);
    }
    println!(
        "{:<16} {:<5} {:<5} {:<58} DESCRIPTION",
        "FORMAT", "READ", "WRITE", "KINDS"
    );
    for adapter in registry.iter() {
        let caps = adapter.capabilities();
        let kinds: Vec<&str> = caps.kinds.iter().map(|k| k.tag()).collect();
        println!(
            "{:<16} {:<5} {:<5} {:<58} {}",
            adapter.name(),
            yes_no(caps.read),
            yes_no(caps.write),
            kinds.join(","),
            adapter.description()
        );
    }
    Ok(Status::Ok)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn lookup(registry: &Registry, name: &str) -> anyhow::Result<Arc<dyn Adapter>> {
    registry.get(name).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown format \"{name}\"; known formats: {} (see `iarms-gateway formats`)",
            registry.names().join(", ")
        )
    })
}

/// The adapter for a format that must be readable.
pub fn reader(registry: &Registry, name: &str) -> anyhow::Result<Arc<dyn Adapter>> {
    let adapter = lookup(registry, name)?;
    anyhow::ensure!(
        adapter.capabilities().read,
        "format \"{name}\" cannot be read"
    );
    Ok(adapter)
}

/// The adapter for a format that must be writable.
pub fn writer(registry: &Registry, name: &str) -> anyhow::Result<Arc<dyn Adapter>> {
    let adapter = lookup(registry, name)?;
    anyhow::ensure!(
        adapter.capabilities().write,
        "format \"{name}\" cannot be written"
    );
    Ok(adapter)
}

//! `iarms-gateway mappings`: check mapping files and explain what they do.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use iarms_adapters::mapping::check::check;
use iarms_adapters::mapping::registry::{compile_sources, load_all};
use iarms_adapters::mapping::{
    builtin_mapping_files, compile, explain, load_mapping_sources, MappingSource,
};

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Check mapping files and explain what a mapping does",
    long_about = "A mapping is a TOML file that connects a national registry's own export or API \
                  format to the canonical model without writing code (reference: mappings/README.md). \
                  Mappings are loaded from the built-in set and from every --mappings DIR.",
    after_help = "Examples:\n  iarms-gateway mappings check\n  \
                  iarms-gateway mappings check my-mappings/ registry-xy.toml\n  \
                  iarms-gateway mappings explain registry-rs\n  \
                  iarms-gateway --mappings my-mappings mappings explain registry-xy"
)]
pub struct MappingsArgs {
    #[command(subcommand)]
    pub command: MappingsCommand,
}

#[derive(Debug, Subcommand)]
pub enum MappingsCommand {
    Check(CheckArgs),
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
#[command(
    about = "Check mapping files and report every problem with file, line and key",
    after_help = "Exit status: 0 no errors (warnings may be printed), 1 some file has errors, 2 a file cannot be read.\n\
Each problem is printed as FILE:LINE: KEY: MESSAGE, e.g.\n  \
mappings/x.toml:14: field[3].to: unknown canonical field \"firearm.calibr\" for record messages (did you mean firearm.calibre?)\n\n\
Examples:\n  iarms-gateway mappings check                      # the built-in mappings (and --mappings DIRs)\n  \
iarms-gateway mappings check my-mappings/         # every *.toml in the directory\n  \
iarms-gateway mappings check registry-xy.toml"
)]
pub struct CheckArgs {
    /// Mapping files or directories of *.toml files; none checks the built-in
    /// mappings and those of --mappings.
    #[arg(value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    about = "Explain a mapping: which canonical field comes from which native field, constant or rule",
    after_help = "Examples:\n  iarms-gateway mappings explain registry-rs\n  \
iarms-gateway --mappings my-mappings mappings explain registry-xy\n  \
iarms-gateway mappings explain my-mappings/registry-xy.toml"
)]
pub struct ExplainArgs {
    /// The mapping's format name (built-in or from --mappings), or a mapping file.
    pub name: String,
}

pub fn run(args: MappingsArgs, mappings: &[PathBuf]) -> anyhow::Result<Status> {
    match args.command {
        MappingsCommand::Check(check_args) => run_check(check_args, mappings),
        MappingsCommand::Explain(explain_args) => run_explain(explain_args, mappings),
    }
}

fn run_check(args: CheckArgs, mappings: &[PathBuf]) -> anyhow::Result<Status> {
    let sources: Vec<MappingSource> = if args.paths.is_empty() {
        let mut sources = builtin_mapping_files();
        sources.extend(load_mapping_sources(mappings)?);
        sources
    } else {
        let sources = load_mapping_sources(&args.paths)?;
        anyhow::ensure!(
            !sources.is_empty(),
            "no mapping files (*.toml) in {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        sources
    };
    let mut errors = 0;
    let mut warnings = 0;
    let mut names: Vec<(String, String)> = Vec::new();
    for source in &sources {
        let issues = check(&source.file, &source.text);
        for issue in &issues {
            println!("{issue}");
        }
        let file_errors = issues.iter().filter(|i| i.is_error()).count();
        errors += file_errors;
        warnings += issues.len() - file_errors;
        if file_errors == 0 {
            if let Ok(mapping) = compile(&source.file, &source.text) {
                if let Some((_, earlier)) = names.iter().find(|(n, _)| *n == mapping.name) {
                    println!(
                        "{}: warning: mapping name \"{}\" is also used by {earlier}; the later file replaces the earlier",
                        source.file, mapping.name
                    );
                    warnings += 1;
                }
                names.push((mapping.name.clone(), source.file.clone()));
            }
        }
    }
    println!(
        "checked {} mapping file{}: {errors} error{}, {warnings} warning{}",
        sources.len(),
        if sources.len() == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
    );
    Ok(if errors > 0 {
        Status::Rejected
    } else {
        Status::Ok
    })
}

fn run_explain(args: ExplainArgs, mappings: &[PathBuf]) -> anyhow::Result<Status> {
    let as_file = PathBuf::from(&args.name);
    if args.name.ends_with(".toml") && as_file.is_file() {
        let sources = load_mapping_sources(&[as_file])?;
        let compiled = compile_sources(&sources)?;
        for mapping in compiled {
            print!("{}", explain::explain(&mapping));
        }
        return Ok(Status::Ok);
    }
    let all = load_all(mappings).context("cannot load the mapping files")?;
    match all.iter().rev().find(|m| m.name == args.name) {
        Some(mapping) => {
            print!("{}", explain::explain(mapping));
            Ok(Status::Ok)
        }
        None => {
            let registry = super::registry(mappings)?;
            let names: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
            if registry.get(&args.name).is_some() {
                anyhow::bail!(
                    "\"{}\" is a built-in format, not a mapping; mappings: {}",
                    args.name,
                    names.join(", ")
                );
            }
            anyhow::bail!(
                "no mapping named \"{}\"; mappings: {} (add yours with --mappings DIR)",
                args.name,
                names.join(", ")
            )
        }
    }
}

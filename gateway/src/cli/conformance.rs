//! `iarms-gateway conformance`: the conformance suite (conformance/README.md).
//! `coverage` prints the requirement -> case matrix, `list` the cases, `run` runs
//! them against a mapping (offline), a live gateway or hub, or a registry, and
//! writes the reports; `simulate-registry` is a test tool standing in for a registry.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use iarms_conformance::format_target::FormatUnderTest;
use iarms_conformance::simulate::{RegistryFault, SimulatedRegistry};
use iarms_conformance::suite::{Class, EndpointKind, Suite, Target};
use iarms_conformance::{coverage, report, Filters, RunOptions, TargetSpec};

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "The conformance suite: prove a registry connection, a mapping, a gateway or a hub",
    after_help = "Exit status: 0 every MUST case passed (SHOULD failures are reported only), \
1 a MUST case failed (or, for coverage, a requirement is uncovered), 2 usage or suite load error.\n\n\
Examples:\n  iarms-gateway conformance coverage\n  iarms-gateway conformance run --mapping registry-rs\n  \
iarms-gateway conformance run --target http://127.0.0.1:8080 --api-key \"$KEY\" --country RS --agency RS-MUP --html report.html\n  \
iarms-gateway conformance run --registry http://127.0.0.1:8080 --hub-key \"$HUB_KEY\" --listen 127.0.0.1:9400 --country RS"
)]
pub struct ConformanceArgs {
    #[command(subcommand)]
    pub command: ConformanceCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConformanceCommand {
    /// Print the requirement -> case matrix; fails when a requirement lacks a positive or a negative case.
    Coverage(CoverageArgs),
    /// List the cases (after the filters).
    List(ListArgs),
    /// Run the cases of one target and write the reports.
    Run(Box<RunArgs>),
    /// TEST TOOL: a simulated registry that answers every trace request the gateway passes it.
    SimulateRegistry(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Run another copy of the suite (a directory laid out like conformance/) instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub suite: Option<PathBuf>,
    /// Add an integrator's own cases: every *.toml below DIR (inputs relative to DIR); repeatable.
    #[arg(long = "cases", value_name = "DIR")]
    pub extra_cases: Vec<PathBuf>,
}

impl SuiteArgs {
    fn open(&self) -> anyhow::Result<Suite> {
        Ok(Suite::open(self.suite.as_deref(), &self.extra_cases)?)
    }
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only cases of this class (core, traces, search, security, formats); repeatable.
    #[arg(long = "class", value_name = "CLASS")]
    pub classes: Vec<String>,
    /// Only cases of this requirement (e.g. REC-012); repeatable.
    #[arg(long = "requirement", value_name = "ID")]
    pub requirements: Vec<String>,
    /// Only this case (e.g. REC-012-P1, or a prefix ending in *); repeatable.
    #[arg(long = "case", value_name = "ID")]
    pub case_ids: Vec<String>,
}

impl FilterArgs {
    fn filters(&self, suite: &Suite) -> anyhow::Result<Filters> {
        let mut classes = Vec::new();
        for c in &self.classes {
            classes.push(Class::parse(c).ok_or_else(|| {
                anyhow::anyhow!("unknown class \"{c}\" (core, traces, search, security, formats)")
            })?);
        }
        for r in &self.requirements {
            anyhow::ensure!(
                suite.requirement(r).is_some(),
                "unknown requirement \"{r}\" (see `iarms-gateway conformance coverage`)"
            );
        }
        for c in &self.case_ids {
            let known = match c.strip_suffix('*') {
                Some(prefix) => suite.cases.iter().any(|k| k.id.starts_with(prefix)),
                None => suite.cases.iter().any(|k| k.id == *c),
            };
            anyhow::ensure!(
                known,
                "no case \"{c}\" (see `iarms-gateway conformance list`)"
            );
        }
        Ok(Filters {
            classes,
            requirements: self.requirements.clone(),
            cases: self.case_ids.clone(),
        })
    }
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TargetType {
    Format,
    Http,
    Registry,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only cases of this runner target.
    #[arg(long, value_enum)]
    pub target_type: Option<TargetType>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    Gateway,
    Hub,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Offline: check this format (a name from `iarms-gateway formats`) or mapping file (.toml).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["target", "registry"], required_unless_present_any = ["target", "registry"])]
    pub mapping: Option<String>,
    /// A live gateway or hub: its base URL (http://host:port).
    #[arg(
        long,
        value_name = "URL",
        requires = "api_key",
        conflicts_with = "registry"
    )]
    pub target: Option<String>,
    /// The key the runner presents to --target (a partner key of a gateway, a gateway key of a hub).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// What --target is: the cases written for it run.
    #[arg(long, value_enum, default_value = "gateway")]
    pub target_kind: Kind,
    /// A registry's endpoint (e.g. its gateway's base URL): the runner plays the hub.
    #[arg(long, value_name = "URL", requires = "hub_key")]
    pub registry: Option<String>,
    /// The key the hub presents to --registry.
    #[arg(long, value_name = "KEY")]
    pub hub_key: Option<String>,
    /// Where the runner listens as the hub for the registry's answers (the registry's hub URL).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9400")]
    pub listen: SocketAddr,
    /// The country the cases write as {{country}} (the target's own, e.g. RS).
    #[arg(long)]
    pub country: Option<String>,
    /// The agency the cases write as {{agency}}.
    #[arg(long)]
    pub agency: Option<String>,
    /// Cases run at the same time.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Longest wait for one HTTP answer (250ms, 10s, 2m).
    #[arg(long, default_value = "10s")]
    pub timeout: String,
    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write the JUnit XML report here (for CI).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the self-contained HTML report here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Show every case on the console, not only the failed ones.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Where to listen (the gateway partner's `outbound = { url = ... }`).
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The gateway the answers are sent to.
    #[arg(long, value_name = "URL")]
    pub gateway: String,
    /// The partner key this simulated registry holds at the gateway.
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// The responding agency written in answers (default COUNTRY-REGISTRY-SIMULATOR).
    #[arg(long)]
    pub agency: Option<String>,
    /// TEST ONLY: misbehave on purpose (late-answer, drop-field, wrong-status).
    #[arg(long, value_name = "NAME")]
    pub fault: Option<String>,
    /// The delay of the late-answer fault.
    #[arg(long, default_value = "5s")]
    pub delay: String,
}

pub fn run(args: ConformanceArgs, mappings: &[PathBuf]) -> anyhow::Result<Status> {
    match args.command {
        ConformanceCommand::Coverage(a) => run_coverage(a),
        ConformanceCommand::List(a) => run_list(a),
        ConformanceCommand::Run(a) => run_suite(*a, mappings),
        ConformanceCommand::SimulateRegistry(a) => simulate(a, mappings),
    }
}

fn run_coverage(args: CoverageArgs) -> anyhow::Result<Status> {
    let suite = args.suite.open()?;
    let rows = coverage::matrix(&suite);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", coverage::render(&suite, &rows));
    }
    Ok(if rows.iter().all(coverage::Row::covered) {
        Status::Ok
    } else {
        Status::Rejected
    })
}

fn run_list(args: ListArgs) -> anyhow::Result<Status> {
    let suite = args.suite.open()?;
    let filters = args.filter.filters(&suite)?;
    let wanted = args.target_type.map(|t| match t {
        TargetType::Format => Target::Format,
        TargetType::Http => Target::Http,
        TargetType::Registry => Target::Registry,
    });
    let cases: Vec<_> = suite
        .cases
        .iter()
        .filter(|c| filters.accepts(c) && wanted.is_none_or(|t| c.target == t))
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&cases)?);
        return Ok(Status::Ok);
    }
    println!(
        "{:<14} {:<9} {:<8} {:<6} {:<16} TITLE",
        "CASE", "CLASS", "TARGET", "LEVEL", "INPUT"
    );
    for c in &cases {
        let input = match (&c.input, c.target) {
            (Some(i), _) => i.format.clone(),
            (None, Target::Http) => c
                .applies_to
                .iter()
                .map(|k| match k {
                    EndpointKind::Gateway => "gateway",
                    EndpointKind::Hub => "hub",
                })
                .collect::<Vec<_>>()
                .join(","),
            (None, _) => String::new(),
        };
        println!(
            "{:<14} {:<9} {:<8} {:<6} {:<16} {}",
            c.id,
            c.class.as_str(),
            c.target.as_str(),
            c.level.as_str(),
            input,
            c.title
        );
    }
    eprintln!("{} of {} cases", cases.len(), suite.cases.len());
    Ok(Status::Ok)
}

fn duration(text: &str, flag: &str) -> anyhow::Result<Duration> {
    iarms_conformance::suite::parse_duration(text).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

/// The format under test: a registry name, or a mapping file loaded beside the built-ins.
fn format_under_test(name: &str, mappings: &[PathBuf]) -> anyhow::Result<FormatUnderTest> {
    let path = PathBuf::from(name);
    let is_file = name.ends_with(".toml") || path.is_file();
    let (registry, name) = if is_file {
        anyhow::ensure!(path.is_file(), "no mapping file {name}");
        let mut all = mappings.to_vec();
        all.push(path.clone());
        let sources =
            iarms_adapters::mapping::registry::load_mapping_sources(std::slice::from_ref(&path))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let compiled = iarms_adapters::mapping::registry::compile_sources(&sources)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mapping_name = compiled
            .first()
            .map(|m| m.name.clone())
            .ok_or_else(|| anyhow::anyhow!("{name} defines no mapping"))?;
        (super::registry(&all)?, mapping_name)
    } else {
        (super::registry(mappings)?, name.to_string())
    };
    let adapter = registry.get(&name).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown format \"{name}\"; known formats: {} (see `iarms-gateway formats`)",
            registry.names().join(", ")
        )
    })?;
    Ok(FormatUnderTest {
        name,
        adapter,
        registry,
    })
}

fn run_suite(args: RunArgs, mappings: &[PathBuf]) -> anyhow::Result<Status> {
    let suite = Arc::new(args.suite.open()?);
    let filters = args.filter.filters(&suite)?;
    let spec = if let Some(name) = &args.mapping {
        TargetSpec::Mapping(format_under_test(name, mappings)?)
    } else if let Some(url) = &args.target {
        TargetSpec::Http {
            url: checked_url(url, "--target")?,
            api_key: args.api_key.clone().unwrap_or_default(),
            kind: match args.target_kind {
                Kind::Gateway => EndpointKind::Gateway,
                Kind::Hub => EndpointKind::Hub,
            },
        }
    } else if let Some(url) = &args.registry {
        TargetSpec::Registry {
            url: checked_url(url, "--registry")?,
            hub_key: args.hub_key.clone().unwrap_or_default(),
            listen: args.listen,
        }
    } else {
        anyhow::bail!("give --mapping NAME, --target URL or --registry URL");
    };
    anyhow::ensure!(args.jobs >= 1, "--jobs must be at least 1");
    let options = RunOptions {
        filters,
        jobs: args.jobs,
        country: args.country.clone(),
        agency: args.agency.clone(),
        timeout: duration(&args.timeout, "--timeout")?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime
        .block_on(iarms_conformance::run::run(suite, spec, options))
        .map_err(|e| anyhow::anyhow!(e))?;
    print!("{}", report::console(&report, args.all));
    for (path, text) in [
        (&args.report_json, report::json(&report)),
        (&args.junit, report::junit(&report)),
        (&args.html, report::html(&report)),
    ] {
        if let Some(path) = path {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(if report.passed() {
        Status::Ok
    } else {
        Status::Rejected
    })
}

fn checked_url(url: &str, flag: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        url.starts_with("http://") || url.starts_with("https://"),
        "{flag}: \"{url}\" is not an http:// or https:// URL"
    );
    Ok(url.trim_end_matches('/').to_string())
}

fn simulate(args: SimulateArgs, mappings: &[PathBuf]) -> anyhow::Result<Status> {
    let fault = match &args.fault {
        None => None,
        Some(name) => Some(RegistryFault::parse(name).ok_or_else(|| {
            anyhow::anyhow!("unknown fault \"{name}\" (late-answer, drop-field, wrong-status)")
        })?),
    };
    let registry = super::registry(mappings)?;
    let simulated = SimulatedRegistry {
        gateway: checked_url(&args.gateway, "--gateway")?,
        key: args.key,
        agency: args.agency,
        fault,
        delay: duration(&args.delay, "--delay")?,
        registry,
        client: reqwest::Client::new(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(simulated.serve(args.listen, iarms_gateway::app::runtime::shutdown_signal()))
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    Ok(Status::Ok)
}

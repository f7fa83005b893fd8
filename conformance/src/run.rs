//! Running the suite against one target: select the cases (target, filters),
//! run them in parallel (at most `jobs` at a time), time each one and gather
//! the results into a [`RunReport`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::format_target::{self, FormatUnderTest};
use crate::http_target::{run_steps, Endpoint};
use crate::outcome::{CaseResult, Finding, Verdict};
use crate::registry_target::{self, HubListener};
use crate::suite::{Case, Class, EndpointKind, Level, Suite, Target};
use crate::template::Vars;

/// Which cases to run (all when empty).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub classes: Vec<Class>,
    pub requirements: Vec<String>,
    /// Case ids; an id ending in `*` is a prefix.
    pub cases: Vec<String>,
}

impl Filters {
    pub fn accepts(&self, case: &Case) -> bool {
        (self.classes.is_empty() || self.classes.contains(&case.class))
            && (self.requirements.is_empty()
                || case
                    .requirements
                    .iter()
                    .any(|r| self.requirements.contains(r)))
            && (self.cases.is_empty()
                || self.cases.iter().any(|c| match c.strip_suffix('*') {
                    Some(prefix) => case.id.starts_with(prefix),
                    None => case.id == *c,
                }))
    }
}

/// What the run is against.
#[derive(Clone)]
pub enum TargetSpec {
    /// `--mapping NAME`: offline.
    Mapping(FormatUnderTest),
    /// `--target URL --api-key KEY`.
    Http {
        url: String,
        api_key: String,
        kind: EndpointKind,
    },
    /// `--registry URL --hub-key KEY --listen ADDR`.
    Registry {
        url: String,
        hub_key: String,
        listen: SocketAddr,
    },
}

impl TargetSpec {
    pub fn target(&self) -> Target {
        match self {
            TargetSpec::Mapping(_) => Target::Format,
            TargetSpec::Http { .. } => Target::Http,
            TargetSpec::Registry { .. } => Target::Registry,
        }
    }

    /// How the report names the target.
    pub fn describe(&self) -> String {
        match self {
            TargetSpec::Mapping(f) => format!("mapping {}", f.name),
            TargetSpec::Http { url, kind, .. } => format!(
                "{} {url}",
                match kind {
                    EndpointKind::Gateway => "gateway",
                    EndpointKind::Hub => "hub",
                }
            ),
            TargetSpec::Registry { url, .. } => format!("registry {url}"),
        }
    }

    /// Does a (filtered) case belong to this target?
    pub fn selects(&self, case: &Case) -> bool {
        match self {
            TargetSpec::Mapping(f) => case.target == Target::Format && f.selects(case),
            TargetSpec::Http { kind, .. } => {
                case.target == Target::Http && case.applies_to.contains(kind)
            }
            TargetSpec::Registry { .. } => case.target == Target::Registry,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub filters: Filters,
    pub jobs: usize,
    pub country: Option<String>,
    pub agency: Option<String>,
    /// Per request (live targets).
    pub timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            filters: Filters::default(),
            jobs: 4,
            country: None,
            agency: None,
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub must_failed: usize,
    pub should_failed: usize,
}

/// Results per requirement or class.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Group {
    pub fn verdict(&self) -> &'static str {
        if self.failed > 0 {
            "fail"
        } else if self.passed > 0 {
            "pass"
        } else {
            "skip"
        }
    }
}

/// Everything the reports show.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub suite: String,
    pub suite_version: String,
    pub suite_origin: String,
    pub runner: String,
    pub runner_version: String,
    pub target: String,
    pub target_type: Target,
    pub date: String,
    pub duration_ms: u64,
    pub totals: Totals,
    pub classes: Vec<Group>,
    pub requirements: Vec<Group>,
    pub cases: Vec<CaseResult>,
}

impl RunReport {
    /// Exit-code rule: a failed MUST case fails the run; SHOULD failures are reported only.
    pub fn passed(&self) -> bool {
        self.totals.must_failed == 0
    }
}

/// What a case needs to run, shared by the workers.
struct Context {
    suite: Arc<Suite>,
    spec: TargetSpec,
    options: RunOptions,
    client: reqwest::Client,
    listener: Option<HubListener>,
}

/// Runs every selected case; errors only when the run cannot start (the hub listener
/// cannot bind). An empty selection is a run of nothing (reported with 0 cases).
#[allow(clippy::indexing_slicing)] // every index is a position in suite.cases (see `selected`)
pub async fn run(
    suite: Arc<Suite>,
    spec: TargetSpec,
    options: RunOptions,
) -> Result<RunReport, String> {
    let started = Instant::now();
    let date = crate::template::now();
    let listener = match &spec {
        TargetSpec::Registry { listen, .. } => Some(
            registry_target::listen(*listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?,
        ),
        _ => None,
    };
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let selected: Vec<usize> = suite
        .cases
        .iter()
        .enumerate()
        .filter(|(_, c)| spec.selects(c) && options.filters.accepts(c))
        .map(|(i, _)| i)
        .collect();
    let jobs = options.jobs.max(1);
    let context = Arc::new(Context {
        suite: Arc::clone(&suite),
        spec: spec.clone(),
        options,
        client,
        listener,
    });
    let permits = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut set = tokio::task::JoinSet::new();
    for index in selected {
        let context = Arc::clone(&context);
        let permits = Arc::clone(&permits);
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let case = &context.suite.cases[index];
            let begun = Instant::now();
            let finding = run_case(&context, index).await;
            (index, finding.into_result(case, begun.elapsed()))
        });
    }
    let mut results: Vec<(usize, CaseResult)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => results.push(r),
            Err(e) => return Err(format!("a case runner stopped: {e}")),
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let cases: Vec<CaseResult> = results.into_iter().map(|(_, r)| r).collect();
    Ok(report(&suite, &spec, date, started.elapsed(), cases))
}

#[allow(clippy::indexing_slicing)] // every index is a position in suite.cases (see `selected`)
async fn run_case(context: &Arc<Context>, index: usize) -> Finding {
    let case = &context.suite.cases[index];
    match &context.spec {
        TargetSpec::Mapping(under_test) => {
            let context = Arc::clone(context);
            let under_test = under_test.clone();
            // Decoding and validation are CPU work: keep them off the async workers.
            tokio::task::spawn_blocking(move || {
                let case = &context.suite.cases[index];
                format_target::run_case(&context.suite, case, &under_test)
            })
            .await
            .unwrap_or_else(|e| Finding::fail(format!("the case stopped: {e}")))
        }
        TargetSpec::Http { url, api_key, .. } => {
            let endpoint = Endpoint {
                base: url.clone(),
                key: api_key.clone(),
                timeout: context.options.timeout,
                client: context.client.clone(),
            };
            let mut vars = Vars::new(
                context.options.country.clone(),
                context.options.agency.clone(),
            );
            let mut finding = Finding::default();
            run_steps(
                &context.suite,
                &endpoint,
                &case.steps,
                &mut vars,
                &mut finding,
            )
            .await;
            finding
        }
        TargetSpec::Registry { url, hub_key, .. } => {
            let endpoint = Endpoint {
                base: url.clone(),
                key: hub_key.clone(),
                timeout: context.options.timeout,
                client: context.client.clone(),
            };
            let mut vars = Vars::new(
                context.options.country.clone(),
                context.options.agency.clone(),
            );
            let mut finding = Finding::default();
            if run_steps(
                &context.suite,
                &endpoint,
                &case.steps,
                &mut vars,
                &mut finding,
            )
            .await
            {
                if let Some(listener) = &context.listener {
                    registry_target::run_awaits(
                        &listener.inbox,
                        &case.awaits,
                        &mut vars,
                        &mut finding,
                    )
                    .await;
                }
            }
            finding
        }
    }
}

fn report(
    suite: &Suite,
    spec: &TargetSpec,
    date: String,
    elapsed: Duration,
    cases: Vec<CaseResult>,
) -> RunReport {
    let mut totals = Totals {
        cases: cases.len(),
        ..Totals::default()
    };
    for c in &cases {
        match c.verdict {
            Verdict::Pass => totals.passed += 1,
            Verdict::Skip => totals.skipped += 1,
            Verdict::Fail => {
                totals.failed += 1;
                match c.level {
                    Level::Must => totals.must_failed += 1,
                    Level::Should => totals.should_failed += 1,
                }
            }
        }
    }
    let tally = |group: &mut Group, c: &CaseResult| match c.verdict {
        Verdict::Pass => group.passed += 1,
        Verdict::Fail => group.failed += 1,
        Verdict::Skip => group.skipped += 1,
    };
    let mut classes = Vec::new();
    for class in Class::ALL {
        let mut g = Group {
            name: class.as_str().to_string(),
            level: None,
            text: None,
            passed: 0,
            failed: 0,
            skipped: 0,
        };
        for c in cases.iter().filter(|c| c.class == class) {
            tally(&mut g, c);
        }
        if g.passed + g.failed + g.skipped > 0 {
            classes.push(g);
        }
    }
    let mut requirements = Vec::new();
    for r in &suite.requirements {
        let mut g = Group {
            name: r.id.clone(),
            level: Some(r.level),
            text: Some(r.text.clone()),
            passed: 0,
            failed: 0,
            skipped: 0,
        };
        for c in cases.iter().filter(|c| c.requirements.contains(&r.id)) {
            tally(&mut g, c);
        }
        if g.passed + g.failed + g.skipped > 0 {
            requirements.push(g);
        }
    }
    RunReport {
        suite: suite.info.name.clone(),
        suite_version: suite.info.version.clone(),
        suite_origin: suite.origin.clone(),
        runner: "iarms-gateway conformance".to_string(),
        runner_version: env!("CARGO_PKG_VERSION").to_string(),
        target: spec.describe(),
        target_type: spec.target(),
        date,
        duration_ms: elapsed.as_millis() as u64,
        totals,
        classes,
        requirements,
        cases,
    }
}

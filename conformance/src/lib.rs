//! iarms-conformance: the conformance suite of iarms-gateway as data plus a runner.
//!
//! The data (`suite.toml`, `requirements.csv`, `cases/*.toml`, `inputs/`) sits
//! beside this crate's `src/` and is embedded at build time; [`suite`] loads and
//! checks it, [`coverage`] builds the requirement -> case matrix, [`run`] runs the
//! cases of one target (offline formats, a live gateway or hub, a registry), and
//! [`report`] writes the console, JSON, JUnit XML and HTML reports.

pub mod coverage;
pub mod expect;
pub mod format_target;
pub mod http_target;
pub mod outcome;
pub mod registry_target;
pub mod report;
pub mod run;
pub mod simulate;
pub mod suite;
pub mod template;

pub use outcome::{CaseResult, Verdict};
pub use run::{Filters, RunOptions, RunReport, TargetSpec};
pub use suite::{Case, Class, LoadError, LoadErrors, Suite};

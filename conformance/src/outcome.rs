//! What running a case produced: its verdict, timing, why it failed (expected vs
//! actual) and, for live targets, the HTTP exchanges of a failed case.

use serde::Serialize;

use crate::suite::{Case, Class, Level, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// The case does not apply to what was tested (a kind the format does not carry).
    Skip,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Skip => "skip",
        }
    }
}

/// One HTTP request and its answer, kept for the report of a failed case.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exchange {
    pub request: String,
    pub response: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub title: String,
    pub class: Class,
    pub level: Level,
    pub target: Target,
    pub requirements: Vec<String>,
    pub file: String,
    pub line: usize,
    pub verdict: Verdict,
    pub duration_ms: u64,
    /// Why it failed or was skipped, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Observations that are not failures (fields a format does not carry).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
}

/// What a target's case runner hands back, before timing is added.
#[derive(Debug, Clone, Default)]
pub struct Finding {
    pub skipped: bool,
    pub messages: Vec<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub notes: Vec<String>,
    pub exchanges: Vec<Exchange>,
}

impl Finding {
    pub fn fail(message: impl Into<String>) -> Finding {
        Finding {
            messages: vec![message.into()],
            ..Finding::default()
        }
    }

    pub fn skip(reason: impl Into<String>) -> Finding {
        Finding {
            skipped: true,
            notes: vec![reason.into()],
            ..Finding::default()
        }
    }

    pub fn into_result(self, case: &Case, duration: std::time::Duration) -> CaseResult {
        let verdict = if self.skipped {
            Verdict::Skip
        } else if self.messages.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        // Exchanges are kept for failed cases only: a passing run's report stays small.
        let exchanges = if verdict == Verdict::Fail {
            self.exchanges
        } else {
            Vec::new()
        };
        CaseResult {
            id: case.id.clone(),
            title: case.title.clone(),
            class: case.class,
            level: case.level,
            target: case.target,
            requirements: case.requirements.clone(),
            file: case.file.clone(),
            line: case.line,
            verdict,
            duration_ms: duration.as_millis() as u64,
            messages: self.messages,
            expected: self.expected,
            actual: self.actual,
            notes: self.notes,
            exchanges,
        }
    }
}

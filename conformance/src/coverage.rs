//! The requirement -> case matrix: every requirement needs at least one positive
//! (`-P…`) and one negative (`-N…`) case.

use serde::Serialize;

use crate::suite::{Class, Level, Suite};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub requirement: String,
    pub class: Class,
    pub level: Level,
    pub positive: Vec<String>,
    pub negative: Vec<String>,
    /// Cases whose id follows neither convention.
    pub other: Vec<String>,
}

impl Row {
    pub fn covered(&self) -> bool {
        !self.positive.is_empty() && !self.negative.is_empty()
    }
}

pub fn matrix(suite: &Suite) -> Vec<Row> {
    suite
        .requirements
        .iter()
        .map(|r| {
            let mut row = Row {
                requirement: r.id.clone(),
                class: r.class,
                level: r.level,
                positive: Vec::new(),
                negative: Vec::new(),
                other: Vec::new(),
            };
            for case in suite
                .cases
                .iter()
                .filter(|c| c.requirements.contains(&r.id))
            {
                match case.polarity() {
                    Some('P') => row.positive.push(case.id.clone()),
                    Some('N') => row.negative.push(case.id.clone()),
                    _ => row.other.push(case.id.clone()),
                }
            }
            row
        })
        .collect()
}

/// The matrix as text, one line per requirement, then the uncovered ones.
pub fn render(suite: &Suite, rows: &[Row]) -> String {
    let mut out = format!(
        "{} {} ({}): {} requirements, {} cases\n\n{:<9} {:<9} {:<6} {:>3} {:>3}  CASES\n",
        suite.info.name,
        suite.info.version,
        suite.origin,
        suite.requirements.len(),
        suite.cases.len(),
        "REQ",
        "CLASS",
        "LEVEL",
        "+",
        "-"
    );
    for row in rows {
        let mut cases: Vec<&str> = row
            .positive
            .iter()
            .chain(&row.negative)
            .chain(&row.other)
            .map(String::as_str)
            .collect();
        cases.sort();
        out.push_str(&format!(
            "{:<9} {:<9} {:<6} {:>3} {:>3}  {}{}\n",
            row.requirement,
            row.class.as_str(),
            row.level.as_str(),
            row.positive.len(),
            row.negative.len(),
            cases.join(" "),
            if row.covered() { "" } else { "  <- UNCOVERED" }
        ));
    }
    let uncovered: Vec<&Row> = rows.iter().filter(|r| !r.covered()).collect();
    if uncovered.is_empty() {
        out.push_str("\nevery requirement has a positive and a negative case\n");
    } else {
        out.push_str(&format!(
            "\n{} requirement(s) not covered:\n",
            uncovered.len()
        ));
        for r in uncovered {
            let mut missing = Vec::new();
            if r.positive.is_empty() {
                missing.push("a positive (-P) case");
            }
            if r.negative.is_empty() {
                missing.push("a negative (-N) case");
            }
            out.push_str(&format!(
                "  {} needs {}\n",
                r.requirement,
                missing.join(" and ")
            ));
        }
    }
    out
}

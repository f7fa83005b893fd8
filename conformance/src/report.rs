//! The run's reports: a console summary, JSON, JUnit XML (for integrators' CI)
//! and one self-contained HTML file (inline CSS, no scripts or external assets,
//! readable offline). Every report carries the suite version, the target, the date
//! and the runner version.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::outcome::{CaseResult, Verdict};
use crate::run::RunReport;

/// The console summary: one line per failed case with why, then per class, then totals.
pub fn console(report: &RunReport, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} against {} ({} {}, {})",
        report.suite,
        report.suite_version,
        report.target,
        report.runner,
        report.runner_version,
        report.date
    );
    for c in &report.cases {
        let show = verbose || c.verdict == Verdict::Fail;
        if !show {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:<4} {:<14} {:<6} {:>6} ms  {}",
            c.verdict.as_str().to_uppercase(),
            c.id,
            c.level.as_str(),
            c.duration_ms,
            c.title
        );
        for m in &c.messages {
            let _ = writeln!(out, "         {m}");
        }
        if verbose {
            for n in &c.notes {
                let _ = writeln!(out, "         note: {n}");
            }
        }
    }
    for g in &report.classes {
        let _ = writeln!(
            out,
            "  class {:<9} {:>3} passed {:>3} failed {:>3} skipped",
            g.name, g.passed, g.failed, g.skipped
        );
    }
    let t = &report.totals;
    let _ = writeln!(
        out,
        "{}: {} cases, {} passed, {} failed ({} MUST, {} SHOULD), {} skipped in {:.1} s",
        if report.passed() { "PASS" } else { "FAIL" },
        t.cases,
        t.passed,
        t.failed,
        t.must_failed,
        t.should_failed,
        t.skipped,
        report.duration_ms as f64 / 1000.0
    );
    out
}

pub fn json(report: &RunReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// JUnit XML: one `<testsuite>` per class, one `<testcase>` per case; a failed
/// case has a `<failure>` with the reasons, expected and actual; skipped ones `<skipped>`.
pub fn junit(report: &RunReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let t = &report.totals;
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\" timestamp=\"{}\">",
        escape(&report.suite),
        t.cases,
        t.failed,
        t.skipped,
        report.duration_ms as f64 / 1000.0,
        escape(&report.date)
    );
    for g in &report.classes {
        let cases: Vec<&CaseResult> = report
            .cases
            .iter()
            .filter(|c| c.class.as_str() == g.name)
            .collect();
        let time: u64 = cases.iter().map(|c| c.duration_ms).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\" timestamp=\"{}\">",
            escape(&g.name),
            cases.len(),
            g.failed,
            g.skipped,
            time as f64 / 1000.0,
            escape(&report.date)
        );
        out.push_str("    <properties>\n");
        for (name, value) in [
            ("suite_version", report.suite_version.as_str()),
            ("target", report.target.as_str()),
            ("date", report.date.as_str()),
            ("runner_version", report.runner_version.as_str()),
        ] {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                escape(value)
            );
        }
        out.push_str("    </properties>\n");
        for c in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{} {}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                escape(&g.name),
                escape(c.requirements.join("+")),
                escape(&c.id),
                escape(&c.title),
                escape(&c.file),
                c.line,
                c.duration_ms as f64 / 1000.0
            );
            match c.verdict {
                Verdict::Pass => out.push_str("/>\n"),
                Verdict::Skip => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(c.notes.join("; "))
                    );
                }
                Verdict::Fail => {
                    let mut body = c.messages.join("\n");
                    if let Some(e) = &c.expected {
                        let _ = write!(body, "\n\nexpected:\n{e}");
                    }
                    if let Some(a) = &c.actual {
                        let _ = write!(body, "\n\nactual:\n{a}");
                    }
                    for x in &c.exchanges {
                        let _ = write!(
                            body,
                            "\n\n--- request\n{}\n--- response\n{}",
                            x.request, x.response
                        );
                    }
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        escape(c.messages.first().map(String::as_str).unwrap_or("failed")),
                        c.level.as_str(),
                        escape(&body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}.pass{color:#176f2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}.skip{color:#777}\
pre{background:#f7f7f7;padding:.6em;overflow:auto;max-height:30em;white-space:pre-wrap}\
details{margin:.6em 0;border:1px solid #ddd;padding:.4em}summary{cursor:pointer}\
.banner{padding:.6em 1em;font-size:1.3em}.banner.pass{background:#e6f4ea}.banner.fail{background:#fde7ea}";

/// One self-contained HTML file: summary, per class, per requirement, failed cases
/// with expected vs actual and their HTTP exchanges, then every case.
pub fn html(report: &RunReport) -> String {
    let mut out = String::new();
    let verdict = if report.passed() { "pass" } else { "fail" };
    let t = &report.totals;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} {}: {}</title><style>{STYLE}</style></head><body>\n",
        escape(&report.suite),
        escape(&report.suite_version),
        escape(&report.target)
    );
    let _ = write!(
        out,
        "<h1>{} {}</h1>\n<p class=\"banner {verdict}\">{}: {} cases, {} passed, {} failed ({} MUST, {} SHOULD), {} skipped</p>\n",
        escape(&report.suite),
        escape(&report.suite_version),
        verdict.to_uppercase(),
        t.cases,
        t.passed,
        t.failed,
        t.must_failed,
        t.should_failed,
        t.skipped
    );
    let _ = writeln!(
        out,
        "<table><tr><th>target</th><td>{}</td></tr><tr><th>date</th><td>{}</td></tr><tr><th>suite</th><td>{} {} ({})</td></tr><tr><th>runner</th><td>{} {}</td></tr><tr><th>duration</th><td>{:.1} s</td></tr></table>",
        escape(&report.target),
        escape(&report.date),
        escape(&report.suite),
        escape(&report.suite_version),
        escape(&report.suite_origin),
        escape(&report.runner),
        escape(&report.runner_version),
        report.duration_ms as f64 / 1000.0
    );
    out.push_str("<h2>Per class</h2>\n<table><tr><th>class</th><th>result</th><th>passed</th><th>failed</th><th>skipped</th></tr>\n");
    for g in &report.classes {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{v}\">{v}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&g.name),
            g.passed,
            g.failed,
            g.skipped,
            v = g.verdict()
        );
    }
    out.push_str("</table>\n<h2>Per requirement</h2>\n<table><tr><th>requirement</th><th>level</th><th>result</th><th>passed</th><th>failed</th><th>skipped</th><th>text</th></tr>\n");
    for g in &report.requirements {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"{v}\">{v}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&g.name),
            g.level.map(|l| l.as_str()).unwrap_or(""),
            g.passed,
            g.failed,
            g.skipped,
            escape(g.text.as_deref().unwrap_or("")),
            v = g.verdict()
        );
    }
    out.push_str("</table>\n<h2>Failed cases</h2>\n");
    let failed: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .collect();
    if failed.is_empty() {
        out.push_str("<p>None.</p>\n");
    }
    for c in failed {
        let _ = write!(
            out,
            "<details open><summary><span class=\"fail\">FAIL</span> <b>{}</b> ({}, {}) {}</summary>\n<p>{} line {}; requirements {}</p>\n<ul>",
            escape(&c.id),
            c.level.as_str(),
            c.class.as_str(),
            escape(&c.title),
            escape(&c.file),
            c.line,
            escape(c.requirements.join(", "))
        );
        for m in &c.messages {
            let _ = write!(out, "<li>{}</li>", escape(m));
        }
        out.push_str("</ul>\n");
        if c.expected.is_some() || c.actual.is_some() {
            let _ = writeln!(
                out,
                "<table><tr><th>expected</th><th>actual</th></tr><tr><td><pre>{}</pre></td><td><pre>{}</pre></td></tr></table>",
                escape(c.expected.as_deref().unwrap_or("")),
                escape(c.actual.as_deref().unwrap_or(""))
            );
        }
        for (i, x) in c.exchanges.iter().enumerate() {
            let _ = writeln!(
                out,
                "<p>exchange {}</p><pre>{}</pre><pre>{}</pre>",
                i + 1,
                escape(&x.request),
                escape(&x.response)
            );
        }
        out.push_str("</details>\n");
    }
    out.push_str("<h2>Every case</h2>\n<table><tr><th>case</th><th>result</th><th>level</th><th>class</th><th>requirements</th><th>ms</th><th>title</th></tr>\n");
    for c in &report.cases {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{v}\">{v}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            escape(&c.id),
            c.level.as_str(),
            c.class.as_str(),
            escape(c.requirements.join(", ")),
            c.duration_ms,
            escape(&c.title),
            if c.notes.is_empty() {
                String::new()
            } else {
                format!("<br><small>{}</small>", escape(c.notes.join("; ")))
            },
            v = c.verdict.as_str()
        );
    }
    out.push_str("</table>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Exchange;
    use crate::run::{Group, Totals};
    use crate::suite::{Class, Level, Target};

    fn sample() -> RunReport {
        let case = |id: &str, verdict: Verdict| CaseResult {
            id: id.into(),
            title: "a <title> & more".into(),
            class: Class::Core,
            level: Level::Must,
            target: Target::Http,
            requirements: vec!["REC-001".into()],
            file: "cases/a.toml".into(),
            line: 3,
            verdict,
            duration_ms: 12,
            messages: if verdict == Verdict::Fail {
                vec!["expected status 200, found 500".into()]
            } else {
                vec![]
            },
            expected: Some("status 200".into()),
            actual: Some("HTTP 500 \"quoted\"".into()),
            notes: vec![],
            exchanges: vec![Exchange {
                request: "POST /v1/records".into(),
                response: "HTTP 500".into(),
            }],
        };
        RunReport {
            suite: "s".into(),
            suite_version: "1.0.0".into(),
            suite_origin: "embedded".into(),
            runner: "r".into(),
            runner_version: "0.1.0".into(),
            target: "gateway http://x".into(),
            target_type: Target::Http,
            date: "2026-01-01T00:00:00Z".into(),
            duration_ms: 100,
            totals: Totals {
                cases: 2,
                passed: 1,
                failed: 1,
                skipped: 0,
                must_failed: 1,
                should_failed: 0,
            },
            classes: vec![Group {
                name: "core".into(),
                level: None,
                text: None,
                passed: 1,
                failed: 1,
                skipped: 0,
            }],
            requirements: vec![],
            cases: vec![
                case("REC-001-P1", Verdict::Pass),
                case("REC-001-N1", Verdict::Fail),
            ],
        }
    }

    #[test]
    fn junit_is_well_formed_xml_with_one_failure() {
        let xml = junit(&sample());
        let mut reader = quick_xml::Reader::from_str(&xml);
        let (mut failures, mut testcases) = (0, 0);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                    match e.name().as_ref() {
                        b"failure" => failures += 1,
                        b"testcase" => testcases += 1,
                        _ => {}
                    }
                }
                Ok(_) => {}
                Err(e) => panic!("not XML: {e}\n{xml}"),
            }
        }
        assert_eq!((testcases, failures), (2, 1));
        assert!(xml.contains("suite_version"));
    }

    #[test]
    fn html_is_one_escaped_file() {
        let html = html(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("a &lt;title&gt; &amp; more"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("href="));
        assert!(!html.contains("src="));
        assert!(html.contains("1.0.0") && html.contains("gateway http://x"));
    }

    #[test]
    fn console_and_json() {
        let r = sample();
        let text = console(&r, false);
        assert!(text.contains("FAIL: 2 cases"));
        assert!(text.contains("REC-001-N1"));
        assert!(!text.contains("REC-001-P1"));
        let v: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(v["suite_version"], "1.0.0");
        assert_eq!(v["cases"][1]["verdict"], "fail");
    }
}

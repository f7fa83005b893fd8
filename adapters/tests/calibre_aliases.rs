//! The GunsNPrices calibre spellings (adapters/tests/data/calibre-aliases/,
//! CC BY 4.0, credit GunsNPrices, gunsnprices.com) as a test set for calibre
//! recognition: every name and alias is looked up and compared with the
//! hand-checked canonical calibre of its cartridge in `expected.csv`.
//!
//! - A spelling resolved to another calibre fails the test (a wrong
//!   resolution is worse than none); so does an ambiguous answer whose
//!   candidates leave the expected calibre out.
//! - What does not resolve is listed with its reason in `unresolved.txt`;
//!   the test fails when that list is stale (`UPDATE_UNRESOLVED=1` rewrites it).
//! - The recognition rate is printed and must stay at or above 80%.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use iarms_adapters::codes::calibres::{lookup_in, CalibreContext, CalibreMatch};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/calibre-aliases")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// GunsNPrices id -> (our canonical calibre or empty, note).
fn expected() -> BTreeMap<String, (String, String)> {
    let text = read("expected.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("expected.csv: {e}"));
            (
                r.get(0).unwrap_or("").to_string(),
                (
                    r.get(1).unwrap_or("").to_string(),
                    r.get(2).unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn recognition_rate_of_the_retail_spellings() {
    let data: serde_json::Value =
        serde_json::from_str(&read("calibers.json")).unwrap_or_else(|e| panic!("{e}"));
    let expected = expected();
    let mut total = 0usize;
    let mut resolved = 0usize;
    let mut wrong = Vec::new();
    let mut unresolved = Vec::new();
    let calibers = data["calibers"].as_array().cloned().unwrap_or_default();
    assert!(calibers.len() > 250, "{}", calibers.len());
    for c in &calibers {
        let id = c["id"].as_str().unwrap_or("");
        let Some((canonical, note)) = expected.get(id) else {
            panic!("expected.csv has no row for {id}");
        };
        let shotgun = c["type"].as_str() == Some("shotgun");
        let context = CalibreContext { shotgun };
        let mut seen = HashSet::new();
        let spellings = std::iter::once(&c["name"])
            .chain(std::iter::once(&c["site_name"]))
            .chain(c["aliases"].as_array().into_iter().flatten())
            .filter_map(|v| v.as_str());
        for spelling in spellings {
            if !seen.insert(spelling.to_string()) {
                continue;
            }
            total += 1;
            match lookup_in(spelling, &context).matched {
                CalibreMatch::Known(found) if !canonical.is_empty() && found.name == *canonical => {
                    resolved += 1
                }
                CalibreMatch::Known(found) => wrong.push(format!(
                    "{spelling:?} ({id}) resolved to {:?}, expected {:?}",
                    found.name, canonical
                )),
                CalibreMatch::Ambiguous(list) => {
                    if !canonical.is_empty() && !list.contains(&canonical.as_str()) {
                        wrong.push(format!(
                            "{spelling:?} ({id}) is ambiguous between {list:?}, without {canonical:?}"
                        ));
                    }
                    unresolved.push(format!("{id}\t{spelling}\tambiguous: {}", list.join(", ")));
                }
                CalibreMatch::Unknown => {
                    let reason = if canonical.is_empty() {
                        format!("no entry on purpose: {note}")
                    } else {
                        format!("not recognised (expected {canonical})")
                    };
                    unresolved.push(format!("{id}\t{spelling}\t{reason}"));
                }
            }
        }
    }
    let rate = resolved as f64 * 100.0 / total as f64;
    println!("calibre test set: {resolved} of {total} spellings resolved ({rate:.1}%), {} unresolved, {} wrong", unresolved.len(), wrong.len());
    assert!(wrong.is_empty(), "wrong resolutions:\n{}", wrong.join("\n"));
    let listing = format!(
        "# Spellings of the GunsNPrices test set (CC BY 4.0, gunsnprices.com) that do not resolve to one calibre.\n# id\tspelling\treason. Regenerate: UPDATE_UNRESOLVED=1 cargo test -p iarms-adapters --test calibre_aliases\n# {resolved} of {total} resolved ({rate:.1}%)\n{}\n",
        unresolved.join("\n")
    );
    let path = dir().join("unresolved.txt");
    if std::env::var_os("UPDATE_UNRESOLVED").is_some() {
        std::fs::write(&path, &listing).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        listing,
        "unresolved.txt is stale: UPDATE_UNRESOLVED=1 rewrites it; review the diff"
    );
    assert!(rate >= 80.0, "recognition rate {rate:.1}% is below 80%");
}

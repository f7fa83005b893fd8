//! The layers of the crate, bottom to top, and the test that holds the code to
//! them: a module may use (`crate::<module>`) only itself and the layers below
//! its own, never a module beside it on its layer, so data flows one way and no
//! two modules import each other. `docs/architecture.md` draws the same table
//! with the road of a record through it.
//!
//! A lower layer that must react to an upper one owns the hook and the upper
//! one implements it (the forwarder's `Host`, which the gateway and the hub
//! implement; the extractors' `FromRef` states, which the API and the hub
//! provide).

/// Every top-level module of `gateway/src`, by layer, bottom layer first, with
/// what it holds. Modules on one layer are independent of each other.
#[rustfmt::skip]
pub(crate) const LAYERS: &[&[(&str, &str)]] = &[
    &[("time",        "the clock, epoch milliseconds, civil dates")],
    &[("domain",      "principals, destination names and routing rules"),
      ("atomic_file", "files written under a temporary name, renamed into place"),
      ("tls",         "certificates, rustls server and client setup")],
    &[("audit",       "hash-chained audit entries")],
    &[("store",       "the durable store: messages, deliveries, traces, idempotency keys"),
      ("signature",   "RFC 9421 message signatures between the gateways and the hub")],
    &[("telemetry",   "metrics and the typed events that log and count"),
      ("config",      "gateway.toml, checked with located errors (hub.toml reuses its checks)")],
    &[("shared",      "what the gateway's roads share: config, formats, store, metrics")],
    &[("traces",      "the gateway's side of the trace lifecycle and the trace job")],
    &[("ingest",      "the inbound road: decode, prepare, check the owner, accept, report"),
      ("forward",     "the delivery workers: claim, encode, send, settle")],
    &[("inbox",       "directory inboxes feeding the inbound road"),
      ("http",        "the front door: errors, limits, extractors, idempotency, OpenAPI, serving")],
    &[("api",         "the gateway's routes"),
      ("hub",         "the reference hub: register, matching, routing, its routes and deliveries")],
    &[("app",         "the runtime that starts and stops the gateway or the hub")],
    &[("report",      "the binary's error printer")],
    &[("cli",         "the binary's subcommands")],
];

/// Modules outside the layers: test fixtures, which tests of any layer use.
const UNLAYERED: &[&str] = &["test_support", "layers"];

/// Upward references that are known and have an owner, as (from, to). The test
/// fails when one is no longer needed, so that the entry is removed with it.
const PENDING: &[(&str, &str, &str)] = &[];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::{LAYERS, PENDING, UNLAYERED};

    /// One `crate::<module>` reference.
    #[derive(Debug)]
    struct Reference {
        file: String,
        line: usize,
        module: String,
    }

    fn layer_of(module: &str) -> Option<usize> {
        LAYERS
            .iter()
            .position(|layer| layer.iter().any(|(name, _)| *name == module))
    }

    /// Every `.rs` file under `dir`.
    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The code of a Rust source with comments, strings and character
    /// literals blanked out (newlines kept, so lines still count), so that a
    /// `crate::` in a doc comment or a message is not taken for a use.
    fn code_only(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            } else if c == '/' && next == Some('*') {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        blank(&mut out, '/');
                        blank(&mut out, '*');
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        blank(&mut out, '*');
                        blank(&mut out, '/');
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        blank(&mut out, chars[i]);
                        i += 1;
                    }
                }
            } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !ident_before(&chars, i)
            {
                // A raw string: r"…", r#"…"#, …
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    out.push(c);
                    i += 1;
                    continue;
                }
                j += 1;
                let end = loop {
                    if j >= chars.len() {
                        break chars.len();
                    }
                    if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                        break j + 1 + hashes;
                    }
                    j += 1;
                };
                for &ch in &chars[i..end] {
                    blank(&mut out, ch);
                }
                i = end;
            } else if c == '"' {
                blank(&mut out, c);
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        blank(&mut out, chars[i]);
                        i += 1;
                    }
                    if i < chars.len() {
                        blank(&mut out, chars[i]);
                        i += 1;
                    }
                }
                if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            } else if c == '\'' {
                // A character literal ('a', '\n', '\u{7f}'), or a lifetime ('a).
                let end = if next == Some('\\') {
                    chars[i + 2..]
                        .iter()
                        .position(|&ch| ch == '\'')
                        .map(|p| i + 2 + p + 1)
                } else if chars.get(i + 2) == Some(&'\'') {
                    Some(i + 3)
                } else {
                    None
                };
                match end {
                    Some(end) => {
                        for &ch in &chars[i..end] {
                            blank(&mut out, ch);
                        }
                        i = end;
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            } else {
                out.push(c);
                i += 1;
            }
        }
        out
    }

    fn is_ident(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_'
    }

    fn ident_before(chars: &[char], i: usize) -> bool {
        i > 0 && is_ident(chars[i - 1])
    }

    /// The modules named by every `crate::<module>` and `crate::{<module>, …}`
    /// in `code`, with their lines.
    fn references(code: &str) -> Vec<(usize, String)> {
        let chars: Vec<char> = code.chars().collect();
        let word: Vec<char> = "crate".chars().collect();
        let mut out = Vec::new();
        let mut line = 1;
        let mut i = 0;
        let ident_at = |mut j: usize| {
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            let start = j;
            while chars.get(j).is_some_and(|&c| is_ident(c)) {
                j += 1;
            }
            (chars[start..j].iter().collect::<String>(), j)
        };
        while i < chars.len() {
            if chars[i] == '\n' {
                line += 1;
            }
            let at_word = chars[i..].starts_with(&word) && !ident_before(&chars, i);
            if !at_word {
                i += 1;
                continue;
            }
            let mut j = i + word.len();
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            if !(chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':')) {
                i += word.len();
                continue;
            }
            j += 2;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            if chars.get(j) == Some(&'{') {
                // A group: the first name of each item at its top level.
                let mut depth = 0;
                let mut expect_item = true;
                while j < chars.len() {
                    match chars[j] {
                        '{' => {
                            depth += 1;
                            if depth == 1 {
                                expect_item = true;
                            }
                        }
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        ',' if depth == 1 => expect_item = true,
                        c if depth == 1 && expect_item && is_ident(c) => {
                            let (name, end) = ident_at(j);
                            out.push((
                                line + chars[i..j].iter().filter(|&&c| c == '\n').count(),
                                name,
                            ));
                            expect_item = false;
                            j = end;
                            continue;
                        }
                        _ => {}
                    }
                    j += 1;
                }
            } else {
                let (name, _) = ident_at(j);
                if !name.is_empty() {
                    out.push((line, name));
                }
            }
            i += word.len();
        }
        out
    }

    #[test]
    fn the_code_scanner_sees_uses_not_words() {
        let code = code_only(
            "use crate::store::{self, Store};\n// crate::api in a comment\n\
             let s = \"crate::http\"; let r = r#\"crate::hub\"#; let c = '\"';\n\
             use crate::{config::Config, domain};\nfn f<'a>(x: &'a str) { $crate::forward::x() }\n\
             pub(crate) fn g() {}\n",
        );
        let found: Vec<(usize, String)> = references(&code);
        let expected: Vec<(usize, String)> = vec![
            (1, "store".into()),
            (4, "config".into()),
            (4, "domain".into()),
            (5, "forward".into()),
        ];
        assert_eq!(found, expected);
    }

    /// Every module of `gateway/src` has a layer, and uses only itself and the
    /// layers below its own.
    #[test]
    fn no_module_uses_a_layer_above_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &mut files);
        let mut refs = Vec::new();
        let mut unplaced = BTreeSet::new();
        for path in &files {
            let relative = path.strip_prefix(&root).unwrap_or(path);
            let first = relative
                .components()
                .next()
                .map(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_string()
                })
                .unwrap_or_default();
            if first == "lib" || first == "main" || UNLAYERED.contains(&first.as_str()) {
                continue;
            }
            if layer_of(&first).is_none() {
                unplaced.insert(first.clone());
            }
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
            for (line, module) in references(&code_only(&text)) {
                refs.push((
                    first.clone(),
                    Reference {
                        file: relative.display().to_string(),
                        line,
                        module,
                    },
                ));
            }
        }
        assert!(
            unplaced.is_empty(),
            "modules without a layer (add them to LAYERS): {unplaced:?}"
        );
        let mut upward = Vec::new();
        let mut pending_seen = BTreeSet::new();
        for (from, r) in &refs {
            if *from == r.module || UNLAYERED.contains(&r.module.as_str()) {
                continue;
            }
            let (Some(own), Some(used)) = (layer_of(from), layer_of(&r.module)) else {
                upward.push(format!(
                    "{}:{}: `crate::{}` is no layer",
                    r.file, r.line, r.module
                ));
                continue;
            };
            if used < own {
                continue;
            }
            if PENDING.iter().any(|(f, t, _)| f == from && *t == r.module) {
                pending_seen.insert((from.clone(), r.module.clone()));
                continue;
            }
            let place = if used == own { "beside it" } else { "above it" };
            upward.push(format!(
                "{}:{}: {from} (layer {own}) uses crate::{} (layer {used}, {place})",
                r.file, r.line, r.module
            ));
        }
        let stale: Vec<_> = PENDING
            .iter()
            .filter(|(f, t, _)| !pending_seen.contains(&(f.to_string(), t.to_string())))
            .collect();
        assert!(
            upward.is_empty(),
            "uses against the layers:\n{}",
            upward.join("\n")
        );
        assert!(
            stale.is_empty(),
            "no longer needed, delete from PENDING: {stale:?}"
        );
        let users: BTreeSet<&str> = refs.iter().map(|(from, _)| from.as_str()).collect();
        println!("layers, bottom to top:");
        for (i, layer) in LAYERS.iter().enumerate() {
            for (name, what) in *layer {
                println!("  {i:2} {name:12} {what}");
            }
        }
        println!(
            "{} crate:: references in {} files of {} modules: none goes up or sideways",
            refs.len(),
            files.len(),
            users.len()
        );
        for (from, to, why) in PENDING {
            println!("  pending: {from} -> {to}: {why}");
        }
    }
}

//! The static miner on the real transformers sources (5.14.1 and 4.57.6). The wheels are
//! fetched by `scripts/fetch-sources` (called by `scripts/test`); when a wheel is missing these
//! tests try to download it and FAIL when that fails: they never skip.
#![allow(clippy::panic)]

use llemc_compiler::corpus::read_corpus;
use llemc_compiler::diagnostic::FileId;
use llemc_mining::ssot::{EngineSsot, read_ssot};
use llemc_static_miner::source::fetch_source;
use llemc_static_miner::{MineOutput, check_against_schema, mine};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ssot() -> EngineSsot {
    let path = workspace().join("engine_versions/transformers.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    match read_ssot(FileId(0), &text) {
        Ok(s) => s,
        Err(d) => panic!("{} does not read: {d:?}", path.display()),
    }
}

fn mined(version: &str) -> MineOutput {
    let root = match fetch_source(&workspace().join(".cache"), "transformers", version) {
        Ok(r) => r,
        Err(e) => {
            panic!("the transformers {version} source is needed (run scripts/fetch-sources): {e}")
        }
    };
    match mine(&ssot(), version, &root) {
        Ok(o) => o,
        Err(e) => panic!("mining transformers {version} failed: {e:?}"),
    }
}

fn check_version(version: &str) {
    let out = mined(version);
    for r in &out.staging.rules {
        assert!(
            llemc_grammar::parse_predicate(&r.when).is_ok(),
            "{}: {}",
            r.id,
            r.when
        );
    }
    if let Err(d) = check_against_schema(&out.staging, &out.schema_yaml) {
        panic!(
            "transformers {version}: mined rules do not compile against the generated schema:\n{d}"
        );
    }
    let snap = format!("transformers_{}_rules", version.replace('.', "_"));
    insta::assert_snapshot!(snap, out.staging.listing());
    // the committed generated schema is up to date
    let committed = workspace().join(format!("engines/transformers/{version}/schema.yaml"));
    let text = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        text == out.schema_yaml,
        "{} is stale: run `llemc mine static --engine transformers --version {version}`",
        committed.display()
    );
    // byte-identical on rerun
    assert_eq!(out.staging.to_json(), mined(version).staging.to_json());
}

#[test]
fn transformers_5_24_0() {
    check_version("5.24.0");
}

#[test]
fn transformers_5_14_1() {
    check_version("5.14.1");
}

#[test]
fn transformers_4_57_6() {
    check_version("4.57.6");
}

fn fields_of(when: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for tok in when.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if tok.is_empty() || tok.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        const KEYWORDS: [&str; 20] = [
            "and",
            "or",
            "not",
            "in",
            "not_in",
            "is",
            "null",
            "true",
            "false",
            "present",
            "absent",
            "len",
            "equals",
            "not_equal",
            "type_is",
            "type_is_not",
            "divisible_by",
            "not_divisible_by",
            "",
            "_",
        ];
        if !KEYWORDS.contains(&tok) {
            out.insert(tok.to_owned());
        }
    }
    out
}

/// Compares the hand-written seeds with the mined 5.14.1 rules where they overlap (same native
/// type and the same field as subject / in the predicate) and records agreement and differences.
#[test]
fn seeds_versus_mined_5_14_1() {
    let out = mined("5.14.1");
    let seeds_path = workspace().join("engines/transformers/seeds.yaml");
    let text = std::fs::read_to_string(&seeds_path).unwrap_or_default();
    let (corpus, _) = read_corpus(FileId(0), &text);
    let Some(corpus) = corpus else {
        panic!("seeds.yaml does not read")
    };
    let mut listing = String::new();
    let (mut same, mut differ, mut unmatched) = (0, 0, 0);
    for seed in &corpus.rules {
        let Some(native) = seed.native_type.as_ref().map(|n| n.value.clone()) else {
            continue;
        };
        let Some(when) = seed.predicate.when.as_ref() else {
            continue;
        };
        let seed_when = llemc_grammar::print_expr(when);
        // strip string literals before collecting field names
        let seed_fields = fields_of(&strip_strings(&seed_when));
        let line = seed
            .miner_source
            .as_ref()
            .and_then(|m| m.line.as_ref())
            .map(|l| l.value);
        let candidates: Vec<_> = out
            .staging
            .rules
            .iter()
            .filter(|r| r.native_type == native)
            .filter(|r| {
                let f = fields_of(&strip_strings(&r.when));
                f == seed_fields
                    || (r
                        .miner_source
                        .as_ref()
                        .and_then(|m| m.line_at_scan)
                        .map(i64::from)
                        == line
                        && !f.is_disjoint(&seed_fields))
            })
            .collect();
        let _ = writeln!(listing, "{}", seed.id.value);
        let _ = writeln!(listing, "  seed:  {seed_when}");
        match candidates.first() {
            None => {
                unmatched += 1;
                let opaque = out.staging.opaque.iter().find(|o| {
                    o.native_type == native && o.miner_source.line_at_scan.map(i64::from) == line
                });
                match opaque {
                    Some(o) => {
                        let _ = writeln!(listing, "  mined: OPAQUE {} ({})", o.id, o.reason);
                    }
                    None => {
                        let _ = writeln!(listing, "  mined: none");
                    }
                }
            }
            Some(_) => {
                for c in &candidates {
                    let verdict = if c.when == seed_when {
                        "SAME"
                    } else {
                        "DIFFERS"
                    };
                    let _ = writeln!(listing, "  mined: {} [{verdict}] {}", c.id, c.when);
                }
                if candidates.iter().any(|c| c.when == seed_when) {
                    same += 1;
                } else {
                    differ += 1;
                }
            }
        }
    }
    let _ = writeln!(
        listing,
        "summary: {same} same, {differ} differ, {unmatched} unmatched"
    );
    insta::assert_snapshot!("seeds_versus_mined_5_14_1", listing);
}

fn strip_strings(s: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut escaped = false;
    for c in s.chars() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        } else {
            out.push(c);
        }
    }
    out
}

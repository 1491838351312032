//! The dynamic miner's template inference on synthetic rows (no Python): the best candidate of
//! each template, and the overfitting guards.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

use llemc_live::dynamic::infer::{Evidence, ambiguity, candidates};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Every combination of `fields`, labelled by `fires`.
fn best(
    fields: &[(&str, Vec<Value>)],
    closed: &[&str],
    message: &str,
    fires: impl Fn(&Map<String, Value>) -> bool,
) -> Option<String> {
    let fields: BTreeMap<String, Vec<Value>> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let mut rows = vec![Map::new()];
    for (f, vs) in &fields {
        rows = rows
            .into_iter()
            .flat_map(|r| {
                vs.iter().map(move |v| {
                    let mut r = r.clone();
                    r.insert(f.clone(), v.clone());
                    r
                })
            })
            .collect();
    }
    let labels: Vec<bool> = rows.iter().map(&fires).collect();
    let closed: Vec<String> = closed.iter().map(|s| (*s).to_owned()).collect();
    let messages = vec![message.to_owned(); labels.iter().filter(|l| **l).count()];
    let ev = Evidence {
        rows: &rows,
        labels: &labels,
        fields: &fields,
        closed: &closed,
        messages: &messages,
    };
    candidates(&ev).first().map(|c| c.text())
}

/// The probes' verdict on a signal: the best candidate, or the ambiguity.
fn verdict(
    fields: &[(&str, Vec<Value>)],
    fires: impl Fn(&Map<String, Value>) -> bool,
) -> Result<Option<String>, (String, String)> {
    let fields: BTreeMap<String, Vec<Value>> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let mut rows = vec![Map::new()];
    for (f, vs) in &fields {
        rows = rows
            .into_iter()
            .flat_map(|r| {
                vs.iter().map(move |v| {
                    let mut r = r.clone();
                    r.insert(f.clone(), v.clone());
                    r
                })
            })
            .collect();
    }
    let labels: Vec<bool> = rows.iter().map(&fires).collect();
    let ev = Evidence {
        rows: &rows,
        labels: &labels,
        fields: &fields,
        closed: &[],
        messages: &[],
    };
    let found = candidates(&ev);
    match ambiguity(&found) {
        Some(pair) => Err(pair),
        None => Ok(found.first().map(|c| c.text())),
    }
}

fn n(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[test]
fn each_template() {
    let ints = |xs: &[i64]| xs.iter().map(|x| json!(x)).collect::<Vec<_>>();
    assert_eq!(
        best(
            &[("a", ints(&[1, 2, 3, 4, 6])), ("b", ints(&[1, 2, 3]))],
            &[],
            "m",
            |r| { r["a"].as_i64().unwrap() % r["b"].as_i64().unwrap() != 0 }
        ),
        Some("a not_divisible_by b".to_owned())
    );
    assert_eq!(
        best(
            &[("a", ints(&[1, 2, 3, 4, 5, 6])), ("b", ints(&[2, 3, 4]))],
            &[],
            "m",
            |r| n(&r["a"]) > n(&r["b"])
        ),
        Some("a > b".to_owned())
    );
    assert_eq!(
        best(
            &[
                ("flag", vec![json!(false), json!(true)]),
                ("t", vec![json!(0.5), json!(1.0), json!(1.5)]),
                ("z", ints(&[1, 2]))
            ],
            &["flag"],
            "m",
            |r| { r["flag"] == json!(false) && n(&r["t"]) != 1.0 }
        ),
        Some("flag == false and t present and t != 1.0".to_owned())
    );
    assert_eq!(
        best(
            &[("x", ints(&[-2, 0, 1, 5])), ("z", ints(&[1, 2]))],
            &[],
            "m",
            |r| n(&r["x"]) <= 0.0
        ),
        Some("x present and x <= 0".to_owned())
    );
    assert_eq!(
        best(
            &[
                (
                    "x",
                    vec![
                        json!(-1.0),
                        json!(-0.5),
                        json!(0.0),
                        json!(0.5),
                        json!(1.0),
                        json!(1.5),
                        json!(2.0)
                    ]
                ),
                ("z", ints(&[1, 2]))
            ],
            &[],
            "m",
            |r| { n(&r["x"]) < 0.0 || n(&r["x"]) > 1.0 }
        ),
        Some("(x present and x <= -0.5) or (x present and x >= 1.5)".to_owned())
    );
    assert_eq!(
        best(
            &[
                ("s", vec![json!("a"), json!("b"), json!("c")]),
                ("z", ints(&[1, 2]))
            ],
            &["s"],
            "m",
            |r| r["s"] == json!("c")
        ),
        Some("s == \"c\"".to_owned()),
        "one rejected member: equality beats an allowlist of the same size"
    );
    assert_eq!(
        best(
            &[
                ("s", vec![json!("a"), json!("b"), json!("c"), json!("d")]),
                ("z", ints(&[1, 2]))
            ],
            &["s"],
            "m",
            |r| { r["s"] == json!("c") || r["s"] == json!("d") }
        ),
        Some("s present and s not_in [\"a\", \"b\"]".to_owned())
    );
    assert_eq!(
        best(
            &[
                ("s", vec![json!(1), json!("a"), json!(2.5)]),
                ("z", ints(&[1, 2]))
            ],
            &[],
            "m",
            |r| !r["s"].is_number()
        ),
        Some("s present and s type_is_not [\"float\", \"int\"]".to_owned())
    );
}

#[test]
fn guards() {
    let ints = |xs: &[i64]| xs.iter().map(|x| json!(x)).collect::<Vec<_>>();
    // open domain, message does not enumerate: no allowlist (and nothing else fits)
    assert_eq!(
        best(
            &[
                ("s", vec![json!("a"), json!("b"), json!("c"), json!("d")]),
                ("z", ints(&[1, 2]))
            ],
            &[],
            "unsupported value",
            |r| { r["s"] == json!("c") || r["s"] == json!("d") }
        ),
        None
    );
    // ...but the library's message enumerating the values licenses it, with the listed members
    assert_eq!(
        best(
            &[
                ("s", vec![json!("a"), json!("b"), json!("c"), json!("d")]),
                ("z", ints(&[1, 2]))
            ],
            &[],
            "s must be one of 'a', 'b', 'e'",
            |r| { r["s"] == json!("c") || r["s"] == json!("d") }
        ),
        Some("s present and s not_in [\"a\", \"b\", \"e\"]".to_owned())
    );
    // one probed value below the boundary: an equality, not a range
    assert_eq!(
        best(
            &[("x", ints(&[0, 1, 5])), ("z", ints(&[1, 2]))],
            &[],
            "m",
            |r| n(&r["x"]) <= 0.0
        ),
        Some("x == 0".to_owned())
    );
    // a signal on one row only: no candidate at all
    assert_eq!(
        best(&[("x", ints(&[0, 1, 5]))], &[], "m", |r| n(&r["x"]) <= 0.0),
        None
    );
    // a signal on every row: nothing to learn
    assert_eq!(
        best(
            &[("x", ints(&[0, 1, 5])), ("z", ints(&[1, 2]))],
            &[],
            "m",
            |_| true
        ),
        None
    );
    // probes that do not separate two hypotheses: ambiguous, no rule
    assert_eq!(
        verdict(&[("a", ints(&[1, 2, 4, 5])), ("b", ints(&[2, 4]))], |r| n(
            &r["a"]
        )
            > n(&r["b"])),
        Err(("b not_divisible_by a".to_owned(), "a > b".to_owned()))
    );
}

#[test]
fn probes_file_errors_name_the_cluster() {
    use llemc_live::dynamic::probes::read_probes;
    let err = |text: &str| read_probes("p.yaml", text).err().unwrap_or_default();
    assert_eq!(err("x: 1"), "p.yaml: expected a top-level `clusters:` list");
    assert_eq!(
        err("clusters:\n- name: a\n  native_type: T\n  fields: {x: []}\n"),
        "p.yaml: cluster `a`: field `x`: no values"
    );
    assert_eq!(
        err("clusters:\n- name: a\n  native_type: T\n  fields: {x: [1]}\n  closed: [y]\n"),
        "p.yaml: cluster `a`: `closed` names `y`, which is not probed"
    );
    assert_eq!(
        err("clusters:\n- name: a\n  native_type: T\n  fields: {x: [1]}\n  bogus: 1\n"),
        "p.yaml: cluster #1: unknown key `bogus`"
    );
    let ok = read_probes(
        "p.yaml",
        "clusters:\n- name: b\n  native_type: T\n  base: {z: 0}\n  fields: {y: [true, false], x: [1, 2]}\n",
    )
    .unwrap();
    let rows: Vec<String> = ok[0]
        .rows()
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            r#"{"x":1,"y":true,"z":0}"#,
            r#"{"x":1,"y":false,"z":0}"#,
            r#"{"x":2,"y":true,"z":0}"#,
            r#"{"x":2,"y":false,"z":0}"#
        ]
    );
}

#[test]
fn committed_transformers_probes_parse() {
    use llemc_live::dynamic::probes::read_probes;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("engines/transformers/probes.yaml")).unwrap();
    let ssot = std::fs::read_to_string(root.join("engine_versions/transformers.yaml")).unwrap();
    let clusters = read_probes("probes.yaml", &text).unwrap();
    assert!(!clusters.is_empty());
    for c in &clusters {
        assert!(
            ssot.contains(&format!("  {}:\n", c.native_type)),
            "{} not in the SSOT",
            c.native_type
        );
        assert!(
            c.rows().len() >= 4,
            "{}: too few rows to infer anything",
            c.name
        );
    }
}

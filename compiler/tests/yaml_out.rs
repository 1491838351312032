//! The YAML writer: what it writes, `llemc_compiler::yaml::parse_yaml` reads back unchanged.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::diagnostic::FileId;
use llemc_compiler::yaml::parse_yaml;
use llemc_compiler::yaml_out::{Yaml, to_string};
use proptest::prelude::*;

fn same(a: &Yaml, b: &Yaml) -> bool {
    match (a, b) {
        (Yaml::Float(x), Yaml::Float(y)) => x.to_bits() == y.to_bits(),
        (Yaml::Seq(x), Yaml::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Yaml::Map(x), Yaml::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
        }
        _ => a == b,
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        // Anything, control characters and odd code points included.
        any::<String>(),
        "[a-z_ .:#'\"-]{0,12}",
        Just("yes".to_owned()),
        Just("null".to_owned()),
        Just("1.0".to_owned()),
        Just("0x1f".to_owned()),
        Just(" leading".to_owned()),
        Just("trailing ".to_owned()),
        Just("a: b".to_owned()),
        Just("- item".to_owned()),
        Just("it's \"quoted\"".to_owned()),
        Just("\u{feff}bom\u{85}nel\u{2028}".to_owned()),
    ]
}

fn scalar() -> impl Strategy<Value = Yaml> {
    prop_oneof![
        Just(Yaml::Null),
        any::<bool>().prop_map(Yaml::Bool),
        any::<i64>().prop_map(Yaml::Int),
        any::<f64>()
            .prop_filter("NaN never equals itself", |f| !f.is_nan())
            .prop_map(Yaml::Float),
        prop_oneof![
            Just(1e-5),
            Just(1e16),
            Just(-0.0),
            Just(0.1),
            Just(f64::INFINITY)
        ]
        .prop_map(Yaml::Float),
        text().prop_map(Yaml::Str),
    ]
}

fn value() -> impl Strategy<Value = Yaml> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Yaml::Seq),
            prop::collection::btree_map(text(), inner, 0..6)
                .prop_map(|m| Yaml::Map(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn written_yaml_reads_back_unchanged(v in value()) {
        let doc = Yaml::Map(vec![("root".to_owned(), v.clone()), ("after".to_owned(), Yaml::Int(1))]);
        let text = to_string(&doc);
        let node = parse_yaml(FileId(0), &text).map_err(|d| TestCaseError::fail(format!("{}\n{text}", d.message)))?;
        let back = Yaml::from_node(&node);
        prop_assert!(same(&back, &doc), "wrote:\n{}\nread: {:?}", text, back);
        // And writing is deterministic.
        prop_assert_eq!(to_string(&doc), text);
    }
}

#[test]
fn block_and_flow_layout() {
    let doc = Yaml::Map(vec![
        ("schema_version".into(), Yaml::str("1.1.0")),
        (
            "rules".into(),
            Yaml::Seq(vec![Yaml::Map(vec![
                ("id".into(), Yaml::str("r")),
                ("when".into(), Yaml::str("x != 'a'")),
                (
                    "kwargs_positive".into(),
                    Yaml::Map(vec![("x".into(), Yaml::Float(1e-5))]),
                ),
                ("kwargs_negative".into(), Yaml::Map(vec![])),
                (
                    "nested".into(),
                    Yaml::Map(vec![(
                        "deep".into(),
                        Yaml::Seq(vec![Yaml::Seq(vec![Yaml::Int(1)])]),
                    )]),
                ),
            ])]),
        ),
    ]);
    assert_eq!(
        to_string(&doc),
        "schema_version: 1.1.0\nrules:\n- id: r\n  when: 'x != ''a'''\n  kwargs_positive: {x: 1.0e-05}\n  kwargs_negative: {}\n  nested:\n    deep:\n    - [1]\n"
    );
}

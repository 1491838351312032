//! `llemc fixpoint`: exit 0 when the normalisations converge, 1 with both rules named on a
//! conflict, 2 on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use support::llemc_in_repo as llemc;

#[test]
fn conflicting_normalisations_are_reported_with_both_rules() {
    let (code, out, err) = llemc(&[
        "fixpoint",
        "--corpus",
        "cli/llemc/tests/fixpoint/conflict.yaml",
    ]);
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn shipped_corpora_converge() {
    for version in ["5.14.1", "4.57.6"] {
        let (code, out, err) = llemc(&["fixpoint", "--version", version]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("0 conflicts"), "{out}");
    }
}

#[test]
fn bad_input_exits_2() {
    let (code, _, err) = llemc(&["fixpoint", "--version", "0.1"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a supported version"), "{err}");
    let (code, _, err) = llemc(&["fixpoint", "--corpus", "no/such/corpus.yaml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("error[E901]: cannot read `no/such/corpus.yaml`"),
        "{err}"
    );
}

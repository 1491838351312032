//! The generated 5.14.1 schema (engines/transformers/5.14.1/schema.yaml, from `llemc mine
//! static`) against the hand-written one (engines/transformers/reference/hand-written-schema.yaml), field by field:
//! every difference in type (compared as sets of union members, so `Optional[Union[a, b]]` and
//! `Union[a, b, None]` agree) or default is listed and snapshotted, so a change on either side
//! shows up in review. The closing note of issue 5 says which side is right for each.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use llemc_compiler::diagnostic::FileId;
use llemc_compiler::schema::{EngineSchema, read_schema};
use llemc_compiler::types::Ty;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema(rel: &str) -> EngineSchema {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap();
    match read_schema(FileId(0), &text) {
        (Some(s), d) if d.is_empty() => s,
        (_, d) => panic!("{rel} does not read: {d:?}"),
    }
}

/// A type as a set of member texts (unions flattened, `dict` = `dict[any, any]`).
fn members(t: &Ty) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match t {
        Ty::Union(m) => {
            for x in m {
                out.extend(members(x));
            }
        }
        other => {
            out.insert(other.to_string());
        }
    }
    out
}

fn show(m: &BTreeSet<String>) -> String {
    m.iter().cloned().collect::<Vec<_>>().join(" | ")
}

fn differences(hand: &EngineSchema, generated: &EngineSchema) -> String {
    let mut out = String::new();
    let natives: BTreeSet<&str> = hand
        .native_types
        .iter()
        .chain(&generated.native_types)
        .map(|n| n.name.as_str())
        .collect();
    for native in natives {
        let (h, g) = (hand.native(native), generated.native(native));
        let (Some(h), Some(g)) = (h, g) else {
            let _ = writeln!(
                out,
                "{native}: only in {}",
                if h.is_some() {
                    "hand-written"
                } else {
                    "generated"
                }
            );
            continue;
        };
        let names: BTreeSet<&str> = h
            .fields
            .iter()
            .chain(&g.fields)
            .map(|f| f.name.as_str())
            .collect();
        for name in names {
            match (h.field(name), g.field(name)) {
                (Some(_), None) => {
                    let _ = writeln!(out, "{native}.{name}: only in hand-written");
                }
                (None, Some(_)) => {
                    let _ = writeln!(out, "{native}.{name}: only in generated");
                }
                (Some(hf), Some(gf)) => {
                    let (ht, gt) = (members(&hf.ty), members(&gf.ty));
                    if ht != gt {
                        let only_h: BTreeSet<String> = ht.difference(&gt).cloned().collect();
                        let only_g: BTreeSet<String> = gt.difference(&ht).cloned().collect();
                        let _ = writeln!(
                            out,
                            "{native}.{name}: type hand `{}` / generated `{}` (hand only: {}; generated only: {})",
                            hf.ty,
                            gf.ty,
                            show(&only_h),
                            show(&only_g)
                        );
                    }
                    if hf.default != gf.default {
                        let _ = writeln!(
                            out,
                            "{native}.{name}: default hand {:?} / generated {:?}",
                            hf.default, gf.default
                        );
                    }
                }
                (None, None) => {}
            }
        }
    }
    out
}

#[test]
fn generated_5_14_1_schema_against_the_hand_written_one() {
    let hand = schema("engines/transformers/reference/hand-written-schema.yaml");
    let generated = schema("engines/transformers/5.14.1/schema.yaml");
    let diff = differences(&hand, &generated);
    // every field of the hand-written schema exists in the generated one
    assert!(!diff.contains("only in hand-written"), "{diff}");
    insta::assert_snapshot!("schema_5_14_1_differences", diff);
}

#[test]
fn the_comparison_sees_type_and_default_changes() {
    let hand = schema("engines/transformers/reference/hand-written-schema.yaml");
    assert_eq!(differences(&hand, &hand), "");
    let text = std::fs::read_to_string(
        repo().join("engines/transformers/reference/hand-written-schema.yaml"),
    )
    .unwrap()
    .replace(
        "max_length: {type: \"Optional[int]\", default: 20}",
        "max_length: {type: \"Union[None, int]\", default: 21}",
    )
    .replace(
        "max_new_tokens: {type: \"Optional[int]\", default: null}",
        "max_new_tokens: {type: \"Optional[float]\", default: null}",
    );
    let (changed, _) = read_schema(FileId(0), &text);
    let diff = differences(&hand, &changed.unwrap());
    assert_eq!(diff.lines().count(), 2, "{diff}");
    assert!(diff.contains("max_length: default"), "{diff}");
    assert!(diff.contains("max_new_tokens: type"), "{diff}");
}

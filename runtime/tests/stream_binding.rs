//! The streaming JSON binder against serde_json + the tree binder: a line it takes must bind to
//! exactly the same frame (values with their float bits, states, cells, built objects), and every
//! line serde_json rejects or that is not an object it must refuse (the tree path then words the
//! error). Lines: the conformance data, configs over every slot path, and random JSON built from
//! the programs' own keys with every number form, escapes, duplicates and odd whitespace.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::value::Value;
use llemc_runtime::bind::stream::StreamBinder;
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::frame::Frame;
use llemc_runtime::loaded::LoadedProgram;
use proptest::prelude::*;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn compile(corpus: &str, schema: Option<&str>) -> LoadedProgram {
    let text = std::fs::read_to_string(root().join(corpus)).unwrap();
    let schema_text = schema.map(|s| std::fs::read_to_string(root().join(s)).unwrap());
    let input = CorpusInput {
        name: corpus,
        text: &text,
        schema: schema_text.as_deref().map(|t| ("schema.yaml", t)),
        compat: schema.is_none(),
        engine_version: None,
    };
    match compile_corpus(&input) {
        Ok((p, _)) => p,
        Err(_) => panic!("{corpus} does not compile"),
    }
}

fn compat() -> LoadedProgram {
    compile("../shared/compat/transformers.yaml", None)
}

fn seeds() -> LoadedProgram {
    compile(
        "engines/transformers/seeds.yaml",
        Some("engines/transformers/reference/hand-written-schema.yaml"),
    )
}

/// The same value, floats compared by their bits.
fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| identical(p, q))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| identical(k1, k2) && identical(v1, v2))
        }
        _ => a == b,
    }
}

fn frames_differ(p: &LoadedProgram, a: &Frame, b: &Frame) -> Option<String> {
    for s in 0..p.program().slots.len() as u32 {
        if a.state(s) != b.state(s)
            || !identical(a.value(s), b.value(s))
            || a.span(s) != b.span(s)
            || a.cells()[s as usize] != b.cells()[s as usize]
        {
            return Some(format!(
                "slot {s} ({}): stream {:?} {:?}, tree {:?} {:?}",
                p.program().slots[s as usize].path.join("."),
                a.state(s),
                a.value(s),
                b.state(s),
                b.value(s)
            ));
        }
    }
    (0..p.objects().len())
        .find(|o| a.object_present(*o) != b.object_present(*o))
        .map(|o| format!("object {o}: stream {}", a.object_present(o)))
}

/// Checks one line under one binding; returns whether the stream binder took it.
fn check_line(p: &LoadedProgram, native: Option<&str>, line: &str) -> bool {
    let mut stream = match native {
        None => StreamBinder::tree(p),
        Some(n) => StreamBinder::native(p, n).unwrap(),
    };
    let mut a = p.frame();
    let taken = stream.bind(line.as_bytes(), &mut a).is_ok();
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(line);
    match parsed {
        Ok(tree) if tree.is_object() => {
            if taken {
                let mut b = p.frame();
                match native {
                    None => p.bind(&tree, &mut b),
                    Some(n) => assert!(p.bind_native(n, &tree, &mut b)),
                }
                if let Some(why) = frames_differ(p, &a, &b) {
                    panic!("{line}: {why}");
                }
            }
        }
        _ => assert!(!taken, "taken, but serde_json says no: {line}"),
    }
    taken
}

#[test]
fn recorded_configs_bind_identically_and_almost_all_stream() {
    let p = compat();
    let seeds = seeds();
    let data = std::fs::read_to_string(root().join("conformance/data/transformers.jsonl")).unwrap();
    let (mut lines, mut taken) = (0, 0);
    for record in data.lines() {
        let record: serde_json::Value = serde_json::from_str(record).unwrap();
        let line = record["config"].to_string();
        lines += 1;
        taken += usize::from(check_line(&p, None, &line));
        let generation = line.replace("\"sampling\"", "\"generation\"");
        check_line(&seeds, None, &generation);
    }
    assert!(taken * 100 >= lines * 99, "{taken} of {lines} streamed");
}

/// Every slot path (and every prefix) with a value of each kind, under both bindings.
#[test]
fn every_slot_path_binds_identically() {
    let values = [
        "null",
        "1",
        "-0",
        "0.5",
        "1e2",
        "\"x\"",
        "\"enable\"",
        "[1,\"a\",{\"k\":2}]",
        "{\"a\":1,\"b\":[true]}",
        "{}",
        "true",
        "18446744073709551616",
        "-9223372036854775808",
    ];
    for p in [compat(), seeds()] {
        let slots = p.program().slots.clone();
        for (i, slot) in slots.iter().enumerate() {
            for (k, v) in values.iter().enumerate() {
                let other = &slots[(i * 7 + k) % slots.len()];
                for path in [
                    &slot.path[..],
                    &slot.path[..slot.path.len().saturating_sub(1)],
                ] {
                    let line = nest(path, v);
                    check_line(&p, None, &line);
                    let both = merge(&nest(path, v), &nest(&other.path, values[(i + k) % 13]));
                    check_line(&p, None, &both);
                }
            }
        }
        for native in p.native_types().map(str::to_owned).collect::<Vec<_>>() {
            let mount = p.mount(&native).unwrap().to_vec();
            for slot in &slots {
                let Some(rest) = slot.path.strip_prefix(mount.as_slice()) else {
                    continue;
                };
                for v in values {
                    check_line(&p, Some(&native), &nest(rest, v));
                }
            }
            check_line(&p, Some(&native), "{}");
        }
    }
}

/// `{"a":{"b":v}}` for path `[a, b]`.
fn nest(path: &[String], v: &str) -> String {
    let mut s = v.to_owned();
    for seg in path.iter().rev() {
        s = format!("{{{}:{s}}}", serde_json::to_string(seg).unwrap());
    }
    s
}

/// Two objects' entries in one object (keys may repeat).
fn merge(a: &str, b: &str) -> String {
    match (a.strip_suffix('}'), b.strip_prefix('{')) {
        (Some(x), Some(y)) if x.len() > 1 && y.len() > 1 => format!("{x},{y}"),
        _ => a.to_owned(),
    }
}

#[test]
fn malformed_and_unusual_lines_are_refused_or_bound_identically() {
    let p = compat();
    for line in [
        "",
        " ",
        "{",
        "}",
        "{}",
        " {} ",
        "{} x",
        "{}{}",
        "[]",
        "null",
        "{\"transformers\":1,}",
        "{\"transformers\" 1}",
        "{\"transformers\":01}",
        "{\"transformers\":1.}",
        "{\"transformers\":.5}",
        "{\"transformers\":+1}",
        "{\"transformers\":1e}",
        "{\"transformers\":1e400}",
        "{\"x\":1e400}",
        "{\"x\":-1e400}",
        "{\"x\":1e-400}",
        "{\"x\":0e99999999999}",
        "{\"x\":1e99999999999}",
        "{\"transformers\":{\"sampling\":{\"temperature\":-0.0}}}",
        "{\"transformers\":{\"sampling\":{\"temperature\":1E+2}}}",
        "{\"transformers\":{\"sampling\":{\"num_beams\":-0}}}",
        "{\"transformers\":{\"sampling\":{\"num_beams\":-9223372036854775809}}}",
        "{\"transformers\":{\"sampling\":{\"num_beams\":9223372036854775808}}}",
        "{\"transformers\":{\"sampling\":{\"num_beams\":123456789012345678901234567890}}}",
        "{\"transformers\":{\"sampling\":{\"num_beams\":1},\"sampling\":{\"do_sample\":true}}}",
        "{\"transformers\":{\"sampling\":{\"num_beams\":1,\"num_beams\":2}}}",
        "{\"transformers\":{\"sampling\":{\"cache_implementation\":\"st\\u0061tic\"}}}",
        "{\"transformers\":{\"sampling\":{\"cache_implementation\":\"\\ud83d\\ude00\"}}}",
        "{\"transformers\":{\"sampling\":{\"cache_implementation\":\"\\ud83d\"}}}",
        "{\"transformers\":{\"sampling\":{\"cache_implementation\":\"a\\qb\"}}}",
        "{\"transformers\":{\"sampling\":{\"cache_implementation\":\"a\tb\"}}}",
        "{\"transformers\":{\"sampling\":{\"cache_implementation\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}}}",
        "{\"tr\\u0061nsformers\":{\"sampling\":{\"num_beams\":1}}}",
        "{\"transformers\":{\"sampling\":{\"num_beams\":tru}}}",
        "{\"transformers\":{\"sampling\":{\"num_beams\":nul}}}",
        "\t{\"transformers\" :\r{ \"sampling\":\n{\"num_beams\" : [ 1 , {\"a\" : null} ] } } }\t",
        "\u{a0}{}",
    ] {
        check_line(&p, None, line);
    }
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    check_line(&p, None, &format!("{{\"x\":{deep}}}"));
}

/// Random JSON over the program's own keys.
fn json(keys: Vec<String>) -> impl Strategy<Value = String> {
    let number = prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|i| i.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
    ];
    let string = prop_oneof![
        "[a-z_]{0,8}".prop_map(|s| format!("\"{s}\"")),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        "\"(\\\\[nt\"\\\\/]|\\\\u00[0-9a-f]{2}|[a-z])*\"",
    ];
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        number,
        string,
    ];
    let key = prop_oneof![
        prop::sample::select(keys).prop_map(|k| serde_json::to_string(&k).unwrap()),
        "[a-z]{1,3}".prop_map(|k| format!("\"{k}\"")),
    ];
    leaf.prop_recursive(5, 48, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key.clone(), inner, " {0,1}"), 0..5).prop_map(|v| {
                let entries: Vec<String> = v
                    .into_iter()
                    .map(|(k, v, ws)| format!("{k}:{ws}{v}"))
                    .collect();
                format!("{{{}}}", entries.join(","))
            }),
        ]
    })
}

fn keys(p: &LoadedProgram) -> Vec<String> {
    let mut keys: Vec<String> = p
        .program()
        .slots
        .iter()
        .flat_map(|s| s.path.iter().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_lines_bind_identically(line in json(keys(&seeds()))) {
        let p = seeds();
        check_line(&p, None, &line);
        check_line(&p, Some("transformers.GenerationConfig"), &line);
    }

    #[test]
    fn random_compat_lines_bind_identically(line in json(keys(&compat()))) {
        check_line(&compat(), None, &line);
    }
}

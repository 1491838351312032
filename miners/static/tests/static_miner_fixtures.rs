//! The static miner on the fixture library (tests/fixtures): every construct, the hard errors.
#![allow(clippy::unwrap_used, clippy::panic)]

use llemc_compiler::diagnostic::{Color, FileId, SourceMap, render_human};
use llemc_mining::ssot::{EngineSsot, read_ssot};
use llemc_static_miner::{MineError, SsotFile, check_against_schema, mine};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A copy of the `good` fixture library in a temp dir with one edit: `from` (which must occur
/// exactly once) replaced by `to` in `file`.
fn variant(name: &str, file: &str, from: &str, to: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("llemc-fixture-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let package = root.join("fixturelib");
    std::fs::create_dir_all(&package).unwrap();
    for entry in std::fs::read_dir(fixtures().join("good/fixturelib")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), package.join(entry.file_name())).unwrap();
    }
    let path = package.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur once in {file}"
    );
    std::fs::write(&path, text.replace(from, to)).unwrap();
    root
}

fn ssot_text() -> String {
    std::fs::read_to_string(fixtures().join("ssot.yaml")).unwrap_or_default()
}

fn ssot() -> EngineSsot {
    match read_ssot(FileId(0), &ssot_text()) {
        Ok(s) => s,
        Err(d) => panic!("fixture SSOT does not read: {d:?}"),
    }
}

/// The error's diagnostics as `llemc mine static` shows them, with the temp dir of a variant
/// source tree as `<source>`.
fn rendered(err: Option<&MineError>, source: &std::path::Path) -> String {
    rendered_against(&ssot_text(), err, source)
}

/// [`rendered`] against the SSOT `text`.
fn rendered_against(text: &str, err: Option<&MineError>, source: &std::path::Path) -> String {
    let Some(err) = err else {
        panic!("mining succeeded");
    };
    let mut sources = SourceMap::new();
    let ssot = SsotFile {
        name: "ssot.yaml",
        text,
    };
    let diagnostics = err.diagnostics(ssot, &mut sources);
    render_human(&diagnostics, &sources, Color::Never).replace(source.to_str().unwrap(), "<source>")
}

#[test]
fn fixture_rules_listing() {
    let out = match mine(&ssot(), "1.2.3", &fixtures().join("good")) {
        Ok(o) => o,
        Err(e) => panic!("mining failed: {e:?}"),
    };
    insta::assert_snapshot!("fixture_listing", out.staging.listing());
    insta::assert_snapshot!("fixture_schema", out.schema_yaml);
}

#[test]
fn fixture_staging_json_is_deterministic() {
    let a = mine(&ssot(), "1.2.3", &fixtures().join("good")).map(|o| o.staging.to_json());
    let b = mine(&ssot(), "1.2.3", &fixtures().join("good")).map(|o| o.staging.to_json());
    assert_eq!(a, b);
    let json = a.unwrap_or_default();
    insta::assert_snapshot!("fixture_staging_json", json);
}

#[test]
fn fixture_rules_compile_against_generated_schema() {
    let out = match mine(&ssot(), "1.2.3", &fixtures().join("good")) {
        Ok(o) => o,
        Err(e) => panic!("mining failed: {e:?}"),
    };
    for r in &out.staging.rules {
        assert!(
            llemc_grammar::parse_predicate(&r.when).is_ok(),
            "{} does not parse: {}",
            r.id,
            r.when
        );
    }
    if let Err(d) = check_against_schema(&out.staging, &out.schema_yaml) {
        panic!("mined rules do not compile against the generated schema:\n{d}");
    }
}

#[test]
fn renamed_landmark_is_a_hard_error() {
    let source = variant(
        "renamed",
        "config.py",
        "def post_init(self):",
        "def post_init_renamed(self):",
    );
    let err = mine(&ssot(), "1.2.3", &source).err();
    assert!(matches!(err, Some(MineError::MissingLandmarks { .. })));
    insta::assert_snapshot!("renamed_landmark", rendered(err.as_ref(), &source));
}

#[test]
fn absent_landmark_of_another_version_is_not_required() {
    // 1.1.0 lists `fallback_values` as absent; the source is 1.2.3, outside 1.1's envelope
    let source = fixtures().join("good");
    let err = mine(&ssot(), "1.1.0", &source).err();
    insta::assert_snapshot!("outside_envelope_1_1", rendered(err.as_ref(), &source));
}

#[test]
fn source_that_does_not_parse_names_file_and_line() {
    let source = variant(
        "broken",
        "config.py",
        "if self.heat is not None and self.heat > LIMIT:",
        "if self.heat is not None and self.heat > LIMIT",
    );
    let err = mine(&ssot(), "1.2.3", &source).err();
    let text = std::fs::read_to_string(fixtures().join("good/fixturelib/config.py")).unwrap();
    let broken_line = text
        .lines()
        .position(|l| l.contains("if self.heat is not None and self.heat > LIMIT:"))
        .unwrap()
        + 1;
    match &err {
        Some(MineError::Syntax { file, line, .. }) => {
            assert_eq!(file, "fixturelib/config.py");
            assert_eq!(*line as usize, broken_line);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    insta::assert_snapshot!("broken_source", rendered(err.as_ref(), &source));
}

#[test]
fn version_outside_envelope_is_a_hard_error() {
    let source = variant(
        "outside",
        "__init__.py",
        "__version__ = \"1.2.3\"",
        "__version__ = \"2.0.0\"",
    );
    let err = mine(&ssot(), "1.2.3", &source).err();
    assert!(matches!(err, Some(MineError::OutsideEnvelope { .. })));
    insta::assert_snapshot!("outside_envelope", rendered(err.as_ref(), &source));
}

#[test]
fn moved_module_and_renamed_class_point_at_their_native_types() {
    let text = ssot_text().replacen(
        "module: fixturelib.config\n    class: SamplerConfig",
        "module: fixturelib.sampling\n    class: SamplerConfig",
        1,
    );
    let moved = read_ssot(FileId(0), &text).unwrap();
    let source = variant(
        "renamed-class",
        "config.py",
        "class LoaderConfig:",
        "class Loader:",
    );
    let err = mine(&moved, "1.2.3", &source).err();
    match &err {
        Some(MineError::MissingLandmarks { missing, .. }) => assert_eq!(missing.len(), 2),
        other => panic!("expected missing landmarks, got {other:?}"),
    }
    insta::assert_snapshot!(
        "moved_module_renamed_class",
        rendered_against(&text, err.as_ref(), &source)
    );
}

#[test]
fn source_without_a_version_is_a_hard_error() {
    let source = variant("no-version", "__init__.py", "__version__ = \"1.2.3\"", "");
    let err = mine(&ssot(), "1.2.3", &source).err();
    assert!(matches!(err, Some(MineError::NoVersion { .. })));
    insta::assert_snapshot!("no_version", rendered(err.as_ref(), &source));
}

#[test]
fn unknown_version_is_a_hard_error() {
    let source = fixtures().join("good");
    let err = mine(&ssot(), "9.9.9", &source).err();
    assert!(matches!(err, Some(MineError::UnsupportedVersion { .. })));
    insta::assert_snapshot!("unknown_version", rendered(err.as_ref(), &source));
}

fn good() -> llemc_static_miner::MineOutput {
    match mine(&ssot(), "1.2.3", &fixtures().join("good")) {
        Ok(o) => o,
        Err(e) => panic!("mining failed: {e:?}"),
    }
}

#[test]
fn no_op_normalisation_is_not_a_site() {
    let out = good();
    let normalised: Vec<&str> = out
        .staging
        .rules
        .iter()
        .flat_map(|r| r.expected_outcome.normalised_values().keys())
        .map(String::as_str)
        .collect();
    // `if storage is None: self.storage = None` cannot change the value
    assert!(!normalised.contains(&"storage"), "{normalised:?}");
    assert!(
        !out.staging
            .opaque
            .iter()
            .any(|o| o.source_text.contains("self.storage")),
    );
    // a real normalisation beside it still is one: nf4 with 8 bits becomes fp4
    let scheme = out
        .staging
        .rules
        .iter()
        .find(|r| {
            r.expected_outcome
                .normalised_values()
                .contains_key("scheme")
        })
        .unwrap();
    assert_eq!(
        scheme.expected_outcome.normalised_values().get("scheme"),
        Some(&serde_json::json!("fp4"))
    );
}

#[test]
fn hasattr_is_translated_faithfully() {
    let out = good();
    let when_of = |needle: &str| -> Vec<String> {
        out.staging
            .rules
            .iter()
            .filter(|r| r.message_template.contains(needle))
            .map(|r| r.when.clone())
            .collect()
    };
    // unknown kwargs become attributes only when strict_keys is falsy: both are in the rule
    let callback = when_of("belongs to run()");
    assert_eq!(callback.len(), 2, "{callback:?}");
    for w in &callback {
        assert!(w.contains("present"), "{w}");
        assert!(w.contains("strict_keys"), "{w}");
    }
    // always-set attribute and a property: hasattr is constant true, the raise unreachable;
    // nothing sets `extra`: hasattr is constant false
    assert!(when_of("always exist").is_empty());
    assert!(when_of("extra is never set").is_empty());
    assert!(
        !out.staging
            .opaque
            .iter()
            .any(|o| o.source_text.contains("always exist")
                || o.source_text.contains("extra is never set"))
    );
    assert!(out.staging.report.unreachable >= 2);
    // set in branches of __init__ only: opaque, with the reason
    let dtype = out
        .staging
        .opaque
        .iter()
        .find(|o| o.source_text.contains("hasattr(self, \"dtype\")"))
        .unwrap();
    assert!(dtype.reason.contains("some paths only"), "{}", dtype.reason);
}

#[test]
fn docstring_types_reach_the_schema() {
    let schema = good().schema_yaml;
    let line = |field: &str| -> String {
        schema
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{field}:")))
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    assert_eq!(
        line("tags"),
        "tags: {type: \"Optional[list[str]]\", default: null}"
    );
    assert_eq!(
        line("options"),
        "options: {type: \"Union[dict[any, any], list[str], None]\", default: null}"
    );
    assert_eq!(
        line("want_dict"),
        "want_dict: {type: \"Optional[bool]\", default: null}"
    );
    assert_eq!(
        line("cache"),
        "cache: {type: \"Union[str, bool, None]\", default: null}"
    );
    assert_eq!(
        line("precision"),
        "precision: {type: \"str\", default: \"fp32\"}"
    );
    // int documented, isinstance(int) in the validator: bool is listed too
    assert_eq!(
        line("window"),
        "window: {type: \"Union[int, bool]\", default: 0}"
    );
}

/// `hasattr(self, "extra")` in LoaderConfig.post_init, by what the class inherits.
fn extra_site(root: &std::path::Path) -> (bool, Option<String>) {
    let out = mine(&ssot(), "1.2.3", root).unwrap();
    let rule = out
        .staging
        .rules
        .iter()
        .any(|r| r.message_template.contains("extra is never set"));
    let opaque = out
        .staging
        .opaque
        .iter()
        .find(|o| o.source_text.contains("extra is never set"))
        .map(|o| o.reason.clone());
    (rule, opaque)
}

#[test]
fn hasattr_follows_base_classes() {
    // no base: nothing defines `extra`, the raise is unreachable
    assert_eq!(extra_site(&fixtures().join("good")), (false, None));
    // a base class in the source that defines it: hasattr is true, the raise always happens
    let defines = variant(
        "base-defines",
        "config.py",
        "class LoaderConfig:",
        "class LoaderBase:\n    extra = 1\n\n\nclass LoaderConfig(LoaderBase):",
    );
    let out = mine(&ssot(), "1.2.3", &defines).unwrap();
    let site = out
        .staging
        .opaque
        .iter()
        .find(|o| o.source_text.contains("extra is never set"))
        .unwrap();
    assert!(
        site.reason.contains("reached unconditionally"),
        "{}",
        site.reason
    );
    // a base class that is not in the source: unknown, so opaque
    let unknown = variant(
        "base-unknown",
        "config.py",
        "class LoaderConfig:",
        "class LoaderConfig(SomewhereElse):",
    );
    let (rule, opaque) = extra_site(&unknown);
    assert!(!rule);
    let reason = opaque.unwrap();
    assert!(
        reason.contains("base class of LoaderConfig is not in the source"),
        "{reason}"
    );
}

#[test]
fn ordering_comparisons_give_implicit_type_error_sites() {
    let out = good();
    let type_errors: Vec<(&str, &str)> = out
        .staging
        .rules
        .iter()
        .filter(|r| {
            r.message_template
                .contains("not supported between instances of")
        })
        .map(|r| (r.when.as_str(), r.message_template.as_str()))
        .collect();
    // `self.heat > 0` reached unconditionally: a string raises there.
    assert!(
        type_errors.contains(&(
            "heat present and heat type_is \"str\"",
            "'>' not supported between instances of 'str' and 'int'"
        )),
        "{type_errors:?}"
    );
    // Reached only under `isinstance(self.window, int)`: never with a string, so no site.
    assert!(
        !type_errors.iter().any(|(w, _)| w.contains("window")),
        "{type_errors:?}"
    );
    // Every such rule is an error the library raises.
    for r in out
        .staging
        .rules
        .iter()
        .filter(|r| r.message_template.contains("not supported"))
    {
        assert_eq!(r.severity.as_str(), "error");
        assert_eq!(
            r.expected_outcome.emission_channel.as_str(),
            "runtime_exception"
        );
    }
}

//! The embedded interpreter is the one pyo3 was built against (the libpython rpath works), a
//! venv's site-packages comes first on `sys.path`, and `observe` reports what a class did.
#![cfg(feature = "python")]
#![allow(clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use llemc_live::bridge::{Live, LiveError, build_interpreter};

fn fixture_site() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/live")
}

#[test]
fn interpreter_is_the_one_built_against() -> Result<(), LiveError> {
    let live = Live::start(&[fixture_site()])?;
    let info = live.interpreter()?;
    let (version, lib_dir) = build_interpreter();
    let running = format!("{}.{}", info.version_info[0], info.version_info[1]);
    assert_eq!(running, version, "sys.version is {}", info.version);
    assert!(
        info.version.starts_with(&format!("{version}.")),
        "{}",
        info.version
    );
    // libpython lives in <prefix>/lib: the rpath made the loader take the configured one, not
    // the system's.
    let expected_prefix = PathBuf::from(lib_dir).parent().map(PathBuf::from);
    assert_eq!(Some(PathBuf::from(&info.base_prefix)), expected_prefix);
    assert_eq!(
        info.prefix, info.base_prefix,
        "the embedded interpreter runs outside any venv"
    );
    assert_eq!(info.path.first().map(PathBuf::from), Some(fixture_site()));
    Ok(())
}

#[test]
fn observe_reports_raise_warning_log_and_normalisation() -> Result<(), LiveError> {
    let live = Live::start(&[fixture_site()])?;
    let observe = |kwargs: serde_json::Value| {
        live.call(
            "llemc_live",
            "observe",
            &serde_json::json!({"module": "llemc_live_fixture", "class": "Knobs", "kwargs": kwargs}),
        )
    };
    let ok = observe(serde_json::json!({"size": 2}))?;
    assert_eq!(ok["outcome"], "ok");
    assert_eq!(ok["emissions"], serde_json::json!([]));

    let raised = observe(serde_json::json!({"size": -1}))?;
    assert_eq!(raised["outcome"], "error");
    assert_eq!(raised["phase"], "construct");
    assert_eq!(raised["exception"]["type"], "ValueError");
    assert_eq!(
        raised["exception"]["message"],
        "`size` must be positive, got -1"
    );

    let warned = observe(serde_json::json!({"size": 200}))?;
    assert_eq!(warned["outcome"], "ok");
    let channels: Vec<&str> = warned["emissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["channel"].as_str())
        .collect();
    assert_eq!(channels, ["warnings", "logger"]);

    let normalised = observe(serde_json::json!({"mode": "FAST"}))?;
    assert_eq!(
        normalised["normalised"]["mode"],
        serde_json::json!({"passed": "FAST", "after": "fast"})
    );

    let minor = observe(serde_json::json!({"size": 3, "greedy": true}))?;
    assert_eq!(minor["outcome"], "error");
    assert_eq!(minor["phase"], "validate");
    assert_eq!(minor["minor_issues"]["size"], "size is ignored when greedy");

    let hang = live.call(
        "llemc_live",
        "observe",
        &serde_json::json!({"module": "llemc_live_fixture", "class": "Knobs",
                            "kwargs": {"spin": true}, "timeout_s": 0.2}),
    )?;
    assert_eq!(hang["outcome"], "timeout");

    let missing = live.call(
        "llemc_live",
        "observe",
        &serde_json::json!({"module": "llemc_no_such_module", "class": "X", "kwargs": {}}),
    )?;
    assert_eq!(missing["outcome"], "unavailable");
    Ok(())
}

#[test]
fn python_errors_cross_the_bridge_as_values() {
    let err = Live::start(&[fixture_site()])
        .and_then(|live| live.call("llemc_live", "no_such_function", &serde_json::Value::Null));
    match err {
        Err(LiveError::Python { kind, .. }) => assert_eq!(kind, "AttributeError"),
        other => panic!("expected a Python AttributeError, got {other:?}"),
    }
}

#[test]
fn pth_files_of_a_site_packages_are_processed() -> Result<(), LiveError> {
    // `fixtures/live/llemc-fixture-shared.pth` names `../live_shared`, as a venv's
    // `llemc-shared.pth` names the shared site-packages (torch).
    let live = Live::start(&[fixture_site()])?;
    assert_eq!(
        live.call(
            "llemc_live_shared_fixture",
            "answer",
            &serde_json::Value::Null
        )?,
        "seen through the .pth file"
    );
    let shared = fixture_site().join("../live_shared");
    let path = live.interpreter()?.path;
    assert!(
        path.iter()
            .any(|p| PathBuf::from(p).canonicalize().ok() == shared.canonicalize().ok()),
        "{path:?}"
    );
    Ok(())
}

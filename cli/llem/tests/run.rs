//! `llem run`, driven in-process against the real worker and transformers' real generate() on a
//! tiny saved model (CPU, `--energy none`): a rejected config starts nothing, `--dry-run` only
//! checks, an accepted one writes a complete result and is skipped the next time, a study runs
//! its valid points and resumes, and every failure to start is a diagnostic with its code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use insta::assert_snapshot;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn llem(args: &[&str]) -> Run {
    let mut argv = vec!["llem"];
    argv.extend_from_slice(args);
    let mut input: &[u8] = b"";
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = llem::run_with_stdin(argv, &mut input, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The transformers 5.14.1 venv `llemc env ensure transformers` makes (with torch).
fn python() -> String {
    let path = repo().join(".cache/venvs/transformers-5.14.1/bin/python");
    assert!(
        path.exists(),
        "no venv at `{}`: run `llemc env ensure transformers` (CI does)",
        path.display()
    );
    path.display().to_string()
}

/// The tiny random GPT-2 of `scripts/make_tiny_model.py`, made once per test binary.
fn tiny_model() -> PathBuf {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("llem-run-tiny-gpt2");
            if !dir.join("model.safetensors").exists() {
                let status = Command::new(python())
                    .arg(repo().join("scripts/make_tiny_model.py"))
                    .arg(&dir)
                    .env("HF_HUB_OFFLINE", "1")
                    .status()
                    .unwrap();
                assert!(status.success(), "making the tiny model failed: {status}");
            }
            dir
        })
        .clone()
}

/// A scratch folder holding `experiment.yaml` (the tiny experiment, its model by absolute path)
/// and a prompts file of the tiny tokenizer's words.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("llem-run-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let experiment = format!(
        "engine: transformers\nengine_version: \"5.14.1\"\nmodel: {}\ntransformers:\n  generation:\n    max_new_tokens: 4\n    min_new_tokens: 4\n    do_sample: false\n",
        tiny_model().display()
    );
    std::fs::write(dir.join("experiment.yaml"), experiment).unwrap();
    std::fs::write(
        dir.join("prompts.txt"),
        "the energy of a model\nwrite a short poem\n",
    )
    .unwrap();
    dir
}

/// `llem run FILE` on the CPU without energy, with the scratch folder's prompts and results.
fn run_tiny(dir: &Path, file: &str, extra: &[&str]) -> Run {
    run_tiny_with_energy(dir, file, "none", extra)
}

/// `llem run FILE --energy ENERGY` with the scratch folder's prompts and results.
fn run_tiny_with_energy(dir: &Path, file: &str, energy: &str, extra: &[&str]) -> Run {
    let file = dir.join(file).display().to_string();
    let results = dir.join("results").display().to_string();
    let prompts = dir.join("prompts.txt").display().to_string();
    let python = python();
    let mut args = vec![
        "run",
        &file,
        "--energy",
        energy,
        "--python",
        &python,
        "--results",
        &results,
        "--prompts",
        &prompts,
        "--warmup",
        "1",
        "--color",
        "never",
    ];
    args.extend_from_slice(extra);
    llem(&args)
}

fn result_dirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("results")) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs
}

#[test]
fn a_rejected_config_starts_nothing() {
    let dir = scratch("rejected");
    let results = dir.join("results").display().to_string();
    let r = llem(&[
        "run",
        "../../examples/transformers-mistakes.yaml",
        "--energy",
        "none",
        "--results",
        &results,
        "--color",
        "never",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!dir.join("results").exists());
    let last = r.stderr.lines().last().unwrap_or_default();
    assert_snapshot!(last, @"llem: not started: the engine would reject this config");
}

#[test]
fn dry_run_only_checks() {
    let dir = scratch("dry-run");
    let r = run_tiny(&dir, "experiment.yaml", &["--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("0 errors, 0 warnings, 0 dormant"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("--dry-run: the config was checked, nothing was started")
    );
    assert!(result_dirs(&dir).is_empty());
}

#[test]
fn runs_the_tiny_experiment_and_skips_it_the_second_time() {
    let dir = scratch("experiment");
    let r = run_tiny(&dir, "experiment.yaml", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for expected in [
        "llem: running `",
        "loaded the model with transformers 5.14.1 on cpu",
        "warmup done: 1 iterations",
        "measured 2 prompts: 8 tokens generated",
        "energy: not measured (`--energy none`)",
    ] {
        assert!(r.stderr.contains(expected), "{expected}\n{}", r.stderr);
    }
    let dirs = result_dirs(&dir);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let result: Value =
        serde_json::from_str(&std::fs::read_to_string(dirs[0].join("result.json")).unwrap())
            .unwrap();
    assert_eq!(result["engine"], "transformers");
    assert_eq!(result["engine_version"], "5.14.1");
    assert_eq!(result["checked_engine_version"], "5.14.1");
    assert_eq!(result["prompts"], 2);
    assert_eq!(result["output_tokens"], 8);
    assert_eq!(result["warmup_result"]["iterations_completed"], 1);
    assert!(result["total_energy_j"].is_null());
    assert_eq!(
        result["measurement_config_hash"].as_str().unwrap(),
        dirs[0].file_name().unwrap().to_str().unwrap()
    );
    assert_eq!(
        result["experiment_config"]["transformers"]["generation"]["max_new_tokens"],
        4
    );

    let again = run_tiny(&dir, "experiment.yaml", &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("a result for this config exists, not run again")
    );
    assert!(!again.stderr.contains("loaded the model"));

    let forced = run_tiny(&dir, "experiment.yaml", &["--rerun", "--format", "json"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let report: Value = serde_json::from_str(&forced.stdout).unwrap();
    assert_eq!(report["check"]["accepted"], true);
    assert_eq!(report["run"]["status"], "completed");
    assert_eq!(report["run"]["output_tokens"], 8);
    assert!(forced.stderr.is_empty(), "{}", forced.stderr);
}

#[test]
fn energy_without_an_nvidia_driver_is_a_diagnostic_and_writes_nothing() {
    let dir = scratch("nvml");
    let r = run_tiny_with_energy(&dir, "experiment.yaml", "nvml", &["--gpus", "all"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("error[E951]"), "{}", r.stderr);
    assert!(r.stderr.contains("`--energy none`"), "{}", r.stderr);
    assert!(result_dirs(&dir).is_empty());
}

#[test]
fn a_missing_docker_image_is_a_diagnostic() {
    let dir = scratch("docker");
    let r = run_tiny(
        &dir,
        "experiment.yaml",
        &[
            "--runner",
            "docker",
            "--image",
            "llemc-test/no-such-image:0",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("error[E953]"), "{}", r.stderr);
    assert!(result_dirs(&dir).is_empty());
}

#[test]
fn a_missing_python_is_a_diagnostic() {
    let dir = scratch("python");
    let file = dir.join("experiment.yaml").display().to_string();
    let r = llem(&[
        "run",
        &file,
        "--energy",
        "none",
        "--python",
        "/nonexistent/bin/python",
        "--results",
        &dir.join("results").display().to_string(),
        "--color",
        "never",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("error[E952]"), "{}", r.stderr);
}

#[test]
fn a_study_runs_its_valid_points_and_resumes() {
    let dir = scratch("study");
    std::fs::write(
        dir.join("study.yaml"),
        "base: experiment.yaml\ngrid:\n  transformers.generation.num_beams: [1, 2]\n  transformers.generation.num_return_sequences: [1, 2]\n",
    )
    .unwrap();
    let r = run_tiny(&dir, "study.yaml", &[]);
    // One point (two sequences from greedy decoding) is rejected: exit 1, the others ran.
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("[1/3] "), "{}", r.stderr);
    assert!(r.stderr.contains("[3/3] "), "{}", r.stderr);
    assert!(r.stderr.contains("llem: study summary (3 valid points)"));
    assert_eq!(r.stderr.matches("completed").count(), 3, "{}", r.stderr);
    assert_eq!(result_dirs(&dir).len(), 3);

    let again = run_tiny(&dir, "study.yaml", &["--format", "json"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    let report: Value = serde_json::from_str(&again.stdout).unwrap();
    let statuses: Vec<&str> = report["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["skipped", "skipped", "skipped"]);
    assert_eq!(report["check"]["invalid"], 1);
}

#[test]
fn a_study_dry_run_starts_nothing() {
    let dir = scratch("study-dry");
    std::fs::write(
        dir.join("study.yaml"),
        "base: experiment.yaml\ngrid:\n  transformers.generation.num_beams: [1, 2]\n",
    )
    .unwrap();
    let r = run_tiny(&dir, "study.yaml", &["--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--dry-run: 2 valid points checked, nothing was started")
    );
    assert!(result_dirs(&dir).is_empty());
}

//! `llemc build-corpus`: merge the miners' staging files and the manual seeds into
//! `engines/<engine>/<version>/invariants.proposed.yaml`.

use crate::failure::fail;
use clap::Args;
use llemc_cli_common::exit;
use llemc_cli_common::output::Format;
use llemc_mining::layout::Layout;
use llemc_pipeline::build_corpus::{BuildOptions, build_corpus, render_report};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `llemc build-corpus`.
#[derive(Args, Debug)]
#[command(disable_version_flag = true)]
pub struct BuildCorpusArgs {
    /// Engine whose corpus to build.
    #[arg(long, default_value = "transformers")]
    pub engine: String,
    /// Engine library version (default: `engine_versions/<engine>.yaml`, else the only version
    /// with staging files).
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Repository root (default: the nearest directory at or above the current one that holds
    /// `engines/`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// The repository root of a command: `--root`, else the nearest directory at or above the
/// current one that holds `engines/`.
pub fn find_root(given: Option<&Path>) -> PathBuf {
    match given {
        Some(r) => r.to_path_buf(),
        None => Layout::find_root(&std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))),
    }
}

/// Runs the command; exit 0 when every rule made it, 1 when some were dropped, 2 on hard errors.
pub fn run(args: &BuildCorpusArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let options = BuildOptions {
        root: find_root(args.root.as_deref()),
        engine: args.engine.clone(),
        version: args.version.clone(),
    };
    let report = match build_corpus(&options) {
        Ok(r) => r,
        Err(e) => return fail(err, &e),
    };
    match args.format {
        Format::Human => {
            let _ = out.write_all(render_report(&report).as_bytes());
        }
        Format::Json => {
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            let _ = writeln!(out, "{text}");
        }
    }
    if report.dropped.is_empty() {
        exit::OK
    } else {
        exit::FINDINGS
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use std::path::PathBuf;

    fn run(args: &[&str]) -> (i32, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut all = vec!["llemc"];
        all.extend_from_slice(args);
        let code = crate::run(all, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn exit_codes_of_build_and_diff() {
        let root =
            std::env::temp_dir().join(format!("llemc-cli-build-corpus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let engine = root.join("engines/transformers");
        std::fs::create_dir_all(&engine).unwrap();
        std::fs::copy(
            repo().join("engines/transformers/reference/hand-written-schema.yaml"),
            engine.join("schema.yaml"),
        )
        .unwrap();
        let fixtures = repo().join("miners/pipeline/tests/fixtures/build_corpus");
        std::fs::copy(fixtures.join("seeds.yaml"), engine.join("seeds.yaml")).unwrap();
        let r = root.to_string_lossy().into_owned();

        // No staging files: hard error.
        let (code, _, err) = run(&["build-corpus", "--root", &r, "--version", "5.14.1"]);
        assert_eq!(code, 2, "{err}");

        // Some rules dropped: exit 1, the report lists them.
        let staging = root.join(".cache/staging/transformers/5.14.1");
        std::fs::create_dir_all(&staging).unwrap();
        for f in ["static_miner.json", "dynamic_miner.json"] {
            std::fs::copy(fixtures.join("staging").join(f), staging.join(f)).unwrap();
        }
        let (code, out, _) = run(&["build-corpus", "--root", &r, "--version", "5.14.1"]);
        assert_eq!(code, 1);
        assert!(
            out.contains("dropped transformers_generation_validate_710"),
            "{out}"
        );
        let (code, out, _) = run(&["build-corpus", "--root", &r, "--format", "json"]);
        assert_eq!(code, 1);
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["written"], 5);

        // Every rule kept: exit 0; the corpus passes `llemc check`.
        std::fs::remove_file(staging.join("static_miner.json")).unwrap();
        let (code, _, err) = run(&["build-corpus", "--root", &r]);
        assert_eq!(code, 0, "{err}");
        let corpus = root.join("engines/transformers/5.14.1/invariants.proposed.yaml");
        let c = corpus.to_string_lossy().into_owned();
        let (code, _, err) = run(&["check", &c]);
        assert_eq!(code, 0, "{err}");

        // diff-corpus between a file and itself: nothing changed.
        let (code, out, _) = run(&["diff-corpus", "--root", &r, &c, "5.14.1"]);
        assert_eq!(code, 0);
        assert!(
            out.contains("0 added, 0 removed, 0 changed, 3 unchanged"),
            "{out}"
        );
        let (code, _, err) = run(&["diff-corpus", "--root", &r, "4.0.0", "5.14.1"]);
        assert_eq!(code, 2, "{err}");
        let _ = std::fs::remove_dir_all(&root);
    }
}

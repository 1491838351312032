//! `llemc validate`: the validation gate. Replays every rule of
//! `engines/<engine>/<version>/invariants.proposed.yaml` against the live library and writes the
//! confirmed rules to `invariants.validated.yaml`, the others to `invariants.quarantine.yaml`.

use crate::build_corpus::find_root;
use crate::failure::fail;
use clap::Args;
use llemc_cli_common::exit;
use llemc_cli_common::output::Format;
use llemc_compiler::diagnostic::{Color, SourceMap, render_human as render};
use llemc_pipeline::gate::model::Class;
use llemc_pipeline::gate::output::{divergences, render_human, summary};
use llemc_pipeline::gate::run::{ValidateOptions, validate};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `llemc validate`.
#[derive(Args, Debug)]
#[command(disable_version_flag = true)]
pub struct ValidateArgs {
    /// Engine whose corpus to validate.
    #[arg(long, default_value = "transformers")]
    pub engine: String,
    /// Library version (default: `default_version` of `engine_versions/<engine>.yaml`). One
    /// version per process.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Repository root (default: the nearest directory at or above the current one that holds
    /// `engines/`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Seconds one construction (or one `validate()` call) may take before the case counts as
    /// a divergence.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Use these site-packages instead of `.cache/venvs/<distribution>-<version>` (repeatable).
    #[arg(long, value_name = "DIR")]
    pub site_packages: Vec<PathBuf>,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Runs the gate: exit 0 when every rule is confirmed (unverified rules allowed, and reported),
/// 1 when any rule diverges, 2 on hard errors (nothing written).
pub fn run(args: &ValidateArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let root = find_root(args.root.as_deref());
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        let _ = writeln!(err, "error: --timeout must be a positive number of seconds");
        return exit::USAGE;
    }
    let options = ValidateOptions {
        root,
        engine: args.engine.clone(),
        version: args.version.clone(),
        timeout_s: args.timeout,
        site_packages: (!args.site_packages.is_empty()).then(|| args.site_packages.clone()),
        python: "python3".to_owned(),
    };
    let outcome = match validate(&options) {
        Ok(o) => o,
        Err(e) => return fail(err, &e),
    };
    match args.format {
        Format::Human => {
            let _ = out.write_all(render_human(&outcome.report, &outcome.written).as_bytes());
            let mut sources = SourceMap::new();
            let (name, text) = &outcome.corpus;
            let file = sources.add(name, text.as_str());
            let found = divergences(&outcome.report, file);
            let _ = err.write_all(render(&found, &sources, Color::Never).as_bytes());
        }
        Format::Json => {
            let text = serde_json::to_string_pretty(&summary(&outcome.report, &outcome.written))
                .unwrap_or_default();
            let _ = writeln!(out, "{text}");
        }
    }
    if outcome.report.count(Class::Divergent) > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

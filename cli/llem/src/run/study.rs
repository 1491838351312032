//! `llem run <study.yaml>`: the sweep check of every point (`llem sweep check`, whose report is
//! shown as usual), then a measured run of each valid point, one result directory per config
//! hash; points whose result exists are skipped, so a stopped study resumes. Invalid points
//! are reported by the check and never run. A summary table ends the run.

use super::RunArgs;
use super::diagnostics::run_failed;
use super::progress::Progress;
use super::summary::{PointRow, PointStatus, table};
use crate::shipped;
use crate::sweep::{SweepCheckArgs, run as sweep_check};
use llemc_cli_common::exit;
use llemc_cli_common::output::Format;
use llemc_compiler::diagnostic::{Color, Diagnostic, FileId, SourceMap, render_human, render_json};
use llemc_compiler::yaml::parse_yaml;
use llemc_harness::result::RESULT_FILE;
use llemc_harness::{CancelToken, Experiment, HarnessError, ModelSource, run_experiment};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs `llem run` on a study.
pub(super) fn run(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let color = args.color.resolve();
    let scratch = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            let d = Diagnostic::error("E957", format!("cannot create a temporary folder: {e}"))
                .with_help("check the free disk space of the temporary folder");
            return report_unstarted(args, &d, color, out, err);
        }
    };
    let valid_file = scratch.path().join("valid.jsonl");
    let mut check_out = Vec::new();
    let check = SweepCheckArgs::for_run(
        args.file.clone(),
        valid_file.clone(),
        10,
        args.format,
        args.color,
    );
    let code = sweep_check(&check, &mut check_out, err);
    if code == exit::USAGE {
        let _ = out.write_all(&check_out);
        return code;
    }
    let check_json: Value = serde_json::from_slice(&check_out).unwrap_or(Value::Null);
    let points = match read_points(&valid_file) {
        Ok(points) => points,
        Err(d) => return report_unstarted(args, &d, color, out, err),
    };
    let rejected = code == exit::FINDINGS;
    if args.dry_run {
        if args.format == Format::Human {
            let _ = writeln!(
                err,
                "llem: --dry-run: {} valid {} checked, nothing was started",
                points.len(),
                if points.len() == 1 { "point" } else { "points" }
            );
        } else {
            let _ = out.write_all(&check_out);
        }
        return code;
    }
    let folder = model_folder(&args.file);
    let rows = run_points(args, &points, &folder, color, err);
    finish(args, &rows, rejected, check_json, out, err)
}

/// The valid points the check wrote, one experiment config (JSON) per line.
fn read_points(path: &Path) -> Result<Vec<Value>, Diagnostic> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error("E957", format!("cannot read the study's valid points: {e}"))
            .with_help("check the free disk space of the temporary folder")
    })?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).map_err(|e| {
                Diagnostic::error("E957", format!("a valid point does not read back: {e}"))
                    .with_help("this is a bug in llem: please report the study")
            })
        })
        .collect()
}

/// The folder a relative `model:` of the study's configs is read from: the base config's
/// folder when `base:` names a file (beside the study), else the study's folder.
fn model_folder(study: &Path) -> PathBuf {
    let folder = study
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let base = std::fs::read_to_string(study)
        .ok()
        .and_then(|text| parse_yaml(FileId(0), &text).ok())
        .and_then(|root| root.get("base").and_then(|b| b.as_str().map(str::to_owned)));
    match base.map(|b| folder.join(b)) {
        Some(path) => path
            .parent()
            .map_or_else(|| folder.clone(), Path::to_path_buf),
        None => folder,
    }
}

/// Runs every valid point in order, with a `[i/n]` prefix; stops early when interrupted.
fn run_points(
    args: &RunArgs,
    points: &[Value],
    folder: &Path,
    color: Color,
    err: &mut dyn Write,
) -> Vec<PointRow> {
    let context = Context {
        args,
        folder,
        cancel: CancelToken::new(),
        human: args.format == Format::Human,
    };
    let _signals = context.cancel.watch_signals();
    let human = context.human;
    let mut rows = Vec::with_capacity(points.len());
    for (i, (point, label)) in points.iter().zip(labels(points)).enumerate() {
        if context.cancel.is_cancelled() {
            break;
        }
        let prefix = format!("[{}/{}] ", i + 1, points.len());
        let row = context.run_point(point, label, &prefix, err);
        if let PointStatus::Failed(diagnostic, _) = &row.status
            && human
        {
            let text = render_human(std::slice::from_ref(diagnostic), &SourceMap::new(), color);
            let _ = err.write_all(text.as_bytes());
        }
        rows.push(row);
    }
    rows
}

/// What every point of a study runs with.
struct Context<'a> {
    args: &'a RunArgs,
    /// The folder a relative `model:` is read from.
    folder: &'a Path,
    /// Stops the study (Ctrl-C) and the point running.
    cancel: CancelToken,
    /// Whether progress is shown.
    human: bool,
}

impl Context<'_> {
    /// Runs one valid point, unless its result exists.
    fn run_point(
        &self,
        point: &Value,
        label: String,
        prefix: &str,
        err: &mut dyn Write,
    ) -> PointRow {
        let (args, folder, cancel, human) = (self.args, self.folder, &self.cancel, self.human);
        let experiment = match experiment(args, point, folder) {
            Ok(experiment) => experiment,
            Err(e) => {
                return PointRow {
                    label,
                    hash: String::new(),
                    status: PointStatus::Failed(run_failed(&e), e.exit_code()),
                };
            }
        };
        let hash = experiment.config_hash.clone();
        let output_dir = args.results.join(&hash);
        if output_dir.join(RESULT_FILE).is_file() && !args.rerun {
            if human {
                let _ = writeln!(err, "{prefix}{label}: result exists, skipped");
            }
            return PointRow {
                label,
                hash,
                status: PointStatus::Skipped,
            };
        }
        if human {
            let _ = writeln!(err, "{prefix}{label}");
        }
        let runner = args.runner(&experiment.engine, &experiment.engine_version);
        let mut options = args.run_options(output_dir);
        options.cancel = cancel.clone();
        let mut progress = Progress::new(err, format!("{prefix}  "), human);
        let status = match run_experiment(&experiment, &runner, &options, &mut progress) {
            Ok(outcome) => PointStatus::Completed {
                tokens_per_second: outcome.result.output_tokens_per_second,
                energy_j: outcome.result.total_energy_j,
            },
            Err(e) => PointStatus::Failed(run_failed(&e), e.exit_code()),
        };
        PointRow {
            label,
            hash,
            status,
        }
    }
}

/// The harness's experiment for one valid point (a full experiment config as JSON).
fn experiment(args: &RunArgs, point: &Value, folder: &Path) -> Result<Experiment, HarnessError> {
    let version = point
        .get("engine_version")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            let engine = point.get("engine").and_then(Value::as_str)?;
            shipped::default_version(engine).map(str::to_owned)
        })
        .ok_or_else(|| HarnessError::Spec("the point names no engine llem knows".to_owned()))?;
    let mut experiment = Experiment::from_config(point, &version)?;
    experiment.model = ModelSource::from_written(&experiment.model_name, folder);
    experiment.config_path = Some(args.file.clone());
    args.configure(&mut experiment)?;
    Ok(experiment)
}

/// Each point's engine-section values, flattened (`generation.num_beams` → `2`).
fn flatten(point: &Value) -> Vec<(String, String)> {
    let engine = point.get("engine").and_then(Value::as_str).unwrap_or("");
    let mut pairs = Vec::new();
    if let Some(Value::Object(sections)) = point.get(engine) {
        for (section, fields) in sections {
            if let Value::Object(fields) = fields {
                for (field, value) in fields {
                    pairs.push((format!("{section}.{field}"), value.to_string()));
                }
            }
        }
    }
    pairs
}

/// Every point's label: the values that differ between the points (`generation.num_beams=2,
/// ...`); a single point is `base`.
fn labels(points: &[Value]) -> Vec<String> {
    let flat: Vec<Vec<(String, String)>> = points.iter().map(flatten).collect();
    let varies = |key: &str| {
        let mut values = flat
            .iter()
            .map(|pairs| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v));
        let first = values.next().flatten();
        values.any(|v| v != first)
    };
    flat.iter()
        .map(|pairs| {
            let shown: Vec<String> = pairs
                .iter()
                .filter(|(key, _)| varies(key))
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            if shown.is_empty() {
                "base".to_owned()
            } else {
                shown.join(", ")
            }
        })
        .collect()
}

/// The summary table (people) or the JSON report, and the exit code: 0 when every valid point
/// completed or was skipped and none was rejected; 1 when some point was rejected or the engine
/// failed one; 2 when a run stopped for another reason.
fn finish(
    args: &RunArgs,
    rows: &[PointRow],
    rejected: bool,
    check: Value,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match args.format {
        Format::Human => {
            let _ = writeln!(err, "\nllem: study summary ({} valid points)", rows.len());
            let _ = err.write_all(table(rows).as_bytes());
            if rejected {
                let _ = writeln!(
                    err,
                    "llem: the invalid points (see the check above) were not run"
                );
            }
        }
        Format::Json => {
            let points: Vec<Value> = rows.iter().map(row_json).collect();
            let value = json!({ "check": check, "points": points });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
    }
    let failed_code = rows
        .iter()
        .filter_map(|row| match &row.status {
            PointStatus::Failed(_, code) => Some(*code),
            _ => None,
        })
        .max();
    match (failed_code, rejected) {
        (Some(code), _) => code,
        (None, true) => exit::FINDINGS,
        (None, false) => exit::OK,
    }
}

fn row_json(row: &PointRow) -> Value {
    let mut value = json!({
        "point": row.label,
        "config_hash": row.hash,
        "status": row.status.word(),
    });
    if let Some(object) = value.as_object_mut() {
        match &row.status {
            PointStatus::Completed {
                tokens_per_second,
                energy_j,
            } => {
                object.insert(
                    "output_tokens_per_second".to_owned(),
                    json!(tokens_per_second),
                );
                object.insert("total_energy_j".to_owned(), json!(energy_j));
            }
            PointStatus::Failed(d, _) => {
                object.insert(
                    "diagnostics".to_owned(),
                    render_json(std::slice::from_ref(d), &SourceMap::new()),
                );
            }
            PointStatus::Skipped => {}
        }
    }
    value
}

/// A diagnostic that stopped the study before any point ran.
fn report_unstarted(
    args: &RunArgs,
    diagnostic: &Diagnostic,
    color: Color,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let diags = std::slice::from_ref(diagnostic);
    match args.format {
        Format::Human => {
            let _ = err.write_all(render_human(diags, &SourceMap::new(), color).as_bytes());
        }
        Format::Json => {
            let value = json!({ "diagnostics": render_json(diags, &SourceMap::new()) });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
    }
    exit::USAGE
}

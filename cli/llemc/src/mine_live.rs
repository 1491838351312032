//! `llemc mine lifts` and `llemc mine dynamic`: the miners that run inside the embedded CPython
//! (feature `python`). One process hosts one library version.

use super::mine::{Common, load_ssot};
use crate::failure::fail_with;
use clap::Args;
use llemc_cli_common::exit;
use llemc_compiler::atomic_write::write_atomically;
use llemc_compiler::diagnostic::Diagnostic;
use llemc_live::bridge::{Live, build_interpreter, start_library};
use llemc_live::dynamic::live::{Classes, mine_dynamic};
use llemc_live::dynamic::probes::read_probes;
use llemc_live::dynamic::{Context, DynamicStaging, static_rules};
use llemc_live::env::site_packages;
use llemc_live::lifts::live::lift_classes;
use llemc_live::lifts::{LiftStaging, Target};
use llemc_mining::failure::{cannot_write, read_text};
use llemc_mining::layout::Layout;
use llemc_mining::ssot::EngineSsot;
use llemc_mining::staging::StagingFile;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `llemc mine lifts`.
#[derive(Args, Debug)]
pub struct LiftsArgs {
    #[command(flatten)]
    common: Common,
    /// site-packages to import from (repeatable; default: the version's venv
    /// `<cache>/venvs/<distribution>-<version>`).
    #[arg(long, value_name = "DIR")]
    site_packages: Vec<PathBuf>,
    /// Inspect these classes instead of the SSOT's native types (library-agnostic):
    /// `module:Class` or `module:Class=native.Type`; rules are compiled against a schema
    /// generated from the classes' own type metadata.
    #[arg(long, value_name = "MODULE:CLASS[=NATIVE]")]
    class: Vec<String>,
    /// Staging file to write (default: <staging artifact>/lifts.json).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `llemc mine dynamic`.
#[derive(Args, Debug)]
pub struct DynamicArgs {
    #[command(flatten)]
    common: Common,
    /// site-packages to import from (repeatable; default: the version's venv).
    #[arg(long, value_name = "DIR")]
    site_packages: Vec<PathBuf>,
    /// Probe clusters (default: engines/<engine>/probes.yaml).
    #[arg(long, value_name = "FILE")]
    probes: Option<PathBuf>,
    /// Engine schema to compile and evaluate against (default: the version's).
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Static-miner staging file whose predicates probes may confirm (default:
    /// <staging>/static_miner.json when it exists).
    #[arg(long, value_name = "FILE")]
    static_staging: Option<PathBuf>,
    /// Staging file to write (default: <staging artifact>/dynamic_miner.json).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// The version's venv site-packages for the interpreter llemc was built against.
fn default_site_packages(common: &Common, dist: &str, version: &str) -> PathBuf {
    let (py, _) = build_interpreter();
    let layout = Layout::cwd().with_cache(&common.cache);
    site_packages(&layout.venv(dist, version), py)
}

/// The interpreter on the given site-packages (default: the version's venv), checked to import
/// the SSOT's library at `version` when there is an SSOT.
fn start(
    ssot: Option<&EngineSsot>,
    common: &Common,
    version: &str,
    given: &[PathBuf],
) -> Result<Live, Diagnostic> {
    let dirs = if given.is_empty() {
        let dist = ssot.map_or(common.engine.as_str(), |s| s.distribution.as_str());
        vec![default_site_packages(common, dist, version)]
    } else {
        given.to_vec()
    };
    match ssot {
        Some(s) => start_library(&dirs, &s.distribution, version),
        None => Live::start(&dirs).map_err(|e| {
            Diagnostic::error("E671", format!("the embedded interpreter failed: {e}"))
                .with_help("pass --site-packages with the folders the classes import from")
        }),
    }
}

fn version_of(ssot: &EngineSsot, common: &Common) -> Result<String, Diagnostic> {
    let version = common
        .version
        .clone()
        .unwrap_or_else(|| ssot.default_version.clone());
    ssot.supported(&version)?;
    Ok(version)
}

/// A staging file of the version (the SSOT's `staging` artifact, else the default folder).
fn staging_file(ssot: &EngineSsot, common: &Common, version: &str, name: &str) -> PathBuf {
    Layout::cwd()
        .with_cache(&common.cache)
        .with_artifacts(&ssot.artifacts)
        .staging(&ssot.engine, version)
        .join(name)
}

/// The engine schema of a version (`E901` when it cannot be read): its name and text.
fn read_schema(path: &Path) -> Result<(String, String), Diagnostic> {
    let name = Layout::cwd().display(path);
    let text = read_text(path, &name, None)?;
    Ok((name, text))
}

/// Parses `module:Class[=native]`.
fn parse_class(text: &str) -> Option<Target> {
    let (spec, native) = match text.split_once('=') {
        Some((s, n)) => (s, Some(n)),
        None => (text, None),
    };
    let (module, class) = spec.split_once(':')?;
    if module.is_empty() || class.is_empty() {
        return None;
    }
    Some(Target {
        native_type: native.map_or_else(|| format!("{module}.{class}"), str::to_owned),
        module: module.to_owned(),
        class: class.to_owned(),
    })
}

/// Runs `llemc mine lifts`.
pub fn run_lifts(a: &LiftsArgs, _out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let start_time = Instant::now();
    if !a.class.is_empty() {
        // library-agnostic: the classes named, a generated schema
        let mut targets = Vec::new();
        for c in &a.class {
            match parse_class(c) {
                Some(t) => targets.push(t),
                None => {
                    let _ = writeln!(
                        err,
                        "error: --class `{c}`: expected MODULE:CLASS[=NATIVE_TYPE]"
                    );
                    return exit::USAGE;
                }
            }
        }
        let Some(out_path) = a.out.clone() else {
            let _ = writeln!(err, "error: --class needs --out FILE");
            return exit::USAGE;
        };
        let version = a.common.version.clone().unwrap_or_else(|| "0".to_owned());
        let lifted = start(None, &a.common, &version, &a.site_packages)
            .and_then(|live| lift(&live, &a.common.engine, &version, &targets, None, &out_path));
        return match lifted {
            Ok(staging) => report_lifts(&staging, &out_path, start_time, err),
            Err(d) => fail_with(err, d),
        };
    }
    let Some(ssot) = load_ssot(&a.common, err) else {
        return exit::USAGE;
    };
    let lifted = version_of(&ssot, &a.common).and_then(|version| {
        let targets: Vec<Target> = ssot
            .native_types
            .iter()
            .map(|n| Target {
                native_type: n.name.clone(),
                module: n.module.clone(),
                class: n.class.clone(),
            })
            .collect();
        let (name, text) = read_schema(&Layout::cwd().schema(&ssot.engine, &version))?;
        let live = start(Some(&ssot), &a.common, &version, &a.site_packages)?;
        let out_path = a
            .out
            .clone()
            .unwrap_or_else(|| staging_file(&ssot, &a.common, &version, "lifts.json"));
        let staging = lift(
            &live,
            &ssot.engine,
            &version,
            &targets,
            Some((&name, &text)),
            &out_path,
        )?;
        Ok((staging, out_path))
    });
    match lifted {
        Ok((staging, out_path)) => report_lifts(&staging, &out_path, start_time, err),
        Err(d) => fail_with(err, d),
    }
}

/// Lifts `targets` and writes their staging file (`E674` when the interpreter fails).
fn lift(
    live: &Live,
    engine: &str,
    version: &str,
    targets: &[Target],
    schema: Option<(&str, &str)>,
    out_path: &Path,
) -> Result<LiftStaging, Diagnostic> {
    let staging = lift_classes(live, engine, version, targets, schema)
        .map_err(|e| Diagnostic::error("E674", format!("the lifts failed: {e}")))?;
    write_staging(out_path, &staging.to_json())?;
    Ok(staging)
}

/// Writes a staging file (`E902` when it cannot be).
fn write_staging(path: &Path, json: &str) -> Result<(), Diagnostic> {
    write_atomically(path, json).map_err(|e| cannot_write(&path.display().to_string(), &e))
}

fn report_lifts(
    staging: &LiftStaging,
    out_path: &Path,
    start_time: Instant,
    err: &mut dyn Write,
) -> i32 {
    let _ = writeln!(
        err,
        "lifted {} {}: {} class(es) inspected, {} rule(s), {} dropped -> {} ({:.2} s)",
        staging.engine,
        staging.engine_version,
        staging.report.inspected.len(),
        staging.rules.len(),
        staging.report.dropped.len(),
        out_path.display(),
        start_time.elapsed().as_secs_f64()
    );
    for i in &staging.report.inspected {
        let _ = writeln!(
            err,
            "  {:<44} {:<11} enforced {:<13} {:>3} field(s) {:>3} rule(s){}",
            i.native_type,
            i.kind,
            i.enforced,
            i.fields,
            i.rules,
            i.error
                .as_deref()
                .map(|e| format!("  ({e})"))
                .unwrap_or_default()
        );
    }
    exit::OK
}

/// Runs `llemc mine dynamic`.
pub fn run_dynamic(a: &DynamicArgs, _out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let start_time = Instant::now();
    let Some(ssot) = load_ssot(&a.common, err) else {
        return exit::USAGE;
    };
    match mine(a, &ssot) {
        Ok((staging, out_path)) => report_dynamic(&ssot, &staging, &out_path, start_time, err),
        Err(d) => fail_with(err, d),
    }
}

/// Probes the version's clusters and writes the staging file.
fn mine(a: &DynamicArgs, ssot: &EngineSsot) -> Result<(DynamicStaging, PathBuf), Diagnostic> {
    let version = version_of(ssot, &a.common)?;
    let layout = Layout::cwd();
    let probes_path = a
        .probes
        .clone()
        .unwrap_or_else(|| layout.probes(&ssot.engine));
    let probes_name = layout.display(&probes_path);
    let clusters = read_probes(&probes_name, &read_text(&probes_path, &probes_name, None)?)
        .map_err(|e| Diagnostic::error("E675", e))?;
    let schema_file = a
        .schema
        .clone()
        .unwrap_or_else(|| layout.schema(&ssot.engine, &version));
    let (schema_name, schema_text) = read_schema(&schema_file)?;
    let static_file = a
        .static_staging
        .clone()
        .unwrap_or_else(|| staging_file(ssot, &a.common, &version, "static_miner.json"));
    let static_rules = StagingFile::read(&static_file, &layout.display(&static_file))
        .map(|s| static_rules(&s))
        .unwrap_or_default();
    let live = start(Some(ssot), &a.common, &version, &a.site_packages)?;
    let classes: Classes = ssot
        .native_types
        .iter()
        .map(|n| (n.name.clone(), (n.module.clone(), n.class.clone())))
        .collect();
    let ctx = Context {
        engine: &ssot.engine,
        version: &version,
        schema: (&schema_name, &schema_text),
        static_rules: &static_rules,
    };
    let variable = ssot
        .minor_issues_variable
        .clone()
        .unwrap_or_else(|| "minor_issues".to_owned());
    let staging = mine_dynamic(&live, &ctx, &clusters, &classes, &variable)
        .map_err(|e| Diagnostic::error("E675", format!("the dynamic miner failed: {e}")))?;
    let out_path = a
        .out
        .clone()
        .unwrap_or_else(|| staging_file(ssot, &a.common, &version, "dynamic_miner.json"));
    write_staging(&out_path, &staging.to_json())?;
    Ok((staging, out_path))
}

fn report_dynamic(
    ssot: &EngineSsot,
    staging: &DynamicStaging,
    out_path: &Path,
    start_time: Instant,
    err: &mut dyn Write,
) -> i32 {
    let r = &staging.report;
    let _ = writeln!(
        err,
        "probed {} {}: {} cluster(s), {} row(s), {} rule(s) ({} confirm static-miner predicates), {} unexplained signal(s) -> {} ({:.2} s)",
        ssot.distribution,
        staging.engine_version,
        r.clusters,
        r.rows,
        r.rules,
        r.confirmed_static,
        r.unexplained,
        out_path.display(),
        start_time.elapsed().as_secs_f64()
    );
    for c in &r.by_cluster {
        let rules = c.signals.iter().filter(|s| s.rule.is_some()).count();
        let _ = writeln!(
            err,
            "  {:<28} {:>5} row(s) {:>3} signal(s) {:>3} rule(s){}",
            c.name,
            c.rows,
            c.signals.len(),
            rules,
            c.skipped
                .as_deref()
                .map(|s| format!("  skipped: {s}"))
                .unwrap_or_default()
        );
    }
    exit::OK
}

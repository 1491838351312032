//! `llemc mine`: fetch an engine library's source and run the static miner on it (the live
//! miners, `lifts` and `dynamic`, are in `mine_live.rs`).

use clap::{Args, Subcommand};
use llemc_cli_common::exit;
use llemc_compiler::atomic_write::write_all_atomically;
use llemc_compiler::diagnostic::{Color, SourceMap, render_human};
use llemc_mining::layout::{Artifact, Layout};
use llemc_mining::ssot::EngineSsot;
use llemc_static_miner::source::{SourceError, fetch_source};
use llemc_static_miner::{
    MineError, MineOutput, SsotFile, check_against_schema, mine, supported_version,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `llemc mine ...`.
#[derive(Args, Debug)]
pub struct MineArgs {
    #[command(subcommand)]
    command: MineCommand,
}

#[derive(Subcommand, Debug)]
enum MineCommand {
    /// Mine the validators named in engine_versions/<engine>.yaml into a staging file and the
    /// generated engine schema.
    #[command(disable_version_flag = true)]
    Static(StaticArgs),
    /// Download (once) and unpack (once) the pinned wheel of a library version.
    #[command(disable_version_flag = true)]
    Source(SourceArgs),
    /// Lift the constraints the native types declare in their type metadata (pydantic, msgspec,
    /// dataclass `Literal`) into <staging>/lifts.json.
    #[cfg(feature = "python")]
    #[command(disable_version_flag = true)]
    Lifts(crate::mine_live::LiftsArgs),
    /// Probe the native types with the clusters of engines/<engine>/probes.yaml and infer rules
    /// into <staging>/dynamic_miner.json.
    #[cfg(feature = "python")]
    #[command(disable_version_flag = true)]
    Dynamic(crate::mine_live::DynamicArgs),
}

#[derive(Args, Debug)]
pub(crate) struct Common {
    /// Engine (reads engine_versions/<engine>.yaml).
    #[arg(long, default_value = "transformers")]
    pub(crate) engine: String,
    /// Library version (default: the SSOT's default_version).
    #[arg(long, value_name = "VERSION")]
    pub(crate) version: Option<String>,
    /// The SSOT file (default: engine_versions/<engine>.yaml).
    #[arg(long, value_name = "FILE")]
    pub(crate) ssot: Option<PathBuf>,
    /// Cache folder for wheels and unpacked sources.
    #[arg(long, value_name = "DIR", default_value = ".cache")]
    pub(crate) cache: PathBuf,
}

#[derive(Args, Debug)]
struct StaticArgs {
    #[command(flatten)]
    common: Common,
    /// Mine this source tree (the folder holding the package) instead of the pinned wheel.
    #[arg(long, value_name = "DIR")]
    source: Option<PathBuf>,
    /// Staging file to write (default: <staging artifact>/static_miner.json).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Where to write the generated schema (default: the SSOT's `schema` artifact).
    #[arg(long, value_name = "FILE")]
    schema_out: Option<PathBuf>,
    /// Do not write the generated schema.
    #[arg(long)]
    no_schema: bool,
    /// Mine this many times and report the time per run (a timed batch; nothing else changes).
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: u32,
}

#[derive(Args, Debug)]
struct SourceArgs {
    #[command(flatten)]
    common: Common,
}

/// Runs `llemc mine`.
pub fn run(args: &MineArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match &args.command {
        MineCommand::Static(a) => run_static(a, out, err),
        MineCommand::Source(a) => run_source(a, out, err),
        #[cfg(feature = "python")]
        MineCommand::Lifts(a) => crate::mine_live::run_lifts(a, out, err),
        #[cfg(feature = "python")]
        MineCommand::Dynamic(a) => crate::mine_live::run_dynamic(a, out, err),
    }
}

pub(crate) fn load_ssot(common: &Common, err: &mut dyn Write) -> Option<EngineSsot> {
    crate::ssot_file::load_ssot(&common.engine, common.ssot.as_deref(), err)
}

fn fetch(
    ssot: &EngineSsot,
    common: &Common,
    version: &str,
    err: &mut dyn Write,
) -> Option<PathBuf> {
    match fetch_source(&common.cache, &ssot.distribution, version) {
        Ok(p) => Some(p),
        Err(e @ SourceError::Download { .. }) => {
            let _ = writeln!(err, "error: {e}");
            None
        }
        Err(e) => {
            let _ = writeln!(err, "error: {} {version}: {e}", ssot.distribution);
            None
        }
    }
}

fn run_source(a: &SourceArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ssot) = load_ssot(&a.common, err) else {
        return exit::USAGE;
    };
    let version = a
        .common
        .version
        .clone()
        .unwrap_or_else(|| ssot.default_version.clone());
    if let Err(m) = ssot.version(&version) {
        let _ = writeln!(err, "error: {m}");
        return exit::USAGE;
    }
    match fetch(&ssot, &a.common, &version, err) {
        Some(p) => {
            let _ = writeln!(out, "{}", p.display());
            exit::OK
        }
        None => exit::USAGE,
    }
}

/// Writes every file atomically, all or none (see [`write_all_atomically`]).
pub(crate) fn write_all_or_nothing(files: &[(&Path, &str)]) -> Result<(), String> {
    let bytes: Vec<(&Path, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    write_all_atomically(&bytes).map_err(|e| {
        let shown: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        format!("{}: {e}", shown.join(", "))
    })
}

/// Writes the diagnostics of a mining error, pointing into the SSOT file; exit code 2.
fn mining_failed(e: &MineError, common: &Common, err: &mut dyn Write) -> i32 {
    let path = common
        .ssot
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("engine_versions/{}.yaml", common.engine)));
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut sources = SourceMap::new();
    let diagnostics = e.diagnostics(
        SsotFile {
            name: &name,
            text: &text,
        },
        &mut sources,
    );
    let _ = err.write_all(render_human(&diagnostics, &sources, Color::Never).as_bytes());
    exit::USAGE
}

fn run_static(a: &StaticArgs, _out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ssot) = load_ssot(&a.common, err) else {
        return exit::USAGE;
    };
    let version = a
        .common
        .version
        .clone()
        .unwrap_or_else(|| ssot.default_version.clone());
    if let Err(e) = supported_version(&ssot, &version) {
        return mining_failed(&e, &a.common, err);
    }
    let root = match &a.source {
        Some(dir) => dir.clone(),
        None => match fetch(&ssot, &a.common, &version, err) {
            Some(p) => p,
            None => return exit::USAGE,
        },
    };
    let mut result: Option<MineOutput> = None;
    let mut times = Vec::new();
    for _ in 0..a.repeat.max(1) {
        let start = Instant::now();
        match mine(&ssot, &version, &root) {
            Ok(o) => result = Some(o),
            Err(e) => return mining_failed(&e, &a.common, err),
        }
        times.push(start.elapsed().as_secs_f64());
    }
    let Some(output) = result else {
        return exit::USAGE;
    };
    if let Err(failure) = check_against_schema(&output.staging, &output.schema_yaml) {
        return crate::failure::fail(err, &failure);
    }
    let layout = Layout::cwd()
        .with_cache(&a.common.cache)
        .with_artifacts(&ssot.artifacts);
    let staging_path = a.out.clone().unwrap_or_else(|| {
        layout
            .staging(&ssot.engine, &version)
            .join("static_miner.json")
    });
    let schema_path = if a.no_schema {
        None
    } else {
        a.schema_out
            .clone()
            .or_else(|| layout.declared(Artifact::Schema, &version))
    };
    let staging_json = output.staging.to_json();
    let mut files: Vec<(&Path, &str)> = vec![(staging_path.as_path(), staging_json.as_str())];
    if let Some(p) = &schema_path {
        files.push((p.as_path(), output.schema_yaml.as_str()));
    }
    if let Err(e) = write_all_or_nothing(&files) {
        let _ = writeln!(err, "error: {e}");
        return exit::USAGE;
    }
    let schema_note = schema_path
        .map(|p| format!(", schema {}", p.display()))
        .unwrap_or_default();
    let r = &output.staging.report;
    let _ = writeln!(
        err,
        "mined {} {version}: {} sites, {} rules, {} opaque, {} unreachable, {} duplicates -> {}{schema_note}",
        ssot.distribution,
        r.sites,
        r.translated,
        r.opaque,
        r.unreachable,
        r.duplicates,
        staging_path.display()
    );
    let _ = writeln!(
        err,
        "  {:<28} {:>5} {:>10} {:>6}",
        "landmark / detector", "sites", "translated", "opaque"
    );
    for (k, c) in &r.by_landmark {
        let _ = writeln!(
            err,
            "  {k:<28} {:>5} {:>10} {:>6}",
            c.sites, c.translated, c.opaque
        );
    }
    for (k, c) in &r.by_detector {
        let _ = writeln!(
            err,
            "  {k:<28} {:>5} {:>10} {:>6}",
            c.sites, c.translated, c.opaque
        );
    }
    for (reason, n) in &r.opaque_reasons {
        let _ = writeln!(err, "  opaque x{n}: {reason}");
    }
    if a.repeat > 1 {
        let min = times.iter().copied().fold(f64::INFINITY, f64::min);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let _ = writeln!(
            err,
            "timing: {} runs, min {:.2} ms, mean {:.2} ms per run (parse + translate, source cached)",
            times.len(),
            min * 1e3,
            mean * 1e3
        );
    }
    exit::OK
}

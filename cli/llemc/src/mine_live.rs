//! `llemc mine lifts` and `llemc mine dynamic`: the miners that run inside the embedded CPython
//! (feature `python`). One process hosts one library version.

use super::mine::{Common, load_ssot, write_all_or_nothing};
use clap::Args;
use llemc_cli_common::exit;
use llemc_live::bridge::{Live, build_interpreter};
use llemc_live::dynamic::live::{Classes, mine_dynamic};
use llemc_live::dynamic::probes::read_probes;
use llemc_live::dynamic::{Context, static_predicates};
use llemc_live::lifts::Target;
use llemc_live::lifts::live::lift_classes;
use llemc_mining::layout::Layout;
use llemc_mining::ssot::EngineSsot;
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

/// `<cache>/venvs/<dist>-<version>/lib/python<X.Y>/site-packages` for the interpreter llemc
/// was built against.
fn default_site_packages(cache: &Path, dist: &str, version: &str) -> PathBuf {
    let (py, _) = build_interpreter();
    cache
        .join("venvs")
        .join(format!("{dist}-{version}"))
        .join("lib")
        .join(format!("python{py}"))
        .join("site-packages")
}

fn start(
    ssot: Option<&EngineSsot>,
    common: &Common,
    version: &str,
    given: &[PathBuf],
    err: &mut dyn Write,
) -> Option<Live> {
    let dirs = if given.is_empty() {
        let dist = ssot.map_or(common.engine.as_str(), |s| s.distribution.as_str());
        vec![default_site_packages(&common.cache, dist, version)]
    } else {
        given.to_vec()
    };
    let live = match Live::start(&dirs) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: {e} (create the venv: pip install the library into .cache/venvs/<dist>-<version>, or pass --site-packages)"
            );
            return None;
        }
    };
    if let Some(s) = ssot {
        match live.distribution_version(&s.distribution) {
            Ok(Some(found)) if found == version => {}
            Ok(found) => {
                let _ = writeln!(
                    err,
                    "error: {} {version} asked for, but the interpreter imports {} (check --site-packages)",
                    s.distribution,
                    found.unwrap_or_else(|| "nothing".to_owned())
                );
                return None;
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return None;
            }
        }
    }
    Some(live)
}

fn version_of(ssot: &EngineSsot, common: &Common, err: &mut dyn Write) -> Option<String> {
    let version = common
        .version
        .clone()
        .unwrap_or_else(|| ssot.default_version.clone());
    if let Err(m) = ssot.version(&version) {
        let _ = writeln!(err, "error: {m}");
        return None;
    }
    Some(version)
}

fn staging_file(ssot: &EngineSsot, version: &str, name: &str) -> PathBuf {
    let dir = ssot
        .artifact("staging", version)
        .unwrap_or_else(|| format!(".cache/staging/{}/{version}", ssot.engine));
    PathBuf::from(dir).join(name)
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
        let Some(live) = start(None, &a.common, &version, &a.site_packages, err) else {
            return exit::USAGE;
        };
        return finish_lifts(
            &live,
            &a.common.engine,
            &version,
            &targets,
            None,
            &out_path,
            start_time,
            err,
        );
    }
    let Some(ssot) = load_ssot(&a.common, err) else {
        return exit::USAGE;
    };
    let Some(version) = version_of(&ssot, &a.common, err) else {
        return exit::USAGE;
    };
    let targets: Vec<Target> = ssot
        .native_types
        .iter()
        .map(|n| Target {
            native_type: n.name.clone(),
            module: n.module.clone(),
            class: n.class.clone(),
        })
        .collect();
    let schema_file = Layout::new(".").schema(&ssot.engine, &version);
    let schema_text = match std::fs::read_to_string(&schema_file) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: cannot read the engine schema {}: {e}",
                schema_file.display()
            );
            return exit::USAGE;
        }
    };
    let Some(live) = start(Some(&ssot), &a.common, &version, &a.site_packages, err) else {
        return exit::USAGE;
    };
    let out_path = a
        .out
        .clone()
        .unwrap_or_else(|| staging_file(&ssot, &version, "lifts.json"));
    let name = schema_file.display().to_string();
    finish_lifts(
        &live,
        &ssot.engine,
        &version,
        &targets,
        Some((&name, &schema_text)),
        &out_path,
        start_time,
        err,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish_lifts(
    live: &Live,
    engine: &str,
    version: &str,
    targets: &[Target],
    schema: Option<(&str, &str)>,
    out_path: &Path,
    start_time: Instant,
    err: &mut dyn Write,
) -> i32 {
    let staging = match lift_classes(live, engine, version, targets, schema) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::USAGE;
        }
    };
    if let Err(e) = write_all_or_nothing(&[(out_path, &staging.to_json())]) {
        let _ = writeln!(err, "error: {e}");
        return exit::USAGE;
    }
    let _ = writeln!(
        err,
        "lifted {engine} {version}: {} class(es) inspected, {} rule(s), {} dropped -> {} ({:.2} s)",
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
    let Some(version) = version_of(&ssot, &a.common, err) else {
        return exit::USAGE;
    };
    let probes_path = a
        .probes
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("engines/{}/probes.yaml", ssot.engine)));
    let clusters = match std::fs::read_to_string(&probes_path)
        .map_err(|e| format!("cannot read {}: {e}", probes_path.display()))
        .and_then(|t| read_probes(&probes_path.display().to_string(), &t))
    {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::USAGE;
        }
    };
    let schema_file = a
        .schema
        .clone()
        .unwrap_or_else(|| Layout::new(".").schema(&ssot.engine, &version));
    let schema_text = match std::fs::read_to_string(&schema_file) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: cannot read the engine schema {}: {e}",
                schema_file.display()
            );
            return exit::USAGE;
        }
    };
    let static_file = a
        .static_staging
        .clone()
        .unwrap_or_else(|| staging_file(&ssot, &version, "static_miner.json"));
    let static_rules = std::fs::read_to_string(&static_file)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .map(|v| static_predicates(&v))
        .unwrap_or_default();
    let Some(live) = start(Some(&ssot), &a.common, &version, &a.site_packages, err) else {
        return exit::USAGE;
    };
    let classes: Classes = ssot
        .native_types
        .iter()
        .map(|n| (n.name.clone(), (n.module.clone(), n.class.clone())))
        .collect();
    let schema_name = schema_file.display().to_string();
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
    let staging = match mine_dynamic(&live, &ctx, &clusters, &classes, &variable) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::USAGE;
        }
    };
    let out_path = a
        .out
        .clone()
        .unwrap_or_else(|| staging_file(&ssot, &version, "dynamic_miner.json"));
    if let Err(e) = write_all_or_nothing(&[(&out_path, &staging.to_json())]) {
        let _ = writeln!(err, "error: {e}");
        return exit::USAGE;
    }
    let r = &staging.report;
    let _ = writeln!(
        err,
        "probed {} {version}: {} cluster(s), {} row(s), {} rule(s) ({} confirm static-miner predicates), {} unexplained signal(s) -> {} ({:.2} s)",
        ssot.distribution,
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

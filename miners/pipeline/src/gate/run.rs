//! `llemc validate`: make the version's venv ready, start the embedded interpreter on it, check
//! that it holds exactly the requested library version, gate the proposed corpus and write the
//! validated and quarantine files.

use super::judge::{GateInput, Observer, gate_corpus};
use super::model::{GateReport, Observation, Target};
use super::output::{quarantine, validated_corpus};
use llemc_compiler::atomic_write::write_atomically;
use llemc_compiler::corpus::Stage;
use llemc_compiler::diagnostic::{Diagnostic, SourceMap};
use llemc_live::bridge::{Live, start_library};
use llemc_live::env::{EnvSpec, ensure};
use llemc_mining::failure::{Failure, cannot_write, read_text};
use llemc_mining::layout::Layout;
use llemc_mining::ssot::{EngineSsot, read_ssot};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to validate.
#[derive(Clone, Debug)]
pub struct ValidateOptions {
    /// Repository root (holds `engine_versions/`, `engines/`, `.cache/`).
    pub root: PathBuf,
    /// Engine name.
    pub engine: String,
    /// Library version (default: the SSOT's `default_version`).
    pub version: Option<String>,
    /// Per-case (per-phase) timeout in seconds.
    pub timeout_s: f64,
    /// Site-packages to use instead of the version's venv (tests, fixtures).
    pub site_packages: Option<Vec<PathBuf>>,
    /// The interpreter venvs are created from.
    pub python: String,
}

/// What a gate run did.
#[derive(Clone, Debug)]
pub struct ValidateOutcome {
    /// The verdicts.
    pub report: GateReport,
    /// Files written (paths relative to the root).
    pub written: Vec<String>,
    /// The gated corpus: its name and text (what divergences point into).
    pub corpus: (String, String),
}

/// The live library through `llemc_live.observe`.
pub struct LiveObserver<'a> {
    live: &'a Live,
}

impl<'a> LiveObserver<'a> {
    /// An observer on a started interpreter.
    pub fn new(live: &'a Live) -> Self {
        LiveObserver { live }
    }
}

impl Observer for LiveObserver<'_> {
    fn observe(
        &mut self,
        target: &Target,
        kwargs: &Map<String, Json>,
    ) -> Result<Observation, String> {
        let argument = serde_json::json!({
            "module": target.module,
            "class": target.class,
            "kwargs": kwargs,
            "strict": true,
            "timeout_s": target.timeout_s,
            "minor_issues_variable": target.minor_issues_variable,
        });
        // A generate-stage case runs on through generate() (`llemc_generate.observe_stage`).
        let (module, function) = match target.stage {
            Stage::Generate => ("llemc_generate", "observe_stage"),
            Stage::Construct | Stage::Validate => ("llemc_live", "observe"),
        };
        let value = self
            .live
            .call(module, function, &argument)
            .map_err(|e| e.to_string())?;
        serde_json::from_value(value).map_err(|e| format!("unexpected observe report: {e}"))
    }

    fn regex_search(&mut self, pattern: &str, text: &str) -> Result<bool, String> {
        let value = self
            .live
            .call(
                "llemc_gate",
                "search",
                &serde_json::json!({"pattern": pattern, "text": text}),
            )
            .map_err(|e| e.to_string())?;
        match value {
            Json::Bool(b) => Ok(b),
            other => Err(other
                .get("error")
                .and_then(Json::as_str)
                .unwrap_or("unexpected answer")
                .to_owned()),
        }
    }
}

/// Reads the SSOT of `engine` (`E901`, or its own diagnostics pointing into it).
pub fn load_ssot(layout: &Layout, engine: &str) -> Result<EngineSsot, Failure> {
    let path = layout.ssot(engine);
    let shown = layout.display(&path);
    let text = read_text(
        &path,
        &shown,
        Some("run llemc from the repository root, or pass --root"),
    )?;
    let mut sources = SourceMap::new();
    let file = sources.add(&shown, text.as_str());
    read_ssot(file, &text).map_err(|diagnostics| Failure::new(diagnostics, sources))
}

/// Runs the gate. `Err` is a hard error (exit 2): unknown engine or version, proposed corpus
/// missing or not compiling, venv failure, library not installed or of another version, a native
/// type that does not import; nothing is written then.
pub fn validate(options: &ValidateOptions) -> Result<ValidateOutcome, Failure> {
    let ssot = load_ssot(&Layout::new(&options.root), &options.engine)?;
    let version = options
        .version
        .clone()
        .unwrap_or_else(|| ssot.default_version.clone());
    ssot.supported(&version)?;
    let layout = Layout::new(&options.root).with_artifacts(&ssot.artifacts);
    let files = GateFiles::read(&layout, &options.engine, &version)?;
    let sites = site_packages(options, &layout, &ssot, &version)?;
    let live = start_library(&sites, &ssot.distribution, &version)?;
    let targets = targets(&live, &ssot, options.timeout_s)?;
    let input = GateInput {
        engine: &ssot.engine,
        version: &version,
        corpus_name: &files.proposed_name,
        corpus_text: &files.proposed,
        schema: (&files.schema_name, &files.schema),
        targets: &targets,
    };
    let report = gate_corpus(&input, &mut LiveObserver::new(&live))?;
    let command = format!(
        "llemc validate --engine {} --version {version}",
        options.engine
    );
    let validated = validated_corpus(&report, &files.proposed, &command)?;
    let validated_path = layout.validated(&options.engine, &version);
    let quarantine_path = layout.quarantine(&options.engine, &version);
    let validated_name = layout.display(&validated_path);
    must_compile(&validated_name, &validated, &files, &version)?;
    let quarantined = quarantine(&report, &command);
    for (path, text) in [
        (&validated_path, &validated),
        (&quarantine_path, &quarantined),
    ] {
        write_atomically(path, text).map_err(|e| cannot_write(&layout.display(path), &e))?;
    }
    Ok(ValidateOutcome {
        report,
        written: vec![validated_name, layout.display(&quarantine_path)],
        corpus: (files.proposed_name, files.proposed),
    })
}

/// The proposed corpus and the engine schema of a version.
struct GateFiles {
    proposed_name: String,
    proposed: String,
    schema_name: String,
    schema: String,
}

impl GateFiles {
    /// `E641` when the proposed corpus is missing.
    fn read(layout: &Layout, engine: &str, version: &str) -> Result<GateFiles, Failure> {
        let proposed_path = layout.proposed(engine, version);
        let proposed_name = layout.display(&proposed_path);
        if !proposed_path.is_file() {
            return Err(Diagnostic::error(
                "E641",
                format!("the proposed corpus `{proposed_name}` is missing"),
            )
            .with_help(format!(
                "run `llemc build-corpus --engine {engine} --version {version}`"
            ))
            .into());
        }
        let proposed = read_text(&proposed_path, &proposed_name, None)?;
        let schema_file = layout.schema(engine, version);
        let schema_name = layout.display(&schema_file);
        let schema = read_text(&schema_file, &schema_name, None)?;
        Ok(GateFiles {
            proposed_name,
            proposed,
            schema_name,
            schema,
        })
    }
}

/// The site-packages to import the library from: the ones given, else the version's venv
/// (made ready; `E670` when it cannot be).
fn site_packages(
    options: &ValidateOptions,
    layout: &Layout,
    ssot: &EngineSsot,
    version: &str,
) -> Result<Vec<PathBuf>, Diagnostic> {
    if let Some(sites) = &options.site_packages {
        return Ok(sites.clone());
    }
    let spec = EnvSpec::for_version(ssot, version);
    let venv = ensure(&layout.venvs(), &spec, &options.python).map_err(|e| {
        Diagnostic::error(
            "E670",
            format!(
                "the venv for {} {version} is not ready: {e}",
                ssot.distribution
            ),
        )
        .with_help(format!(
            "check that `{}` is CPython 3.11 and that PyPI is reachable",
            options.python
        ))
    })?;
    Ok(vec![venv.site_packages])
}

/// Where each native type lives (`E673` when one does not import).
fn targets(
    live: &Live,
    ssot: &EngineSsot,
    timeout_s: f64,
) -> Result<BTreeMap<String, Target>, Diagnostic> {
    let mut targets = BTreeMap::new();
    for native in &ssot.native_types {
        let problem = live
            .call(
                "llemc_gate",
                "importable",
                &serde_json::json!({"module": native.module, "class": native.class}),
            )
            .map_err(|e| Diagnostic::error("E671", format!("the interpreter failed: {e}")))?;
        if let Some(why) = problem.as_str() {
            return Err(Diagnostic::error(
                "E673",
                format!(
                    "native type {} ({}.{}) does not import: {why}",
                    native.name, native.module, native.class
                ),
            )
            .with_help("fix `module:` / `class:` under `native_types:` in the engine's SSOT"));
        }
        targets.insert(
            native.name.clone(),
            Target {
                module: native.module.clone(),
                class: native.class.clone(),
                package: native
                    .module
                    .split('.')
                    .next()
                    .unwrap_or(&native.module)
                    .to_owned(),
                timeout_s,
                minor_issues_variable: ssot
                    .minor_issues_variable
                    .clone()
                    .unwrap_or_else(|| "minor_issues".to_owned()),
                stage: Stage::Construct,
            },
        );
    }
    Ok(targets)
}

/// `E644`: the validated corpus must compile before it is written.
fn must_compile(name: &str, text: &str, files: &GateFiles, version: &str) -> Result<(), Failure> {
    let check = CorpusInput {
        name,
        text,
        schema: Some((&files.schema_name, &files.schema)),
        compat: false,
        engine_version: Some(version.to_owned()),
    };
    compile_corpus(&check).map(|_| ()).map_err(|f| {
        let mut diagnostics = vec![
            Diagnostic::error(
                "E644",
                "internal error: the validated corpus does not compile; nothing written",
            )
            .with_help("report this with the diagnostics below"),
        ];
        diagnostics.extend(f.diagnostics);
        Failure::new(diagnostics, f.sources)
    })
}

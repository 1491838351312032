//! `llemc validate`: make the version's venv ready, start the embedded interpreter on it, check
//! that it holds exactly the requested library version, gate the proposed corpus and write the
//! validated and quarantine files.

use super::judge::{GateInput, Observer, gate_corpus};
use super::model::{GateReport, Observation, Target};
use super::output::{quarantine, validated_corpus};
use llemc_compiler::atomic_write::write_atomically;
use llemc_compiler::diagnostic::FileId;
use llemc_live::bridge::Live;
use llemc_live::env::{EnvSpec, ensure};
use llemc_mining::layout::Layout;
use llemc_mining::ssot::read_ssot;
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
        let value = self
            .live
            .call("llemc_live", "observe", &argument)
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

fn read(path: &Path, root: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the {what} {}: {e}",
            Layout::new(root).display(path)
        )
    })
}

/// Runs the gate. `Err` is a hard error (exit 2): unknown engine or version, proposed corpus
/// missing or not compiling, venv failure, library not installed or of another version, a native
/// type that does not import; nothing is written then.
pub fn validate(options: &ValidateOptions) -> Result<ValidateOutcome, String> {
    let root = &options.root;
    let ssot_path = Layout::new(root).ssot(&options.engine);
    let ssot_text = read(&ssot_path, root, "engine SSOT")?;
    let ssot = read_ssot(FileId(0), &ssot_text).map_err(|diags| {
        let first = diags.first().map(|d| d.message.clone()).unwrap_or_default();
        format!(
            "{} is invalid: {first}",
            Layout::new(root).display(&ssot_path)
        )
    })?;
    let version = options
        .version
        .clone()
        .unwrap_or_else(|| ssot.default_version.clone());
    ssot.version(&version)?;
    let layout = Layout::new(root).with_artifacts(&ssot.artifacts);
    let proposed_path = layout.proposed(&options.engine, &version);
    let validated_path = layout.validated(&options.engine, &version);
    let quarantine_path = layout.quarantine(&options.engine, &version);
    if !proposed_path.is_file() {
        return Err(format!(
            "the proposed corpus {} is missing (run `llemc build-corpus --engine {} --version {version}`)",
            Layout::new(root).display(&proposed_path),
            options.engine
        ));
    }
    let proposed = read(&proposed_path, root, "proposed corpus")?;
    let schema_file = Layout::new(root).schema(&options.engine, &version);
    let schema = read(&schema_file, root, "engine schema")?;

    let sites = match &options.site_packages {
        Some(sites) => sites.clone(),
        None => {
            let spec = EnvSpec {
                distribution: ssot.distribution.clone(),
                version: version.clone(),
                extras: ssot.env_extras.clone(),
                shared: ssot.shared_env.clone(),
            };
            let venv = ensure(&root.join(".cache").join("venvs"), &spec, &options.python).map_err(
                |e| {
                    format!(
                        "the venv for {} {version} is not ready: {e}",
                        ssot.distribution
                    )
                },
            )?;
            vec![venv.site_packages]
        }
    };
    let live = Live::start(&sites).map_err(|e| format!("the embedded interpreter failed: {e}"))?;
    match live
        .distribution_version(&ssot.distribution)
        .map_err(|e| format!("cannot ask the interpreter for {}: {e}", ssot.distribution))?
    {
        None => {
            return Err(format!(
                "{} is not installed in the interpreter's site-packages",
                ssot.distribution
            ));
        }
        Some(found) if found != version => {
            return Err(format!(
                "version mismatch: the interpreter imports {} {found}, not {version} (one process \
                 hosts one library version; run one `llemc validate` per version)",
                ssot.distribution
            ));
        }
        Some(_) => {}
    }
    let mut targets = BTreeMap::new();
    for native in &ssot.native_types {
        let problem = live
            .call(
                "llemc_gate",
                "importable",
                &serde_json::json!({"module": native.module, "class": native.class}),
            )
            .map_err(|e| e.to_string())?;
        if let Some(why) = problem.as_str() {
            return Err(format!(
                "native type {} ({}.{}) does not import: {why}",
                native.name, native.module, native.class
            ));
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
                timeout_s: options.timeout_s,
                minor_issues_variable: ssot
                    .minor_issues_variable
                    .clone()
                    .unwrap_or_else(|| "minor_issues".to_owned()),
            },
        );
    }
    let proposed_name = Layout::new(root).display(&proposed_path);
    let schema_name = Layout::new(root).display(&schema_file);
    let input = GateInput {
        engine: &ssot.engine,
        version: &version,
        corpus_name: &proposed_name,
        corpus_text: &proposed,
        schema: (&schema_name, &schema),
        targets: &targets,
    };
    let mut observer = LiveObserver::new(&live);
    let report = gate_corpus(&input, &mut observer)?;

    let command = format!(
        "llemc validate --engine {} --version {version}",
        options.engine
    );
    let validated = validated_corpus(&report, &proposed, &command)?;
    let validated_name = Layout::new(root).display(&validated_path);
    let check = CorpusInput {
        name: &validated_name,
        text: &validated,
        schema: Some((&schema_name, &schema)),
        compat: false,
        engine_version: Some(version.clone()),
    };
    if let Err(f) = compile_corpus(&check) {
        let first = f
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code, d.message))
            .unwrap_or_default();
        return Err(format!(
            "internal error: the validated corpus does not compile ({first}); nothing written"
        ));
    }
    let quarantined = quarantine(&report, &command);
    for (path, text) in [
        (&validated_path, &validated),
        (&quarantine_path, &quarantined),
    ] {
        write_atomically(path, text)
            .map_err(|e| format!("cannot write {}: {e}", Layout::new(root).display(path)))?;
    }
    Ok(ValidateOutcome {
        report,
        written: vec![validated_name, Layout::new(root).display(&quarantine_path)],
    })
}

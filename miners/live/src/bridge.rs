//! Embedded CPython (pyo3). One interpreter per process: it imports the library from the venv
//! whose site-packages `Live::start` puts first on `sys.path`, so one process sees exactly one
//! version of the library. Rust and Python exchange JSON only (`Live::call`).

use std::ffi::CString;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyModule};

/// The Python modules llemc embeds, as (module name, source). Every function they export takes one
/// JSON value and returns one.
const EMBEDDED_MODULES: &[(&str, &str)] = &[
    ("llemc_live", include_str!("../python/llemc_live.py")),
    (
        "llemc_generate",
        include_str!("../python/llemc_generate.py"),
    ),
    ("llemc_gate", include_str!("../python/llemc_gate.py")),
    ("llemc_lifts", include_str!("../python/llemc_lifts.py")),
];

/// Why a call into the embedded interpreter failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// Python raised: exception type, message and traceback.
    Python {
        /// Qualified name of the exception type.
        kind: String,
        /// `str(exc)`.
        message: String,
        /// The formatted traceback (may be empty).
        traceback: String,
    },
    /// A value could not cross the bridge as JSON.
    Encoding(String),
    /// A site-packages directory given to `Live::start` does not exist.
    MissingSitePackages(PathBuf),
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::Python { kind, message, .. } => write!(f, "Python raised {kind}: {message}"),
            LiveError::Encoding(why) => write!(f, "value does not cross the Python bridge: {why}"),
            LiveError::MissingSitePackages(path) => {
                write!(
                    f,
                    "site-packages directory `{}` does not exist",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for LiveError {}

impl LiveError {
    fn from_py(py: Python<'_>, err: &PyErr) -> Self {
        let kind = err
            .get_type(py)
            .qualname()
            .map(|q| q.to_string())
            .unwrap_or_else(|_| "Exception".to_owned());
        let message = err
            .value(py)
            .str()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let traceback = err
            .traceback(py)
            .and_then(|tb| tb.format().ok())
            .unwrap_or_default();
        LiveError::Python {
            kind,
            message,
            traceback,
        }
    }
}

/// What the embedded interpreter reports about itself.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct InterpreterInfo {
    /// `sys.version`.
    pub version: String,
    /// `sys.version_info[:3]`.
    pub version_info: Vec<u32>,
    /// `sys.prefix`.
    pub prefix: String,
    /// `sys.base_prefix`.
    pub base_prefix: String,
    /// `sys.executable`.
    pub executable: String,
    /// `sys.path`, in order.
    pub path: Vec<String>,
}

/// A handle on the process's embedded interpreter with llemc's modules loaded.
#[derive(Debug)]
pub struct Live {
    _private: (),
}

impl Live {
    /// Initialises the interpreter (once per process), puts `site_packages` first on `sys.path`
    /// (in the given order), processes their `.pth` files as the venv's own interpreter would (a
    /// venv sees its shared site-packages through one, `live::env::SHARED_PTH`) and loads the
    /// embedded modules.
    pub fn start(site_packages: &[PathBuf]) -> Result<Live, LiveError> {
        for dir in site_packages {
            if !dir.is_dir() {
                return Err(LiveError::MissingSitePackages(dir.clone()));
            }
        }
        // One start at a time: a module being executed is already in `sys.modules`, so a
        // concurrent start would skip it and see it half-initialised.
        static START: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _serialised = START
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Python::initialize();
        Python::attach(|py| -> PyResult<()> {
            let sys = py.import("sys")?;
            let path = sys.getattr("path")?.cast_into::<PyList>()?;
            for (index, dir) in site_packages.iter().enumerate() {
                let text = dir.to_string_lossy().into_owned();
                if !path.contains(&text)? {
                    path.insert(index, text)?;
                }
            }
            // `site.addsitedir` keeps a folder already on `sys.path` where it is and appends
            // what its `.pth` files name; those (the shared venv's site-packages) then move up to
            // just after the given folders, as in the venv's own interpreter, so the base
            // interpreter's older copy of a package the venv shares (typing_extensions) cannot
            // shadow it.
            let before: Vec<String> = path.extract()?;
            let site = py.import("site")?;
            for dir in site_packages {
                site.call_method1("addsitedir", (dir.to_string_lossy().into_owned(),))?;
            }
            let after: Vec<String> = path.extract()?;
            let added: Vec<String> = after
                .into_iter()
                .filter(|entry| !before.contains(entry))
                .collect();
            for (offset, entry) in added.iter().enumerate() {
                path.call_method1("remove", (entry.as_str(),))?;
                path.insert(site_packages.len() + offset, entry.as_str())?;
            }
            let modules = sys.getattr("modules")?;
            for (name, source) in EMBEDDED_MODULES {
                if modules.contains(*name)? {
                    continue;
                }
                let code = cstring(source)?;
                let file = cstring(&format!("<llemc>/{name}.py"))?;
                let module_name = cstring(name)?;
                let module = PyModule::from_code(py, &code, &file, &module_name)?;
                modules.set_item(*name, module)?;
            }
            Ok(())
        })
        .map_err(|err| Python::attach(|py| LiveError::from_py(py, &err)))?;
        Ok(Live { _private: () })
    }

    /// Calls `module.function(argument)` with JSON in and JSON out.
    pub fn call(
        &self,
        module: &str,
        function: &str,
        argument: &serde_json::Value,
    ) -> Result<serde_json::Value, LiveError> {
        let text =
            serde_json::to_string(argument).map_err(|e| LiveError::Encoding(e.to_string()))?;
        let answer = Python::attach(|py| -> PyResult<String> {
            let json = py.import("json")?;
            let value = json.call_method1("loads", (text,))?;
            let target = py.import(module)?.getattr(function)?;
            let result = target.call1((value,))?;
            let live = py.import("llemc_live")?;
            let safe = live.getattr("jsonable")?.call1((result,))?;
            json.call_method1("dumps", (safe,))?.extract::<String>()
        })
        .map_err(|err| Python::attach(|py| LiveError::from_py(py, &err)))?;
        serde_json::from_str(&answer).map_err(|e| LiveError::Encoding(e.to_string()))
    }

    /// The interpreter's own description (`sys.version`, `sys.prefix`, `sys.path`, ...).
    pub fn interpreter(&self) -> Result<InterpreterInfo, LiveError> {
        let value = self.call("llemc_live", "interpreter", &serde_json::Value::Null)?;
        serde_json::from_value(value).map_err(|e| LiveError::Encoding(e.to_string()))
    }

    /// The installed version of `distribution` as the live interpreter sees it.
    pub fn distribution_version(&self, distribution: &str) -> Result<Option<String>, LiveError> {
        let value = self.call(
            "llemc_live",
            "distribution_version",
            &serde_json::json!({ "distribution": distribution }),
        )?;
        Ok(value.as_str().map(str::to_owned))
    }
}

/// Starts the interpreter on `site_packages` and checks that it imports exactly `distribution`
/// `version`: `E671` when it does not start, `E672` when the library is missing or of another
/// version (one process hosts one library version).
pub fn start_library(
    site_packages: &[PathBuf],
    distribution: &str,
    version: &str,
) -> Result<Live, llemc_compiler::diagnostic::Diagnostic> {
    use llemc_compiler::diagnostic::Diagnostic;
    let live = Live::start(site_packages).map_err(|e| {
        Diagnostic::error("E671", format!("the embedded interpreter failed: {e}")).with_help(
            "create the venv with `llemc env ensure ENGINE@VERSION`, or pass --site-packages",
        )
    })?;
    let found = live.distribution_version(distribution).map_err(|e| {
        Diagnostic::error(
            "E671",
            format!("cannot ask the interpreter for {distribution}: {e}"),
        )
    })?;
    match found {
        None => Err(Diagnostic::error(
            "E672",
            format!("{distribution} is not installed in the interpreter's site-packages"),
        )
        .with_help("check --site-packages, or run `llemc env ensure` for the version")),
        Some(found) if found != version => Err(Diagnostic::error(
            "E672",
            format!(
                "version mismatch: the interpreter imports {distribution} {found}, not {version}"
            ),
        )
        .with_note("one process hosts one library version")
        .with_help("run one command per version, each with that version's site-packages")),
        Some(_) => Ok(live),
    }
}

fn cstring(text: &str) -> PyResult<CString> {
    CString::new(text).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// The Python pyo3 was configured against at build time: (`major.minor`, libpython directory).
pub fn build_interpreter() -> (&'static str, &'static str) {
    (env!("LLEMC_PYO3_VERSION"), env!("LLEMC_PYO3_LIB_DIR"))
}

//! Venvs per supported library version: `.cache/venvs/{distribution}-{version}/`, created with the
//! `python3` the embedded interpreter matches and filled by pip. Idempotent: a venv whose marker
//! file names exactly the requested requirements is reused without calling pip.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The marker file written into a finished venv.
const MARKER: &str = "llemc-env.json";

/// What a venv must contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvSpec {
    /// The library's distribution name (`transformers`).
    pub distribution: String,
    /// The pinned version (`5.14.1`).
    pub version: String,
    /// Further requirements, pinned or not (`pyyaml`, `pydantic==2.11.7`).
    pub extras: Vec<String>,
}

impl EnvSpec {
    /// Every requirement pip is given, the library first.
    pub fn requirements(&self) -> Vec<String> {
        let mut all = vec![format!("{}=={}", self.distribution, self.version)];
        all.extend(self.extras.iter().cloned());
        all
    }

    /// The venv's folder under `cache` (the project's `.cache/venvs`).
    pub fn dir(&self, cache: &Path) -> PathBuf {
        cache.join(format!("{}-{}", self.distribution, self.version))
    }
}

/// The site-packages folder of the venv at `dir` for interpreter `python` (`X.Y`).
pub fn site_packages(dir: &Path, python: &str) -> PathBuf {
    dir.join("lib")
        .join(format!("python{python}"))
        .join("site-packages")
}

/// A ready venv.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Venv {
    /// The venv's folder.
    pub dir: PathBuf,
    /// Its site-packages (what the bridge puts on `sys.path`).
    pub site_packages: PathBuf,
    /// The requirements it was made with.
    pub requirements: Vec<String>,
    /// `major.minor` of its interpreter.
    pub python: String,
}

/// Why a venv could not be made ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvError {
    /// A command (venv creation, pip) failed.
    Command {
        /// What was run.
        command: String,
        /// Its last lines of output.
        message: String,
    },
    /// A file could not be read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvError::Command { command, message } => write!(f, "`{command}` failed: {message}"),
            EnvError::Io { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for EnvError {}

/// The venv for `spec` if it is complete (its marker names the same requirements), else `None`.
pub fn existing(cache: &Path, spec: &EnvSpec) -> Option<Venv> {
    let dir = spec.dir(cache);
    let text = fs::read_to_string(dir.join(MARKER)).ok()?;
    let venv: Venv = serde_json::from_str(&text).ok()?;
    (venv.requirements == spec.requirements() && venv.site_packages.is_dir()).then_some(venv)
}

/// Makes the venv for `spec` ready under `cache` and returns it; reuses a complete one.
///
/// `python` is the interpreter the venv is created from; it must be the one the embedded bridge
/// was built against (same `major.minor`), which is why callers pass it explicitly.
pub fn ensure(cache: &Path, spec: &EnvSpec, python: &str) -> Result<Venv, EnvError> {
    if let Some(ready) = existing(cache, spec) {
        return Ok(ready);
    }
    let dir = spec.dir(cache);
    fs::create_dir_all(cache).map_err(|e| io_err(cache, e))?;
    let venv_python = dir.join("bin").join("python");
    if !venv_python.is_file() {
        run(Command::new(python).args(["-m", "venv"]).arg(&dir))?;
    }
    run(Command::new(&venv_python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .args(spec.requirements()))?;
    let probe = run(Command::new(&venv_python).args([
        "-c",
        "import sys, sysconfig; print(sysconfig.get_paths()['purelib']); print('%d.%d' % sys.version_info[:2])",
    ]))?;
    let mut lines = probe.lines();
    let site_packages = PathBuf::from(lines.next().unwrap_or_default().trim());
    let python_version = lines.next().unwrap_or_default().trim().to_owned();
    let venv = Venv {
        dir: dir.clone(),
        site_packages,
        requirements: spec.requirements(),
        python: python_version,
    };
    let marker = dir.join(MARKER);
    let text = serde_json::to_string_pretty(&venv).map_err(|e| io_err(&marker, e))?;
    fs::write(&marker, text + "\n").map_err(|e| io_err(&marker, e))?;
    Ok(venv)
}

fn run(command: &mut Command) -> Result<String, EnvError> {
    let shown = format!("{command:?}").replace('"', "");
    let output = command.output().map_err(|e| EnvError::Command {
        command: shown.clone(),
        message: e.to_string(),
    })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let message = tail
        .get(tail.len().saturating_sub(3)..)
        .map(|lines| lines.join(" | "))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("exited with {}", output.status));
    Err(EnvError::Command {
        command: shown,
        message,
    })
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> EnvError {
    EnvError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(extras: &[&str]) -> EnvSpec {
        EnvSpec {
            distribution: "transformers".into(),
            version: "5.14.1".into(),
            extras: extras.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("llemc-env-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn write_marker(cache: &Path, spec: &EnvSpec) -> Result<Venv, Box<dyn std::error::Error>> {
        let dir = spec.dir(cache);
        let site = dir.join("lib/python3.11/site-packages");
        fs::create_dir_all(&site)?;
        let venv = Venv {
            dir: dir.clone(),
            site_packages: site,
            requirements: spec.requirements(),
            python: "3.11".into(),
        };
        fs::write(dir.join(MARKER), serde_json::to_string(&venv)?)?;
        Ok(venv)
    }

    #[test]
    fn requirements_pin_the_library_first() {
        assert_eq!(
            spec(&["pyyaml==6.0.4"]).requirements(),
            ["transformers==5.14.1", "pyyaml==6.0.4"]
        );
    }

    #[test]
    fn a_complete_venv_is_reused_without_pip() -> Result<(), Box<dyn std::error::Error>> {
        let cache = scratch("reuse");
        let made = write_marker(&cache, &spec(&["pyyaml==6.0.4"]))?;
        // "no-such-python" would fail if ensure tried to create or fill the venv.
        assert_eq!(
            ensure(&cache, &spec(&["pyyaml==6.0.4"]), "no-such-python")?,
            made
        );
        fs::remove_dir_all(&cache)?;
        Ok(())
    }

    #[test]
    fn changed_requirements_make_the_venv_incomplete() -> Result<(), Box<dyn std::error::Error>> {
        let cache = scratch("changed");
        write_marker(&cache, &spec(&[]))?;
        assert_eq!(existing(&cache, &spec(&["pyyaml==6.0.4"])), None);
        let err = ensure(&cache, &spec(&["pyyaml==6.0.4"]), "no-such-python");
        assert!(matches!(err, Err(EnvError::Command { .. })), "{err:?}");
        fs::remove_dir_all(&cache)?;
        Ok(())
    }
}

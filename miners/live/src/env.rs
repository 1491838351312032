//! Venvs per supported library version: `.cache/venvs/{distribution}-{version}/`, created with the
//! `python3` the embedded interpreter matches and filled by pip. Idempotent: a venv whose marker
//! file names exactly the requested requirements is reused without calling pip.
//!
//! Requirements too big to install once per version (torch) are *shared*: installed once into
//! their own venv, `.cache/venvs/shared-{requirements}/`, whose site-packages every per-version
//! venv sees through a `.pth` file ([`SHARED_PTH`]) in its own site-packages. The file is written
//! before pip runs in the per-version venv, so pip counts the shared distributions as installed
//! (a library that depends on torch does not download it again); what the per-version venv
//! installs itself comes first on `sys.path`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The marker file written into a finished venv.
const MARKER: &str = "llemc-env.json";

/// The `.pth` file in a per-version venv's site-packages that names the shared site-packages.
pub const SHARED_PTH: &str = "llemc-shared.pth";

/// What a venv must contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvSpec {
    /// The library's distribution name (`transformers`).
    pub distribution: String,
    /// The pinned version (`5.14.1`).
    pub version: String,
    /// Further requirements, pinned or not (`pyyaml`, `pydantic==2.11.7`).
    pub extras: Vec<String>,
    /// Requirements installed once into a shared venv that this one sees (`torch==2.10.0`);
    /// empty for none.
    pub shared: Vec<String>,
}

impl EnvSpec {
    /// The venv of `version` of the SSOT's engine: the library, its `env_extras`, and the shared
    /// requirements of that version.
    pub fn for_version(ssot: &llemc_mining::ssot::EngineSsot, version: &str) -> EnvSpec {
        EnvSpec {
            distribution: ssot.distribution.clone(),
            version: version.to_owned(),
            extras: ssot.env_extras.clone(),
            shared: ssot.shared_env_for(version),
        }
    }

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

    /// The shared venv's folder under `cache`, named after its requirements
    /// (`shared-torch-2.10.0`), so every engine pinning the same ones shares one; `None` when
    /// nothing is shared.
    pub fn shared_dir(&self, cache: &Path) -> Option<PathBuf> {
        if self.shared.is_empty() {
            return None;
        }
        let names: Vec<String> = self.shared.iter().map(|r| slug(r)).collect();
        Some(cache.join(format!("shared-{}", names.join("+"))))
    }
}

/// A requirement as a folder name: runs of anything but ASCII letters, digits, `.` and `_`
/// become one `-` (`torch==2.10.0` -> `torch-2.10.0`).
fn slug(requirement: &str) -> String {
    let mut out = String::with_capacity(requirement.len());
    for c in requirement.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
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
    /// The shared requirements it sees (empty for none; absent in markers written before).
    #[serde(default)]
    pub shared: Vec<String>,
    /// The shared venv's site-packages its [`SHARED_PTH`] names, when something is shared.
    #[serde(default)]
    pub shared_site_packages: Option<PathBuf>,
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

/// The venv for `spec` if it is complete (its marker names the same requirements and shared
/// requirements, and the shared site-packages it points at is still there), else `None`.
pub fn existing(cache: &Path, spec: &EnvSpec) -> Option<Venv> {
    let dir = spec.dir(cache);
    let venv = read_marker(&dir)?;
    let shared_ok = match &venv.shared_site_packages {
        Some(shared) => shared.is_dir() && venv.site_packages.join(SHARED_PTH).is_file(),
        None => spec.shared.is_empty(),
    };
    (venv.requirements == spec.requirements() && venv.shared == spec.shared && shared_ok)
        .then_some(venv)
}

fn read_marker(dir: &Path) -> Option<Venv> {
    let text = fs::read_to_string(dir.join(MARKER)).ok()?;
    let venv: Venv = serde_json::from_str(&text).ok()?;
    venv.site_packages.is_dir().then_some(venv)
}

/// Makes the venv for `spec` ready under `cache` and returns it; reuses a complete one.
///
/// The shared venv (when `spec.shared` is not empty) is made ready first, once for every venv
/// that shares it; then the per-version venv gets its [`SHARED_PTH`] and, only after that, its
/// own requirements from pip.
///
/// `python` is the interpreter the venv is created from; it must be the one the embedded bridge
/// was built against (same `major.minor`), which is why callers pass it explicitly.
pub fn ensure(cache: &Path, spec: &EnvSpec, python: &str) -> Result<Venv, EnvError> {
    if let Some(ready) = existing(cache, spec) {
        return Ok(ready);
    }
    let shared_site_packages = match spec.shared_dir(cache) {
        Some(dir) => Some(ensure_shared(&dir, &spec.shared, python)?.site_packages),
        None => None,
    };
    let dir = spec.dir(cache);
    let (site_packages, python_version) = create(cache, &dir, python)?;
    let pth = site_packages.join(SHARED_PTH);
    match &shared_site_packages {
        Some(shared) => {
            fs::write(&pth, format!("{}\n", shared.display())).map_err(|e| io_err(&pth, e))?
        }
        None if pth.exists() => fs::remove_file(&pth).map_err(|e| io_err(&pth, e))?,
        None => {}
    }
    pip_install(&dir, &spec.requirements())?;
    let venv = Venv {
        dir: dir.clone(),
        site_packages,
        requirements: spec.requirements(),
        python: python_version,
        shared: spec.shared.clone(),
        shared_site_packages,
    };
    write_marker(&dir, &venv)?;
    Ok(venv)
}

/// The shared venv at `dir` holding `requirements`, made ready (or reused when its marker names
/// them).
fn ensure_shared(dir: &Path, requirements: &[String], python: &str) -> Result<Venv, EnvError> {
    if let Some(ready) = read_marker(dir).filter(|v| v.requirements == requirements) {
        return Ok(ready);
    }
    let cache = dir.parent().unwrap_or(dir);
    let (site_packages, python_version) = create(cache, dir, python)?;
    pip_install(dir, requirements)?;
    let venv = Venv {
        dir: dir.to_path_buf(),
        site_packages,
        requirements: requirements.to_vec(),
        python: python_version,
        shared: Vec::new(),
        shared_site_packages: None,
    };
    write_marker(dir, &venv)?;
    Ok(venv)
}

/// Creates the venv at `dir` unless its interpreter is there; returns its site-packages and
/// `major.minor`.
fn create(cache: &Path, dir: &Path, python: &str) -> Result<(PathBuf, String), EnvError> {
    fs::create_dir_all(cache).map_err(|e| io_err(cache, e))?;
    let venv_python = dir.join("bin").join("python");
    if !venv_python.is_file() {
        run(Command::new(python).args(["-m", "venv"]).arg(dir))?;
    }
    let probe = run(Command::new(&venv_python).args([
        "-c",
        "import sys, sysconfig; print(sysconfig.get_paths()['purelib']); print('%d.%d' % sys.version_info[:2])",
    ]))?;
    let mut lines = probe.lines();
    let site_packages = PathBuf::from(lines.next().unwrap_or_default().trim());
    let python_version = lines.next().unwrap_or_default().trim().to_owned();
    Ok((site_packages, python_version))
}

fn pip_install(dir: &Path, requirements: &[String]) -> Result<String, EnvError> {
    run(Command::new(dir.join("bin").join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .args(requirements))
}

fn write_marker(dir: &Path, venv: &Venv) -> Result<(), EnvError> {
    let marker = dir.join(MARKER);
    let text = serde_json::to_string_pretty(venv).map_err(|e| io_err(&marker, e))?;
    fs::write(&marker, text + "\n").map_err(|e| io_err(&marker, e))
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

    fn spec(extras: &[&str], shared: &[&str]) -> EnvSpec {
        EnvSpec {
            distribution: "transformers".into(),
            version: "5.14.1".into(),
            extras: extras.iter().map(|e| (*e).to_owned()).collect(),
            shared: shared.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("llemc-env-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// Writes the folders and marker of a finished venv for `spec` (and of its shared venv, with
    /// the `.pth` file), as `ensure` leaves them, without running Python.
    fn fake_venv(cache: &Path, spec: &EnvSpec) -> Result<Venv, Box<dyn std::error::Error>> {
        let shared_site_packages = match spec.shared_dir(cache) {
            Some(dir) => {
                let site = dir.join("lib/python3.11/site-packages");
                fs::create_dir_all(&site)?;
                Some(site)
            }
            None => None,
        };
        let dir = spec.dir(cache);
        let site = dir.join("lib/python3.11/site-packages");
        fs::create_dir_all(&site)?;
        if let Some(shared) = &shared_site_packages {
            fs::write(site.join(SHARED_PTH), format!("{}\n", shared.display()))?;
        }
        let venv = Venv {
            dir: dir.clone(),
            site_packages: site,
            requirements: spec.requirements(),
            python: "3.11".into(),
            shared: spec.shared.clone(),
            shared_site_packages,
        };
        fs::write(dir.join(MARKER), serde_json::to_string(&venv)?)?;
        Ok(venv)
    }

    #[test]
    fn requirements_pin_the_library_first() {
        assert_eq!(
            spec(&["pyyaml==6.0.4"], &["torch==2.10.0"]).requirements(),
            ["transformers==5.14.1", "pyyaml==6.0.4"]
        );
    }

    #[test]
    fn the_shared_venv_is_named_after_its_requirements() {
        let cache = Path::new("/c");
        assert_eq!(
            spec(&[], &["torch==2.10.0"]).shared_dir(cache),
            Some(PathBuf::from("/c/shared-torch-2.10.0"))
        );
        assert_eq!(
            spec(&[], &[" torch>=2.10,<2.11 ", "numpy==2.3.5"]).shared_dir(cache),
            Some(PathBuf::from("/c/shared-torch-2.10-2.11+numpy-2.3.5"))
        );
        assert_eq!(spec(&["pyyaml"], &[]).shared_dir(cache), None);
    }

    #[test]
    fn a_complete_venv_is_reused_without_pip() -> Result<(), Box<dyn std::error::Error>> {
        let cache = scratch("reuse");
        let made = fake_venv(&cache, &spec(&["pyyaml==6.0.4"], &["torch==2.10.0"]))?;
        // "no-such-python" would fail if ensure tried to create or fill a venv.
        assert_eq!(
            ensure(
                &cache,
                &spec(&["pyyaml==6.0.4"], &["torch==2.10.0"]),
                "no-such-python"
            )?,
            made
        );
        fs::remove_dir_all(&cache)?;
        Ok(())
    }

    #[test]
    fn changed_requirements_make_the_venv_incomplete() -> Result<(), Box<dyn std::error::Error>> {
        let cache = scratch("changed");
        fake_venv(&cache, &spec(&[], &[]))?;
        assert_eq!(existing(&cache, &spec(&["pyyaml==6.0.4"], &[])), None);
        let err = ensure(&cache, &spec(&["pyyaml==6.0.4"], &[]), "no-such-python");
        assert!(matches!(err, Err(EnvError::Command { .. })), "{err:?}");
        fs::remove_dir_all(&cache)?;
        Ok(())
    }

    #[test]
    fn changed_or_missing_shared_parts_make_the_venv_incomplete()
    -> Result<(), Box<dyn std::error::Error>> {
        let cache = scratch("shared");
        let torch = spec(&[], &["torch==2.10.0"]);
        let made = fake_venv(&cache, &torch)?;
        assert_eq!(existing(&cache, &torch), Some(made.clone()));
        // another torch pin, or none at all
        assert_eq!(existing(&cache, &spec(&[], &["torch==2.11.0"])), None);
        assert_eq!(existing(&cache, &spec(&[], &[])), None);
        // the .pth file removed by hand
        fs::remove_file(made.site_packages.join(SHARED_PTH))?;
        assert_eq!(existing(&cache, &torch), None);
        // the shared venv removed by hand
        let made = fake_venv(&cache, &torch)?;
        if let Some(shared) = torch.shared_dir(&cache) {
            fs::remove_dir_all(shared)?;
        }
        assert_eq!(existing(&cache, &torch), None);
        assert!(made.shared_site_packages.is_some());
        fs::remove_dir_all(&cache)?;
        Ok(())
    }

    #[test]
    fn a_marker_written_before_shared_venvs_still_reads() -> Result<(), Box<dyn std::error::Error>>
    {
        let cache = scratch("old-marker");
        let plain = spec(&["pyyaml==6.0.4"], &[]);
        let dir = plain.dir(&cache);
        let site = dir.join("lib/python3.11/site-packages");
        fs::create_dir_all(&site)?;
        let old = serde_json::json!({
            "dir": dir, "site_packages": site,
            "requirements": plain.requirements(), "python": "3.11",
        });
        fs::write(dir.join(MARKER), old.to_string())?;
        let found = existing(&cache, &plain).ok_or("an old marker is no longer read")?;
        assert!(found.shared.is_empty() && found.shared_site_packages.is_none());
        // ... and it is not enough once something is shared
        assert_eq!(
            existing(&cache, &spec(&["pyyaml==6.0.4"], &["torch==2.10.0"])),
            None
        );
        fs::remove_dir_all(&cache)?;
        Ok(())
    }

    /// The real thing, offline: the shared venv holds `pip` (already in every fresh venv, so pip
    /// needs no index), the per-version venv is `pip==<the version a fresh venv has>`. The
    /// per-version venv's own interpreter sees the shared site-packages through the `.pth` file,
    /// and a second `ensure` reuses both without Python.
    #[test]
    fn a_shared_venv_is_seen_through_the_pth_file() -> Result<(), Box<dyn std::error::Error>> {
        let cache = scratch("real");
        let bundled = Command::new("python3")
            .args(["-c", "import ensurepip; print(ensurepip.version())"])
            .output()?;
        let version = String::from_utf8(bundled.stdout)?.trim().to_owned();
        let spec = EnvSpec {
            distribution: "pip".into(),
            version,
            extras: Vec::new(),
            shared: vec!["pip".into()],
        };
        let venv = ensure(&cache, &spec, "python3")?;
        let shared = venv
            .shared_site_packages
            .clone()
            .ok_or("no shared site-packages")?;
        assert!(shared.starts_with(cache.join("shared-pip")), "{shared:?}");
        assert_eq!(
            fs::read_to_string(venv.site_packages.join(SHARED_PTH))?,
            format!("{}\n", shared.display())
        );
        let seen = run(Command::new(venv.dir.join("bin/python"))
            .args(["-c", "import sys; print('\\n'.join(sys.path))"]))?;
        assert!(
            seen.lines().any(|l| Path::new(l) == shared),
            "{shared:?} not on sys.path: {seen}"
        );
        assert_eq!(ensure(&cache, &spec, "no-such-python")?, venv);
        fs::remove_dir_all(&cache)?;
        Ok(())
    }
}

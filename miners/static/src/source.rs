//! Getting an engine library's source: the pinned wheel, downloaded once with pip into
//! `.cache/wheels/`, unpacked once (its `.py` files and metadata) into
//! `.cache/sources/{distribution}-{version}/`; or any source tree given by path.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the source could not be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceError {
    /// pip could not download the wheel.
    Download {
        /// `distribution==version`.
        requirement: String,
        /// pip's own message (its stderr, trimmed).
        message: String,
    },
    /// A file could not be read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The wheel is not a readable zip.
    BadWheel {
        /// The wheel.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Download {
                requirement,
                message,
            } => write!(
                f,
                "could not download the wheel of {requirement} with pip: {message}"
            ),
            SourceError::Io { path, message } => write!(f, "{}: {message}", path.display()),
            SourceError::BadWheel { path, message } => {
                write!(f, "{} is not a readable wheel: {message}", path.display())
            }
        }
    }
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> SourceError {
    SourceError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The wheel of `distribution==version` in `wheel_dir`, if already there.
pub fn cached_wheel(wheel_dir: &Path, distribution: &str, version: &str) -> Option<PathBuf> {
    let prefix = format!("{}-{version}-", distribution.replace('-', "_"));
    let mut found: Vec<PathBuf> = fs::read_dir(wheel_dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Makes sure the wheel of `distribution==version` is in `wheel_dir`: returns it at once when it
/// is there (pip is not called), else runs `python3 -m pip download --no-deps --only-binary
/// :all:`.
pub fn ensure_wheel(
    wheel_dir: &Path,
    distribution: &str,
    version: &str,
) -> Result<PathBuf, SourceError> {
    if let Some(found) = cached_wheel(wheel_dir, distribution, version) {
        return Ok(found);
    }
    fs::create_dir_all(wheel_dir).map_err(|e| io_err(wheel_dir, e))?;
    let requirement = format!("{distribution}=={version}");
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
        ])
        .arg(&requirement)
        .arg("-d")
        .arg(wheel_dir)
        .output()
        .map_err(|e| SourceError::Download {
            requirement: requirement.clone(),
            message: format!("cannot run python3 -m pip: {e}"),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        return Err(SourceError::Download {
            requirement,
            message: if message.is_empty() {
                format!("pip exited with {}", output.status)
            } else {
                message
            },
        });
    }
    cached_wheel(wheel_dir, distribution, version).ok_or_else(|| SourceError::Download {
        requirement,
        message: "pip succeeded but no matching wheel is in the download folder".into(),
    })
}

/// Unpacks the `.py` files and `*.dist-info/METADATA` of `wheel` into `dest` unless `dest`
/// already exists (written to a temporary folder first, then renamed into place).
pub fn ensure_unpacked(wheel: &Path, dest: &Path) -> Result<(), SourceError> {
    if dest.is_dir() {
        return Ok(());
    }
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        dest.file_name().and_then(|n| n.to_str()).unwrap_or("src"),
        std::process::id()
    ));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| io_err(&tmp, e))?;
    }
    let file = fs::File::open(wheel).map_err(|e| io_err(wheel, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| SourceError::BadWheel {
        path: wheel.to_path_buf(),
        message: e.to_string(),
    })?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| SourceError::BadWheel {
            path: wheel.to_path_buf(),
            message: e.to_string(),
        })?;
        let Some(rel) = entry.enclosed_name() else {
            continue;
        };
        let name = rel.to_string_lossy().into_owned();
        let wanted =
            name.ends_with(".py") || (name.ends_with("/METADATA") && name.contains(".dist-info/"));
        if !wanted || entry.is_dir() {
            continue;
        }
        let out = tmp.join(&rel);
        if let Some(dir) = out.parent() {
            fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| SourceError::BadWheel {
                path: wheel.to_path_buf(),
                message: format!("{name}: {e}"),
            })?;
        fs::write(&out, bytes).map_err(|e| io_err(&out, e))?;
    }
    fs::rename(&tmp, dest).map_err(|e| io_err(dest, e))?;
    Ok(())
}

/// Downloads (once) and unpacks (once) `distribution==version` under `cache_root`
/// (`{cache_root}/wheels`, `{cache_root}/sources/{distribution}-{version}`); returns the source
/// tree's root (the folder holding the top-level package).
pub fn fetch_source(
    cache_root: &Path,
    distribution: &str,
    version: &str,
) -> Result<PathBuf, SourceError> {
    let wheel = ensure_wheel(&cache_root.join("wheels"), distribution, version)?;
    let dest = cache_root
        .join("sources")
        .join(format!("{distribution}-{version}"));
    ensure_unpacked(&wheel, &dest)?;
    Ok(dest)
}

/// The library version a source tree declares: `Version:` of a `*.dist-info/METADATA` beside the
/// package, else `__version__ = "..."` in `{package}/__init__.py`.
pub fn source_version(root: &Path, package: &str) -> Option<String> {
    if let Ok(entries) = fs::read_dir(root) {
        let mut metas: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(&format!("{package}-")) && n.ends_with(".dist-info")
                })
            })
            .map(|p| p.join("METADATA"))
            .collect();
        metas.sort();
        for meta in metas {
            if let Ok(text) = fs::read_to_string(&meta)
                && let Some(v) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Version:").map(|v| v.trim().to_owned()))
            {
                return Some(v);
            }
        }
    }
    let init = fs::read_to_string(root.join(package).join("__init__.py")).ok()?;
    init.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("__version__")?.trim_start();
        let rest = rest.strip_prefix('=')?.trim();
        let quote = rest.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let inner = rest.get(1..)?;
        Some(inner.get(..inner.find(quote)?)?.to_owned())
    })
}

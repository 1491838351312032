//! Everything that can stop a run, as messages a user can act on.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Why a run could not start or did not complete.
#[derive(Debug)]
pub enum HarnessError {
    /// The experiment cannot be run as given (no prompts, no model, a section that is not a
    /// mapping, ...).
    Spec(String),
    /// Energy was asked for, but NVML (the NVIDIA driver's management library) cannot be used.
    NvmlUnavailable(String),
    /// NVML works but a device asked for is not there, or a reading failed.
    Nvml(String),
    /// A file or directory could not be read or written.
    Io {
        /// What was being done ("write the request", "read the baseline cache").
        what: String,
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The Python interpreter of the local runner does not exist or cannot be started.
    Python {
        /// The interpreter's path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The Docker daemon refused or failed an operation.
    Docker(String),
    /// The worker ran longer than the run's time limit; it was stopped and cleaned up.
    Timeout(Duration),
    /// The run was interrupted (Ctrl-C, SIGTERM, or a cancelled token); it was stopped and
    /// cleaned up.
    Interrupted,
    /// The worker ended without completing the run.
    WorkerFailed {
        /// Its exit status (`None` when it was killed by a signal).
        exit_code: Option<i64>,
        /// The exception type it reported, if it reported one.
        error_type: Option<String>,
        /// Its message, or a description of what is missing.
        message: String,
        /// The last lines it wrote to standard error.
        stderr_tail: Vec<String>,
    },
    /// The worker's standard output broke the protocol (an unknown event, events out of order).
    Protocol(String),
}

impl HarnessError {
    /// The process exit code for this error under the project's convention: 1 when the engine
    /// itself failed the run (the worker reported an error), 2 for everything else (usage,
    /// environment, I/O, timeout, interruption).
    pub fn exit_code(&self) -> i32 {
        match self {
            HarnessError::WorkerFailed {
                exit_code: Some(1), ..
            } => 1,
            _ => 2,
        }
    }

    /// An I/O error with what was being done and where.
    pub(crate) fn io(
        what: impl Into<String>,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        HarnessError::Io {
            what: what.into(),
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Spec(message) => write!(f, "cannot run this experiment: {message}"),
            HarnessError::NvmlUnavailable(reason) => write!(
                f,
                "energy measurement needs an NVIDIA GPU and its driver, but NVML cannot be used \
                 here ({reason}); run with `--energy none` to measure without energy"
            ),
            HarnessError::Nvml(message) => write!(f, "NVML: {message}"),
            HarnessError::Io { what, path, source } => {
                write!(f, "cannot {what} `{}`: {source}", path.display())
            }
            HarnessError::Python { path, reason } => write!(
                f,
                "cannot start the worker's Python `{}`: {reason} (create the engine's venv with \
                 `llemc env ensure <engine>`)",
                path.display()
            ),
            HarnessError::Docker(message) => write!(f, "docker: {message}"),
            HarnessError::Timeout(limit) => write!(
                f,
                "the worker did not finish within {:.1} s; it was stopped and nothing was kept",
                limit.as_secs_f64()
            ),
            HarnessError::Interrupted => {
                write!(
                    f,
                    "interrupted: the worker was stopped and nothing was kept"
                )
            }
            HarnessError::WorkerFailed {
                exit_code,
                error_type,
                message,
                stderr_tail,
            } => {
                let status = match exit_code {
                    Some(code) => format!("exit status {code}"),
                    None => "killed by a signal".to_owned(),
                };
                match error_type {
                    Some(kind) => write!(f, "the worker failed ({status}): {kind}: {message}")?,
                    None => write!(f, "the worker failed ({status}): {message}")?,
                }
                if !stderr_tail.is_empty() {
                    write!(f, "\nlast lines of its standard error:")?;
                    for line in stderr_tail {
                        write!(f, "\n  {line}")?;
                    }
                }
                Ok(())
            }
            HarnessError::Protocol(message) => {
                write!(f, "the worker broke the protocol: {message}")
            }
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

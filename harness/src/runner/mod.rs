//! Runners start the worker somewhere (a local Python, a Docker container), stream its output
//! lines back, enforce the time limit and the cancel token, and leave nothing behind.

pub mod docker;
mod lines;
pub mod local;

use crate::cancel::CancelToken;
use crate::error::HarnessError;
use crate::spec::{Gpus, ModelSource};
use std::path::Path;
use std::time::Duration;

pub use docker::{BindMount, DockerRunner};
pub use local::LocalRunner;

/// Where the worker runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Runner {
    /// A local Python interpreter (the engine's venv).
    Local(LocalRunner),
    /// A container of the engine's Docker image.
    Docker(DockerRunner),
}

/// One line the worker wrote, without its line end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputLine {
    /// A line of standard output: a protocol event.
    Stdout(String),
    /// A line of standard error: the libraries' logs, tracebacks.
    Stderr(String),
}

/// What a runner needs to start the worker.
#[derive(Clone, Copy, Debug)]
pub struct Launch<'a> {
    /// The exchange directory (holds the worker and its request).
    pub exchange: &'a Path,
    /// The model (a directory is made visible to the worker).
    pub model: &'a ModelSource,
    /// The GPUs the worker may use.
    pub gpus: &'a Gpus,
    /// Environment variables for the worker.
    pub env: &'a [(String, String)],
    /// The longest the worker may run.
    pub timeout: Duration,
    /// Stops the worker when cancelled.
    pub cancel: &'a CancelToken,
}

impl Runner {
    /// `local` or `docker`.
    pub fn kind(&self) -> &'static str {
        match self {
            Runner::Local(_) => "local",
            Runner::Docker(_) => "docker",
        }
    }

    /// What runs the worker: the interpreter's path, or the image.
    pub fn target(&self) -> String {
        match self {
            Runner::Local(local) => local.python.display().to_string(),
            Runner::Docker(docker) => docker.image.clone(),
        }
    }

    /// The model as the worker will see it.
    pub fn model_for_worker(&self, model: &ModelSource) -> String {
        match self {
            Runner::Local(_) => local::model_for_worker(model),
            Runner::Docker(_) => docker::model_for_worker(model),
        }
    }

    /// Runs the worker to its end, passing every output line to `on_line`, and returns its exit
    /// status (`None` when a signal ended it). A timeout or a cancellation stops the worker,
    /// cleans up, and returns [`HarnessError::Timeout`] or [`HarnessError::Interrupted`].
    pub fn launch(
        &self,
        launch: &Launch<'_>,
        on_line: &mut dyn FnMut(OutputLine),
    ) -> Result<Option<i64>, HarnessError> {
        match self {
            Runner::Local(local) => local.launch(launch, on_line),
            Runner::Docker(docker) => docker.launch(launch, on_line),
        }
    }
}

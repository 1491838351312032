//! Why a run did not complete, as diagnostics: one code per kind of failure (`E95x`), the
//! harness's message, and a help line saying what to do.

use llemc_compiler::diagnostic::Diagnostic;
use llemc_harness::HarnessError;

/// The diagnostic for a run that failed.
pub(super) fn run_failed(error: &HarnessError) -> Diagnostic {
    let (code, help) = match error {
        HarnessError::Spec(_) => (
            "E950",
            "check the run options (`--prompts`, `--batch-size`, `--warmup-until-cv`) and the \
             config's `model`",
        ),
        HarnessError::NvmlUnavailable(_) | HarnessError::Nvml(_) => (
            "E951",
            "run on a machine with an NVIDIA GPU and its driver, or pass `--energy none` to run \
             without measuring energy",
        ),
        HarnessError::Python { .. } => (
            "E952",
            "create the engine's venv with `llemc env ensure <engine>@<version>`, or pass \
             `--python PATH`",
        ),
        HarnessError::Docker(_) => (
            "E953",
            "check that the Docker daemon runs and that the image exists locally (`docker \
             images`); `--image` names another one",
        ),
        HarnessError::WorkerFailed {
            exit_code: Some(1), ..
        } => (
            "E954",
            "the engine failed while running this config: read its message above; if the config \
             passed `llem config check`, please report the config so a rule can catch it",
        ),
        HarnessError::WorkerFailed { .. } | HarnessError::Protocol(_) => (
            "E958",
            "the worker could not carry out the run: read its message above (no CUDA device \
             for `--gpus`: pass `--gpus none` to run on the CPU)",
        ),
        HarnessError::Timeout(_) => ("E955", "raise `--timeout`, or run fewer or shorter prompts"),
        HarnessError::Interrupted => ("E956", "run the command again to start over"),
        HarnessError::Io { .. } => (
            "E957",
            "check the path, its permissions and the free disk space",
        ),
    };
    Diagnostic::error(code, error.to_string()).with_help(help)
}

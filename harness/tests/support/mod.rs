//! Shared by the integration tests: the Python interpreter to run the worker with, and a tiny
//! random model saved by transformers.
#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod docker;

use llemc_harness::protocol::WorkerEvent;
use llemc_harness::{Experiment, Observer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the workspace")
        .to_path_buf()
}

/// The interpreter of a venv with transformers and torch: `$LLEMC_TEST_PYTHON`, else the venv
/// `llemc env ensure transformers` creates. Missing: the test fails and says how to fix it.
pub fn python() -> PathBuf {
    let path = match std::env::var_os("LLEMC_TEST_PYTHON").filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => workspace_root().join(".cache/venvs/transformers-5.14.1/bin/python"),
    };
    assert!(
        path.exists(),
        "no Python for the harness tests at `{}`: run `llemc env ensure transformers` (CI does), \
         or point LLEMC_TEST_PYTHON at a venv's python with transformers and torch",
        path.display()
    );
    path
}

/// A directory holding a tiny random GPT-2 model and a word-level tokenizer, made once per
/// version of `scripts/make_tiny_model.py` under the test scratch
/// directory, and reused.
pub fn tiny_model() -> PathBuf {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/make_tiny_model.py");
            let source = std::fs::read(&script).unwrap();
            let version = blake3::hash(&source).to_hex();
            let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
            let dir = scratch.join(format!("tiny-gpt2-{}", &version.as_str()[..12]));
            if dir.join("model.safetensors").exists() {
                return dir;
            }
            std::fs::create_dir_all(scratch).unwrap();
            // Built aside and renamed into place, so that test binaries running at the same
            // time never see half a model.
            let building = tempfile::tempdir_in(scratch).unwrap();
            let status = Command::new(python())
                .arg(&script)
                .arg(building.path())
                .env("HF_HUB_OFFLINE", "1")
                .status()
                .unwrap();
            assert!(status.success(), "making the tiny model failed: {status}");
            let built = building.keep();
            if std::fs::rename(&built, &dir).is_err() {
                // Another test binary got there first.
                std::fs::remove_dir_all(&built).unwrap();
            }
            dir
        })
        .clone()
}

/// Prompts made of the tiny tokenizer's words only: 3 + 3 + 4 + 2 = 12 tokens.
pub const PROMPTS: [&str; 4] = [
    "what is energy",
    "explain a watt",
    "write a short poem",
    "measure power",
];

/// Tokens each prompt generates (`min_new_tokens` = `max_new_tokens`).
pub const NEW_TOKENS: u64 = 5;

/// The experiment the end-to-end tests run on the tiny model: greedy, exactly 5 new tokens per
/// prompt, batches of 2, 2 warmup iterations.
pub fn tiny_experiment() -> Experiment {
    let config = serde_json::json!({
        "engine": "transformers",
        "model": tiny_model().to_str().unwrap(),
        "transformers": {"generation": {
            "max_new_tokens": NEW_TOKENS,
            "min_new_tokens": NEW_TOKENS,
            "do_sample": false,
        }},
    });
    let mut experiment = Experiment::from_config(&config, "5.14.1").unwrap();
    experiment.prompts = PROMPTS.iter().map(|p| (*p).to_owned()).collect();
    experiment.batch_size = 2;
    experiment.warmup.iterations = 2;
    experiment
}

/// Something to do when a given event arrives (cancel the run, send a signal).
pub type Trigger = (&'static str, Box<dyn FnMut()>);

/// Records what a run showed, and can act when a given event arrives.
#[derive(Default)]
pub struct Recorder {
    pub events: Vec<String>,
    pub logs: Vec<String>,
    pub notes: Vec<String>,
    pub pid: Option<u64>,
    pub on: Option<Trigger>,
}

impl Observer for Recorder {
    fn on_event(&mut self, event: &WorkerEvent) {
        if let WorkerEvent::Started { pid, .. } = event {
            self.pid = Some(*pid);
        }
        self.events.push(event.name().to_owned());
        if let Some((name, action)) = &mut self.on
            && *name == event.name()
        {
            action();
        }
    }

    fn on_log(&mut self, line: &str) {
        self.logs.push(line.to_owned());
    }

    fn on_note(&mut self, note: &str) {
        self.notes.push(note.to_owned());
    }
}

/// The entries of a directory.
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

/// Whether a process with this id still exists (a zombie counts as gone).
pub fn process_alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

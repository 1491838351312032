//! The local runner: the worker in a Python interpreter on this machine (the engine's venv),
//! in its own process group so that stopping it stops everything it started.

use super::lines::decode;
use super::{Launch, OutputLine};
use crate::error::HarnessError;
use crate::exchange::{REQUEST_FILE, WORKER_FILE};
use crate::spec::{Gpus, ModelSource};
use rustix::process::{Pid, Signal, kill_process_group};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the runner looks at the clock and the cancel token.
const TICK: Duration = Duration::from_millis(100);

/// How long a stopped worker gets to exit after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_secs(3);

/// How long the output pipes may stay open after the worker exited (a process it started may
/// hold them) before its process group is killed.
const DRAIN: Duration = Duration::from_secs(2);

/// Runs the worker with a Python interpreter on this machine.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalRunner {
    /// The interpreter, e.g. `.cache/venvs/transformers-5.14.1/bin/python`.
    pub python: PathBuf,
}

/// The model as a local worker sees it: the directory itself, or the Hugging Face id.
pub(crate) fn model_for_worker(model: &ModelSource) -> String {
    match model {
        ModelSource::Path(dir) => dir.display().to_string(),
        ModelSource::Hub(id) => id.clone(),
    }
}

impl LocalRunner {
    /// A runner using `python`.
    pub fn new(python: impl Into<PathBuf>) -> Self {
        LocalRunner {
            python: python.into(),
        }
    }

    pub(crate) fn launch(
        &self,
        launch: &Launch<'_>,
        on_line: &mut dyn FnMut(OutputLine),
    ) -> Result<Option<i64>, HarnessError> {
        if !self.python.is_file() {
            return Err(HarnessError::Python {
                path: self.python.clone(),
                reason: "no such file".to_owned(),
            });
        }
        let mut command = Command::new(&self.python);
        command
            .arg(launch.exchange.join(WORKER_FILE))
            .arg(launch.exchange.join(REQUEST_FILE))
            .current_dir(launch.exchange)
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        match launch.gpus {
            Gpus::None => {
                command.env("CUDA_VISIBLE_DEVICES", "");
            }
            Gpus::All => {}
            Gpus::Devices(list) => {
                let list: Vec<String> = list.iter().map(u32::to_string).collect();
                command.env("CUDA_VISIBLE_DEVICES", list.join(","));
            }
        }
        let mut child = command.spawn().map_err(|e| HarnessError::Python {
            path: self.python.clone(),
            reason: e.to_string(),
        })?;
        let group = i32::try_from(child.id())
            .ok()
            .and_then(Pid::from_raw)
            .ok_or_else(|| HarnessError::Spec("the worker got an invalid process id".to_owned()))?;

        let (sender, lines) = mpsc::channel();
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(forward(stdout, sender.clone(), OutputLine::Stdout));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(forward(stderr, sender.clone(), OutputLine::Stderr));
        }
        drop(sender);

        let deadline = Instant::now() + launch.timeout;
        let mut exited_at: Option<Instant> = None;
        let outcome = loop {
            match lines.recv_timeout(TICK) {
                Ok(line) => on_line(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break Ok(()),
            }
            if launch.cancel.is_cancelled() {
                break Err(HarnessError::Interrupted);
            }
            if Instant::now() >= deadline {
                break Err(HarnessError::Timeout(launch.timeout));
            }
            match exited_at {
                None => {
                    if matches!(child.try_wait(), Ok(Some(_))) {
                        exited_at = Some(Instant::now());
                    }
                }
                Some(at) if at.elapsed() >= DRAIN => break Ok(()),
                Some(_) => {}
            }
        };
        let status = match outcome {
            Ok(()) => {
                // Whatever the worker left running goes with it.
                let _ = kill_process_group(group, Signal::KILL);
                child.wait()
            }
            Err(_) => stop(&mut child, group),
        };
        for line in lines.try_iter() {
            on_line(line);
        }
        for reader in readers {
            let _ = reader.join();
        }
        outcome?;
        let status = status
            .map_err(|e| HarnessError::io("wait for the worker started from", &self.python, e))?;
        Ok(status.code().map(i64::from))
    }
}

/// Sends every line of `stream` to `sender`, wrapped by `wrap`, until the stream closes.
fn forward(
    stream: impl Read + Send + 'static,
    sender: Sender<OutputLine>,
    wrap: fn(String) -> OutputLine,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).split(b'\n') {
            let Ok(line) = line else { break };
            if sender.send(wrap(decode(&line))).is_err() {
                break;
            }
        }
    })
}

/// Stops the worker's process group: SIGTERM, then SIGKILL after [`GRACE`].
fn stop(child: &mut Child, group: Pid) -> std::io::Result<std::process::ExitStatus> {
    let _ = kill_process_group(group, Signal::TERM);
    let until = Instant::now() + GRACE;
    while Instant::now() < until {
        if let Some(status) = child.try_wait()? {
            let _ = kill_process_group(group, Signal::KILL);
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = kill_process_group(group, Signal::KILL);
    child.wait()
}

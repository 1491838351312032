//! What a run shows while it happens: one line per phase of the worker (loaded, warmup,
//! measurement) and the harness's own steps, on standard error; nothing with `--format json`.

use llemc_harness::Observer;
use llemc_harness::protocol::WorkerEvent;
use std::io::Write;

/// Progress lines for people, each starting with `prefix` (a study's `[3/12] `).
pub(super) struct Progress<'w> {
    err: &'w mut dyn Write,
    prefix: String,
    shown: bool,
}

impl<'w> Progress<'w> {
    /// Progress on `err`; silent unless `shown`.
    pub(super) fn new(err: &'w mut dyn Write, prefix: String, shown: bool) -> Progress<'w> {
        Progress { err, prefix, shown }
    }

    fn line(&mut self, text: &str) {
        if self.shown {
            let _ = writeln!(self.err, "{}{text}", self.prefix);
        }
    }
}

impl Observer for Progress<'_> {
    fn on_event(&mut self, event: &WorkerEvent) {
        match event {
            WorkerEvent::Loaded {
                engine,
                engine_version,
                device,
                load_time_s,
                ..
            } => self.line(&format!(
                "loaded the model with {engine} {engine_version} on {device} in {load_time_s:.1} s"
            )),
            WorkerEvent::WarmupStart { planned, .. } => {
                self.line(&format!("warming up (up to {planned} iterations, not measured)"));
            }
            WorkerEvent::WarmupEnd {
                iterations,
                converged,
                ..
            } => {
                let settled = match converged {
                    Some(true) => ", latency settled",
                    Some(false) => ", latency did not settle",
                    None => "",
                };
                self.line(&format!("warmup done: {iterations} iterations{settled}"));
            }
            WorkerEvent::MeasureStart { .. } => self.line("measuring"),
            WorkerEvent::MeasureEnd {
                prompts,
                output_tokens,
                inference_time_s,
                ..
            } => self.line(&format!(
                "measured {prompts} prompts: {output_tokens} tokens generated in {inference_time_s:.2} s"
            )),
            WorkerEvent::Started { .. }
            | WorkerEvent::WarmupIteration { .. }
            | WorkerEvent::Batch { .. }
            | WorkerEvent::Finished { .. }
            | WorkerEvent::Failed { .. } => {}
        }
    }

    fn on_note(&mut self, note: &str) {
        self.line(note);
    }
}

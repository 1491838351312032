//! The batch on several threads: the calling thread reads lines into chunks and hands chunk `i`
//! to worker `i mod jobs`; each worker binds, evaluates and renders its chunks with its own
//! binder, frame and evaluator; the calling thread writes the chunks' output in input order. The
//! output is byte for byte what [`super::batch_with`] writes.
//!
//! Memory stays flat: at most [`IN_FLIGHT_PER_JOB`] chunks per worker are read and not yet
//! written, a chunk holds about [`CHUNK_BYTES`] of input (or one longer line), and chunk buffers
//! are reused.

use super::input::{Line, for_each_line};
use super::{BatchStats, Binding, Run};
use crate::jit::{Backend, Evaluator};
use crate::loaded::LoadedProgram;
use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::num::NonZeroUsize;
use std::sync::mpsc::{Receiver, Sender, channel};

/// A chunk is handed to a worker once it holds this many bytes of input.
const CHUNK_BYTES: usize = 1 << 16;

/// Chunks read ahead per worker.
const IN_FLIGHT_PER_JOB: usize = 4;

/// Consecutive input lines, with the number of the first. Lines already known to be UTF-8 are
/// kept as text, so that workers do not validate them again.
#[derive(Default)]
struct Chunk {
    first_line: u64,
    /// The UTF-8 lines, one after the other.
    text: String,
    /// The other lines' bytes, one after the other.
    raw: Vec<u8>,
    lines: Vec<Stored>,
    /// The answer lines, once a worker wrote them.
    output: Vec<u8>,
}

/// Where a line of a chunk is.
enum Stored {
    /// This byte range of `text`.
    Text(usize, usize),
    /// This byte range of `raw`.
    Raw(usize, usize),
    /// A line over the limit.
    TooLong,
}

impl Chunk {
    fn push(&mut self, line: Line<'_>) {
        self.lines.push(match line {
            Line::Utf8(text) => {
                let start = self.text.len();
                self.text.push_str(text);
                Stored::Text(start, self.text.len())
            }
            Line::Text(bytes) => {
                let start = self.raw.len();
                self.raw.extend_from_slice(bytes);
                Stored::Raw(start, self.raw.len())
            }
            Line::TooLong => Stored::TooLong,
        });
    }

    /// A stored line as it was read.
    fn line(&self, stored: &Stored) -> Line<'_> {
        match *stored {
            Stored::Text(start, end) => Line::Utf8(self.text.get(start..end).unwrap_or_default()),
            Stored::Raw(start, end) => Line::Text(self.raw.get(start..end).unwrap_or_default()),
            Stored::TooLong => Line::TooLong,
        }
    }

    fn is_full(&self) -> bool {
        self.text.len() + self.raw.len() >= CHUNK_BYTES
    }

    fn clear(&mut self, first_line: u64) {
        self.first_line = first_line;
        self.text.clear();
        self.raw.clear();
        self.lines.clear();
        self.output.clear();
    }
}

/// A worker's answer to a chunk: the chunk with its output lines.
struct Answer {
    chunk: Chunk,
    stats: BatchStats,
}

/// What a batch did, and what its evaluators noted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Lines, errors and findings over all workers.
    pub stats: BatchStats,
    /// The first worker's evaluator notes (every worker's evaluator makes the same choices).
    pub notes: Vec<String>,
    /// The backend the first worker ended on: `"jit"` or `"interp"`.
    pub active: &'static str,
}

/// [`super::batch_with`] on `jobs` worker threads, each with an evaluator of `backend` (with
/// `auto`, each worker switches to the JIT after its own first [`crate::jit::AUTO_THRESHOLD`]
/// lines). Writes the same bytes as the sequential batch; returns an error only on I/O failures.
pub fn batch_parallel(
    program: &LoadedProgram,
    backend: Backend,
    binding: Binding<'_>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    max_line_bytes: usize,
    jobs: NonZeroUsize,
) -> std::io::Result<BatchReport> {
    std::thread::scope(|scope| {
        let mut workers = Vec::with_capacity(jobs.get());
        for _ in 0..jobs.get() {
            let (chunks, inbox) = channel::<Chunk>();
            let (outbox, answers) = channel::<Answer>();
            let handle = scope.spawn(move || {
                let mut evaluator = Evaluator::new(program, backend);
                let mut run = Run::new(program, binding, max_line_bytes);
                work(&mut run, &mut evaluator, &inbox, &outbox);
                (evaluator.notes().to_vec(), evaluator.active())
            });
            workers.push((chunks, answers, handle));
        }
        let mut writer = Writer {
            out,
            pending: VecDeque::new(),
            spare: Vec::new(),
            stats: BatchStats::default(),
        };
        let mut chunk = Chunk::default();
        chunk.clear(1);
        let mut next_line = 1;
        let mut sent = 0usize;
        for_each_line(input, max_line_bytes, &mut |line| {
            chunk.push(line);
            next_line += 1;
            if chunk.is_full() {
                let fresh = writer.take_spare(next_line);
                let full = std::mem::replace(&mut chunk, fresh);
                writer.send(&workers, sent, full, jobs.get() * IN_FLIGHT_PER_JOB)?;
                sent += 1;
            }
            Ok(())
        })?;
        if !chunk.lines.is_empty() {
            writer.send(&workers, sent, chunk, jobs.get() * IN_FLIGHT_PER_JOB)?;
        }
        while writer.receive(&workers)? {}
        writer.out.flush()?;
        let stats = writer.stats;
        let mut report = BatchReport {
            stats,
            notes: Vec::new(),
            active: "interp",
        };
        for (index, (chunks, answers, handle)) in workers.into_iter().enumerate() {
            drop((chunks, answers));
            let (notes, active) = handle.join().map_err(|_| worker_failed())?;
            if index == 0 {
                (report.notes, report.active) = (notes, active);
            }
        }
        Ok(report)
    })
}

/// A worker's loop: answers chunks until the calling thread stops sending.
fn work(
    run: &mut Run<'_>,
    evaluator: &mut Evaluator,
    inbox: &Receiver<Chunk>,
    outbox: &Sender<Answer>,
) {
    while let Ok(mut chunk) = inbox.recv() {
        std::mem::swap(&mut run.buffer, &mut chunk.output);
        run.buffer.clear();
        run.stats = BatchStats::default();
        for (n, stored) in (chunk.first_line..).zip(&chunk.lines) {
            run.line(evaluator, n, chunk.line(stored));
        }
        std::mem::swap(&mut run.buffer, &mut chunk.output);
        if outbox
            .send(Answer {
                chunk,
                stats: run.stats,
            })
            .is_err()
        {
            return;
        }
    }
}

/// The calling thread's side: chunks sent and not yet written, in input order.
struct Writer<'o> {
    out: &'o mut dyn Write,
    /// The worker of each chunk in flight, oldest first.
    pending: VecDeque<usize>,
    /// Chunks written, for reuse.
    spare: Vec<Chunk>,
    stats: BatchStats,
}

type Workers<'s> = [(
    Sender<Chunk>,
    Receiver<Answer>,
    std::thread::ScopedJoinHandle<'s, (Vec<String>, &'static str)>,
)];

impl Writer<'_> {
    /// An empty chunk starting at line `first_line`.
    fn take_spare(&mut self, first_line: u64) -> Chunk {
        let mut chunk = self.spare.pop().unwrap_or_default();
        chunk.clear(first_line);
        chunk
    }

    /// Hands chunk number `index` to its worker, first writing the oldest answers while `limit`
    /// chunks are in flight.
    fn send(
        &mut self,
        workers: &Workers<'_>,
        index: usize,
        chunk: Chunk,
        limit: usize,
    ) -> std::io::Result<()> {
        while self.pending.len() >= limit {
            self.receive(workers)?;
        }
        let worker = index % workers.len();
        let (chunks, _, _) = workers.get(worker).ok_or_else(worker_failed)?;
        chunks.send(chunk).map_err(|_| worker_failed())?;
        self.pending.push_back(worker);
        Ok(())
    }

    /// Writes the oldest chunk's answer, waiting for it; `false` when none is in flight.
    fn receive(&mut self, workers: &Workers<'_>) -> std::io::Result<bool> {
        let Some(worker) = self.pending.pop_front() else {
            return Ok(false);
        };
        let (_, answers, _) = workers.get(worker).ok_or_else(worker_failed)?;
        let answer = answers.recv().map_err(|_| worker_failed())?;
        self.out.write_all(&answer.chunk.output)?;
        self.stats.lines += answer.stats.lines;
        self.stats.errors += answer.stats.errors;
        self.stats.findings += answer.stats.findings;
        self.spare.push(answer.chunk);
        Ok(true)
    }
}

fn worker_failed() -> std::io::Error {
    std::io::Error::other("a batch worker thread stopped unexpectedly")
}

//! Batch evaluation: a stream of configs, one JSON object per line, answered with one JSON line
//! each, in input order, so output line `N` answers input line `N`:
//!
//! - `{"fired":[{"id":…,"severity":…,"declared_value":…,"message":…},…]}`: the rules that fired,
//!   in corpus order (an empty list when none did);
//! - `{"error":"line N: …"}`: the line is not valid UTF-8, not JSON, not a JSON object, blank
//!   (empty or only whitespace), or longer than the line limit. Processing continues.
//!
//! Lines end at `\n`; a `\r` before it is dropped; a last line without `\n` still counts, and
//! nothing follows the final `\n`.
//!
//! `declared_value` is JSON as [`crate::json`] writes it: `null`, booleans, integers, floats
//! (always with a fraction or an exponent, so `1.0` stays a float; `1e+16` is written `1e16`),
//! strings, lists, objects (keys sorted; a key that is not a string as its Python `repr`).
//!
//! With [`Binding::Native`], each line holds the constructor kwargs of that native type (e.g.
//! `{"num_beams": 1}` for `transformers.GenerationConfig`), bound where the engine schema mounts
//! that type.
//!
//! How it is fast: each line is parsed straight into the frame's slots by a streaming parser driven
//! by the slot trie ([`crate::bind::stream`]): only the values of slots are built, everything else
//! is skipped; a line it does not take (malformed, or unusual) goes through serde_json and the
//! tree binder, which decide exactly as before. Which rules fire is a bitset
//! ([`crate::jit::Evaluator::fire`]); findings are written straight into one output buffer
//! ([`render`]), flushed every 64 KiB. Memory stays flat on any input length: lines are read in
//! place from the reader's buffer, the frame, the sets and the output buffer are reused, and an
//! over-long line is skipped without being stored.

mod input;
mod parallel;
mod render;
mod tree_line;

pub use input::{Line, for_each_line};
pub use parallel::{BatchReport, batch_parallel};
pub use render::Renderer;

use crate::bind::stream::StreamBinder;
use crate::frame::Frame;
use crate::jit::{Backend, Evaluator};
use crate::loaded::LoadedProgram;
use crate::ruleset::RuleSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};

/// The default longest input line, in bytes (64 MiB).
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;

/// The output buffer is handed to the writer once it holds this many bytes.
const FLUSH_AT: usize = 1 << 16;

/// What a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Input lines read (= output lines written).
    pub lines: u64,
    /// Lines that got an error line.
    pub errors: u64,
    /// Findings written, over all lines.
    pub findings: u64,
}

/// How each line is bound.
#[derive(Clone, Copy, Debug)]
pub enum Binding<'a> {
    /// A whole config tree.
    Tree,
    /// The kwargs of this native type (must be one of [`LoadedProgram::native_types`]).
    Native(&'a str),
}

/// Why lines cannot be bound as a native type's kwargs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindingError {
    /// The program was compiled in compatibility mode: configs are whole trees.
    Compat,
    /// The program has no such native type; these are the ones it knows.
    UnknownNative {
        /// The native types of the program.
        known: Vec<String>,
    },
}

/// The binding for lines holding whole configs (`native: None`) or one native type's kwargs.
pub fn binding<'a>(
    program: &LoadedProgram,
    native: Option<&'a str>,
) -> Result<Binding<'a>, BindingError> {
    let Some(native) = native else {
        return Ok(Binding::Tree);
    };
    if program.program().compat {
        return Err(BindingError::Compat);
    }
    if !program.native_types().any(|n| n == native) {
        return Err(BindingError::UnknownNative {
            known: program.native_types().map(str::to_owned).collect(),
        });
    }
    Ok(Binding::Native(native))
}

/// Wraps any reader for [`batch`].
pub fn buffered<R: Read>(reader: R) -> BufReader<R> {
    BufReader::with_capacity(1 << 16, reader)
}

/// Evaluates every line of `input` with the interpreter and writes one JSON line per input line
/// to `out`.
///
/// Memory use does not grow with the input (see the module documentation). Returns an error
/// only on I/O failures (reading the input or writing the output).
pub fn batch(
    program: &LoadedProgram,
    binding: Binding<'_>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    max_line_bytes: usize,
) -> std::io::Result<BatchStats> {
    let mut evaluator = Evaluator::new(program, Backend::Interp);
    batch_with(program, &mut evaluator, binding, input, out, max_line_bytes)
}

/// [`batch`] with a chosen evaluator (made for `program`).
pub fn batch_with(
    program: &LoadedProgram,
    evaluator: &mut Evaluator,
    binding: Binding<'_>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    max_line_bytes: usize,
) -> std::io::Result<BatchStats> {
    let mut run = Run::new(program, binding, max_line_bytes);
    let mut n = 0;
    for_each_line(input, max_line_bytes, &mut |line| {
        n += 1;
        run.line(evaluator, n, line);
        if run.buffer.len() >= FLUSH_AT {
            out.write_all(&run.buffer)?;
            run.buffer.clear();
        }
        Ok(())
    })?;
    out.write_all(&run.buffer)?;
    out.flush()?;
    Ok(run.stats)
}

/// The state of one batch.
struct Run<'p> {
    program: &'p LoadedProgram,
    binding: Binding<'p>,
    stream: Option<StreamBinder<'p>>,
    frame: Frame,
    fired: RuleSet,
    renderer: Renderer,
    buffer: Vec<u8>,
    message: String,
    stats: BatchStats,
    max_line_bytes: usize,
}

impl<'p> Run<'p> {
    fn new(program: &'p LoadedProgram, binding: Binding<'p>, max_line_bytes: usize) -> Run<'p> {
        Run {
            program,
            binding,
            stream: match binding {
                Binding::Tree => Some(StreamBinder::tree(program)),
                Binding::Native(native) => StreamBinder::native(program, native),
            },
            frame: program.frame(),
            fired: RuleSet::new(program.rules().len()),
            renderer: Renderer::new(program),
            buffer: Vec::with_capacity(FLUSH_AT * 2),
            message: String::new(),
            stats: BatchStats::default(),
            max_line_bytes,
        }
    }

    /// Answers line `n` (counted from 1) into the buffer.
    fn line(&mut self, evaluator: &mut Evaluator, n: u64, line: Line<'_>) {
        self.stats.lines += 1;
        self.message.clear();
        match line {
            Line::TooLong => {
                let _ = write!(
                    self.message,
                    "line {n}: longer than {} bytes",
                    self.max_line_bytes
                );
            }
            Line::Text(_) | Line::Utf8(_) => {
                let streamed = self.stream.as_mut().is_some_and(|s| {
                    let bound = match line {
                        Line::Utf8(text) => s.bind_str(text, &mut self.frame),
                        _ => s.bind(line.bytes().unwrap_or_default(), &mut self.frame),
                    };
                    bound.is_ok()
                });
                let bound = streamed
                    || tree_line::bind(
                        self.program,
                        self.binding,
                        line.bytes().unwrap_or_default(),
                        &mut self.frame,
                        &mut self.message,
                        n,
                    );
                if bound {
                    evaluator.fire(self.program, &self.frame, &mut self.fired);
                    self.stats.findings +=
                        self.renderer
                            .fired(&mut self.buffer, &self.frame, &self.fired);
                    return;
                }
            }
        }
        self.stats.errors += 1;
        self.renderer.error(&mut self.buffer, &self.message);
    }
}

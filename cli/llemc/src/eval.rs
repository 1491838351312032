//! `llemc eval`: evaluate a rule program on a stream of configs, one JSON object per line.
//!
//! ```text
//! llemc eval --corpus FILE [--compat | --schema FILE] [--native TYPE] --jsonl FILE|-
//! llemc eval --artifact FILE [--native TYPE] --jsonl FILE|-
//! ```
//!
//! Every input line yields exactly one output line, in input order, so output line `N` answers
//! input line `N`:
//!
//! - `{"fired":[{"id":…,"severity":…,"declared_value":…,"message":…},…]}`: the rules that fired,
//!   in corpus order (an empty list when none did);
//! - `{"error":"line N: …"}`: the line is not valid UTF-8, not JSON, not a JSON object, blank
//!   (empty or only whitespace), or longer than the line limit (64 MiB). Processing continues.
//!
//! Lines end at `\n`; a `\r` before it is dropped; a last line without `\n` still counts, and
//! nothing follows the final `\n`.
//!
//! `declared_value` is JSON: `null`, booleans, integers, floats (always with a fraction or an
//! exponent, so `1.0` stays a float: `1.0`, `1e+16` is written `1e16`), strings, lists, objects.
//! JSON has no NaN or infinity: such floats are written as `null` (they cannot come from a JSON
//! config; only values computed by the engine could hold them). Dict keys that are not strings
//! are written as their Python `repr` (`{1: 2}` → `{"1": 2}`).
//!
//! With `--native TYPE`, each line holds the constructor kwargs of that native type (e.g.
//! `{"num_beams": 1}` for `transformers.GenerationConfig`), bound where the engine schema mounts
//! that type; it needs a schema-mode program.
//!
//! Memory stays flat on any input length: one reused line buffer, one reused frame and findings
//! vector, buffered output; an over-long line is skipped without being stored.
//!
//! Exit codes: 0 the batch ran (whatever fired, whatever lines were malformed); 1 the corpus does
//! not compile (its diagnostics go to standard error); 2 usage or I/O errors (unreadable files, a
//! bad artifact, an unknown native type, a write failure).

use crate::session::{LoadOptions, Session};
use clap::{ArgGroup, Args};
use llemc_cli_common::backend::Backend;
use llemc_cli_common::exit;
use llemc_cli_common::output::{ColorChoice, Format, counts, emit};
use llemc_compiler::diagnostic::Diagnostic;
use llemc_compiler::value::{Value, repr};
use llemc_runtime::findings::Finding;
use llemc_runtime::jit::Evaluator;
use llemc_runtime::loaded::LoadedProgram;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Read, Write};
use std::path::PathBuf;

/// The default longest input line, in bytes (64 MiB).
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;

/// `llemc eval` arguments.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("program").required(true).args(["corpus", "artifact"])))]
pub struct EvalArgs {
    /// The corpus to compile and evaluate.
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// A compiled artifact (`llemc compile`) to evaluate instead of a corpus.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["compat", "schema", "engine_version"])]
    artifact: Option<PathBuf>,
    /// Compatibility mode: no engine schema, field paths taken as written, declared values only.
    #[arg(long)]
    compat: bool,
    /// Engine schema to resolve field names against (default: found beside the corpus, else the
    /// shipped one).
    #[arg(long, value_name = "FILE", conflicts_with = "compat")]
    schema: Option<PathBuf>,
    /// Engine library version to select rules for; default: the corpus's own.
    #[arg(long, value_name = "VERSION")]
    engine_version: Option<String>,
    /// Each line holds the kwargs of this native type instead of a whole config tree.
    #[arg(long, value_name = "TYPE")]
    native: Option<String>,
    /// The configs, one JSON object per line (`-`: standard input).
    #[arg(long, value_name = "FILE|-")]
    jsonl: PathBuf,
    /// Which evaluator runs the rules.
    #[arg(long, value_enum, default_value_t = Backend::Interp)]
    backend: Backend,
    /// Report on standard error which backend ran (JIT compile time, rules left to the
    /// interpreter and why).
    #[arg(long)]
    verbose: bool,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Longest accepted input line in bytes; longer lines get an error line.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES, hide = true)]
    max_line_bytes: usize,
}

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

pub(super) fn run(args: &EvalArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let program = match load(args, err) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut evaluator = Evaluator::new(&program, args.backend.runtime());
    let binding = match &args.native {
        None => Binding::Tree,
        Some(native) => {
            if program.program().compat {
                let _ = writeln!(
                    err,
                    "error: --native needs an engine schema; in compatibility mode configs are whole trees (drop --native or --compat)"
                );
                return exit::USAGE;
            }
            if !program.native_types().any(|n| n == native) {
                let known: Vec<&str> = program.native_types().collect();
                let _ = writeln!(
                    err,
                    "error: unknown native type `{native}`; this program knows: {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
                return exit::USAGE;
            }
            Binding::Native(native)
        }
    };
    let result = if args.jsonl.as_os_str() == "-" {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        batch_with(
            &program,
            &mut evaluator,
            binding,
            &mut lock,
            out,
            args.max_line_bytes,
        )
    } else {
        match std::fs::File::open(&args.jsonl) {
            Ok(file) => {
                let mut reader = BufReader::with_capacity(1 << 16, file);
                batch_with(
                    &program,
                    &mut evaluator,
                    binding,
                    &mut reader,
                    out,
                    args.max_line_bytes,
                )
            }
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error[E901]: cannot read `{}`: {e}",
                    args.jsonl.display()
                );
                return exit::USAGE;
            }
        }
    };
    if args.verbose {
        let _ = writeln!(
            err,
            "llemc eval: backend {} ({} at the end)",
            args.backend.as_str(),
            evaluator.active()
        );
        for note in evaluator.notes() {
            let _ = writeln!(err, "llemc eval: {note}");
        }
    }
    match result {
        Ok(_) => exit::OK,
        Err(e) => {
            let _ = writeln!(err, "error: llemc eval: {e}");
            exit::USAGE
        }
    }
}

/// Compiles the corpus or loads the artifact.
fn load(args: &EvalArgs, err: &mut dyn Write) -> Result<LoadedProgram, i32> {
    if let Some(path) = &args.artifact {
        let bytes = std::fs::read(path).map_err(|e| {
            let _ = writeln!(err, "error[E901]: cannot read `{}`: {e}", path.display());
            exit::USAGE
        })?;
        return LoadedProgram::from_artifact(&bytes).map_err(|e| {
            let _ = writeln!(err, "error: `{}`: {e}", path.display());
            exit::USAGE
        });
    }
    let Some(corpus) = &args.corpus else {
        let _ = writeln!(err, "error: give --corpus or --artifact");
        return Err(exit::USAGE);
    };
    let options = LoadOptions {
        compat: args.compat,
        schema: args.schema.clone(),
        engine_version: args.engine_version.clone(),
    };
    let session = Session::load(std::slice::from_ref(corpus), &options);
    let color = args.color.resolve();
    let mut all = session.io_errors.clone();
    all.extend(session.decode_errors.iter().cloned());
    let mut program = None;
    for unit in &session.units {
        let compiled = session.compile(unit);
        all.extend(compiled.diagnostics.iter().cloned());
        program = compiled.program.clone();
    }
    let failed = all.iter().any(Diagnostic::is_error);
    match program {
        Some(program) if !failed => Ok(LoadedProgram::new(program)),
        _ => {
            let errors: Vec<Diagnostic> = all.into_iter().filter(Diagnostic::is_error).collect();
            let mut sink = Vec::new();
            emit(
                &errors,
                &session.sources,
                Format::Human,
                color,
                &mut sink,
                err,
            );
            let _ = writeln!(err, "llemc: not evaluated: {}", counts(&errors));
            Err(if session.io_errors.is_empty() {
                exit::FINDINGS
            } else {
                exit::USAGE
            })
        }
    }
}

/// Evaluates every line of `input` and writes one JSON line per input line to `out`.
///
/// Memory use does not grow with the input: the line buffer, the frame and the findings vector
/// are reused, and a line longer than `max_line_bytes` is skipped (reported) without being stored.
/// Returns an error only on I/O failures (reading the input or writing the output).
pub fn batch(
    program: &LoadedProgram,
    binding: Binding<'_>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    max_line_bytes: usize,
) -> std::io::Result<BatchStats> {
    let mut evaluator = Evaluator::new(program, Backend::Interp.runtime());
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
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut line = Vec::new();
    let mut frame = program.frame();
    let mut findings: Vec<Finding> = Vec::new();
    let mut message = String::new();
    let mut stats = BatchStats::default();
    loop {
        let status = read_line(input, &mut line, max_line_bytes)?;
        let too_long = match status {
            LineStatus::End => break,
            LineStatus::Line => false,
            LineStatus::TooLong => true,
        };
        stats.lines += 1;
        let n = stats.lines;
        message.clear();
        if too_long {
            let _ = write!(message, "line {n}: longer than {max_line_bytes} bytes");
        } else {
            match parse_line(&line) {
                Err(why) => {
                    let _ = write!(message, "line {n}: {why}");
                }
                Ok(config) => {
                    let bound = match binding {
                        Binding::Tree => {
                            program.bind(&config, &mut frame);
                            true
                        }
                        Binding::Native(native) => program.bind_native(native, &config, &mut frame),
                    };
                    if !bound {
                        let _ = write!(message, "line {n}: native type not in this program");
                    } else {
                        findings.clear();
                        evaluator.evaluate_into(program, &frame, &mut findings);
                        stats.findings += findings.len() as u64;
                        write_fired(&mut out, &findings)?;
                        continue;
                    }
                }
            }
        }
        stats.errors += 1;
        out.write_all(b"{\"error\":")?;
        write_str(&mut out, &message)?;
        out.write_all(b"}\n")?;
    }
    out.flush()?;
    Ok(stats)
}

enum LineStatus {
    /// A line is in the buffer (without its `\n` / `\r\n`).
    Line,
    /// A line longer than the limit was skipped.
    TooLong,
    /// No more input.
    End,
}

/// Reads one line into `line` (cleared first), storing at most `max` bytes of it.
fn read_line(
    input: &mut dyn BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineStatus> {
    line.clear();
    let mut any = false;
    let mut too_long = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (body, used, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (chunk.get(..i).unwrap_or_default(), i + 1, true),
            None => (chunk, chunk.len(), false),
        };
        if !too_long {
            if line.len() + body.len() > max.saturating_add(1) {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(body);
            }
        }
        input.consume(used);
        if done {
            break;
        }
    }
    if !any {
        return Ok(LineStatus::End);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if too_long || line.len() > max {
        line.clear();
        return Ok(LineStatus::TooLong);
    }
    Ok(LineStatus::Line)
}

/// Parses one line as a JSON object, or says why it is not one.
fn parse_line(line: &[u8]) -> Result<serde_json::Value, String> {
    let text = std::str::from_utf8(line)
        .map_err(|e| format!("not valid UTF-8 (byte {})", e.valid_up_to() + 1))?;
    if text.trim().is_empty() {
        return Err("blank line (expected a JSON object)".to_owned());
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let what = full.strip_suffix(&suffix).unwrap_or(&full);
        format!("column {}: invalid JSON: {what}", e.column())
    })?;
    if !value.is_object() {
        let kind = match &value {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::Object(_) => "an object",
        };
        return Err(format!("expected a JSON object, found {kind}"));
    }
    Ok(value)
}

/// `{"fired":[…]}` and a newline.
fn write_fired(out: &mut dyn Write, findings: &[Finding]) -> std::io::Result<()> {
    out.write_all(b"{\"fired\":[")?;
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"{\"id\":")?;
        write_str(out, &f.id)?;
        out.write_all(b",\"severity\":\"")?;
        out.write_all(f.severity.as_str().as_bytes())?;
        out.write_all(b"\",\"declared_value\":")?;
        write_value(out, &f.declared_value)?;
        out.write_all(b",\"message\":")?;
        write_str(out, &f.message)?;
        out.write_all(b"}")?;
    }
    out.write_all(b"]}\n")
}

/// A JSON string literal.
fn write_str(out: &mut dyn Write, s: &str) -> std::io::Result<()> {
    serde_json::to_writer(out, s).map_err(std::io::Error::other)
}

/// A value as JSON (see the module documentation for floats and dict keys).
pub fn write_value(out: &mut dyn Write, value: &Value) -> std::io::Result<()> {
    match value {
        Value::Null => out.write_all(b"null"),
        Value::Bool(true) => out.write_all(b"true"),
        Value::Bool(false) => out.write_all(b"false"),
        Value::Int(i) => write!(out, "{i}"),
        Value::Float(x) => {
            if x.is_finite() {
                // serde_json writes floats with a fraction or exponent (1.0, 1e16).
                serde_json::to_writer(out, x).map_err(std::io::Error::other)
            } else {
                out.write_all(b"null")
            }
        }
        Value::Str(s) => write_str(out, s),
        Value::List(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_value(out, item)?;
            }
            out.write_all(b"]")
        }
        Value::Dict(entries) => {
            out.write_all(b"{")?;
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                match k {
                    Value::Str(s) => write_str(out, s)?,
                    other => write_str(out, &repr(other))?,
                }
                out.write_all(b":")?;
                write_value(out, v)?;
            }
            out.write_all(b"}")
        }
    }
}

/// Wraps any reader for [`batch`].
pub fn buffered<R: Read>(reader: R) -> BufReader<R> {
    BufReader::with_capacity(1 << 16, reader)
}

//! `llemc eval`: batch evaluation of JSONL configs, driven in-process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use support::llemc;

use llemc_runtime::batch::{Binding, batch, buffered};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn compat(name: &str) -> String {
    root()
        .join("../shared/compat")
        .join(name)
        .display()
        .to_string()
}

fn seeds() -> String {
    root()
        .join("engines/transformers/seeds.yaml")
        .display()
        .to_string()
}

fn schema() -> String {
    root()
        .join("engines/transformers/reference/hand-written-schema.yaml")
        .display()
        .to_string()
}

/// A fresh scratch file path for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("eval-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

fn write(name: &str, bytes: &[u8]) -> String {
    let path = scratch(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// Counts what is written without keeping it.
#[derive(Default)]
struct Counter {
    bytes: u64,
    lines: u64,
    errors: u64,
    last_line: Vec<u8>,
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for b in buf {
            self.last_line.push(*b);
            if *b == b'\n' {
                self.lines += 1;
                if self.last_line.starts_with(b"{\"error\"") {
                    self.errors += 1;
                }
                self.last_line.clear();
            }
        }
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Generates `n` JSONL lines on the fly (every 1000th malformed), never holding more than one.
struct Generated {
    next: u64,
    n: u64,
    line: Vec<u8>,
    pos: usize,
}

impl Generated {
    fn new(n: u64) -> Generated {
        Generated {
            next: 0,
            n,
            line: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.line.len() {
            if self.next == self.n {
                return Ok(0);
            }
            let i = self.next;
            self.next += 1;
            self.line.clear();
            self.pos = 0;
            if i % 1000 == 999 {
                self.line.extend_from_slice(b"{not json\n");
            } else {
                let beams = i % 5;
                let groups = i % 3 + 1;
                let temperature = (i % 7) as f64 / 2.0;
                writeln!(
                    self.line,
                    r#"{{"transformers":{{"sampling":{{"num_beams":{beams},"num_beam_groups":{groups},"temperature":{temperature:?},"do_sample":{}}}}}}}"#,
                    i.is_multiple_of(2)
                )?;
            }
        }
        let rest = &self.line[self.pos..];
        let k = rest.len().min(buf.len());
        buf[..k].copy_from_slice(&rest[..k]);
        self.pos += k;
        Ok(k)
    }
}

#[test]
fn a_batch_of_configs_gives_one_line_each_in_order() {
    let input = write(
        "normal.jsonl",
        br#"{"transformers":{"sampling":{"num_beams":1.0}}}
{"transformers":{"sampling":{"num_beams":1}}}
{"transformers":{"sampling":{"num_beams":4,"num_beam_groups":3}}}
{"transformers":{"sampling":{"temperature":0.0,"do_sample":true}}}
{}
{"transformers":{"sampling":{"cache_implementation":"DYNAMIC"}}}
"#,
    );
    let (code, out, err) = llemc(&[
        "eval",
        "--corpus",
        &compat("transformers.yaml"),
        "--compat",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 6);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["fired"].is_array(), "{line}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn malformed_lines_get_an_error_line_and_the_batch_goes_on() {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"{\"transformers\":{\"sampling\":{\"num_beams\":1}}}\n");
    bytes.extend_from_slice(b"{\"transformers\": not json\n");
    bytes.extend_from_slice(b"[1, 2, 3]\n");
    bytes.extend_from_slice(b"\"a string\"\n");
    bytes.extend_from_slice(b"{\"transformers\":\"\xff\xfe\"}\n");
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(b"   \t \n");
    bytes.extend_from_slice(b"42\n");
    bytes.extend_from_slice(b"null\n");
    bytes.extend_from_slice(b"{\"a\": 1} {\"b\": 2}\n");
    bytes.extend_from_slice(b"{\"transformers\":{\"sampling\":{\"num_beams\":1.0}}}\r\n");
    // The last line has no newline: it still counts.
    bytes.extend_from_slice(b"{\"transformers\":{\"sampling\":{\"cache_implementation\":\"x\"}}}");
    let input = write("malformed.jsonl", &bytes);
    let (code, out, err) = llemc(&[
        "eval",
        "--corpus",
        &compat("transformers.yaml"),
        "--compat",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 12);
    let kinds: Vec<&str> = out
        .lines()
        .map(|l| {
            if l.starts_with("{\"error\"") {
                "error"
            } else {
                "fired"
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "fired", "error", "error", "error", "error", "error", "error", "error", "error",
            "error", "fired", "fired"
        ]
    );
    insta::assert_snapshot!(out);
}

#[test]
fn an_over_long_line_is_skipped_without_being_stored() {
    let long = format!(
        "{{\"transformers\":{{\"sampling\":{{\"x\":\"{}\"}}}}}}\n",
        "y".repeat(5000)
    );
    let input = write(
        "long.jsonl",
        format!("{{}}\n{long}{{\"transformers\":{{\"sampling\":{{\"num_beams\":1}}}}}}\n")
            .as_bytes(),
    );
    let (code, out, err) = llemc(&[
        "eval",
        "--corpus",
        &compat("transformers.yaml"),
        "--compat",
        "--max-line-bytes",
        "1000",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], r#"{"fired":[]}"#);
    assert_eq!(lines[1], r#"{"error":"line 2: longer than 1000 bytes"}"#);
    assert!(lines[2].contains("transformers_beam_search_num_beams_eq_1"));
}

#[test]
fn native_kwargs_are_bound_where_the_schema_mounts_them() {
    let input = write(
        "native.jsonl",
        br#"{"num_beams": 1, "early_stopping": true}
{"num_beams": 4, "early_stopping": "sometimes"}
{"max_new_tokens": 0}
{"temperature": 0.0, "do_sample": true}
"#,
    );
    let (code, out, err) = llemc(&[
        "eval",
        "--corpus",
        &seeds(),
        "--schema",
        &schema(),
        "--native",
        "transformers.GenerationConfig",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 4);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let ids: Vec<&str> = first["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"transformers_generation_single_beam_ignores_early_stopping"),
        "{ids:?}"
    );
    insta::assert_snapshot!(out);

    // The same kwargs as a whole config tree give the same findings.
    let tree = write(
        "native-tree.jsonl",
        br#"{"transformers":{"generation":{"num_beams": 1, "early_stopping": true}}}
"#,
    );
    let (code, tree_out, err) = llemc(&[
        "eval",
        "--corpus",
        &seeds(),
        "--schema",
        &schema(),
        "--jsonl",
        &tree,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree_out.lines().next(), out.lines().next());
}

#[test]
fn an_unknown_native_type_is_a_usage_error_listing_the_known_ones() {
    let input = write("native-unknown.jsonl", b"{}\n");
    let (code, out, err) = llemc(&[
        "eval",
        "--corpus",
        &seeds(),
        "--native",
        "transformers.Nope",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.contains("unknown native type `transformers.Nope`"),
        "{err}"
    );
    assert!(err.contains("transformers.GenerationConfig"), "{err}");
    assert!(err.contains("transformers.BitsAndBytesConfig"), "{err}");

    let (code, _, err) = llemc(&[
        "eval",
        "--corpus",
        &compat("transformers.yaml"),
        "--compat",
        "--native",
        "transformers.GenerationConfig",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("compatibility mode"), "{err}");
}

#[test]
fn an_artifact_evaluates_like_its_corpus() {
    let artifact = scratch("seeds.llemc").display().to_string();
    let (code, _, err) = llemc(&["compile", &seeds(), "-o", &artifact]);
    assert_eq!(code, 0, "{err}");
    let input = write(
        "artifact.jsonl",
        br#"{"transformers":{"generation":{"num_beams": 1, "early_stopping": true}}}
{"transformers":{"generation":{"max_new_tokens": -3}}}
not json
"#,
    );
    let (code, from_artifact, err) = llemc(&["eval", "--artifact", &artifact, "--jsonl", &input]);
    assert_eq!(code, 0, "{err}");
    let (code, from_corpus, err) = llemc(&["eval", "--corpus", &seeds(), "--jsonl", &input]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(from_artifact, from_corpus);
    assert_eq!(from_artifact.lines().count(), 3);

    let (code, _, err) = llemc(&[
        "eval",
        "--artifact",
        &artifact,
        "--native",
        "transformers.GenerationConfig",
        "--jsonl",
        &write("artifact-native.jsonl", b"{\"max_new_tokens\": -3}\n"),
    ]);
    assert_eq!(code, 0, "{err}");

    let bad = write("bad.llemc", b"not an artifact");
    let (code, _, err) = llemc(&["eval", "--artifact", &bad, "--jsonl", &input]);
    assert_eq!(code, 2);
    assert!(err.contains("not an llemc artifact"), "{err}");
}

#[test]
fn usage_and_io_errors_exit_2_and_a_broken_corpus_exits_1() {
    let input = write("usage.jsonl", b"{}\n");
    // Neither --corpus nor --artifact.
    let (code, _, _) = llemc(&["eval", "--jsonl", &input]);
    assert_eq!(code, 2);
    // Both.
    let (code, _, _) = llemc(&[
        "eval",
        "--corpus",
        &seeds(),
        "--artifact",
        "x",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 2);
    // An unknown backend.
    let (code, _, err) = llemc(&[
        "eval",
        "--corpus",
        &seeds(),
        "--backend",
        "llvm",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("interp"), "{err}");
    // No threads.
    let (code, _, err) = llemc(&[
        "eval",
        "--corpus",
        &seeds(),
        "--jobs",
        "0",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--jobs"), "{err}");
    let (code, out, _) = llemc(&[
        "eval",
        "--corpus",
        &seeds(),
        "--backend",
        "interp",
        "--jsonl",
        &input,
    ]);
    assert_eq!((code, out.lines().count()), (0, 1));
    // Missing input file.
    let missing = scratch("missing.jsonl").display().to_string();
    let (code, _, err) = llemc(&["eval", "--corpus", &seeds(), "--jsonl", &missing]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    // Missing corpus.
    let (code, _, _) = llemc(&["eval", "--corpus", &missing, "--jsonl", &input]);
    assert_eq!(code, 2);
    // A corpus with an error.
    let broken = write(
        "broken.yaml",
        b"schema_version: 1.0.0\nengine: transformers\nengine_version: 4.57.6\nrules:\n- id: r\n  engine: transformers\n  severity: error\n  when: num_beams <<< 1\n  message_template: m\n",
    );
    let (code, out, err) = llemc(&["eval", "--corpus", &broken, "--compat", "--jsonl", &input]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("error"), "{err}");
    assert!(err.contains("not evaluated"), "{err}");
}

#[test]
fn a_generated_stream_of_200k_lines_is_answered_line_for_line() {
    let text = std::fs::read_to_string(compat("transformers.yaml")).unwrap();
    let input = CorpusInput {
        name: "transformers.yaml",
        text: &text,
        schema: None,
        compat: true,
        engine_version: None,
    };
    let Ok((program, _)) = compile_corpus(&input) else {
        panic!("does not compile")
    };
    let mut reader = buffered(Generated::new(200_000));
    let mut counter = Counter::default();
    let stats = batch(&program, Binding::Tree, &mut reader, &mut counter, 1 << 20).unwrap();
    assert_eq!(stats.lines, 200_000);
    assert_eq!(stats.errors, 200);
    assert_eq!(counter.lines, 200_000);
    assert_eq!(counter.errors, 200);
    assert!(stats.findings > 100_000, "{stats:?}");
}

/// Peak resident memory of this process, in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A 100 MB JSONL file through the CLI path; peak memory must not grow with it. Run with
/// `cargo test -p llemc-cli --release --test eval -- --ignored --nocapture`.
#[test]
#[ignore = "writes and evaluates a 100 MB file; run with -- --ignored"]
fn a_100_mb_file_streams_in_constant_memory() {
    let path = scratch("100mb.jsonl");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut source = Generated::new(u64::MAX);
        let mut buf = vec![0u8; 1 << 16];
        let mut written = 0u64;
        while written < 100_000_000 {
            let k = source.read(&mut buf).unwrap();
            file.write_all(&buf[..k]).unwrap();
            written += k as u64;
        }
        // Finish the current line.
        let rest = source.line[source.pos..].to_vec();
        file.write_all(&rest).unwrap();
        file.flush().unwrap();
    }
    let input_lines = {
        let mut n = 0u64;
        let mut f = std::fs::File::open(&path).unwrap();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let k = f.read(&mut buf).unwrap();
            if k == 0 {
                break;
            }
            n += buf[..k].iter().filter(|b| **b == b'\n').count() as u64;
        }
        n
    };
    let before = peak_rss_kib();
    let mut counter = Counter::default();
    let mut err = Vec::new();
    let started = std::time::Instant::now();
    let code = llemc::run(
        [
            "llemc",
            "eval",
            "--corpus",
            &compat("transformers.yaml"),
            "--compat",
            "--jsonl",
            &path.display().to_string(),
        ],
        &mut counter,
        &mut err,
    );
    let elapsed = started.elapsed();
    let after = peak_rss_kib();
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    assert_eq!(counter.lines, input_lines);
    eprintln!(
        "{input_lines} lines in {elapsed:?} ({:.0} lines/s); peak RSS {before:?} -> {after:?} KiB",
        input_lines as f64 / elapsed.as_secs_f64()
    );
    if let (Some(b), Some(a)) = (before, after) {
        assert!(
            a.saturating_sub(b) < 64 * 1024,
            "peak RSS grew by {} KiB",
            a - b
        );
    }
}

/// The conformance data through the CLI path: the first 300 records of the v1 transformers data,
/// evaluated by `llemc eval --compat`, report what the original loader reported.
#[test]
fn eval_matches_the_original_loader_on_recorded_configs() {
    let data = std::fs::read_to_string(root().join("conformance/data/transformers.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = data
        .lines()
        .take(300)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut configs = String::new();
    for r in &records {
        configs.push_str(&serde_json::to_string(&r["config"]).unwrap());
        configs.push('\n');
    }
    let input = write("conformance.jsonl", configs.as_bytes());
    let (code, out, err) = llemc(&[
        "eval",
        "--corpus",
        &compat("transformers.yaml"),
        "--compat",
        "--jsonl",
        &input,
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), records.len());
    let mut compared = 0;
    for (i, (record, line)) in records.iter().zip(&lines).enumerate() {
        if record["expect"].get("raises").is_some() {
            continue;
        }
        let got: serde_json::Value = serde_json::from_str(line).unwrap();
        let got: Vec<(&str, &str, &serde_json::Value)> = got["fired"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap(),
                    f["severity"].as_str().unwrap(),
                    &f["declared_value"],
                )
            })
            .collect();
        let want: Vec<(&str, &str, &serde_json::Value)> = record["expect"]["fired"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap(),
                    f["severity"].as_str().unwrap(),
                    &f["declared_value"],
                )
            })
            .collect();
        assert_eq!(got, want, "line {}: {}", i + 1, record["config"]);
        compared += 1;
    }
    assert!(compared > 200, "only {compared} comparable records");
}

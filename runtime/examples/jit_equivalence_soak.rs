//! Long differential run of the JIT against the interpreter.
//!
//! ```text
//! cargo run --release -p llemc-runtime --example jit_equivalence_soak -- \
//!     [--programs N] [--frames F] [--seed S]
//! ```
//!
//! Generates `N` random programs (seeds `S..S+N`, see `llemc_runtime::jit::testgen`), compiles
//! each with the JIT and evaluates it on `F` random frames with both backends, comparing the fired
//! rules and the findings. A case is one (program, frame) evaluation. Exits 1 on the first
//! mismatch (printing the seed and the difference), else prints the counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use llemc_runtime::jit::JitProgram;
use llemc_runtime::jit::testgen::{self, SplitMix};
use llemc_runtime::loaded::LoadedProgram;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let (programs, frames, seed) = (
        arg("--programs", 10_000),
        arg("--frames", 100),
        arg("--seed", 0),
    );
    let start = Instant::now();
    let (mut cases, mut rules, mut fallback_rules) = (0u64, 0u64, 0u64);
    let mut fired = Vec::new();
    for s in seed..seed + programs {
        let mut src = SplitMix(s);
        let loaded = LoadedProgram::new(testgen::program(&mut src));
        let jit = JitProgram::compile(&loaded).expect("compiles");
        rules += jit.rule_count() as u64;
        fallback_rules += jit.fallback_rules().len() as u64;
        let mut frame = loaded.frame();
        for f in 0..frames {
            testgen::fill_frame(&mut src, &loaded, &mut frame);
            if let Err(e) = testgen::check(&loaded, &jit, &frame, &mut fired) {
                eprintln!("MISMATCH: program seed {s}, frame {f}: {e}");
                std::process::exit(1);
            }
            cases += 1;
        }
    }
    println!(
        "jit_equivalence_soak: seeds {seed}..{}: {programs} programs ({rules} rules, \
         {fallback_rules} on the interpreter), {cases} cases, 0 mismatches, {:.1}s",
        seed + programs,
        start.elapsed().as_secs_f64()
    );
}

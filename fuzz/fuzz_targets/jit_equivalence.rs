//! Fuzzes the JIT against the interpreter: the fuzzer's bytes drive the random program and frame
//! generator of `llemc_runtime::jit::testgen` (through `arbitrary::Unstructured`); the JIT must
//! fire exactly the rules the interpreter fires, with the same findings, on every frame.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use llemc_runtime::jit::JitProgram;
use llemc_runtime::jit::testgen::{self, Source};
use llemc_runtime::loaded::LoadedProgram;

/// Choices read from the fuzzer's bytes (0 once they run out).
struct Bytes<'a>(Unstructured<'a>);

impl Source for Bytes<'_> {
    fn below(&mut self, n: u32) -> u32 {
        self.0.int_in_range(0..=n.max(1) - 1).unwrap_or(0)
    }

    fn bits(&mut self) -> u64 {
        self.0.arbitrary().unwrap_or(0)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut src = Bytes(Unstructured::new(data));
    let loaded = LoadedProgram::new(testgen::program(&mut src));
    let jit = match JitProgram::compile(&loaded) {
        Ok(jit) => jit,
        Err(e) => panic!("generated program does not compile: {e}"),
    };
    let mut frame = loaded.frame();
    let mut fired = Vec::new();
    for _ in 0..4 {
        testgen::fill_frame(&mut src, &loaded, &mut frame);
        if let Err(e) = testgen::check(&loaded, &jit, &frame, &mut fired) {
            panic!("jit and interpreter differ: {e}");
        }
    }
});

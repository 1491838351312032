//! Any text given as an engine schema: reading never panics and labels stay inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llemc_compiler::diagnostic::FileId;
use llemc_compiler::schema::read_schema;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let (_, diagnostics) = read_schema(FileId(0), text);
    for d in &diagnostics {
        for label in d.primary.iter().chain(&d.secondary) {
            assert!(label.span.start <= label.span.end && label.span.end as usize <= text.len());
        }
    }
});

//! Any bytes given as a corpus file: reading and compiling (compat and schema mode) never panics,
//! and every diagnostic label lies inside the file on a character boundary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llemc_compiler::db::{Database, Settings, SourceText, compile};
use llemc_compiler::diagnostic::{Color, SourceMap, render_human};

const SCHEMA: &str = include_str!("../../engines/transformers/reference/hand-written-schema.yaml");

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    for compat in [true, false] {
        let db = Database::default();
        let mut sources = SourceMap::new();
        let file = sources.add("corpus.yaml", text);
        let schema_file = sources.add("schema.yaml", SCHEMA);
        let source = SourceText::new(&db, file, text.to_owned());
        let schema = SourceText::new(&db, schema_file, SCHEMA.to_owned());
        let settings = Settings::new(&db, compat, None, Some(schema));
        let compiled = compile(&db, source, settings);
        for d in &compiled.diagnostics {
            for label in d.primary.iter().chain(&d.secondary) {
                let len = sources.text(label.file).len();
                assert!(label.span.start <= label.span.end && label.span.end as usize <= len);
                assert!(sources.text(label.file).is_char_boundary(label.span.start as usize));
            }
        }
        let _ = render_human(&compiled.diagnostics, &sources, Color::Never);
    }
});

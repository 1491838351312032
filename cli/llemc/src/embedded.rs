//! Engine schemas shipped inside the binary, used when no schema file is found next to a corpus:
//! each engine's default version's schema, generated from that version's source.

/// `(engine, file name shown in diagnostics, schema text)` for every shipped engine schema.
pub const SCHEMAS: &[(&str, &str, &str)] = &[(
    "transformers",
    "<embedded>/engines/transformers/5.24.0/schema.yaml",
    include_str!("../../../engines/transformers/5.24.0/schema.yaml"),
)];

/// The shipped schema for `engine`, as `(display name, text)`.
pub fn schema(engine: &str) -> Option<(&'static str, &'static str)> {
    SCHEMAS
        .iter()
        .find(|(e, _, _)| *e == engine)
        .map(|(_, name, text)| (*name, *text))
}

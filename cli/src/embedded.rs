//! Engine schemas shipped inside the binary, used when no schema file is found next to a corpus.

/// `(engine, file name shown in diagnostics, schema text)` for every shipped engine schema.
pub const SCHEMAS: &[(&str, &str, &str)] = &[(
    "transformers",
    "<embedded>/engines/transformers/schema.yaml",
    include_str!("../../engines/transformers/schema.yaml"),
)];

/// The shipped schema for `engine`, as `(display name, text)`.
pub fn schema(engine: &str) -> Option<(&'static str, &'static str)> {
    SCHEMAS
        .iter()
        .find(|(e, _, _)| *e == engine)
        .map(|(_, name, text)| (*name, *text))
}

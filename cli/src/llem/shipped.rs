//! The rule corpora shipped inside `llem`, one per supported engine version.

use crate::embedded;

/// One shipped corpus: the rules for one engine library version.
#[derive(Clone, Copy, Debug)]
pub struct ShippedCorpus {
    /// The engine, e.g. `transformers`.
    pub engine: &'static str,
    /// The library version the rules are for.
    pub version: &'static str,
    /// Where the corpus lives in the repository (shown to users).
    pub path: &'static str,
    /// The corpus text.
    pub text: &'static str,
}

/// Every shipped corpus; the first one listed for an engine is that engine's default version.
pub const CORPORA: &[ShippedCorpus] = &[ShippedCorpus {
    engine: "transformers",
    version: "5.14.1",
    path: "engines/transformers/seeds.yaml",
    text: include_str!("../../../engines/transformers/seeds.yaml"),
}];

impl ShippedCorpus {
    /// The engine schema the corpus is compiled against, as `(display name, text)`.
    pub fn schema(&self) -> Option<(&'static str, &'static str)> {
        embedded::schema(self.engine)
    }
}

/// The shipped corpus for `engine` at `version`.
pub fn corpus(engine: &str, version: &str) -> Option<&'static ShippedCorpus> {
    CORPORA
        .iter()
        .find(|c| c.engine == engine && c.version == version)
}

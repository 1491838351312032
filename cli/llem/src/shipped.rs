//! The rule corpora shipped inside `llem`: the gate-validated corpus of every supported engine
//! library version, each with the engine schema generated from that version's source.

use llemc_compiler::diagnostic::SourceMap;
use llemc_compiler::schema::{EngineSchema, read_schema};

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
    /// Where the version's engine schema lives in the repository.
    pub schema_path: &'static str,
    /// The schema text.
    pub schema_text: &'static str,
}

/// One `ShippedCorpus` per `engine version`, its files read from `engines/<engine>/<version>/`
/// at build time.
macro_rules! shipped {
    ($engine:literal $version:literal) => {
        ShippedCorpus {
            engine: $engine,
            version: $version,
            path: concat!(
                "engines/",
                $engine,
                "/",
                $version,
                "/invariants.validated.yaml"
            ),
            text: include_str!(concat!(
                "../../../engines/",
                $engine,
                "/",
                $version,
                "/invariants.validated.yaml"
            )),
            schema_path: concat!("engines/", $engine, "/", $version, "/schema.yaml"),
            schema_text: include_str!(concat!(
                "../../../engines/",
                $engine,
                "/",
                $version,
                "/schema.yaml"
            )),
        }
    };
}

/// Every shipped corpus, in the order of `engine_versions/<engine>.yaml`: the first one listed
/// for an engine is that engine's default version.
pub const CORPORA: &[ShippedCorpus] = &[
    shipped!("transformers" "5.24.0"),
    shipped!("transformers" "5.14.1"),
    shipped!("transformers" "4.57.6"),
    shipped!("vllm" "0.17.1"),
    shipped!("vllm" "0.19.1"),
    shipped!("vllm" "0.33.0"),
];

impl ShippedCorpus {
    /// The engine schema the corpus is compiled against, as `(display name, text)`.
    pub fn schema(&self) -> Option<(&'static str, &'static str)> {
        Some((self.schema_path, self.schema_text))
    }
}

/// Every shipped corpus with its engine schema read (a schema that does not read is left out;
/// the shipped ones are tested to read), the schema texts added to `sources` for diagnostics.
pub fn schemas(sources: &mut SourceMap) -> Vec<(&'static ShippedCorpus, EngineSchema)> {
    CORPORA
        .iter()
        .filter_map(|corpus| {
            let id = sources.add(corpus.schema_path, corpus.schema_text);
            read_schema(id, corpus.schema_text)
                .0
                .map(|schema| (corpus, schema))
        })
        .collect()
}

/// The shipped corpus for `engine` at `version`.
pub fn corpus(engine: &str, version: &str) -> Option<&'static ShippedCorpus> {
    CORPORA
        .iter()
        .find(|c| c.engine == engine && c.version == version)
}

/// The default version of `engine`: the first one shipped.
pub fn default_version(engine: &str) -> Option<&'static str> {
    CORPORA
        .iter()
        .find(|c| c.engine == engine)
        .map(|c| c.version)
}

//! Miners: they read an engine library and propose rules for llemc's corpora.
//!
//! `ssot` reads `engine_versions/{engine}.yaml`; `source` fetches and reads library sources;
//! `static_miner` translates validator code into predicates; `synth` derives example kwargs from
//! predicates; `build_corpus` merges staging files into a proposed corpus; `diff` compares
//! corpora of two library versions; `lifts` and `dynamic` read constraints from the live library
//! (type metadata, probes); `gate` replays a proposed corpus against the live library; `heldout`
//! scores corpora against what the library does with a held-out set of configs.

pub mod build_corpus;
pub mod diff;
pub mod docs_gen;
pub mod dynamic;
pub mod fixpoint;
pub mod gate;
pub mod heldout;
pub mod lifts;
pub mod live;
pub mod python;
pub mod source;
pub mod ssot;
pub mod static_miner;
pub mod synth;
pub mod yaml_out;

//! The corpus pipeline after mining: `build_corpus` merges the miners' staging files and the
//! manual seeds into a proposed corpus; the `gate` replays it against the live library;
//! `fixpoint` checks that its silent normalisations converge; `diff` compares two versions'
//! corpora; `docs_gen` writes the generated reference; `heldout` scores corpora against what the
//! library does with held-out configs; `refresh` plans the whole pipeline for an engine.

// `Diagnostic` is the one error type of every stage and is returned by value on purpose.
#![allow(clippy::result_large_err)]

pub mod build_corpus;
mod build_merge;
pub mod diff;
pub mod docs_gen;
pub mod fixpoint;
pub mod gate;
pub mod heldout;
pub mod refresh;

//! The corpus pipeline after mining: `build_corpus` merges the miners' staging files and the
//! manual seeds into a proposed corpus; the `gate` replays it against the live library;
//! `fixpoint` checks that its silent normalisations converge; `diff` compares two versions'
//! corpora; `docs_gen` writes the generated reference; `heldout` scores corpora against what the
//! library does with held-out configs.

pub mod build_corpus;
pub mod diff;
pub mod docs_gen;
pub mod fixpoint;
pub mod gate;
pub mod heldout;

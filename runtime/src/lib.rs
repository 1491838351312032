//! The llemc runtime: load a compiled rule program, bind a config into a frame of slots, evaluate
//! every rule with the reference interpreter, and report findings.

pub mod batch;
pub mod bind;
pub mod compile;
pub mod experiment;
pub mod findings;
pub mod frame;
pub mod hash;
pub mod interp;
pub mod jit;
pub mod json;
pub mod loaded;
pub mod merge;
pub mod message;
pub mod ruleset;
pub mod special;
pub mod sweep;
pub mod tree;

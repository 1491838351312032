//! The live side of mining: venvs per library version (`env`), the embedded CPython that imports
//! the library (`bridge`, feature `python`), the lifts (constraints the library's classes declare
//! in their type metadata) and the dynamic miner (probing constructors with value grids).

// `Diagnostic` is the one error type of every stage and is returned by value on purpose.
#![allow(clippy::result_large_err)]

pub mod dynamic;
pub mod env;
pub mod lifts;

#[cfg(feature = "python")]
pub mod bridge;

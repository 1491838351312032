//! The live side of mining: venvs per library version (`env`), the embedded CPython that imports
//! the library (`bridge`, feature `python`), the lifts (constraints the library's classes declare
//! in their type metadata) and the dynamic miner (probing constructors with value grids).

pub mod dynamic;
pub mod env;
pub mod lifts;

#[cfg(feature = "python")]
pub mod bridge;

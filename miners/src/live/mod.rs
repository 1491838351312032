//! The live library: venvs per supported version (`env`) and, with the `python` feature, the
//! embedded CPython that imports the library from such a venv (`bridge`).

pub mod env;

#[cfg(feature = "python")]
pub mod bridge;

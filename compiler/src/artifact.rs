//! The compiled artifact: a versioned binary form of a [`Program`] that loads without YAML.
//!
//! Layout (all integers little-endian):
//! `magic "LLEMCIR\0"` · `format version: u32` · `header length: u32` · header (postcard:
//! engine, engine version, corpus fingerprint, compat flag) · `payload length: u64` · payload
//! (postcard [`Program`]) · BLAKE3 of header and payload (32 bytes).

use crate::ir::Program;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The first bytes of every artifact.
pub const MAGIC: &[u8; 8] = b"LLEMCIR\0";

/// The artifact format this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;

/// What an artifact says about itself, readable without decoding the program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactHeader {
    /// Engine name.
    pub engine: String,
    /// Engine library version.
    pub engine_version: String,
    /// Fingerprint of the compiled inputs.
    pub fingerprint: String,
    /// Compiled in compatibility mode.
    pub compat: bool,
}

/// Why an artifact could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtifactError {
    /// The bytes do not start with [`MAGIC`].
    NotAnArtifact,
    /// Written by a different format version.
    UnsupportedVersion(u32),
    /// The data ends early.
    Truncated,
    /// The checksum does not match the contents.
    Corrupt,
    /// The contents do not decode.
    Malformed(String),
}

impl fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactError::NotAnArtifact => f.write_str("not an llemc artifact (bad magic bytes)"),
            ArtifactError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "artifact format version {v} is not supported (this llemc reads version {FORMAT_VERSION}); recompile it with `llemc compile`"
                )
            }
            ArtifactError::Truncated => f.write_str("the artifact is truncated"),
            ArtifactError::Corrupt => f.write_str("the artifact is corrupt (checksum mismatch)"),
            ArtifactError::Malformed(m) => write!(f, "the artifact does not decode: {m}"),
        }
    }
}

/// Serialises a program into artifact bytes.
pub fn encode(program: &Program) -> Result<Vec<u8>, ArtifactError> {
    let header = ArtifactHeader {
        engine: program.engine.clone(),
        engine_version: program.engine_version.clone(),
        fingerprint: program.fingerprint.clone(),
        compat: program.compat,
    };
    let header_bytes =
        postcard::to_allocvec(&header).map_err(|e| ArtifactError::Malformed(e.to_string()))?;
    let payload =
        postcard::to_allocvec(program).map_err(|e| ArtifactError::Malformed(e.to_string()))?;
    let mut out = Vec::with_capacity(payload.len() + header_bytes.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(
        &u32::try_from(header_bytes.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    let mut hasher = blake3::Hasher::new();
    hasher.update(&header_bytes);
    hasher.update(&payload);
    out.extend_from_slice(hasher.finalize().as_bytes());
    Ok(out)
}

struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ArtifactError> {
        if self.bytes.len() < n {
            return Err(ArtifactError::Truncated);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ArtifactError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

/// The parts of an artifact after framing checks.
struct Frame<'a> {
    header: ArtifactHeader,
    payload: &'a [u8],
}

fn frame(bytes: &[u8]) -> Result<Frame<'_>, ArtifactError> {
    let mut c = Cursor { bytes };
    if c.take(MAGIC.len())
        .map_err(|_| ArtifactError::NotAnArtifact)?
        != MAGIC
    {
        return Err(ArtifactError::NotAnArtifact);
    }
    let version = u32::from_le_bytes(c.array()?);
    if version != FORMAT_VERSION {
        return Err(ArtifactError::UnsupportedVersion(version));
    }
    let header_len = u32::from_le_bytes(c.array()?) as usize;
    let header_bytes = c.take(header_len)?;
    let payload_len =
        usize::try_from(u64::from_le_bytes(c.array()?)).map_err(|_| ArtifactError::Truncated)?;
    let payload = c.take(payload_len)?;
    let checksum: [u8; 32] = c.array()?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(header_bytes);
    hasher.update(payload);
    if hasher.finalize().as_bytes() != &checksum {
        return Err(ArtifactError::Corrupt);
    }
    if !c.bytes.is_empty() {
        return Err(ArtifactError::Malformed(format!(
            "{} trailing bytes",
            c.bytes.len()
        )));
    }
    let header =
        postcard::from_bytes(header_bytes).map_err(|e| ArtifactError::Malformed(e.to_string()))?;
    Ok(Frame { header, payload })
}

/// Reads only the header of an artifact (after verifying its framing and checksum).
pub fn read_header(bytes: &[u8]) -> Result<ArtifactHeader, ArtifactError> {
    frame(bytes).map(|f| f.header)
}

/// Loads a program from artifact bytes.
pub fn decode(bytes: &[u8]) -> Result<Program, ArtifactError> {
    let frame = frame(bytes)?;
    let program: Program =
        postcard::from_bytes(frame.payload).map_err(|e| ArtifactError::Malformed(e.to_string()))?;
    if program.engine != frame.header.engine || program.fingerprint != frame.header.fingerprint {
        return Err(ArtifactError::Malformed(
            "header and program disagree".into(),
        ));
    }
    Ok(program)
}

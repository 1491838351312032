//! A fast hash for short keys (field names, string values): the length and the first and last
//! eight bytes, mixed by one multiplication. Tables that use it compare the whole key on a hash
//! match, so keys that share their ends only cost a probe more.

use std::hash::{BuildHasherDefault, Hasher};

/// The first and last (up to) eight bytes of `bytes` as little-endian words.
fn ends(bytes: &[u8]) -> (u64, u64) {
    let n = bytes.len();
    let mut head = [0u8; 8];
    let mut tail = [0u8; 8];
    let k = n.min(8);
    if let (Some(h), Some(src)) = (head.get_mut(..k), bytes.get(..k)) {
        h.copy_from_slice(src);
    }
    if let (Some(t), Some(src)) = (tail.get_mut(..k), bytes.get(n - k..)) {
        t.copy_from_slice(src);
    }
    (u64::from_le_bytes(head), u64::from_le_bytes(tail))
}

/// The hash of a key.
pub fn key_hash(bytes: &[u8]) -> u64 {
    let (head, tail) = ends(bytes);
    let mixed = head ^ tail.rotate_left(29) ^ (bytes.len() as u64).rotate_left(55);
    let h = mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 29)
}

/// A [`Hasher`] of [`key_hash`] for `HashMap`s keyed by strings.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = (self.0.rotate_left(5) ^ key_hash(bytes)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Builds [`KeyHasher`]s.
pub type KeyHash = BuildHasherDefault<KeyHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_differ_hash_apart() {
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "num_beams",
            "num_beam_groups",
            "min_new_tokens",
            "max_new_tokens",
            "abcdefghij",
            "abcdefghik",
            "xbcdefghij",
        ];
        let mut hashes: Vec<u64> = keys.iter().map(|k| key_hash(k.as_bytes())).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), keys.len());
    }
}

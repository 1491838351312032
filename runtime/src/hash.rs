//! Short keys (field names, string values) as words: the length and the first and last eight
//! bytes, which decide equality for keys of up to 16 bytes and, mixed by one multiplication, give
//! the hash of the open-addressing tables of the trie and the interner (a longer key is compared
//! whole on a match).

/// Up to eight bytes as a little-endian word (missing bytes zero), without a copy call or a loop:
/// a short key is read as two overlapping halves, which agree where they overlap.
#[inline]
pub fn word(bytes: &[u8]) -> u64 {
    if let Some(eight) = bytes.first_chunk::<8>() {
        return u64::from_le_bytes(*eight);
    }
    let len = bytes.len();
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        return u64::from(u32::from_le_bytes(*head))
            | (u64::from(u32::from_le_bytes(*tail)) << (8 * (len - 4)));
    }
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<2>(), bytes.last_chunk::<2>()) {
        return u64::from(u16::from_le_bytes(*head))
            | (u64::from(u16::from_le_bytes(*tail)) << (8 * (len - 2)));
    }
    bytes.first().map_or(0, |b| u64::from(*b))
}

/// A key's length and its first and last (up to) eight bytes as little-endian words: equal
/// words mean equal keys for keys of at most 16 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyWords {
    len: usize,
    head: u64,
    tail: u64,
}

impl KeyWords {
    /// The words of a key.
    #[inline]
    pub fn of(bytes: &[u8]) -> KeyWords {
        let head = word(bytes);
        let tail = bytes
            .last_chunk::<8>()
            .map_or(head, |t| u64::from_le_bytes(*t));
        KeyWords {
            len: bytes.len(),
            head,
            tail,
        }
    }

    /// Whether equal words are enough to know two keys equal (at most 16 bytes).
    pub fn decides(&self) -> bool {
        self.len <= 16
    }

    /// The key's hash.
    #[inline]
    pub fn hash(&self) -> u64 {
        let mixed = self.head ^ self.tail.rotate_left(29) ^ (self.len as u64).rotate_left(55);
        let h = mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^ (h >> 29)
    }
}

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
        let mut hashes: Vec<u64> = keys
            .iter()
            .map(|k| KeyWords::of(k.as_bytes()).hash())
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), keys.len());
        let long = KeyWords::of(b"abcdefgh_middle_abcdefgh");
        assert!(!long.decides());
        assert!(KeyWords::of(b"sixteen_bytes_ok").decides());
        assert_eq!(word(b"ab"), 0x6261);
    }

    #[test]
    fn a_word_holds_the_bytes_in_order_and_zeros_after() {
        let text = b"abcdefghij";
        for len in 0..=8 {
            let bytes = text.get(..len).unwrap_or_default();
            let want = bytes
                .iter()
                .enumerate()
                .fold(0u64, |w, (i, b)| w | (u64::from(*b) << (8 * i)));
            assert_eq!(word(bytes), want, "{len} bytes");
        }
    }
}

//! Sets of rules as bitsets: which rules may fire on a frame, and which fired.

/// A set of rule indices below a fixed length, one bit per rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleSet {
    words: Vec<u64>,
    len: usize,
}

/// The number of 64-bit words of a set of `len` rules.
pub fn words_for(len: usize) -> usize {
    len.div_ceil(64)
}

impl RuleSet {
    /// The empty set of `len` rules.
    pub fn new(len: usize) -> RuleSet {
        RuleSet {
            words: vec![0; words_for(len)],
            len,
        }
    }

    /// Makes this the empty set of `len` rules (keeps the allocation).
    pub fn clear(&mut self, len: usize) {
        self.words.clear();
        self.words.resize(words_for(len), 0);
        self.len = len;
    }

    /// The number of rules the set ranges over.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set ranges over no rules.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds rule `index`.
    pub fn insert(&mut self, index: usize) {
        if index < self.len
            && let Some(w) = self.words.get_mut(index / 64)
        {
            *w |= 1 << (index % 64);
        }
    }

    /// Removes rule `index`.
    pub fn remove(&mut self, index: usize) {
        if let Some(w) = self.words.get_mut(index / 64) {
            *w &= !(1 << (index % 64));
        }
    }

    /// Makes this the set of all `len` rules.
    pub fn fill(&mut self, len: usize) {
        self.clear(len);
        for (w, word) in self.words.iter_mut().enumerate() {
            let below = len.saturating_sub(w * 64);
            *word = if below >= 64 {
                u64::MAX
            } else {
                (1 << below) - 1
            };
        }
    }

    /// Whether rule `index` is in the set.
    pub fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    /// The number of rules in the set.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The words, rule `i` at bit `i % 64` of word `i / 64`.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The words, for writing (bits at or beyond [`RuleSet::len`] must stay clear).
    pub fn words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// Adds every rule of `other` (words of a set of the same length).
    pub fn union_words(&mut self, other: &[u64]) {
        for (a, b) in self.words.iter_mut().zip(other) {
            *a |= *b;
        }
    }

    /// Keeps only the rules of `other` (words of a set of the same length).
    pub fn intersect_words(&mut self, other: &[u64]) {
        for (a, b) in self.words.iter_mut().zip(other) {
            *a &= *b;
        }
    }

    /// The rules in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(w * 64 + bit)
            })
        })
    }

    /// Keeps only the rules for which `keep` holds, visiting them in ascending order.
    pub fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        for (w, word) in self.words.iter_mut().enumerate() {
            let mut bits = *word;
            let mut kept = 0u64;
            while bits != 0 {
                let bit = bits.trailing_zeros();
                bits &= bits - 1;
                if keep(w * 64 + bit as usize) {
                    kept |= 1 << bit;
                }
            }
            *word = kept;
        }
    }

    /// One flag per rule.
    pub fn to_flags(&self) -> Vec<bool> {
        (0..self.len).map(|i| self.contains(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_iterates_and_retains_in_order() {
        let mut s = RuleSet::new(130);
        for i in [0, 5, 63, 64, 129, 130, 500] {
            s.insert(i);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 5, 63, 64, 129]);
        assert_eq!(s.count(), 5);
        s.retain(|i| i % 2 == 1);
        assert_eq!(s.iter().collect::<Vec<_>>(), [5, 63, 129]);
        assert!(s.contains(63) && !s.contains(64));
        s.fill(70);
        assert_eq!((s.count(), s.words()), (70, &[u64::MAX, 0b11_1111][..]));
        s.remove(69);
        assert!(!s.contains(69) && s.contains(68));
        s.clear(3);
        assert_eq!((s.len(), s.count(), s.words().len()), (3, 0, 1));
        assert_eq!(s.to_flags(), [false, false, false]);
    }
}

//! "Did you mean" suggestions for misspelled keys, operators and enum values.

/// The candidate closest to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let mut best: Option<(&'a str, f64)> = None;
    for &candidate in candidates {
        if candidate == word {
            continue;
        }
        let cand_lower = candidate.to_lowercase();
        let distance = strsim::damerau_levenshtein(&word_lower, &cand_lower);
        let similarity = strsim::jaro_winkler(&word_lower, &cand_lower);
        let limit = (candidate.chars().count().max(word.chars().count()) / 3).max(1);
        let close = distance <= limit
            || similarity >= 0.88
            || (word_lower.len() >= 3 && cand_lower.starts_with(&word_lower))
            || (cand_lower.len() >= 3 && word_lower.starts_with(&cand_lower));
        if close && best.is_none_or(|(_, s)| similarity > s) {
            best = Some((candidate, similarity));
        }
    }
    best.map(|(c, _)| c)
}

/// `a, b, c` with each value in backticks.
pub fn list_values(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let sev = ["error", "warn", "dormant"];
        assert_eq!(did_you_mean("warning", &sev), Some("warn"));
        assert_eq!(did_you_mean("eror", &sev), Some("error"));
        assert_eq!(did_you_mean("Dormant", &sev), Some("dormant"));
        assert_eq!(did_you_mean("banana", &sev), None);
        let ops = ["not_in", "in", "present", "absent", "equals"];
        assert_eq!(did_you_mean("notin", &ops), Some("not_in"));
        assert_eq!(did_you_mean("equal", &ops), Some("equals"));
        assert_eq!(list_values(&["a", "b"]), "`a`, `b`");
    }
}

//! Matching an observed message against a rule's `message_template`.
//!
//! The template is read as a pattern: every `{placeholder}` (`{field}`, `{declared_value}`,
//! `{num_beams}`, ...) is a wildcard for any text, and so is `…` (what the static miner could not
//! render), everything else must appear literally, and the
//! whole message must match (anchored at both ends). Runs of whitespace count as one space and
//! leading/trailing whitespace is ignored, on both sides.
//!
//! Why a pattern and not the rendered template: rendering would have to reproduce Python's
//! `str()` of every value (`1e-05`, `None`, `True`, `['a']`, `<class 'dict'>`) and know whether
//! the library prints the declared or the effective value; the literal text between the
//! placeholders, which is what distinguishes one check's message from another's, is still compared
//! exactly.

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Hole,
}

/// Collapses whitespace runs into one space and trims.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_placeholder(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// The pieces of a template; `…`, which the static miner writes where it cannot render an
/// interpolated expression (`{type(self.n)}`), is a wildcard like a placeholder.
fn pieces(template: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    for (i, part) in normalise(template).split('…').enumerate() {
        if i > 0 && out.last() != Some(&Piece::Hole) {
            out.push(Piece::Hole);
        }
        for piece in pieces_of(part) {
            if !(piece == Piece::Hole && out.last() == Some(&Piece::Hole)) {
                out.push(piece);
            }
        }
    }
    out
}

fn pieces_of(template: &str) -> Vec<Piece> {
    let text = template.to_owned();
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find('{') {
        let (before, from) = rest.split_at(open);
        literal.push_str(before);
        let after = from.get(1..).unwrap_or("");
        match after.find('}') {
            Some(close) if is_placeholder(after.get(..close).unwrap_or("")) => {
                if !literal.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut literal)));
                }
                if out.last() != Some(&Piece::Hole) {
                    out.push(Piece::Hole);
                }
                rest = after.get(close + 1..).unwrap_or("");
            }
            _ => {
                literal.push('{');
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(Piece::Text(literal));
    }
    out
}

/// Whether `message` matches `template` read as a pattern (see the module docs).
pub fn template_matches(template: &str, message: &str) -> bool {
    let message = normalise(message);
    let pieces = pieces(template);
    let mut rest = message.as_str();
    let last = pieces.len().saturating_sub(1);
    for (i, piece) in pieces.iter().enumerate() {
        let Piece::Text(text) = piece else { continue };
        let after_hole = i > 0 && pieces.get(i - 1) == Some(&Piece::Hole);
        if i == last && after_hole {
            // The last literal after a wildcard: a suffix.
            return rest.ends_with(text.as_str());
        }
        if after_hole {
            match rest.find(text.as_str()) {
                Some(at) => rest = rest.get(at + text.len()..).unwrap_or(""),
                None => return false,
            }
        } else {
            match rest.strip_prefix(text.as_str()) {
                Some(r) => rest = r,
                None => return false,
            }
        }
    }
    rest.is_empty() || pieces.last() == Some(&Piece::Hole)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_wildcards_and_text_is_exact() {
        let t = "`max_new_tokens` must be greater than 0, but is {max_new_tokens}.";
        assert!(template_matches(
            t,
            "`max_new_tokens` must be greater than 0, but is -1."
        ));
        assert!(!template_matches(
            t,
            "`max_new_tokens` must be greater than 1, but is -1."
        ));
        assert!(!template_matches(
            t,
            "`max_new_tokens` must be greater than 0, but is -1"
        ));
        assert!(template_matches("{a} and {b}", "x and y"));
        assert!(template_matches("{a}", "anything"));
        assert!(template_matches("a {x} b {y} c", "a 1 b b 2 c"));
        assert!(!template_matches("a {x} b", "a 1 c"));
    }

    #[test]
    fn an_ellipsis_is_a_wildcard() {
        let t = "`temperature` (={temperature}) has to be a strictly positive float.…";
        assert!(template_matches(
            t,
            "`temperature` (=0.0) has to be a strictly positive float. If you're looking for greedy decoding, set `do_sample=False`."
        ));
        assert!(template_matches(
            t,
            "`temperature` (=-1) has to be a strictly positive float."
        ));
        assert!(!template_matches(
            t,
            "`top_k` (=0) has to be a strictly positive float."
        ));
        let t = "n must be an int, but is of type …";
        assert!(template_matches(
            t,
            "n must be an int, but is of type <class 'float'>"
        ));
        assert!(!template_matches(t, "n must be at least 1, got 0."));
        assert!(template_matches("a … b {x}", "a 1 b 2"));
    }

    #[test]
    fn whitespace_is_tolerated_and_literal_braces_stay() {
        assert!(template_matches("a  b\n c ", "a b c"));
        assert!(template_matches(
            "x {not a placeholder}",
            "x {not a placeholder}"
        ));
        assert!(!template_matches("x {not a placeholder}", "x 1"));
        assert!(template_matches(
            "((1, 2)); got {v}.",
            "((1, 2)); got None."
        ));
    }
}

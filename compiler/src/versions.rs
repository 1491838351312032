//! PEP 440 version specifiers (`">=5"`, `"<5,>=4.40"`, `"==4.57.*"`, `"~=4.57"`) for a rule's
//! `versions:` key, and matching library versions against them.

use std::cmp::Ordering;

/// A parsed specifier set: every clause must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Specifier {
    clauses: Vec<Clause>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Clause {
    op: Op,
    release: Vec<u64>,
    wildcard: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Compatible,
}

/// The release segments of a version string (`5.14.1` → `[5, 14, 1]`); pre/post/dev/local parts
/// are ignored.
pub fn release(version: &str) -> Option<Vec<u64>> {
    let version = version.trim().trim_start_matches('v');
    let core = version.split(['+', '-']).next().unwrap_or("");
    let mut segments = Vec::new();
    for part in core.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            break;
        }
        segments.push(digits.parse().ok()?);
        if digits.len() != part.len() {
            break;
        }
    }
    if segments.is_empty() {
        None
    } else {
        Some(segments)
    }
}

fn cmp_release(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    Ordering::Equal
}

impl Specifier {
    /// Parses a comma-separated specifier set; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Specifier, String> {
        let mut clauses = Vec::new();
        for raw in text.split(',') {
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(format!("empty clause in version specifier `{text}`"));
            }
            let (op, rest) = [
                ("~=", Op::Compatible),
                ("==", Op::Eq),
                ("!=", Op::Ne),
                ("<=", Op::Le),
                (">=", Op::Ge),
                ("<", Op::Lt),
                (">", Op::Gt),
            ]
            .iter()
            .find_map(|(p, op)| raw.strip_prefix(p).map(|r| (*op, r.trim())))
            .ok_or_else(|| {
                format!("`{raw}` needs an operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`)")
            })?;
            let (version, wildcard) = match rest.strip_suffix(".*") {
                Some(v) => (v, true),
                None => (rest, false),
            };
            if wildcard && !matches!(op, Op::Eq | Op::Ne) {
                return Err(format!(
                    "`.*` is only allowed with `==` and `!=` (in `{raw}`)"
                ));
            }
            let valid = !version.is_empty()
                && version
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
                && version.starts_with(|c: char| c.is_ascii_digit());
            let release = release(version)
                .filter(|_| valid)
                .ok_or_else(|| format!("`{version}` is not a version number"))?;
            if op == Op::Compatible && release.len() < 2 {
                return Err(format!(
                    "`~=` needs at least two release segments (in `{raw}`)"
                ));
            }
            clauses.push(Clause {
                op,
                release,
                wildcard,
            });
        }
        Ok(Specifier { clauses })
    }

    /// Whether `version` satisfies every clause. An unparsable version matches nothing.
    pub fn matches(&self, version: &str) -> bool {
        let Some(v) = release(version) else {
            return false;
        };
        self.clauses.iter().all(|c| c.matches(&v))
    }
}

impl Clause {
    fn matches(&self, v: &[u64]) -> bool {
        let ord = cmp_release(v, &self.release);
        match self.op {
            Op::Eq if self.wildcard => {
                v.get(..self.release.len())
                    .is_some_and(|p| p == self.release.as_slice())
                    || prefix_zero_eq(v, &self.release)
            }
            Op::Ne if self.wildcard => {
                !(v.get(..self.release.len())
                    .is_some_and(|p| p == self.release.as_slice())
                    || prefix_zero_eq(v, &self.release))
            }
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Compatible => {
                let prefix_len = self.release.len() - 1;
                ord != Ordering::Less
                    && self.release.get(..prefix_len).is_some_and(|prefix| {
                        cmp_release(v.get(..prefix_len.min(v.len())).unwrap_or(&[]), prefix)
                            == Ordering::Equal
                    })
            }
        }
    }
}

/// `4` matches `==4.0.*`: a shorter version is padded with zeros.
fn prefix_zero_eq(v: &[u64], prefix: &[u64]) -> bool {
    v.len() < prefix.len()
        && prefix
            .iter()
            .enumerate()
            .all(|(i, p)| v.get(i).copied().unwrap_or(0) == *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(spec: &str, v: &str) -> bool {
        Specifier::parse(spec)
            .map(|s| s.matches(v))
            .unwrap_or(false)
    }

    #[test]
    fn matches_common_specifiers() {
        assert!(m(">=5", "5.14.1"));
        assert!(!m(">=5", "4.57.6"));
        assert!(m("<5,>=4.40", "4.57.6"));
        assert!(m("==4.57.*", "4.57.6"));
        assert!(!m("==4.57.*", "4.58.0"));
        assert!(m("~=4.57", "4.99"));
        assert!(!m("~=4.57", "5.0"));
        assert!(m("!=5.0.0", "5.14.1"));
        assert!(m("==5.14.1", "5.14.1rc1"));
    }

    #[test]
    fn rejects_malformed_specifiers() {
        for bad in ["", ">=", "5", ">=five", ">=5,", "~=5", ">=5.*", "=>5"] {
            assert!(Specifier::parse(bad).is_err(), "{bad}");
        }
    }
}

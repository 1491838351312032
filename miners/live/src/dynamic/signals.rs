//! What one probe showed, as *signals*: a raise, a warning, a logged message, a minor issue
//! about a field, or a silent normalisation. Two rows show the same signal when the channel,
//! the exception type / field and the message *shape* (numbers, booleans and probed values
//! blanked) agree, so one rule covers all values of a parameterised message.

use crate::lifts::rule::literal;
use llemc_compiler::corpus::{EmissionChannel, Outcome, RuleSeverity};
use serde::Serialize;
use serde_json::{Map, Value};

/// The kind of a signal, which fixes the rule's severity and expected outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// An exception (construction, or validation other than the strict minor-issue summary).
    Raise,
    /// An entry of the validator's minor-issue dict.
    Minor,
    /// `warnings.warn`.
    Warn,
    /// A logger record at warning level or above.
    Log,
    /// A passed value read back changed, with nothing emitted.
    Normalise,
}

impl SignalKind {
    /// `(severity, outcome, emission_channel)`.
    pub fn outcome(self) -> (RuleSeverity, Outcome, EmissionChannel) {
        match self {
            SignalKind::Raise => (
                RuleSeverity::Error,
                Outcome::Error,
                EmissionChannel::RuntimeException,
            ),
            SignalKind::Minor => (
                RuleSeverity::Dormant,
                Outcome::DormantAnnounced,
                EmissionChannel::MinorIssuesDict,
            ),
            SignalKind::Warn => (
                RuleSeverity::Warn,
                Outcome::Warn,
                EmissionChannel::WarningsWarn,
            ),
            SignalKind::Log => (
                RuleSeverity::Warn,
                Outcome::Warn,
                EmissionChannel::LoggerWarning,
            ),
            SignalKind::Normalise => (
                RuleSeverity::Dormant,
                Outcome::DormantSilent,
                EmissionChannel::None,
            ),
        }
    }
}

/// One signal of one row.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Signal {
    /// Identity across rows: kind, detail and message shape.
    pub key: String,
    /// The kind.
    pub kind: SignalKind,
    /// The field a minor issue or normalisation is about.
    pub field: Option<String>,
    /// `validate` or `construct`.
    pub phase: String,
    /// The message as emitted in this row.
    pub message: String,
    /// The value a normalisation produced (JSON text).
    pub after: Option<String>,
}

/// `value[key]`, or null when `value` has no such key (JSON from the bridge is never trusted).
pub fn at<'a>(value: &'a Value, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    value.get(key).unwrap_or(&NULL)
}

/// How a value may appear inside a library message (Python's `repr` and `str`).
pub fn spellings(value: &Value) -> Vec<String> {
    match value {
        Value::Bool(true) => vec!["True".to_owned()],
        Value::Bool(false) => vec!["False".to_owned()],
        Value::Null => vec!["None".to_owned()],
        Value::String(s) if !s.is_empty() => vec![format!("'{s}'"), format!("\"{s}\""), s.clone()],
        Value::Number(_) => literal(value).into_iter().collect(),
        _ => Vec::new(),
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

/// Byte ranges where `needle` occurs in `text` as a whole token (not inside a longer word or
/// number).
pub fn token_matches(text: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let mut from = 0;
    while let Some(pos) = text.get(from..).and_then(|t| t.find(needle)) {
        let start = from + pos;
        let end = start + needle.len();
        let before = text.get(..start).and_then(|t| t.chars().next_back());
        let after = text.get(end..).and_then(|t| t.chars().next());
        let first = needle.chars().next().unwrap_or(' ');
        let last = needle.chars().next_back().unwrap_or(' ');
        let ok_before = !is_word(first) || before.is_none_or(|c| !is_word(c) || c == '.');
        let ok_before = ok_before && before != Some('-');
        let ok_after = !is_word(last)
            || after.is_none_or(|c| !is_word(c))
            || (after == Some('.')
                && text
                    .get(end + 1..)
                    .and_then(|t| t.chars().next())
                    .is_none_or(|c| !c.is_ascii_digit()));
        if ok_before && ok_after {
            out.push((start, end));
        }
        from = end;
    }
    out
}

/// The message with numbers, booleans, `None` and the row's probed string values (quoted, or
/// bare when at least 3 characters long) blanked to `#`.
pub fn shape(message: &str, probed_strings: &[String]) -> String {
    slots(message, probed_strings).0
}

/// The shape and the blanked slots, in order, as byte ranges of `message`.
pub fn slots(message: &str, probed_strings: &[String]) -> (String, Vec<(usize, usize)>) {
    let mut needles: Vec<String> = Vec::new();
    for n in probed_strings.iter().filter(|s| !s.is_empty()) {
        needles.push(format!("'{n}'"));
        needles.push(format!("\"{n}\""));
        if n.len() >= 3 {
            needles.push(n.clone());
        }
    }
    needles.extend(["True", "False", "None"].map(str::to_owned));
    needles.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = String::with_capacity(message.len());
    let mut found = Vec::new();
    let mut i = 0;
    while i < message.len() {
        let rest = message.get(i..).unwrap_or("");
        let prev = message.get(..i).and_then(|t| t.chars().next_back());
        let hit = needles.iter().find(|n| {
            rest.starts_with(n.as_str())
                && token_matches(message.get(i..i + n.len()).unwrap_or(""), n).len() == 1
                && {
                    let start_ok =
                        !n.starts_with(is_word) || prev.is_none_or(|c| !is_word(c) || c == '.');
                    let after = message.get(i + n.len()..).and_then(|t| t.chars().next());
                    let end_ok = !n.ends_with(is_word)
                        || after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                    start_ok && end_ok
                }
        });
        if let Some(n) = hit {
            found.push((i, i + n.len()));
            out.push('#');
            i += n.len();
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        let word_before = prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        let negative = c == '-' && chars.next().is_some_and(|d| d.is_ascii_digit());
        if (c.is_ascii_digit() || negative) && !word_before {
            let mut j = i + 1;
            while let Some(d) = message.get(j..).and_then(|t| t.chars().next()) {
                let more = d.is_ascii_digit()
                    || d == '_'
                    || ((d == '.' || d == 'e')
                        && message
                            .get(j + 1..)
                            .and_then(|t| t.chars().next())
                            .is_some_and(|x| x.is_ascii_digit() || x == '-'));
                if !more {
                    break;
                }
                j += 1;
            }
            found.push((i, j));
            out.push('#');
            i = j;
            continue;
        }
        out.push(c);
        i += c.len_utf8();
    }
    (out, found)
}

/// The signals of one observation (`llemc_live.observe`'s result) of `row`.
pub fn signals(observation: &Value, row: &Map<String, Value>) -> Vec<Signal> {
    let strings: Vec<String> = row
        .values()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let phase = at(observation, "phase")
        .as_str()
        .unwrap_or("construct")
        .to_owned();
    let mut out = Vec::new();
    let minor = at(observation, "minor_issues")
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (field, text) in &minor {
        let message = text.as_str().unwrap_or_default().to_owned();
        out.push(Signal {
            key: format!("minor|{field}|{}", shape(&message, &strings)),
            kind: SignalKind::Minor,
            field: Some(field.clone()),
            phase: phase.clone(),
            message,
            after: None,
        });
    }
    let outcome = at(observation, "outcome").as_str().unwrap_or("ok");
    if outcome == "error" || outcome == "timeout" {
        let exc = at(observation, "exception");
        // Under validate(strict=True) the minor issues come back as one summary exception: the
        // minor issues themselves are the signals.
        let summary = phase == "validate" && !minor.is_empty();
        if !summary {
            let kind = at(exc, "type").as_str().unwrap_or("Exception");
            let message = at(exc, "message").as_str().unwrap_or_default().to_owned();
            out.push(Signal {
                key: format!("raise|{phase}|{kind}|{}", shape(&message, &strings)),
                kind: SignalKind::Raise,
                field: None,
                phase: phase.clone(),
                message,
                after: None,
            });
        }
    }
    let mut emitted = false;
    for e in at(observation, "emissions")
        .as_array()
        .into_iter()
        .flatten()
    {
        let message = at(e, "message").as_str().unwrap_or_default().to_owned();
        let level = at(e, "level").as_str().unwrap_or("");
        let (kind, tag) = match at(e, "channel").as_str() {
            Some("warnings") => (SignalKind::Warn, "warn"),
            Some("logger") if matches!(level, "warning" | "error" | "critical") => {
                (SignalKind::Log, "log")
            }
            _ => continue,
        };
        emitted = true;
        out.push(Signal {
            key: format!("{tag}|{}", shape(&message, &strings)),
            kind,
            field: None,
            phase: phase.clone(),
            message,
            after: None,
        });
    }
    if !emitted
        && minor.is_empty()
        && outcome == "ok"
        && let Some(map) = at(observation, "normalised").as_object()
    {
        {
            for (field, change) in map {
                let after = serde_json::to_string(&at(change, "after")).unwrap_or_default();
                out.push(Signal {
                    key: format!("normalise|{field}|{after}"),
                    kind: SignalKind::Normalise,
                    field: Some(field.clone()),
                    phase: "construct".to_owned(),
                    message: format!("{field} is normalised to {after}"),
                    after: Some(after),
                });
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.key == b.key);
    out
}

//! Field types from a class docstring's argument list, in the layout transformers uses:
//! `name (`type`, *optional*, defaults to X):` (also `- name (`type`):` and a missing space
//! before the parenthesis). The type text is read leniently: backticks are dropped,
//! `A or B` is a union, `tuple(int, float)` a tuple, `Literal[...]` the kinds of its values.

use llemc_compiler::types::Ty;
use std::collections::BTreeMap;

/// What the docstring says about one argument.
#[derive(Clone, Debug, PartialEq)]
pub struct DocArg {
    /// The documented type, when it reads as one.
    pub ty: Option<Ty>,
    /// Whether the argument is marked `*optional*` (it may be omitted).
    pub optional: bool,
}

/// The documented arguments of a docstring, by name (the first entry of a name wins).
pub fn args(doc: &str) -> BTreeMap<String, DocArg> {
    let mut out = BTreeMap::new();
    for line in doc.lines() {
        if let Some((name, arg)) = arg_line(line) {
            out.entry(name).or_insert(arg);
        }
    }
    out
}

/// One `name (spec):` line.
fn arg_line(line: &str) -> Option<(String, DocArg)> {
    let t = line.trim();
    let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
    let name_len = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    let name = t.get(..name_len)?;
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let rest = t.get(name_len..)?.trim_start();
    // `use_mtp: (`bool`):` also occurs
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
    let inner_and_tail = rest.strip_prefix('(')?;
    let close = matching_close(inner_and_tail)?;
    let inner = inner_and_tail.get(..close)?;
    let tail = inner_and_tail.get(close + 1..)?.trim();
    // `):` with stray closing parentheses tolerated (`*optional*)):`)
    if !tail.ends_with(':') || !tail.trim_end_matches(':').chars().all(|c| c == ')') {
        return None;
    }
    let mut ty = None;
    let mut optional = false;
    for part in split_top(inner, ',') {
        let p = part.trim().trim_matches('*').trim();
        let lower = p.to_ascii_lowercase();
        if lower == "optional" {
            optional = true;
        } else if lower.starts_with("default") || p.is_empty() {
        } else if ty.is_none() {
            ty = Some(type_text(p));
        }
    }
    Some((
        name.to_owned(),
        DocArg {
            ty: ty.flatten(),
            optional,
        },
    ))
}

/// Byte index of the `)` closing an already opened `(` (brackets nest).
fn matching_close(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ']' => depth = depth.checked_sub(1)?,
            ')' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

/// Splits at `sep` outside brackets.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(s.get(start..i).unwrap_or(""));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(s.get(start..).unwrap_or(""));
    parts
}

/// The type a docstring's type text names (`None` when it does not read as a type).
pub fn type_text(text: &str) -> Option<Ty> {
    let t = text.replace('`', "");
    let mut members = Vec::new();
    for m in split_or(&t) {
        let m = m.trim();
        if m.is_empty() {
            return None;
        }
        members.push(member(m)?);
    }
    match members.len() {
        0 => None,
        1 => members.pop(),
        _ => Ty::parse(&format!(
            "Union[{}]",
            members
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .ok(),
    }
}

/// Splits at the word `or` outside brackets.
fn split_or(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    for word in t.split(' ') {
        if depth == 0 && word == "or" {
            out.push(std::mem::take(&mut cur));
            continue;
        }
        for c in word.chars() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                _ => {}
            }
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    out.push(cur);
    out
}

/// One union member: `tuple(int, float)` as `tuple[int, float]`, `Literal[...]` as the kinds
/// of its values, anything else through the schema's type parser.
fn member(m: &str) -> Option<Ty> {
    let m = m.replace('(', "[").replace(')', "]");
    let m = replace_literals(&m)?;
    Ty::parse(&m).ok()
}

/// `Literal["a", 1]` → `Union[str, int]` (the schema has no literal types).
fn replace_literals(m: &str) -> Option<String> {
    let Some(start) = m.find("Literal[") else {
        return Some(m.to_owned());
    };
    let open = start + "Literal".len();
    let after = m.get(open + 1..)?;
    let close = open + 1 + matching_bracket(after)?;
    let values = m.get(open + 1..close)?;
    let mut kinds: Vec<&str> = Vec::new();
    for v in split_top(values, ',') {
        let v = v.trim();
        let k = if v.starts_with('"') || v.starts_with('\'') {
            "str"
        } else if v == "True" || v == "False" {
            "bool"
        } else if v == "None" {
            "None"
        } else if v.parse::<i64>().is_ok() {
            "int"
        } else if v.parse::<f64>().is_ok() {
            "float"
        } else {
            return None;
        };
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let replaced = format!("Union[{}]", kinds.join(", "));
    let rest = replace_literals(m.get(close + 1..)?)?;
    Some(format!("{}{replaced}{rest}", m.get(..start)?))
}

/// Byte index of the `]` closing an already opened `[`.
fn matching_bracket(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ty(line: &str) -> (Option<String>, bool) {
        let (_, a) = arg_line(line).unwrap();
        (a.ty.map(|t| t.to_string()), a.optional)
    }

    #[test]
    fn reads_the_layouts_transformers_uses() {
        assert_eq!(
            ty("    max_length (`int`, *optional*, defaults to 20):"),
            (Some("int".into()), true)
        );
        assert_eq!(ty("  do_sample (`bool`):"), (Some("bool".into()), false));
        assert_eq!(
            ty("forced_eos_token_id (`int` or list[int]`, *optional*, defaults to `x`):"),
            (Some("Union[int, list[int]]".into()), true)
        );
        assert_eq!(
            ty("exponential_decay_length_penalty (`tuple(int, float)`, *optional*):"),
            (Some("list[Union[int, float]]".into()), true)
        );
        assert_eq!(
            ty("sequence_bias (`dict[tuple[int], float]`, *optional*)):"),
            (Some("dict[list[int], float]".into()), true)
        );
        assert_eq!(
            ty("compile_config (CompileConfig, *optional*):"),
            (Some("CompileConfig".into()), true)
        );
        assert_eq!(ty("- context_width(`int`):"), (Some("int".into()), false));
        assert_eq!(ty("use_mtp: (`bool`):"), (Some("bool".into()), false));
        assert_eq!(
            ty("stop_strings (`str or list[str]`, *optional*):"),
            (Some("Union[str, list[str]]".into()), true)
        );
        assert_eq!(
            ty(
                "bnb_4bit_compute_dtype (`torch.dtype` or str, *optional*, defaults to `torch.float32`):"
            ),
            (Some("Union[torch.dtype, str]".into()), true)
        );
        assert_eq!(
            ty("mode (`Literal[\"a\", \"b\"]` or `int`, *optional*):"),
            (Some("Union[str, int]".into()), true)
        );
        assert_eq!(
            ty("debug_mode (`bool`, optional, *optional*, defaults to `False`):").0,
            Some("bool".into())
        );
    }

    #[test]
    fn prose_is_not_an_argument() {
        assert!(arg_line("The model (see below) is used.").is_none());
        assert!(arg_line("Args:").is_none());
        assert_eq!(ty("x (a free text description):").0, None);
    }
}

//! Message templates: Python `str.format`-style text with `{field}`, `{declared_value}`,
//! `{effective_value}` and `{rule_id}` placeholders.

/// A piece of a template as written, before placeholders are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawPart {
    /// Literal text (`{{` / `}}` already unescaped).
    Text(String),
    /// A placeholder: its name and its byte range inside the template.
    Placeholder {
        /// The name before any `!conversion` or `:format_spec`.
        name: String,
        /// Byte offset of the name in the template.
        start: usize,
        /// Byte offset one past the closing `}`.
        end: usize,
    },
}

/// Why a template cannot be parsed, with the byte offset in the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset of the problem inside the template.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Splits a template into text and placeholders.
pub fn parse_template(template: &str) -> Result<Vec<RawPart>, TemplateError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '}' => {
                return Err(TemplateError {
                    offset: i,
                    message: "single `}` in message template".into(),
                });
            }
            '{' => {
                let start = i + 1;
                let mut end = None;
                for (j, c) in chars.by_ref() {
                    if c == '}' {
                        end = Some(j);
                        break;
                    }
                    if c == '{' {
                        return Err(TemplateError {
                            offset: j,
                            message: "nested `{` in a placeholder".into(),
                        });
                    }
                }
                let Some(close) = end else {
                    return Err(TemplateError {
                        offset: i,
                        message: "unclosed `{` in message template".into(),
                    });
                };
                let inner = template.get(start..close).unwrap_or("");
                let name = inner
                    .split(['!', ':'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                if !text.is_empty() {
                    parts.push(RawPart::Text(std::mem::take(&mut text)));
                }
                parts.push(RawPart::Placeholder {
                    name,
                    start,
                    end: close + 1,
                });
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(RawPart::Text(text));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_and_placeholders() {
        let parts = parse_template("`{num_beams}` {{x}} {declared_value!r}").unwrap_or_default();
        assert_eq!(
            parts,
            vec![
                RawPart::Text("`".into()),
                RawPart::Placeholder {
                    name: "num_beams".into(),
                    start: 2,
                    end: 12
                },
                RawPart::Text("` {x} ".into()),
                RawPart::Placeholder {
                    name: "declared_value".into(),
                    start: 21,
                    end: 38
                },
            ]
        );
    }

    #[test]
    fn reports_unbalanced_braces() {
        assert!(parse_template("a { b").is_err());
        assert!(parse_template("a } b").is_err());
    }
}

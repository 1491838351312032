//! Lowering the map spelling of a predicate (`match.fields`) to the AST.
//!
//! A bare value is an equality test (a list value compares equal to a list); an operator map is
//! one test per operator, ANDed in written order. `present` / `absent` ignore their operand, as
//! the v1 loader does, with a warning for `present: false` / `absent: false`. A string operand
//! starting with `@` is a field reference, also inside lists. Spans: a field path is its key, a
//! test the whole `op: value` entry, a literal its value.

use super::model::{MatchField, Spanned};
use super::suggest::{did_you_mean, list_values};
use super::values::Ctx;
use crate::diagnostic::{Diagnostic, FileId};
use crate::yaml::{Node, NodeKind};
use llemc_grammar::ast::{
    CompareOp, Expr, ExprKind, FieldPath, Literal, Operand, OperandKind, Span,
};

/// Every operator name accepted in an operator map.
pub const OPERATOR_NAMES: [&str; 16] = [
    "==",
    "equals",
    "!=",
    "not_equal",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not_in",
    "present",
    "absent",
    "type_is",
    "type_is_not",
    "divisible_by",
    "not_divisible_by",
];

/// Lowers a `match.fields` mapping; `rule` names the rule in messages (e.g. "rule `x`").
/// Returns the entries that lowered cleanly and every problem found.
pub fn lower_match_fields(
    file: FileId,
    source: &str,
    fields: &Node,
    rule: &str,
) -> (Vec<MatchField>, Vec<Diagnostic>) {
    let mut cx = Ctx::new(file, source);
    let lowered = lower_fields(&mut cx, fields, rule);
    (lowered, cx.diags)
}

/// Lowers `match.fields` into `cx`.
pub(crate) fn lower_fields(cx: &mut Ctx<'_>, fields: &Node, rule: &str) -> Vec<MatchField> {
    let entries = match &fields.kind {
        NodeKind::Map(entries) => entries,
        NodeKind::Null => return Vec::new(),
        _ => {
            cx.wrong_type(&format!("`match.fields` of {rule}"), "a mapping", fields);
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if let Some(field) = lower_entry(cx, key, value, rule) {
            out.push(field);
        }
    }
    out
}

/// A dotted path with non-empty segments and no blanks; `what` names it in messages.
pub(crate) fn field_path(
    cx: &mut Ctx<'_>,
    text: &str,
    span: Span,
    what: &str,
) -> Option<FieldPath> {
    let valid = !text.is_empty()
        && text
            .split('.')
            .all(|s| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c == '@'));
    if valid {
        return Some(FieldPath::parse_dotted(text));
    }
    cx.push(
        Diagnostic::error("E213", format!("{what} `{text}` is not a valid field path"))
            .with_primary(cx.file, span, "not a dotted field path")
            .with_help(
                "write a path of dot-separated names, such as `transformers.sampling.num_beams`",
            ),
    );
    None
}

fn lower_entry(cx: &mut Ctx<'_>, key: &Node, value: &Node, rule: &str) -> Option<MatchField> {
    let Some(text) = key.as_str() else {
        cx.wrong_type(
            &format!("a field path in `match.fields` of {rule}"),
            "a string",
            key,
        );
        return None;
    };
    let path = field_path(cx, text, key.span, "the field")?;
    let path = Spanned::new(path, key.span);
    let entry_span = key.span.to(value.span);
    let field = || Operand {
        kind: OperandKind::Field(path.value.clone()),
        span: key.span,
    };
    let expr = match &value.kind {
        NodeKind::Map(ops) => {
            if ops.is_empty() {
                cx.push(
                    Diagnostic::error(
                        "E209",
                        format!("empty predicate: `{text}` of {rule} has no operators"),
                    )
                    .with_primary(cx.file, entry_span, "an empty operator map tests nothing")
                    .with_help(format!(
                        "write a test such as `{text}: {{present: true}}`, or remove the entry"
                    )),
                );
                return None;
            }
            let errors = cx.error_count();
            let mut tests = Vec::with_capacity(ops.len());
            for (op_key, operand) in ops {
                if let Some(test) = lower_operator(cx, field(), op_key, operand, rule) {
                    tests.push(test);
                }
            }
            if cx.error_count() > errors {
                return None;
            }
            and_of(tests, entry_span)?
        }
        _ => {
            let rhs = lower_operand(cx, value, rule)?;
            Expr {
                kind: ExprKind::Compare {
                    lhs: field(),
                    op: CompareOp::Eq,
                    rhs,
                },
                span: entry_span,
            }
        }
    };
    Some(MatchField { path, expr })
}

/// One expression from several: the single one unwrapped, else an `And` over `span`.
pub(crate) fn and_of(mut exprs: Vec<Expr>, span: Span) -> Option<Expr> {
    match exprs.len() {
        0 => None,
        1 => exprs.pop(),
        _ => Some(Expr {
            kind: ExprKind::And(exprs),
            span,
        }),
    }
}

fn lower_operator(
    cx: &mut Ctx<'_>,
    lhs: Operand,
    op_key: &Node,
    operand: &Node,
    rule: &str,
) -> Option<Expr> {
    let span = op_key.span.to(operand.span);
    let name = match op_key.as_str() {
        Some(name) => name,
        None => {
            unknown_operator(cx, &op_key.short_display(), op_key.span, rule);
            return None;
        }
    };
    if name == "present" || name == "absent" {
        let present = name == "present";
        if operand.as_bool() == Some(false) {
            let (means, instead) = if present {
                ("present", "absent")
            } else {
                ("absent", "present")
            };
            cx.push(
                Diagnostic::warning("W201", format!("`{name}: false` means `{means}`"))
                    .with_primary(cx.file, operand.span, "this operand is ignored")
                    .with_note(format!(
                        "in {rule}, as in the v1 format, `{name}` tests that the field is {means} whatever its operand"
                    ))
                    .with_help(format!("write `{instead}: true`")),
            );
        }
        return Some(Expr {
            kind: ExprKind::Presence {
                operand: lhs,
                present,
            },
            span,
        });
    }
    let Some(op) = CompareOp::from_name(name) else {
        unknown_operator(cx, name, op_key.span, rule);
        return None;
    };
    let rhs = match op {
        CompareOp::In | CompareOp::NotIn => {
            if operand.as_seq().is_none() {
                let found = operand.kind_name();
                let written = cx
                    .source
                    .get(operand.span.range())
                    .unwrap_or("...")
                    .to_owned();
                cx.push(
                    Diagnostic::error("E210", format!("`{name}` needs a list, found {found}"))
                        .with_primary(
                            cx.file,
                            operand.span,
                            format!("this is {found}, not a list"),
                        )
                        .with_note(format!(
                            "in {rule}; the original loader fails on this rule when it evaluates it"
                        ))
                        .with_help(format!("write a list: `{name}: [{written}]`")),
                );
                return None;
            }
            lower_operand(cx, operand, rule)?
        }
        CompareOp::TypeIs | CompareOp::TypeIsNot => {
            let ok = match &operand.kind {
                NodeKind::Str(_) => true,
                NodeKind::Seq(items) => {
                    !items.is_empty() && items.iter().all(|i| i.as_str().is_some())
                }
                _ => false,
            };
            if !ok {
                cx.push(
                    Diagnostic::error(
                        "E214",
                        format!("`{name}` needs a type name or a list of type names"),
                    )
                    .with_primary(
                        cx.file,
                        operand.span,
                        format!("this is {}", operand.kind_name()),
                    )
                    .with_note(format!("in {rule}"))
                    .with_help(format!(
                        "write a Python class name such as `{name}: int` or `{name}: [int, float]`"
                    )),
                );
                return None;
            }
            lower_operand(cx, operand, rule)?
        }
        _ => lower_operand(cx, operand, rule)?,
    };
    Some(Expr {
        kind: ExprKind::Compare { lhs, op, rhs },
        span,
    })
}

fn unknown_operator(cx: &mut Ctx<'_>, name: &str, span: Span, rule: &str) {
    let mut diagnostic = Diagnostic::error(
        "E208",
        format!("unknown operator `{name}` in `match.fields` of {rule}"),
    )
    .with_primary(cx.file, span, "not an operator")
    .with_note(format!("operators: {}", list_values(&OPERATOR_NAMES)));
    if let Some(s) = did_you_mean(name, &OPERATOR_NAMES) {
        diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
    }
    cx.push(diagnostic);
}

/// A value operand: a literal, a `@` reference, or a list of them.
fn lower_operand(cx: &mut Ctx<'_>, node: &Node, rule: &str) -> Option<Operand> {
    let kind = match &node.kind {
        NodeKind::Null => OperandKind::Literal(Literal::Null),
        NodeKind::Bool(b) => OperandKind::Literal(Literal::Bool(*b)),
        NodeKind::Int(i) => OperandKind::Literal(Literal::Int(*i)),
        NodeKind::Float(f) => OperandKind::Literal(Literal::Float(*f)),
        NodeKind::Str(s) => match s.strip_prefix('@') {
            Some(target) => OperandKind::Ref(field_path(cx, target, node.span, "the reference")?),
            None => OperandKind::Literal(Literal::Str(s.clone())),
        },
        NodeKind::Seq(items) => {
            let errors = cx.error_count();
            let lowered: Vec<Operand> = items
                .iter()
                .filter_map(|item| lower_operand(cx, item, rule))
                .collect();
            if cx.error_count() > errors {
                return None;
            }
            OperandKind::List(lowered)
        }
        NodeKind::Map(_) => {
            cx.push(
                Diagnostic::error("E211", "cannot compare with a mapping")
                    .with_primary(cx.file, node.span, "a mapping")
                    .with_note(format!("in {rule}; operands are scalars or lists of scalars"))
                    .with_help("to test several operators, put them in one operator map: `field: {'>': 1, '<': 5}`"),
            );
            return None;
        }
    };
    Some(Operand {
        kind,
        span: node.span,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::yaml::parse_yaml;

    fn lower(text: &str) -> (Vec<MatchField>, Vec<Diagnostic>) {
        let node = parse_yaml(FileId(0), text).unwrap();
        lower_match_fields(FileId(0), text, &node, "rule `r`")
    }

    fn codes(d: &[Diagnostic]) -> Vec<&str> {
        d.iter().map(|d| d.code).collect()
    }

    #[test]
    fn bare_values() {
        let text = "a.b: 1\nc: [1, '@d', x]\ne: '@f.g'\n";
        let (fields, diags) = lower(text);
        assert!(diags.is_empty());
        assert_eq!(fields.len(), 3);
        let ExprKind::Compare { lhs, op, rhs } = &fields[0].expr.kind else {
            panic!()
        };
        assert_eq!(*op, CompareOp::Eq);
        assert_eq!(lhs.kind, OperandKind::Field(FieldPath::parse_dotted("a.b")));
        assert_eq!(&text[lhs.span.range()], "a.b");
        assert_eq!(rhs.kind, OperandKind::Literal(Literal::Int(1)));
        assert_eq!(&text[fields[0].expr.span.range()], "a.b: 1");
        let ExprKind::Compare { rhs, .. } = &fields[1].expr.kind else {
            panic!()
        };
        let OperandKind::List(items) = &rhs.kind else {
            panic!()
        };
        assert_eq!(
            items[1].kind,
            OperandKind::Ref(FieldPath::parse_dotted("d"))
        );
        let ExprKind::Compare { rhs, .. } = &fields[2].expr.kind else {
            panic!()
        };
        assert_eq!(rhs.kind, OperandKind::Ref(FieldPath::parse_dotted("f.g")));
    }

    #[test]
    fn operator_maps() {
        let text = "x:\n  present: true\n  not_in: [a, b]\n  '>=': 2\n";
        let (fields, diags) = lower(text);
        assert!(diags.is_empty());
        let ExprKind::And(tests) = &fields[0].expr.kind else {
            panic!()
        };
        assert_eq!(tests.len(), 3);
        assert!(matches!(
            tests[0].kind,
            ExprKind::Presence { present: true, .. }
        ));
        assert_eq!(&text[tests[1].span.range()], "not_in: [a, b]");
        assert!(matches!(
            tests[2].kind,
            ExprKind::Compare {
                op: CompareOp::Ge,
                ..
            }
        ));
    }

    #[test]
    fn present_false_warns() {
        let (fields, diags) = lower("x: {present: false}\ny: {absent: false}\n");
        assert_eq!(codes(&diags), ["W201", "W201"]);
        assert!(matches!(
            fields[0].expr.kind,
            ExprKind::Presence { present: true, .. }
        ));
        assert!(matches!(
            fields[1].expr.kind,
            ExprKind::Presence { present: false, .. }
        ));
        assert_eq!(diags[0].help.as_deref(), Some("write `absent: true`"));
    }

    #[test]
    fn errors() {
        let (fields, diags) = lower(
            "a: {in: 3}\nb: {notin: [1]}\nc: {}\nd: {'==': {k: 1}}\ne: {type_is: 3}\nf: '@'\ng: [{k: 1}]\nh: {type_is: [int, float]}\n",
        );
        assert_eq!(
            codes(&diags),
            ["E210", "E208", "E209", "E211", "E214", "E213", "E211"]
        );
        assert_eq!(diags[1].help.as_deref(), Some("did you mean `not_in`?"));
        assert_eq!(fields.len(), 1);
    }
}

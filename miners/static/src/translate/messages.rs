//! Rendering message expressions (f-strings, `.format`, `%`) as message templates.

use super::{Binding, V, Walker, escape};
use crate::pred::Lit;
use crate::python::ast::{BinOp, Expr, ExprKind, FPart};

impl Walker<'_> {
    /// Renders a message expression as a template (`{field}` placeholders, `{declared_value}`
    /// for the subject); the flag says whether every part could be rendered.
    pub fn message(&mut self, e: &Expr, subject: Option<&str>) -> (String, bool) {
        let mut out = String::new();
        let ok = self.render(e, subject, &mut out);
        (out, ok)
    }

    fn render(&mut self, e: &Expr, subject: Option<&str>, out: &mut String) -> bool {
        self.depth += 1;
        let r = if self.depth > 64 {
            false
        } else {
            self.render_inner(e, subject, out)
        };
        self.depth -= 1;
        r
    }

    fn render_inner(&mut self, e: &Expr, subject: Option<&str>, out: &mut String) -> bool {
        match &e.kind {
            ExprKind::Str(s) => {
                out.push_str(&escape(s));
                true
            }
            ExprKind::FString(parts) => {
                let mut ok = true;
                for p in parts {
                    match p {
                        FPart::Lit(s) => out.push_str(&escape(s)),
                        FPart::Interp {
                            expr, conversion, ..
                        } => {
                            ok &= self.render_value(expr, subject, *conversion == Some('r'), out);
                        }
                    }
                }
                ok
            }
            ExprKind::BinOp {
                left,
                op: BinOp::Add,
                right,
            } => {
                let a = self.render(left, subject, out);
                let b = self.render(right, subject, out);
                a && b
            }
            ExprKind::BinOp {
                left,
                op: BinOp::Mod,
                right,
            } => {
                let args: Vec<Expr> = match &right.kind {
                    ExprKind::Tuple(items) => items.clone(),
                    _ => vec![(**right).clone()],
                };
                let (t, ok) = self.percent_format(left, &args, subject);
                out.push_str(&t);
                ok
            }
            ExprKind::Call {
                func,
                args,
                keywords,
            } => {
                if let ExprKind::Attribute { value, attr } = &func.kind
                    && attr == "format"
                    && let V::Lit(Lit::Str(template)) = self.val(value)
                {
                    let (t, ok) = self.brace_format(&template, args, keywords, subject);
                    out.push_str(&t);
                    return ok;
                }
                self.render_value(e, subject, false, out)
            }
            ExprKind::Name(n) => {
                if let Some(Binding::Expr(expr)) = self.env.get(n).cloned() {
                    let saved = self.env.remove(n);
                    let ok = self.render(&expr, subject, out);
                    if let Some(s) = saved {
                        self.env.insert(n.clone(), s);
                    }
                    return ok;
                }
                self.render_value(e, subject, false, out)
            }
            _ => self.render_value(e, subject, false, out),
        }
    }

    pub(super) fn render_value(
        &mut self,
        e: &Expr,
        subject: Option<&str>,
        repr: bool,
        out: &mut String,
    ) -> bool {
        // str(x) / repr(x)
        if let ExprKind::Call { func, args, .. } = &e.kind
            && let (Some(f), [x]) = (func.as_name(), args.as_slice())
            && (f == "str" || f == "repr")
        {
            return self.render_value(x, subject, f == "repr", out);
        }
        match self.val(e) {
            V::Field(f) => {
                if Some(f.as_str()) == subject {
                    out.push_str("{declared_value}");
                } else {
                    out.push('{');
                    out.push_str(&f);
                    out.push('}');
                }
                true
            }
            V::Lit(l) => {
                let text = if repr {
                    l.python_repr(true)
                } else {
                    l.python_str(true)
                };
                out.push_str(&escape(&text));
                true
            }
            _ => {
                out.push('…');
                false
            }
        }
    }

    fn brace_format(
        &mut self,
        template: &str,
        args: &[Expr],
        keywords: &[(Option<String>, Expr)],
        subject: Option<&str>,
    ) -> (String, bool) {
        let mut out = String::new();
        let mut ok = true;
        let mut chars = template.chars().peekable();
        let mut auto = 0usize;
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push_str("{{");
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push_str("}}");
                }
                '{' => {
                    let mut field = String::new();
                    for d in chars.by_ref() {
                        if d == '}' {
                            break;
                        }
                        field.push(d);
                    }
                    let (name, conv) = match field.split_once('!') {
                        Some((n, rest)) => (n.to_owned(), rest.starts_with('r')),
                        None => (field.split(':').next().unwrap_or("").to_owned(), false),
                    };
                    let name = name.split(':').next().unwrap_or("").to_owned();
                    let arg = if name.is_empty() {
                        let a = args.get(auto).cloned();
                        auto += 1;
                        a
                    } else if let Ok(i) = name.parse::<usize>() {
                        args.get(i).cloned()
                    } else {
                        keywords
                            .iter()
                            .find(|(k, _)| k.as_deref() == Some(name.as_str()))
                            .map(|(_, v)| v.clone())
                    };
                    match arg {
                        Some(a) => ok &= self.render_value(&a, subject, conv, &mut out),
                        None => {
                            out.push('…');
                            ok = false;
                        }
                    }
                }
                '}' => out.push_str("}}"),
                c => out.push(c),
            }
        }
        (out, ok)
    }

    pub(super) fn percent_format(
        &mut self,
        template: &Expr,
        args: &[Expr],
        subject: Option<&str>,
    ) -> (String, bool) {
        let V::Lit(Lit::Str(t)) = self.val(template) else {
            let mut out = String::new();
            let ok = self.render(template, subject, &mut out);
            return (out, ok && args.is_empty());
        };
        let mut out = String::new();
        let mut ok = true;
        let mut chars = t.chars().peekable();
        let mut next = 0usize;
        while let Some(c) = chars.next() {
            if c != '%' {
                match c {
                    '{' => out.push_str("{{"),
                    '}' => out.push_str("}}"),
                    c => out.push(c),
                }
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                out.push('%');
                continue;
            }
            // flags, width, precision, then the conversion letter
            let mut conv = ' ';
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    conv = d;
                    break;
                }
            }
            match args.get(next) {
                Some(a) => ok &= self.render_value(a, subject, conv == 'r', &mut out),
                None => {
                    out.push('…');
                    ok = false;
                }
            }
            next += 1;
        }
        (out, ok)
    }
}

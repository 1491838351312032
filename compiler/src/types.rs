//! Field types of engine schemas (`Optional[int]`, `Union[str, list[str]]`, class names) and the
//! questions the checker asks of them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The Python runtime kinds a value can have, as a small bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Kinds(u16);

impl Kinds {
    /// `None` (an absent field is also `None`).
    pub const NONE: Kinds = Kinds(1);
    /// `bool`.
    pub const BOOL: Kinds = Kinds(1 << 1);
    /// `int` (not `bool`).
    pub const INT: Kinds = Kinds(1 << 2);
    /// `float`.
    pub const FLOAT: Kinds = Kinds(1 << 3);
    /// `str`.
    pub const STR: Kinds = Kinds(1 << 4);
    /// `list` / `tuple`.
    pub const LIST: Kinds = Kinds(1 << 5);
    /// `dict`.
    pub const DICT: Kinds = Kinds(1 << 6);
    /// Any other object (a class instance).
    pub const OBJECT: Kinds = Kinds(1 << 7);
    /// Nothing.
    pub const EMPTY: Kinds = Kinds(0);
    /// Every kind.
    pub const ALL: Kinds = Kinds(0xff);
    /// The numeric kinds, which order against each other.
    pub const NUMBER: Kinds = Kinds(Self::BOOL.0 | Self::INT.0 | Self::FLOAT.0);

    /// Union of two sets.
    pub const fn or(self, other: Kinds) -> Kinds {
        Kinds(self.0 | other.0)
    }

    /// Intersection of two sets.
    pub const fn and(self, other: Kinds) -> Kinds {
        Kinds(self.0 & other.0)
    }

    /// `self` without the kinds in `other`.
    pub const fn without(self, other: Kinds) -> Kinds {
        Kinds(self.0 & !other.0)
    }

    /// Whether the sets share a kind.
    pub const fn intersects(self, other: Kinds) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether every kind of `self` is in `other`.
    pub const fn within(self, other: Kinds) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Human-readable list of the kinds, e.g. `int or None`.
    pub fn describe(self) -> String {
        let names: Vec<&str> = [
            (Kinds::BOOL, "bool"),
            (Kinds::INT, "int"),
            (Kinds::FLOAT, "float"),
            (Kinds::STR, "str"),
            (Kinds::LIST, "list"),
            (Kinds::DICT, "dict"),
            (Kinds::OBJECT, "object"),
            (Kinds::NONE, "None"),
        ]
        .iter()
        .filter(|(k, _)| self.intersects(*k))
        .map(|(_, n)| *n)
        .collect();
        if names.is_empty() {
            "nothing".to_owned()
        } else {
            names.join(" or ")
        }
    }
}

/// A field type as an engine schema declares it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ty {
    /// `any`: no knowledge.
    Any,
    /// `None`.
    None,
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// `float` (Python also accepts an `int` where a float is annotated).
    Float,
    /// `str`.
    Str,
    /// `list[T]` (also `tuple[...]`).
    List(Box<Ty>),
    /// `dict[K, V]`.
    Dict(Box<Ty>, Box<Ty>),
    /// A class, by (qualified) name.
    Class(String),
    /// `Union[A, B, ...]`; `Optional[T]` is `Union[T, None]`.
    Union(Vec<Ty>),
}

impl Ty {
    /// The runtime kinds a value of this type can have.
    pub fn kinds(&self) -> Kinds {
        match self {
            Ty::Any => Kinds::ALL,
            Ty::None => Kinds::NONE,
            Ty::Bool => Kinds::BOOL,
            Ty::Int => Kinds::INT,
            // Python code annotated `float` routinely receives ints.
            Ty::Float => Kinds::FLOAT.or(Kinds::INT),
            Ty::Str => Kinds::STR,
            Ty::List(_) => Kinds::LIST,
            Ty::Dict(_, _) => Kinds::DICT,
            Ty::Class(name) => class_kinds(name),
            Ty::Union(members) => members
                .iter()
                .fold(Kinds::EMPTY, |acc, t| acc.or(t.kinds())),
        }
    }

    /// The Python `type(x).__name__` values this type admits, or `None` when unknown (any).
    pub fn type_names(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        if self.collect_type_names(&mut out) {
            Some(out)
        } else {
            None
        }
    }

    fn collect_type_names(&self, out: &mut Vec<String>) -> bool {
        let mut push = |n: &str| {
            if !out.iter().any(|o| o == n) {
                out.push(n.to_owned());
            }
        };
        match self {
            Ty::Any => return false,
            Ty::None => push("NoneType"),
            Ty::Bool => push("bool"),
            Ty::Int => push("int"),
            Ty::Float => {
                push("float");
                push("int");
            }
            Ty::Str => push("str"),
            Ty::List(_) => {
                push("list");
                push("tuple");
            }
            Ty::Dict(_, _) => push("dict"),
            Ty::Class(name) => {
                let short = name.rsplit('.').next().unwrap_or(name);
                push(short);
                if class_kinds(name) == Kinds::ALL {
                    return false;
                }
            }
            Ty::Union(members) => {
                for m in members {
                    if !m.collect_type_names(out) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Whether the type admits `None`.
    pub fn nullable(&self) -> bool {
        self.kinds().intersects(Kinds::NONE)
    }

    /// The element type of a list type (or union of list types), if known.
    pub fn element(&self) -> Option<&Ty> {
        match self {
            Ty::List(t) => Some(t),
            Ty::Union(members) => members.iter().find_map(Ty::element),
            _ => None,
        }
    }

    /// Parses the schema spelling of a type. Returns a message on malformed input.
    pub fn parse(text: &str) -> Result<Ty, String> {
        let mut parser = TyParser {
            text,
            pos: 0,
            depth: 0,
        };
        let ty = parser.union()?;
        parser.skip_ws();
        if parser.pos < text.len() {
            return Err(format!("unexpected `{}` in type `{text}`", parser.rest()));
        }
        Ok(ty)
    }
}

/// Classes the schema may name whose runtime kind is known.
fn class_kinds(name: &str) -> Kinds {
    match name {
        "tuple" | "typing.Tuple" | "Tuple" | "Sequence" | "typing.Sequence" => Kinds::LIST,
        "Mapping" | "typing.Mapping" => Kinds::DICT,
        // Engine config classes and library objects: instances, or dicts that the library converts.
        _ => Kinds::OBJECT,
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => f.write_str("any"),
            Ty::None => f.write_str("None"),
            Ty::Bool => f.write_str("bool"),
            Ty::Int => f.write_str("int"),
            Ty::Float => f.write_str("float"),
            Ty::Str => f.write_str("str"),
            Ty::List(t) => write!(f, "list[{t}]"),
            Ty::Dict(k, v) => write!(f, "dict[{k}, {v}]"),
            Ty::Class(n) => f.write_str(n),
            Ty::Union(members) => {
                let non_none: Vec<&Ty> = members.iter().filter(|m| **m != Ty::None).collect();
                if non_none.len() + 1 == members.len()
                    && non_none.len() == 1
                    && let Some(inner) = non_none.first()
                {
                    return write!(f, "Optional[{inner}]");
                }
                f.write_str("Union[")?;
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{m}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// A small recursive-descent parser for type strings (depth-bounded).
struct TyParser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl TyParser<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn union(&mut self) -> Result<Ty, String> {
        let mut members = vec![self.single()?];
        while self.eat("|") {
            members.push(self.single()?);
        }
        Ok(flatten_union(members))
    }

    fn args(&mut self) -> Result<Vec<Ty>, String> {
        if !self.eat("[") {
            return Ok(Vec::new());
        }
        let mut args = vec![self.union()?];
        while self.eat(",") {
            if self.rest().trim_start().starts_with(']') {
                break;
            }
            args.push(self.union()?);
        }
        if !self.eat("]") {
            return Err(format!("expected `]` in type `{}`", self.text));
        }
        Ok(args)
    }

    fn single(&mut self) -> Result<Ty, String> {
        self.depth += 1;
        if self.depth > 32 {
            return Err(format!("type `{}` nests too deeply", self.text));
        }
        self.skip_ws();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let name = rest.get(..len).unwrap_or("").to_owned();
        if name.is_empty() {
            return Err(format!("expected a type name in `{}`", self.text));
        }
        self.pos += len;
        let args = self.args()?;
        self.depth -= 1;
        let bare = name.strip_prefix("typing.").unwrap_or(&name);
        let arity = |n: usize| -> Result<(), String> {
            if args.len() > n {
                Err(format!(
                    "`{name}` takes at most {n} type argument(s) in `{}`",
                    self.text
                ))
            } else {
                Ok(())
            }
        };
        let mut args_iter = args.clone().into_iter();
        let ty = match bare {
            "any" | "Any" | "object" => {
                arity(0)?;
                Ty::Any
            }
            "None" | "NoneType" => {
                arity(0)?;
                Ty::None
            }
            "bool" => {
                arity(0)?;
                Ty::Bool
            }
            "int" => {
                arity(0)?;
                Ty::Int
            }
            "float" => {
                arity(0)?;
                Ty::Float
            }
            "str" => {
                arity(0)?;
                Ty::Str
            }
            "list" | "List" | "tuple" | "Tuple" | "Sequence" | "set" | "Set" => {
                Ty::List(Box::new(flatten_union(args.clone()).or_any()))
            }
            "dict" | "Dict" | "Mapping" => {
                arity(2)?;
                let k = args_iter.next().unwrap_or(Ty::Any);
                let v = args_iter.next().unwrap_or(Ty::Any);
                Ty::Dict(Box::new(k), Box::new(v))
            }
            "Optional" => {
                arity(1)?;
                let inner = args_iter.next().ok_or_else(|| {
                    format!("`Optional` needs a type argument in `{}`", self.text)
                })?;
                flatten_union(vec![inner, Ty::None])
            }
            "Union" => {
                if args.is_empty() {
                    return Err(format!("`Union` needs type arguments in `{}`", self.text));
                }
                flatten_union(args)
            }
            "Literal" => {
                return Err(format!(
                    "`Literal` is not supported in `{}`: use the base type",
                    self.text
                ));
            }
            _ => {
                arity(usize::MAX)?;
                Ty::Class(name)
            }
        };
        Ok(ty)
    }
}

trait OrAny {
    fn or_any(self) -> Ty;
}

impl OrAny for Ty {
    fn or_any(self) -> Ty {
        match self {
            Ty::Union(ref m) if m.is_empty() => Ty::Any,
            other => other,
        }
    }
}

fn flatten_union(members: Vec<Ty>) -> Ty {
    let mut flat: Vec<Ty> = Vec::new();
    for m in members {
        match m {
            Ty::Union(inner) => {
                for i in inner {
                    if !flat.contains(&i) {
                        flat.push(i);
                    }
                }
            }
            other => {
                if !flat.contains(&other) {
                    flat.push(other);
                }
            }
        }
    }
    if flat.len() == 1 {
        flat.pop().unwrap_or(Ty::Any)
    } else {
        Ty::Union(flat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_common_types() {
        for (text, printed) in [
            ("int", "int"),
            ("Optional[int]", "Optional[int]"),
            ("Union[str, list[str], None]", "Union[str, list[str], None]"),
            ("dict[str, Any]", "dict[str, any]"),
            ("int | None", "Optional[int]"),
            (
                "Optional[Union[transformers.WatermarkingConfig, dict]]",
                "Union[transformers.WatermarkingConfig, dict[any, any], None]",
            ),
        ] {
            assert_eq!(
                Ty::parse(text).map(|t| t.to_string()),
                Ok(printed.to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_malformed_types() {
        assert!(Ty::parse("Optional[").is_err());
        assert!(Ty::parse("int]").is_err());
        assert!(Ty::parse("").is_err());
        assert!(Ty::parse(&"list[".repeat(100)).is_err());
    }

    #[test]
    fn kinds_follow_python() {
        let t = Ty::parse("Optional[float]").unwrap_or(Ty::Any);
        assert!(t.kinds().intersects(Kinds::INT));
        assert!(t.nullable());
        assert_eq!(Ty::Bool.type_names(), Some(vec!["bool".to_owned()]));
        assert_eq!(Ty::Any.type_names(), None);
    }
}

//! The typed IR: what a compiled rule program is made of.
//!
//! Field paths are resolved to slot indices (a slot is one absolute experiment-config path, e.g.
//! `transformers.generation.num_beams`), strings are interned, literals are constant-folded. A
//! config is bound once into a frame with one value per slot; every rule reads only slots.

use crate::corpus::{RuleSeverity, Stage};
use crate::types::Kinds;
use llemc_grammar::ast::{ArithOp, CompareOp, IsTarget};
use serde::{Deserialize, Serialize};

/// Index of a slot in [`Program::slots`].
pub type SlotId = u32;

/// Index of an interned string in [`Program::strings`].
pub type StrId = u32;

/// A compiled rule program for one engine and engine version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The engine, e.g. `transformers`.
    pub engine: String,
    /// The engine library version the program was compiled for.
    pub engine_version: String,
    /// Whether it was compiled in compatibility mode (declared values only, paths as written).
    pub compat: bool,
    /// Fingerprint of the corpus text(s) and schema it was compiled from (hex BLAKE3).
    pub fingerprint: String,
    /// Every field any rule reads.
    pub slots: Vec<Slot>,
    /// Interned strings (string literals and type names).
    pub strings: Vec<String>,
    /// The rules, in corpus order.
    pub rules: Vec<RuleIr>,
}

/// One field of the experiment config that rules read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// Absolute config path, e.g. `["transformers", "generation", "num_beams"]`.
    pub path: Vec<String>,
    /// The native type and kwarg name the slot stands for (schema mode only).
    pub native: Option<NativeField>,
    /// The kinds a value of the field may have per the schema ([`Kinds::ALL`] without a schema).
    pub kinds: Kinds,
}

/// Where a slot sits in its native type, with the default the library applies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NativeField {
    /// Native type name, e.g. `transformers.GenerationConfig`.
    pub native_type: String,
    /// Field path inside the native type (one segment unless nested).
    pub field: Vec<String>,
    /// The library's default, used as the effective value when the field is not declared.
    pub default: Option<Const>,
    /// Length of the config path prefix that must be present for the default to apply (the
    /// section, or the parent object of a nested field).
    pub parent_len: u32,
    /// The declared type, as written in the schema.
    pub ty: String,
}

/// A constant value (strings interned).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Const {
    /// `None`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int`.
    Int(i64),
    /// `float`.
    Float(f64),
    /// `str`, interned.
    Str(StrId),
    /// A list of constants.
    List(Vec<Const>),
    /// A dict of constants (only in defaults).
    Dict(Vec<(Const, Const)>),
}

/// One compiled rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleIr {
    /// The rule id.
    pub id: String,
    /// Its severity.
    pub severity: RuleSeverity,
    /// Where in a run the library shows the behaviour (construct when the rule does not say).
    pub stage: Stage,
    /// The native type the rule is about, if named.
    pub native_type: Option<String>,
    /// The subject field (the one the finding is about and `declared_value` reports).
    pub subject: Option<SlotId>,
    /// Every slot the predicate reads, ascending, no duplicates.
    pub reads: Vec<SlotId>,
    /// The predicate.
    pub pred: Pred,
    /// The message template, parsed.
    pub message: Template,
    /// `miner_source`, rendered as `path:line (method)`.
    pub origin: Option<String>,
    /// Normalised values of a dormant rule (`field → value`), for "will be normalised to X".
    pub normalises: Vec<(String, Const)>,
}

/// A predicate over slots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Pred {
    /// A constant (after folding).
    Const(bool),
    /// All hold (short-circuits left to right).
    And(Vec<Pred>),
    /// Any holds.
    Or(Vec<Pred>),
    /// Negation.
    Not(Box<Pred>),
    /// A binary test.
    Compare {
        /// Operator.
        op: CompareOp,
        /// Left operand.
        lhs: Operand,
        /// Right operand.
        rhs: Operand,
    },
    /// `present` (`true`) or `absent` (`false`).
    Presence {
        /// Tested operand.
        operand: Operand,
        /// Which test.
        present: bool,
    },
    /// Identity test.
    Is {
        /// Tested operand.
        operand: Operand,
        /// `is not`.
        negated: bool,
        /// Singleton.
        target: IsTarget,
    },
}

/// A value-producing expression over slots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Operand {
    /// The value of a slot (absent reads as null).
    Slot(SlotId),
    /// A constant.
    Const(Const),
    /// A list built from operands (not all constant).
    List(Vec<Operand>),
    /// `len(x)`.
    Len(Box<Operand>),
    /// `-x`.
    Neg(Box<Operand>),
    /// Arithmetic.
    Arith {
        /// Operator.
        op: ArithOp,
        /// Left.
        lhs: Box<Operand>,
        /// Right.
        rhs: Box<Operand>,
    },
}

/// A parsed message template.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Template {
    /// The template as written (`None` when the rule has none).
    pub raw: Option<String>,
    /// The pieces to render, in order. A missing template or one the original loaders cannot
    /// format (compat mode) is already turned into what those loaders show.
    pub parts: Vec<TemplatePart>,
    /// Whether the template is shown raw because it cannot be formatted (compat mode).
    pub renders_raw: bool,
}

/// One piece of a message template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TemplatePart {
    /// Literal text.
    Text(String),
    /// The value of a slot.
    Field(SlotId),
    /// `{declared_value}`.
    DeclaredValue,
    /// `{effective_value}`.
    EffectiveValue,
    /// `{rule_id}`.
    RuleId,
}

impl Operand {
    /// Calls `f` on every slot the operand reads.
    pub fn visit_slots(&self, f: &mut impl FnMut(SlotId)) {
        match self {
            Operand::Slot(s) => f(*s),
            Operand::Const(_) => {}
            Operand::List(items) => items.iter().for_each(|i| i.visit_slots(f)),
            Operand::Len(inner) | Operand::Neg(inner) => inner.visit_slots(f),
            Operand::Arith { lhs, rhs, .. } => {
                lhs.visit_slots(f);
                rhs.visit_slots(f);
            }
        }
    }

    /// Rewrites every slot id with `f`.
    pub fn map_slots(&mut self, f: &mut impl FnMut(SlotId) -> SlotId) {
        match self {
            Operand::Slot(s) => *s = f(*s),
            Operand::Const(_) => {}
            Operand::List(items) => items.iter_mut().for_each(|i| i.map_slots(f)),
            Operand::Len(inner) | Operand::Neg(inner) => inner.map_slots(f),
            Operand::Arith { lhs, rhs, .. } => {
                lhs.map_slots(f);
                rhs.map_slots(f);
            }
        }
    }

    /// Rewrites every interned string id with `f`.
    pub fn map_strings(&mut self, f: &mut impl FnMut(StrId) -> StrId) {
        match self {
            Operand::Slot(_) => {}
            Operand::Const(c) => c.map_strings(f),
            Operand::List(items) => items.iter_mut().for_each(|i| i.map_strings(f)),
            Operand::Len(inner) | Operand::Neg(inner) => inner.map_strings(f),
            Operand::Arith { lhs, rhs, .. } => {
                lhs.map_strings(f);
                rhs.map_strings(f);
            }
        }
    }
}

impl Const {
    /// Rewrites every interned string id with `f`.
    pub fn map_strings(&mut self, f: &mut impl FnMut(StrId) -> StrId) {
        match self {
            Const::Str(s) => *s = f(*s),
            Const::List(items) => items.iter_mut().for_each(|i| i.map_strings(f)),
            Const::Dict(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.map_strings(f);
                v.map_strings(f);
            }),
            Const::Null | Const::Bool(_) | Const::Int(_) | Const::Float(_) => {}
        }
    }
}

impl Pred {
    /// Calls `f` on every operand of every test.
    pub fn visit_operands(&self, f: &mut impl FnMut(&Operand)) {
        match self {
            Pred::Const(_) => {}
            Pred::And(items) | Pred::Or(items) => items.iter().for_each(|p| p.visit_operands(f)),
            Pred::Not(inner) => inner.visit_operands(f),
            Pred::Compare { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            Pred::Presence { operand, .. } | Pred::Is { operand, .. } => f(operand),
        }
    }

    /// Calls `f` on every operand of every test, mutably.
    pub fn visit_operands_mut(&mut self, f: &mut impl FnMut(&mut Operand)) {
        match self {
            Pred::Const(_) => {}
            Pred::And(items) | Pred::Or(items) => {
                items.iter_mut().for_each(|p| p.visit_operands_mut(f))
            }
            Pred::Not(inner) => inner.visit_operands_mut(f),
            Pred::Compare { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            Pred::Presence { operand, .. } | Pred::Is { operand, .. } => f(operand),
        }
    }
}

impl Program {
    /// The slot's dotted config path.
    pub fn slot_path(&self, slot: SlotId) -> String {
        self.slots
            .get(slot as usize)
            .map(|s| s.path.join("."))
            .unwrap_or_default()
    }

    /// An interned string.
    pub fn string(&self, id: StrId) -> &str {
        self.strings
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("")
    }
}

//! A program prepared for evaluation: constants materialised as values, defaults resolved, and
//! for each rule whether it can be skipped when the config declares none of its fields.

use crate::frame::{Frame, SlotState};
use crate::interp::{EvalPred, holds, prepare_pred};
use crate::jit::cell::Interner;
use llemc_compiler::artifact::{self, ArtifactError};
use llemc_compiler::ir::{Const, Program, SlotId};
use llemc_compiler::value::Value;
use std::sync::Arc;

/// Above this many defaulted slots in one rule, skippability is not precomputed (the rule is
/// always evaluated).
const MAX_SKIP_ANALYSIS_SLOTS: usize = 10;

/// A program ready to evaluate.
#[derive(Clone, Debug)]
pub struct LoadedProgram {
    program: Program,
    rules: Vec<EvalRule>,
    defaults: Vec<Option<Value>>,
    /// For each native type, the config path its kwargs sit under.
    mounts: Vec<(String, Vec<String>)>,
    /// The slot paths as a trie, for binding.
    bind_plan: crate::bind::BindPlan,
    /// The program's strings as ids (shared with every frame of the program, read by the JIT).
    interner: Arc<Interner>,
    /// Per rule, the index in `mounts` of the object its native type describes (schema mode):
    /// the rule applies only when the config builds that object.
    rule_objects: Vec<Option<usize>>,
}

/// One rule prepared for evaluation.
#[derive(Clone, Debug)]
pub struct EvalRule {
    /// The predicate with constants as values.
    pub pred: EvalPred,
    /// Whether the rule can only fire when the config declares one of the slots it reads.
    pub needs_declared: bool,
}

/// Converts an IR constant to a value.
pub fn const_value(program: &Program, c: &Const) -> Value {
    match c {
        Const::Null => Value::Null,
        Const::Bool(b) => Value::Bool(*b),
        Const::Int(i) => Value::Int(*i),
        Const::Float(f) => Value::Float(*f),
        Const::Str(id) => Value::Str(program.string(*id).to_owned()),
        Const::List(items) => Value::List(items.iter().map(|i| const_value(program, i)).collect()),
        Const::Dict(entries) => Value::Dict(
            entries
                .iter()
                .map(|(k, v)| (const_value(program, k), const_value(program, v)))
                .collect(),
        ),
    }
}

impl LoadedProgram {
    /// Prepares a compiled program.
    pub fn new(program: Program) -> LoadedProgram {
        let defaults: Vec<Option<Value>> = program
            .slots
            .iter()
            .map(|s| {
                s.native
                    .as_ref()
                    .and_then(|n| n.default.as_ref())
                    .map(|d| const_value(&program, d))
            })
            .collect();
        let mut mounts: Vec<(String, Vec<String>)> = Vec::new();
        for slot in &program.slots {
            if let Some(native) = &slot.native {
                if !mounts.iter().any(|(n, _)| *n == native.native_type) {
                    let keep = slot.path.len().saturating_sub(native.field.len());
                    mounts.push((
                        native.native_type.clone(),
                        slot.path.iter().take(keep).cloned().collect(),
                    ));
                }
            }
        }
        let mut loaded = LoadedProgram {
            rules: Vec::new(),
            defaults,
            mounts,
            bind_plan: crate::bind::BindPlan::new(&program),
            interner: Arc::new(Interner::new(&program.strings)),
            rule_objects: Vec::new(),
            program,
        };
        loaded.rule_objects = loaded
            .program
            .rules
            .iter()
            .map(|r| {
                let native = r
                    .native_type
                    .as_deref()
                    .filter(|_| !loaded.program.compat)?;
                loaded.mounts.iter().position(|(n, _)| n == native)
            })
            .collect();
        loaded.rules = loaded
            .program
            .rules
            .iter()
            .map(|r| EvalRule {
                pred: prepare_pred(&loaded.program, &r.pred),
                needs_declared: false,
            })
            .collect();
        for index in 0..loaded.rules.len() {
            let needs = loaded.needs_declared(index);
            if let Some(rule) = loaded.rules.get_mut(index) {
                rule.needs_declared = needs;
            }
        }
        loaded
    }

    /// Loads an artifact.
    pub fn from_artifact(bytes: &[u8]) -> Result<LoadedProgram, ArtifactError> {
        artifact::decode(bytes).map(LoadedProgram::new)
    }

    /// The compiled program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The slot-path trie binding walks.
    pub fn bind_plan(&self) -> &crate::bind::BindPlan {
        &self.bind_plan
    }

    /// The prepared rules, in program order.
    pub fn rules(&self) -> &[EvalRule] {
        &self.rules
    }

    /// The library default of a slot, if it has one.
    pub fn default(&self, slot: SlotId) -> Option<&Value> {
        self.defaults.get(slot as usize).and_then(Option::as_ref)
    }

    /// The config path under which a native type's kwargs sit.
    pub fn mount(&self, native_type: &str) -> Option<&[String]> {
        self.mounts
            .iter()
            .find(|(n, _)| n == native_type)
            .map(|(_, m)| m.as_slice())
    }

    /// The native-type objects of the program: `(native type, config path of its kwargs)`.
    pub fn objects(&self) -> &[(String, Vec<String>)] {
        &self.mounts
    }

    /// The object rule `index` is about, when the rule applies only if the config builds it.
    pub fn rule_object(&self, index: usize) -> Option<usize> {
        self.rule_objects.get(index).copied().flatten()
    }

    /// Whether rule `index` applies to a bound frame: its native type's object is built (a rule
    /// describes what that object's constructor or validator does).
    pub fn rule_applies(&self, index: usize, frame: &Frame) -> bool {
        self.rule_object(index)
            .is_none_or(|o| frame.object_present(o))
    }

    /// The native types the program knows, in slot order.
    pub fn native_types(&self) -> impl Iterator<Item = &str> {
        self.mounts.iter().map(|(n, _)| n.as_str())
    }

    /// A fresh frame for this program.
    pub fn frame(&self) -> Frame {
        Frame::with_interner(self.program.slots.len(), Arc::clone(&self.interner))
    }

    /// The program's string interner (frames of this program intern strings with it).
    pub fn interner(&self) -> &Arc<Interner> {
        &self.interner
    }

    /// Whether rule `index` cannot hold unless the config declares one of its slots: it must be
    /// false for every combination of "absent" and "default" over the slots it reads.
    fn needs_declared(&self, index: usize) -> bool {
        let (Some(rule), Some(eval)) = (self.program.rules.get(index), self.rules.get(index))
        else {
            return false;
        };
        let with_default: Vec<SlotId> = rule
            .reads
            .iter()
            .copied()
            .filter(|s| self.default(*s).is_some())
            .collect();
        if with_default.len() > MAX_SKIP_ANALYSIS_SLOTS {
            return false;
        }
        let mut frame = self.frame();
        for mask in 0u32..(1u32 << with_default.len()) {
            frame.reset();
            for (bit, slot) in with_default.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    if let Some(d) = self.default(*slot) {
                        frame.set(*slot, d.clone(), SlotState::Defaulted, None);
                    }
                }
            }
            if holds(&eval.pred, &frame) {
                return false;
            }
        }
        true
    }
}

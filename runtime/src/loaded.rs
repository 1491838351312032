//! A program prepared for evaluation: constants materialised as values, defaults resolved,
//! predicates specialised for the interpreter, and the indexes that decide which rules can fire
//! on a frame without looking at them: a rule that can only fire when the config declares one of
//! its fields is reached through the slot → rules index of the slots the frame declares, so rules
//! whose fields are all absent cost nothing.

use crate::frame::{Frame, SlotRules, SlotState};
use crate::interp::{EvalPred, holds, prepare_pred};
use crate::jit::cell::Interner;
use crate::ruleset::{RuleSet, words_for};
use crate::special::Special;
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
    /// Which rules can fire on a frame, decided from its declared slots and built objects.
    index: RuleIndex,
}

/// The rule sets [`LoadedProgram::candidates`] combines, each as words of a [`RuleSet`].
#[derive(Clone, Debug, Default)]
struct RuleIndex {
    /// Words per rule set.
    words: usize,
    /// The rules that may fire whatever the config declares (not `needs_declared`).
    always: Vec<u64>,
    /// Per slot: the `needs_declared` rules that read it (frames of the program keep their
    /// union over the declared slots).
    by_slot: Arc<SlotRules>,
    /// The rules about no object (they always apply).
    unbound: Vec<u64>,
    /// Per object (`words` words each): the rules about it.
    by_object: Vec<u64>,
}

/// One rule prepared for evaluation.
#[derive(Clone, Debug)]
pub struct EvalRule {
    /// The predicate with constants as values.
    pub pred: EvalPred,
    /// Whether the rule can only fire when the config declares one of the slots it reads.
    pub needs_declared: bool,
    /// The predicate specialised for the interpreter (same results as `pred`).
    pub special: Special,
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
            if let Some(native) = &slot.native
                && !mounts.iter().any(|(n, _)| *n == native.native_type)
            {
                let keep = slot.path.len().saturating_sub(native.field.len());
                mounts.push((
                    native.native_type.clone(),
                    slot.path.iter().take(keep).cloned().collect(),
                ));
            }
        }
        let mut loaded = LoadedProgram {
            rules: Vec::new(),
            defaults,
            mounts,
            bind_plan: crate::bind::BindPlan::new(&program),
            interner: Arc::new(Interner::new(&program.strings)),
            rule_objects: Vec::new(),
            index: RuleIndex::default(),
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
            .map(|r| {
                let pred = prepare_pred(&loaded.program, &r.pred);
                EvalRule {
                    special: Special::new(&pred, &loaded.interner),
                    pred,
                    needs_declared: false,
                }
            })
            .collect();
        for index in 0..loaded.rules.len() {
            let needs = loaded.needs_declared(index);
            if let Some(rule) = loaded.rules.get_mut(index) {
                rule.needs_declared = needs;
            }
        }
        loaded.index = RuleIndex::new(&loaded);
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
        Frame::for_program(
            self.program.slots.len(),
            Arc::clone(&self.interner),
            Arc::clone(&self.index.by_slot),
        )
    }

    /// The program's string interner (frames of this program intern strings with it).
    pub fn interner(&self) -> &Arc<Interner> {
        &self.interner
    }

    /// The specialised predicate of rule `index`.
    pub fn special(&self, index: usize) -> Option<&Special> {
        self.rules.get(index).map(|r| &r.special)
    }

    /// When the candidates of a frame are one word, `always | declared` (at most 64 rules, no
    /// rule about an object): the `always` word and the slot -> rules index whose union a frame
    /// keeps in [`Frame::declared_word`].
    pub(crate) fn one_word_index(&self) -> Option<(u64, &Arc<SlotRules>)> {
        let index = &self.index;
        match index.always.as_slice() {
            [always] if index.by_object.is_empty() && index.by_slot.words == 1 => {
                Some((*always, &index.by_slot))
            }
            _ => None,
        }
    }

    /// The rules that may fire on `frame`: those that apply (their object is built) and either
    /// may fire whatever the config declares or read a slot the frame declares. Every other rule
    /// is false on the frame (see [`EvalRule::needs_declared`]).
    pub fn candidates(&self, frame: &Frame, out: &mut RuleSet) {
        let index = &self.index;
        // At most 64 rules, no objects, the frame keeping its declared rules: one word.
        if let ([always], Some([declared]), true) = (
            index.always.as_slice(),
            frame.declared_rules(&index.by_slot),
            index.by_object.is_empty() && out.len() == self.rules.len(),
        ) && let [word] = out.words_mut()
        {
            *word = always | declared;
            return;
        }
        out.assign(&index.always, self.rules.len());
        let words = out.words_mut();
        if let Some(declared) = frame.declared_rules(&index.by_slot) {
            for (a, d) in words.iter_mut().zip(declared) {
                *a |= *d;
            }
        } else {
            let by_slot = &index.by_slot;
            for &slot in frame.touched() {
                if frame.state(slot) == SlotState::Declared {
                    let start = slot as usize * by_slot.words;
                    let rules = by_slot
                        .by_slot
                        .get(start..start + by_slot.words)
                        .unwrap_or(&[]);
                    for (a, b) in words.iter_mut().zip(rules) {
                        *a |= *b;
                    }
                }
            }
        }
        if !index.by_object.is_empty() {
            let objects = index.by_object.len() / index.words.max(1);
            for (w, word) in words.iter_mut().enumerate() {
                let mut applies = index.unbound.get(w).copied().unwrap_or(0);
                for object in (0..objects).filter(|o| frame.object_present(*o)) {
                    applies |= index
                        .by_object
                        .get(object * index.words + w)
                        .copied()
                        .unwrap_or(0);
                }
                *word &= applies;
            }
        }
    }

    /// The rules that fire on a bound frame (as [`LoadedProgram::evaluate_into`] decides), as a
    /// set: only [`LoadedProgram::candidates`] are evaluated, with the specialised predicates.
    pub fn fire(&self, frame: &Frame, fired: &mut RuleSet) {
        self.candidates(frame, fired);
        let ours = frame
            .interner()
            .is_some_and(|i| Arc::ptr_eq(i, &self.interner))
            && frame.cells().len() >= self.program.slots.len();
        fired.retain(|r| {
            self.rules.get(r).is_some_and(|rule| {
                if ours {
                    rule.special.holds(frame)
                } else {
                    holds(&rule.pred, frame)
                }
            })
        });
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
                if mask & (1 << bit) != 0
                    && let Some(d) = self.default(*slot)
                {
                    frame.set(*slot, d.clone(), SlotState::Defaulted, None);
                }
            }
            if holds(&eval.pred, &frame) {
                return false;
            }
        }
        true
    }
}

impl RuleIndex {
    fn new(loaded: &LoadedProgram) -> RuleIndex {
        let rules = loaded.rules.len();
        let words = words_for(rules);
        let mut index = RuleIndex {
            words,
            always: vec![0; words],
            by_slot: Arc::default(),
            unbound: vec![0; words],
            by_object: Vec::new(),
        };
        let mut by_slot = vec![0; words * loaded.program.slots.len()];
        let set = |v: &mut Vec<u64>, at: usize, rule: usize| {
            if let Some(w) = v.get_mut(at + rule / 64) {
                *w |= 1 << (rule % 64);
            }
        };
        if loaded.rule_objects.iter().any(Option::is_some) {
            index.by_object = vec![0; words * loaded.mounts.len()];
        }
        for (rule, (eval, ir)) in loaded.rules.iter().zip(&loaded.program.rules).enumerate() {
            if eval.needs_declared {
                for slot in &ir.reads {
                    set(&mut by_slot, *slot as usize * words, rule);
                }
            } else {
                set(&mut index.always, 0, rule);
            }
            match loaded.rule_object(rule) {
                Some(object) => set(&mut index.by_object, object * words, rule),
                None => set(&mut index.unbound, 0, rule),
            }
        }
        index.by_slot = Arc::new(SlotRules { words, by_slot });
        index
    }
}

//! A bound config: one value per slot of a program, with where each value came from.

use crate::jit::cell::{Cell, Interner};
use llemc_compiler::ir::SlotId;
use llemc_compiler::value::Value;
use llemc_grammar::ast::Span;
use std::sync::Arc;

/// Where a slot's effective value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// Not in the config and no default applies: reads as null.
    Absent,
    /// Written in the config (possibly an explicit null).
    Declared,
    /// Not in the config: the library's default applies.
    Defaulted,
}

/// The slots of one bound config. Reused across configs in batch mode.
#[derive(Clone, Debug, Default)]
pub struct Frame {
    values: Vec<Value>,
    states: Vec<SlotState>,
    spans: Vec<Option<Span>>,
    /// The JIT's view of the values: one tagged cell per slot, kept in step by `set`/`reset`.
    cells: Vec<Cell>,
    /// The program's string interner (strings in cells are ids of it).
    interner: Option<Arc<Interner>>,
    /// Per native-type object of the program (see [`crate::loaded::LoadedProgram::objects`]):
    /// whether the config builds it. Empty when the frame was not bound by its program.
    objects: Vec<bool>,
    /// Every slot set since the last reset, once each (the others are absent): resetting and
    /// finding the declared slots cost what the config holds, not what the program reads.
    touched: Vec<SlotId>,
    /// Per slot: whether it is in `touched`.
    listed: Vec<bool>,
}

static NULL: Value = Value::Null;

impl Frame {
    /// A frame of `slots` absent slots.
    pub fn new(slots: usize) -> Frame {
        Frame {
            values: vec![Value::Null; slots],
            states: vec![SlotState::Absent; slots],
            spans: vec![None; slots],
            cells: vec![Cell::default(); slots],
            interner: None,
            objects: Vec::new(),
            touched: Vec::new(),
            listed: vec![false; slots],
        }
    }

    /// A frame of `slots` absent slots whose cells intern strings with `interner`.
    pub fn with_interner(slots: usize, interner: Arc<Interner>) -> Frame {
        Frame {
            interner: Some(interner),
            ..Frame::new(slots)
        }
    }

    /// The JIT's flat view: one tagged cell per slot.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The interner the cells' string ids refer to.
    pub fn interner(&self) -> Option<&Arc<Interner>> {
        self.interner.as_ref()
    }

    /// Makes every slot absent again (keeps the allocation); touches only the slots set since
    /// the last reset.
    pub fn reset(&mut self) {
        for slot in self.touched.drain(..) {
            let i = slot as usize;
            if let (Some(v), Some(s), Some(sp), Some(c), Some(l)) = (
                self.values.get_mut(i),
                self.states.get_mut(i),
                self.spans.get_mut(i),
                self.cells.get_mut(i),
                self.listed.get_mut(i),
            ) {
                *v = Value::Null;
                *s = SlotState::Absent;
                *sp = None;
                *c = Cell::default();
                *l = false;
            }
        }
    }

    /// The slots set since the last reset (each once, in the order they were first set); every
    /// other slot is absent.
    pub fn touched(&self) -> &[SlotId] {
        &self.touched
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the frame has no slots.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Sets a slot.
    pub fn set(&mut self, slot: SlotId, value: Value, state: SlotState, span: Option<Span>) {
        let i = slot as usize;
        if let (Some(v), Some(s), Some(sp), Some(c), Some(l)) = (
            self.values.get_mut(i),
            self.states.get_mut(i),
            self.spans.get_mut(i),
            self.cells.get_mut(i),
            self.listed.get_mut(i),
        ) {
            *c = Cell::of(&value, slot, self.interner.as_deref());
            *v = value;
            *s = state;
            *sp = span;
            if !*l {
                *l = true;
                self.touched.push(slot);
            }
        }
    }

    /// The effective value the rules see (null when absent).
    pub fn value(&self, slot: SlotId) -> &Value {
        self.values.get(slot as usize).unwrap_or(&NULL)
    }

    /// Where the slot's value came from.
    pub fn state(&self, slot: SlotId) -> SlotState {
        self.states
            .get(slot as usize)
            .copied()
            .unwrap_or(SlotState::Absent)
    }

    /// The declared value, if the config wrote one.
    pub fn declared(&self, slot: SlotId) -> Option<&Value> {
        (self.state(slot) == SlotState::Declared).then(|| self.value(slot))
    }

    /// Records whether the config builds native-type object `index`.
    pub fn set_object(&mut self, index: usize, present: bool) {
        if self.objects.len() <= index {
            self.objects.resize(index + 1, false);
        }
        if let Some(o) = self.objects.get_mut(index) {
            *o = present;
        }
    }

    /// Whether the config builds native-type object `index` (frames that were not bound by a
    /// program know nothing about objects: every object counts as built).
    pub fn object_present(&self, index: usize) -> bool {
        self.objects.get(index).copied().unwrap_or(true)
    }

    /// Where the declared value was written (YAML configs only).
    pub fn span(&self, slot: SlotId) -> Option<Span> {
        self.spans.get(slot as usize).copied().flatten()
    }
}

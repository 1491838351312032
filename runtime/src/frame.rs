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
    slots: Vec<SlotEntry>,
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
    /// The program's slot -> rules index, when the frame is its program's.
    slot_rules: Option<Arc<SlotRules>>,
    /// The union of `slot_rules` over the declared slots, kept as slots become declared (valid
    /// unless `stale`: a slot stopped being declared without a reset), when it takes more than
    /// one word; a one-word union lives in `declared_word`, inside the frame, so that reading it
    /// costs no pointer chase.
    declared_rules: Vec<u64>,
    declared_word: u64,
    stale: bool,
    /// Emptied string buffers of reset slots, reused by [`Frame::set_str`].
    spare: Vec<String>,
}

/// One slot: its value, where it came from, and whether it is in `touched`.
#[derive(Clone, Debug, PartialEq)]
struct SlotEntry {
    value: Value,
    state: SlotState,
    span: Option<Span>,
    listed: bool,
}

const ABSENT: SlotEntry = SlotEntry {
    value: Value::Null,
    state: SlotState::Absent,
    span: None,
    listed: false,
};

/// Per slot, the rules that can only fire when the config declares one of the slots they read
/// and that read it, as the words of a [`crate::ruleset::RuleSet`]. Shared by the frames of a
/// program, so that a frame knows these rules as soon as it is bound.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlotRules {
    /// Words per slot.
    pub words: usize,
    /// `words` words per slot, in slot order.
    pub by_slot: Vec<u64>,
}

static NULL: Value = Value::Null;

/// At most this many spare string buffers are kept.
const MAX_SPARE: usize = 64;

impl Frame {
    /// A frame of `slots` absent slots.
    pub fn new(slots: usize) -> Frame {
        Frame {
            slots: vec![ABSENT; slots],
            cells: vec![Cell::default(); slots],
            interner: None,
            objects: Vec::new(),
            touched: Vec::new(),
            slot_rules: None,
            declared_rules: Vec::new(),
            declared_word: 0,
            stale: false,
            spare: Vec::new(),
        }
    }

    /// A frame of `slots` absent slots whose cells intern strings with `interner`.
    pub fn with_interner(slots: usize, interner: Arc<Interner>) -> Frame {
        Frame {
            interner: Some(interner),
            ..Frame::new(slots)
        }
    }

    /// A frame of its program: strings interned with `interner`, rules of declared slots known
    /// through `slot_rules`.
    pub fn for_program(slots: usize, interner: Arc<Interner>, slot_rules: Arc<SlotRules>) -> Frame {
        Frame {
            interner: Some(interner),
            declared_rules: if slot_rules.words == 1 {
                Vec::new()
            } else {
                vec![0; slot_rules.words]
            },
            slot_rules: Some(slot_rules),
            ..Frame::new(slots)
        }
    }

    /// The union of `slot_rules`' rules over the declared slots, when the frame keeps it for this
    /// very index and it is up to date.
    pub fn declared_rules(&self, slot_rules: &Arc<SlotRules>) -> Option<&[u64]> {
        let ours = !self.stale
            && self
                .slot_rules
                .as_ref()
                .is_some_and(|r| Arc::ptr_eq(r, slot_rules));
        match (ours, slot_rules.words) {
            (false, _) => None,
            (true, 1) => Some(std::slice::from_ref(&self.declared_word)),
            (true, _) => Some(self.declared_rules.as_slice()),
        }
    }

    /// The one-word union of `slot_rules`' rules over the declared slots, when the frame keeps it
    /// for this very index, is up to date, interns strings with `interner` and has at least
    /// `slots` cells: everything generated code and [`LoadedProgram::candidates`] rely on, checked
    /// in one call.
    ///
    /// [`LoadedProgram::candidates`]: crate::loaded::LoadedProgram::candidates
    #[inline]
    pub(crate) fn declared_word(
        &self,
        interner: &Arc<Interner>,
        slot_rules: &Arc<SlotRules>,
        slots: usize,
    ) -> Option<u64> {
        let ours = !self.stale
            && slot_rules.words == 1
            && self.cells.len() >= slots
            && self
                .slot_rules
                .as_ref()
                .is_some_and(|r| Arc::ptr_eq(r, slot_rules))
            && self
                .interner
                .as_ref()
                .is_some_and(|i| Arc::ptr_eq(i, interner));
        ours.then_some(self.declared_word)
    }

    /// The JIT's flat view: one tagged cell per slot.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The interner the cells' string ids refer to.
    pub fn interner(&self) -> Option<&Arc<Interner>> {
        self.interner.as_ref()
    }

    /// Makes every slot absent again (keeps the allocations); touches only the slots set since
    /// the last reset.
    pub fn reset(&mut self) {
        for slot in self.touched.drain(..) {
            let i = slot as usize;
            if let (Some(entry), Some(c)) = (self.slots.get_mut(i), self.cells.get_mut(i)) {
                let old = std::mem::replace(entry, ABSENT);
                match old.value {
                    Value::Str(mut s) if self.spare.len() < MAX_SPARE => {
                        s.clear();
                        self.spare.push(s);
                    }
                    Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                        // Nothing to free.
                        std::mem::forget(old.value);
                    }
                    other => drop(other),
                }
                *c = Cell::default();
            }
        }
        self.declared_word = 0;
        for d in &mut self.declared_rules {
            *d = 0;
        }
        self.stale = false;
    }

    /// The slots set since the last reset (each once, in the order they were first set); every
    /// other slot is absent.
    pub fn touched(&self) -> &[SlotId] {
        &self.touched
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the frame has no slots.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Sets a slot to a string, reusing the buffer of a string the frame held before.
    pub fn set_str(&mut self, slot: SlotId, text: &str, state: SlotState, span: Option<Span>) {
        let mut s = self.spare.pop().unwrap_or_default();
        s.push_str(text);
        self.set(slot, Value::Str(s), state, span);
    }

    /// Sets a slot.
    pub fn set(&mut self, slot: SlotId, value: Value, state: SlotState, span: Option<Span>) {
        let i = slot as usize;
        let (Some(entry), Some(c)) = (self.slots.get_mut(i), self.cells.get_mut(i)) else {
            return;
        };
        *c = Cell::of(&value, slot, self.interner.as_deref());
        let old = std::mem::replace(&mut entry.value, value);
        if old.is_null() {
            // Nothing to free (and no call to the value's drop glue).
            std::mem::forget(old);
        } else {
            drop(old);
        }
        let was = std::mem::replace(&mut entry.state, state);
        entry.span = span;
        if !entry.listed {
            entry.listed = true;
            self.touched.push(slot);
        }
        if state == SlotState::Declared && was != SlotState::Declared {
            if let Some(rules) = &self.slot_rules {
                if rules.words == 1 {
                    self.declared_word |= rules.by_slot.get(i).copied().unwrap_or(0);
                } else {
                    let start = i * rules.words;
                    let words = rules.by_slot.get(start..start + rules.words).unwrap_or(&[]);
                    for (d, r) in self.declared_rules.iter_mut().zip(words) {
                        *d |= *r;
                    }
                }
            }
        } else if was == SlotState::Declared && state != SlotState::Declared {
            self.stale = true;
        }
    }

    /// The effective value the rules see (null when absent).
    pub fn value(&self, slot: SlotId) -> &Value {
        self.slots.get(slot as usize).map_or(&NULL, |e| &e.value)
    }

    /// Where the slot's value came from.
    pub fn state(&self, slot: SlotId) -> SlotState {
        self.slots
            .get(slot as usize)
            .map_or(SlotState::Absent, |e| e.state)
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
        self.slots.get(slot as usize).and_then(|e| e.span)
    }
}

//! Assembling checked rules into one program: a global slot table, one string interner, and the
//! lints that look at several rules at once (duplicate predicates, conflicting normalisations).

use crate::canon::{Names, canonical_text};
use crate::check::CheckedRule;
use crate::corpus::RuleSeverity;
use crate::diagnostic::{Diagnostic, FileId};
use crate::ir::{Const, Program, RuleIr, Slot, SlotId, StrId, TemplatePart};
use llemc_grammar::ast::Span;
use std::collections::HashMap;

/// Identity of the program being assembled.
#[derive(Clone, Debug)]
pub struct ProgramHeader {
    /// Engine name.
    pub engine: String,
    /// Engine library version the rules were selected for.
    pub engine_version: String,
    /// Compatibility mode.
    pub compat: bool,
    /// Fingerprint of the inputs.
    pub fingerprint: String,
}

/// Merges checked rules (in corpus order) into a program; returns cross-rule lint diagnostics.
pub fn assemble(
    file: FileId,
    header: ProgramHeader,
    rules: &[CheckedRule],
) -> (Program, Vec<Diagnostic>) {
    let mut program = Program {
        engine: header.engine,
        engine_version: header.engine_version,
        compat: header.compat,
        fingerprint: header.fingerprint,
        slots: Vec::new(),
        strings: Vec::new(),
        rules: Vec::new(),
    };
    let mut slot_index: HashMap<Vec<String>, SlotId> = HashMap::new();
    let mut string_index: HashMap<String, StrId> = HashMap::new();
    let mut id_spans = Vec::new();
    let mut linted = Vec::new();
    for checked in rules.iter().filter(|r| r.applies) {
        let string_map: Vec<StrId> = checked
            .strings
            .iter()
            .map(|s| intern(&mut program.strings, &mut string_index, s))
            .collect();
        let slot_map: Vec<SlotId> = checked
            .slots
            .iter()
            .map(|s| global_slot(&mut program.slots, &mut slot_index, s, &string_map))
            .collect();
        let mut ir = checked.ir.clone();
        remap(&mut ir, &slot_map, &string_map);
        program.rules.push(ir);
        id_spans.push(checked.id_span);
        // Rules with errors were not fully lowered: cross-rule lints would only add noise.
        linted.push(!checked.diagnostics.iter().any(Diagnostic::is_error));
    }
    let mut diags = duplicate_predicates(file, &program, &id_spans, &linted);
    diags.extend(conflicting_normalisations(
        file, &program, &id_spans, &linted,
    ));
    (program, diags)
}

fn global_slot(
    slots: &mut Vec<Slot>,
    index: &mut HashMap<Vec<String>, SlotId>,
    slot: &Slot,
    strings: &[StrId],
) -> SlotId {
    if let Some(id) = index.get(&slot.path) {
        return *id;
    }
    let id = u32::try_from(slots.len()).unwrap_or(u32::MAX);
    let mut slot = slot.clone();
    if let Some(default) = slot.native.as_mut().and_then(|n| n.default.as_mut()) {
        default.map_strings(&mut |s| strings.get(s as usize).copied().unwrap_or(s));
    }
    index.insert(slot.path.clone(), id);
    slots.push(slot);
    id
}

fn intern(strings: &mut Vec<String>, index: &mut HashMap<String, StrId>, s: &str) -> StrId {
    if let Some(id) = index.get(s) {
        return *id;
    }
    let id = u32::try_from(strings.len()).unwrap_or(u32::MAX);
    strings.push(s.to_owned());
    index.insert(s.to_owned(), id);
    id
}

fn remap(ir: &mut RuleIr, slots: &[SlotId], strings: &[StrId]) {
    let mut map_slot = |s: SlotId| slots.get(s as usize).copied().unwrap_or(s);
    let mut map_str = |s: StrId| strings.get(s as usize).copied().unwrap_or(s);
    ir.pred.visit_operands_mut(&mut |o| {
        o.map_slots(&mut map_slot);
        o.map_strings(&mut map_str);
    });
    ir.subject = ir.subject.map(&mut map_slot);
    for r in &mut ir.reads {
        *r = map_slot(*r);
    }
    ir.reads.sort_unstable();
    ir.reads.dedup();
    for part in &mut ir.message.parts {
        if let TemplatePart::Field(s) = part {
            *s = map_slot(*s);
        }
    }
    for (_, c) in &mut ir.normalises {
        c.map_strings(&mut map_str);
    }
}

struct ProgramNames<'a>(&'a Program);

impl Names for ProgramNames<'_> {
    fn slot(&self, slot: SlotId) -> String {
        self.0.slot_path(slot)
    }
    fn string(&self, id: StrId) -> String {
        self.0.string(id).to_owned()
    }
}

/// The canonical predicate text of a rule in a program.
pub fn canonical_predicate(program: &Program, rule: &RuleIr) -> String {
    canonical_text(&rule.pred, &ProgramNames(program))
}

/// W405: two rules about the same native type with the same canonical predicate.
fn duplicate_predicates(
    file: FileId,
    program: &Program,
    id_spans: &[Span],
    linted: &[bool],
) -> Vec<Diagnostic> {
    let mut seen: HashMap<(Option<String>, String), usize> = HashMap::new();
    let mut diags = Vec::new();
    for (index, rule) in program.rules.iter().enumerate() {
        if linted.get(index) != Some(&true) {
            continue;
        }
        let key = (rule.native_type.clone(), canonical_predicate(program, rule));
        match seen.get(&key) {
            Some(first) => {
                let (Some(span), Some(first_span)) = (id_spans.get(index), id_spans.get(*first))
                else {
                    continue;
                };
                let first_id = program
                    .rules
                    .get(*first)
                    .map(|r| r.id.as_str())
                    .unwrap_or("");
                let same_severity =
                    program.rules.get(*first).map(|r| r.severity) == Some(rule.severity);
                let mut d = Diagnostic::warning(
                    "W405",
                    format!("rule `{}` has the same predicate as `{first_id}`", rule.id),
                )
                .with_primary(file, *span, "duplicate predicate")
                .with_secondary(file, *first_span, "first rule with this predicate")
                .with_note(format!("canonical predicate: {}", key.1));
                d = if same_severity {
                    d.with_help("merge the two rules (keep one id, list the other source under `cross_validated_by`)")
                } else {
                    d.with_help("the rules disagree on severity for the same configs: keep the one the library confirms")
                };
                diags.push(d);
            }
            None => {
                seen.insert(key, index);
            }
        }
    }
    diags
}

/// W406: dormant rules that normalise the same field to different values.
fn conflicting_normalisations(
    file: FileId,
    program: &Program,
    id_spans: &[Span],
    linted: &[bool],
) -> Vec<Diagnostic> {
    let mut seen: HashMap<(Option<String>, String), (usize, Const)> = HashMap::new();
    let mut diags = Vec::new();
    for (index, rule) in program.rules.iter().enumerate() {
        if rule.severity != RuleSeverity::Dormant || linted.get(index) != Some(&true) {
            continue;
        }
        for (field, value) in &rule.normalises {
            let key = (rule.native_type.clone(), field.clone());
            match seen.get(&key) {
                Some((first, first_value)) if first_value != value => {
                    let (Some(span), Some(first_span)) =
                        (id_spans.get(index), id_spans.get(*first))
                    else {
                        continue;
                    };
                    let first_id = program
                        .rules
                        .get(*first)
                        .map(|r| r.id.as_str())
                        .unwrap_or("");
                    diags.push(
                        Diagnostic::warning("W406", format!("dormant rules `{first_id}` and `{}` normalise `{field}` differently", rule.id))
                            .with_primary(file, *span, format!("normalises `{field}` to {}", show(program, value)))
                            .with_secondary(file, *first_span, format!("normalises `{field}` to {}", show(program, first_value)))
                            .with_help("when both predicates can hold at once the outcome depends on order: make them exclusive or agree on the value"),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (index, value.clone()));
                }
            }
        }
    }
    diags
}

fn show(program: &Program, c: &Const) -> String {
    match c {
        Const::Str(id) => format!("{:?}", program.string(*id)),
        Const::Null => "None".into(),
        Const::Bool(b) => if *b { "True" } else { "False" }.into(),
        Const::Int(i) => i.to_string(),
        Const::Float(f) => crate::value::python_float(*f),
        Const::List(_) | Const::Dict(_) => "a container".into(),
    }
}

/// Merges programs of one engine and version into one (rules in the given order).
pub fn merge(programs: Vec<Program>) -> Result<Program, String> {
    let mut iter = programs.into_iter();
    let Some(mut merged) = iter.next() else {
        return Err("no corpus to compile".into());
    };
    let mut slot_index: HashMap<Vec<String>, SlotId> = merged
        .slots
        .iter()
        .enumerate()
        .map(|(i, s)| (s.path.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    let mut string_index: HashMap<String, StrId> = merged
        .strings
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    let mut fingerprint = blake3::Hasher::new();
    fingerprint.update(merged.fingerprint.as_bytes());
    let mut merged_any = false;
    for next in iter {
        merged_any = true;
        if next.engine != merged.engine
            || next.engine_version != merged.engine_version
            || next.compat != merged.compat
        {
            return Err(format!(
                "cannot compile rules for `{} {}` and `{} {}` into one program",
                merged.engine, merged.engine_version, next.engine, next.engine_version
            ));
        }
        if let Some(dup) = next
            .rules
            .iter()
            .find(|r| merged.rules.iter().any(|m| m.id == r.id))
        {
            return Err(format!(
                "rule id `{}` appears in more than one corpus",
                dup.id
            ));
        }
        let string_map: Vec<StrId> = next
            .strings
            .iter()
            .map(|s| intern(&mut merged.strings, &mut string_index, s))
            .collect();
        let slot_map: Vec<SlotId> = next
            .slots
            .iter()
            .map(|s| global_slot(&mut merged.slots, &mut slot_index, s, &string_map))
            .collect();
        for mut rule in next.rules {
            remap(&mut rule, &slot_map, &string_map);
            merged.rules.push(rule);
        }
        fingerprint.update(next.fingerprint.as_bytes());
    }
    if merged_any {
        merged.fingerprint = fingerprint.finalize().to_hex().to_string();
    }
    Ok(merged)
}

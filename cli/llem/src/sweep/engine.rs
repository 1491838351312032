//! The streaming sweep: every grid point is evaluated in a reused frame, never materialised.
//!
//! The base config, with every axis set to its first value (the *skeleton*), is bound once. The
//! points are then visited in mixed-radix order (the last axis changes fastest); moving to the
//! next point rewrites only the slots of the axes whose digit changed (on average little more than
//! one), with values converted to runtime values once, up front. This is exact because an axis of
//! a leaf field is declared at every point, so its slot is never defaulted or absent, and the
//! objects that hold the rules' fields (which decide whether a rule applies) are the same at every
//! point. An axis whose value feeds other slots (a nested native type such as
//! `watermarking_config`) or an extra point is evaluated on its own rebuilt config instead.

use super::study::{Axis, ExtraPoint, Target};
use llemc_compiler::corpus::RuleSeverity;
use llemc_compiler::ir::SlotId;
use llemc_compiler::schema::node_value;
use llemc_compiler::value::Value;
use llemc_compiler::yaml::{Node, NodeKind};
use llemc_runtime::findings::Finding;
use llemc_runtime::frame::{Frame, SlotState};
use llemc_runtime::interp::holds;
use llemc_runtime::jit::{AUTO_THRESHOLD, JitProgram};
use llemc_runtime::loaded::LoadedProgram;
use std::io::Write;

/// Which evaluator decides which rules fire.
pub enum Engine {
    /// The reference interpreter.
    Interp,
    /// The JIT (its own interpreter fallback for rules it cannot compile).
    Jit(Box<JitProgram>),
}

impl Engine {
    /// The engine for `backend`; `auto` uses the JIT when the sweep has more than
    /// [`AUTO_THRESHOLD`] points (the total is known before the first point).
    pub fn new(
        program: &LoadedProgram,
        backend: llemc_cli_common::backend::Backend,
        points: u64,
    ) -> (Engine, Option<String>) {
        use llemc_cli_common::backend::Backend;
        let jit = match backend {
            Backend::Interp => false,
            Backend::Jit => true,
            Backend::Auto => points > AUTO_THRESHOLD,
        };
        if !jit {
            return (Engine::Interp, None);
        }
        match JitProgram::compile(program) {
            Ok(j) => (Engine::Jit(Box::new(j)), None),
            Err(e) => (
                Engine::Interp,
                Some(format!("jit: {e}; using the interpreter")),
            ),
        }
    }

    /// `fired[i]`: whether rule `i` holds on `frame` (exactly as `LoadedProgram::evaluate_into`
    /// decides it).
    fn fired(&self, program: &LoadedProgram, frame: &Frame, fired: &mut Vec<bool>) {
        match self {
            Engine::Jit(jit) => jit.eval(frame, fired),
            Engine::Interp => {
                fired.clear();
                let plan = program.bind_plan();
                let declared = plan.declared_mask(frame);
                for (index, (eval, rule)) in program
                    .rules()
                    .iter()
                    .zip(&program.program().rules)
                    .enumerate()
                {
                    let skip = eval.needs_declared
                        && !plan.reads_declared(index, &declared, &rule.reads, frame);
                    fired.push(!skip && holds(&eval.pred, frame));
                }
            }
        }
    }
}

/// One invalid point kept for the report.
#[derive(Clone, Debug)]
pub struct ShownPoint {
    /// Its index (grid points first, in mixed-radix order; then the extra points).
    pub index: u64,
    /// `Some(i)` for the `i`-th extra point.
    pub extra: Option<usize>,
    /// (dotted field path, value) for every axis (or every override of an extra point).
    pub coordinates: Vec<(String, Value)>,
    /// Every finding of the point, in program order.
    pub findings: Vec<Finding>,
}

/// What the sweep counted.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Points evaluated.
    pub points: u64,
    /// Points with no error finding.
    pub valid: u64,
    /// Points with an error finding.
    pub invalid: u64,
    /// Per rule: the number of points it fired on.
    pub rule_points: Vec<u64>,
    /// Findings per severity: error, warn, dormant.
    pub severity: [u64; 3],
    /// The first invalid points.
    pub shown: Vec<ShownPoint>,
}

/// Progress callback: called with the number of points done so far, every few thousand points.
pub type Progress<'a> = &'a mut dyn FnMut(u64);

/// Everything the sweep needs, prepared once.
pub struct Sweep<'a> {
    /// The program.
    pub program: &'a LoadedProgram,
    /// The base config's root (with its spans).
    pub base: &'a Node,
    /// The grid axes.
    pub axes: &'a [Axis],
    /// The extra points.
    pub extra: &'a [ExtraPoint],
    /// How many invalid points to keep.
    pub show: usize,
}

/// Sets `value` at `path` in `root`, creating (or replacing non-mappings with) mappings on the way.
pub fn set_path(root: &mut Node, path: &[String], value: Node) {
    let Some((first, rest)) = path.split_first() else {
        *root = value;
        return;
    };
    if !matches!(root.kind, NodeKind::Map(_)) {
        root.kind = NodeKind::Map(Vec::new());
    }
    if let NodeKind::Map(entries) = &mut root.kind {
        let index = match entries.iter().position(|(k, _)| k.as_str() == Some(first)) {
            Some(i) => i,
            None => {
                entries.push((
                    Node::new(NodeKind::Str(first.clone()), value.span),
                    Node::new(NodeKind::Null, value.span),
                ));
                entries.len() - 1
            }
        };
        if let Some(entry) = entries.get_mut(index) {
            set_path(&mut entry.1, rest, value);
        }
    }
}

/// Whether every object holding the slots `reads` is a mapping in `root` (a rule about a native
/// type applies only when the config builds that object; as `check_experiment` decides it).
fn rule_objects_present(program: &LoadedProgram, root: &Node, reads: &[SlotId]) -> bool {
    reads.iter().all(|s| {
        let Some(slot) = program.program().slots.get(*s as usize) else {
            return true;
        };
        let Some(native) = &slot.native else {
            return true;
        };
        let mut node = root;
        for segment in slot.path.iter().take(native.parent_len as usize) {
            match node.get(segment) {
                Some(child) => node = child,
                None => return false,
            }
        }
        node.as_map().is_some()
    })
}

fn applicability(program: &LoadedProgram, root: &Node) -> Vec<bool> {
    program
        .program()
        .rules
        .iter()
        .map(|r| rule_objects_present(program, root, &r.reads))
        .collect()
}

/// The slot of an axis whose value is a leaf: no other slot sits under its path. `Ok(None)`:
/// no rule reads the field. `Err(())`: the axis feeds other slots (structural).
fn leaf_slot(program: &LoadedProgram, target: &Target) -> Result<Option<SlotId>, ()> {
    let mut own = None;
    for (i, slot) in program.program().slots.iter().enumerate() {
        if slot.path.len() > target.path.len() && slot.path.starts_with(&target.path) {
            return Err(());
        }
        if slot.path == target.path {
            own = SlotId::try_from(i).ok();
        }
    }
    if target.nested.is_some() {
        // A mapping value builds a nested native type: its defaults depend on the value.
        return Err(());
    }
    Ok(own)
}

/// Where valid points go (`--emit-valid`): one JSON object per line, the full experiment config.
pub struct Emit<'w> {
    /// The writer.
    pub out: &'w mut dyn Write,
}

impl Sweep<'_> {
    /// Runs the sweep.
    pub fn run(
        &self,
        engine: &Engine,
        mut emit: Option<&mut Emit<'_>>,
        progress: Progress<'_>,
    ) -> std::io::Result<Tally> {
        let program = self.program;
        let mut tally = Tally {
            rule_points: vec![0; program.program().rules.len()],
            ..Tally::default()
        };
        let mut fired: Vec<bool> = Vec::with_capacity(tally.rule_points.len());
        let mut frame = program.frame();

        // The skeleton: the base with every axis at its first value.
        let mut skeleton = self.base.clone();
        for axis in self.axes {
            if let Some(first) = axis.values.first() {
                set_path(&mut skeleton, &axis.target.path, first.clone());
            }
        }
        let mut slots = Vec::with_capacity(self.axes.len());
        let mut structural = false;
        for axis in self.axes {
            match leaf_slot(program, &axis.target) {
                Ok(slot) => slots.push(slot),
                Err(()) => {
                    structural = true;
                    slots.push(None);
                }
            }
        }
        let runtime: Vec<Vec<Value>> = self
            .axes
            .iter()
            .map(|a| a.values.iter().map(node_value).collect())
            .collect();
        let json_values: Vec<Vec<serde_json::Value>> = if emit.is_some() {
            self.axes
                .iter()
                .map(|a| a.values.iter().map(node_json).collect())
                .collect()
        } else {
            Vec::new()
        };
        let pointers: Vec<String> = self
            .axes
            .iter()
            .map(|a| {
                a.target
                    .path
                    .iter()
                    .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
                    .collect()
            })
            .collect();
        let mut json_skeleton = if emit.is_some() {
            node_json(&skeleton)
        } else {
            serde_json::Value::Null
        };

        let total = self.axes.iter().try_fold(1u64, |acc, a| {
            acc.checked_mul(u64::try_from(a.values.len()).unwrap_or(u64::MAX))
        });
        let total = total.unwrap_or(0);
        let mut digits = vec![0usize; self.axes.len()];
        let mut applicable = applicability(program, &skeleton);
        if !structural {
            program.bind(&skeleton, &mut frame);
        }
        let mut line: Vec<u8> = Vec::with_capacity(1024);
        for index in 0..total {
            if index > 0 {
                // Next point: the last axis changes fastest.
                for axis in (0..digits.len()).rev() {
                    let (Some(digit), Some(values)) = (digits.get_mut(axis), runtime.get(axis))
                    else {
                        break;
                    };
                    *digit += 1;
                    let wrapped = *digit >= values.len();
                    if wrapped {
                        *digit = 0;
                    }
                    if !structural
                        && let (Some(Some(slot)), Some(value), Some(node)) = (
                            slots.get(axis),
                            values.get(*digit),
                            self.axes.get(axis).and_then(|a| a.values.get(*digit)),
                        )
                    {
                        frame.set(*slot, value.clone(), SlotState::Declared, Some(node.span));
                    }
                    if !wrapped {
                        break;
                    }
                }
            }
            if structural {
                let mut root = skeleton.clone();
                for (axis, digit) in self.axes.iter().zip(&digits) {
                    if let Some(v) = axis.values.get(*digit) {
                        set_path(&mut root, &axis.target.path, v.clone());
                    }
                }
                program.bind(&root, &mut frame);
                applicable = applicability(program, &root);
            }
            engine.fired(program, &frame, &mut fired);
            let invalid = self.tally(&mut tally, &fired, &applicable);
            if invalid {
                if tally.shown.len() < self.show {
                    let coordinates = self
                        .axes
                        .iter()
                        .zip(&runtime)
                        .zip(&digits)
                        .map(|((a, r), d)| {
                            (
                                a.target.dotted.clone(),
                                r.get(*d).cloned().unwrap_or(Value::Null),
                            )
                        })
                        .collect();
                    tally.shown.push(self.shown(
                        index,
                        None,
                        coordinates,
                        &frame,
                        &fired,
                        &applicable,
                    ));
                }
            } else if let Some(emit) = emit.as_deref_mut() {
                for ((pointer, values), digit) in pointers.iter().zip(&json_values).zip(&digits) {
                    if let (Some(slot), Some(v)) =
                        (json_skeleton.pointer_mut(pointer), values.get(*digit))
                    {
                        *slot = v.clone();
                    }
                }
                line.clear();
                serde_json::to_writer(&mut line, &json_skeleton).map_err(std::io::Error::other)?;
                line.push(b'\n');
                emit.out.write_all(&line)?;
            }
            if index & 0x3fff == 0x3fff {
                progress(index + 1);
            }
        }

        // Extra points: each its own config.
        for (i, point) in self.extra.iter().enumerate() {
            let mut root = self.base.clone();
            for (target, value) in &point.overrides {
                set_path(&mut root, &target.path, value.clone());
            }
            program.bind(&root, &mut frame);
            let applicable = applicability(program, &root);
            engine.fired(program, &frame, &mut fired);
            let index = total.saturating_add(u64::try_from(i).unwrap_or(u64::MAX));
            if self.tally(&mut tally, &fired, &applicable) {
                if tally.shown.len() < self.show {
                    let coordinates = point
                        .overrides
                        .iter()
                        .map(|(t, v)| (t.dotted.clone(), node_value(v)))
                        .collect();
                    tally.shown.push(self.shown(
                        index,
                        Some(i),
                        coordinates,
                        &frame,
                        &fired,
                        &applicable,
                    ));
                }
            } else if let Some(emit) = emit.as_deref_mut() {
                line.clear();
                serde_json::to_writer(&mut line, &node_json(&root))
                    .map_err(std::io::Error::other)?;
                line.push(b'\n');
                emit.out.write_all(&line)?;
            }
        }
        progress(tally.points);
        Ok(tally)
    }

    /// Counts one point's findings; returns whether it is invalid.
    fn tally(&self, tally: &mut Tally, fired: &[bool], applicable: &[bool]) -> bool {
        tally.points += 1;
        let mut invalid = false;
        for ((rule, (f, a)), count) in self
            .program
            .program()
            .rules
            .iter()
            .zip(fired.iter().zip(applicable))
            .zip(tally.rule_points.iter_mut())
        {
            if !(*f && *a) {
                continue;
            }
            *count += 1;
            let sev = match rule.severity {
                RuleSeverity::Error => {
                    invalid = true;
                    0
                }
                RuleSeverity::Warn => 1,
                RuleSeverity::Dormant => 2,
            };
            if let Some(s) = tally.severity.get_mut(sev) {
                *s += 1;
            }
        }
        if invalid {
            tally.invalid += 1;
        } else {
            tally.valid += 1;
        }
        invalid
    }

    fn shown(
        &self,
        index: u64,
        extra: Option<usize>,
        coordinates: Vec<(String, Value)>,
        frame: &Frame,
        fired: &[bool],
        applicable: &[bool],
    ) -> ShownPoint {
        let both: Vec<bool> = fired
            .iter()
            .zip(applicable)
            .map(|(f, a)| *f && *a)
            .collect();
        let mut findings = Vec::new();
        self.program
            .findings_from_fired(frame, &both, &mut findings);
        ShownPoint {
            index,
            extra,
            coordinates,
            findings,
        }
    }
}

/// A YAML node as JSON (non-finite floats as the strings `nan`, `inf`, `-inf`).
pub fn node_json(node: &Node) -> serde_json::Value {
    value_json(&node_value(node))
}

/// A runtime value as JSON (non-finite floats as the strings `nan`, `inf`, `-inf`).
pub fn value_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or_else(|| J::String(llemc_compiler::value::python_float(*f))),
        Value::Str(s) => J::String(s.clone()),
        Value::List(items) => J::Array(items.iter().map(value_json).collect()),
        Value::Dict(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::Str(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (key, value_json(v))
                })
                .collect(),
        ),
    }
}

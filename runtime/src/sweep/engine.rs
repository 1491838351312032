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
//!
//! Which rules fire is decided by the runtime's [`Evaluator`], exactly as for a single config
//! (`llem config check`): the same rule index, the same applicability, the same backends.

use super::study::{Axis, ExtraPoint, Target};
use crate::findings::Finding;
use crate::frame::{Frame, SlotState};
use crate::jit::Evaluator;
use crate::json::to_json;
use crate::loaded::LoadedProgram;
use crate::ruleset::RuleSet;
use llemc_compiler::corpus::RuleSeverity;
use llemc_compiler::ir::SlotId;
use llemc_compiler::schema::node_value;
use llemc_compiler::value::Value;
use llemc_compiler::yaml::{Node, NodeKind};
use std::io::Write;

/// One invalid point kept for the report.
#[derive(Clone, Debug)]
pub struct ShownPoint {
    /// Its index (grid points first, in mixed-radix order; then the extra points).
    pub index: u64,
    /// `Some(i)` for the `i`-th extra point.
    pub extra: Option<usize>,
    /// (dotted field path, value) for every axis (or every override of an extra point).
    pub coordinates: Vec<(String, Value)>,
    /// Every finding of the point, one per library behaviour, in program order.
    pub findings: Vec<Finding>,
}

/// Findings counted per severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeverityCounts {
    /// Error findings.
    pub error: u64,
    /// Warn findings.
    pub warn: u64,
    /// Dormant findings.
    pub dormant: u64,
}

impl SeverityCounts {
    fn add(&mut self, severity: RuleSeverity) {
        match severity {
            RuleSeverity::Error => self.error += 1,
            RuleSeverity::Warn => self.warn += 1,
            RuleSeverity::Dormant => self.dormant += 1,
        }
    }
}

/// What the sweep counted.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Points evaluated.
    pub points: u64,
    /// Points with no error finding (nor a warning, under `--deny warnings`).
    pub valid: u64,
    /// Points with an error finding (or a warning, under `--deny warnings`).
    pub invalid: u64,
    /// Per rule: the number of points it fired on.
    pub rule_points: Vec<u64>,
    /// Findings per severity (one per library behaviour and point).
    pub findings: SeverityCounts,
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
    /// `--deny warnings`: a point with a warning is invalid too.
    pub deny_warnings: bool,
}

/// What counting a point needs besides the tally: the rules' behaviour groups (one finding per
/// library behaviour, [`crate::merge`]) and a scratch list reused across points.
struct Counter {
    groups: Vec<usize>,
    seen: Vec<(usize, RuleSeverity)>,
}

/// Where valid points go (`--emit-valid`): one JSON object per line, the full experiment config.
pub struct Emit<'w> {
    /// The writer.
    pub out: &'w mut dyn Write,
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

/// A YAML node as JSON ([`crate::json::to_json`] of its value).
pub fn node_json(node: &Node) -> serde_json::Value {
    to_json(&node_value(node))
}

/// The grid, prepared: the skeleton, per axis its slot and values, and the point being visited.
struct Grid {
    skeleton: Node,
    /// Per axis: its slot when it is a leaf (`None` also when no rule reads it).
    slots: Vec<Option<SlotId>>,
    /// Whether some axis is structural (every point is rebuilt and bound).
    structural: bool,
    /// Per axis: its values as runtime values.
    values: Vec<Vec<Value>>,
    /// The current point's digit on each axis.
    digits: Vec<usize>,
    total: u64,
}

/// Valid points as JSON lines: the skeleton as JSON and, per axis, where it sits and its values.
struct Emitter<'e, 'w> {
    emit: &'e mut Emit<'w>,
    skeleton: serde_json::Value,
    pointers: Vec<String>,
    values: Vec<Vec<serde_json::Value>>,
    line: Vec<u8>,
}

impl Sweep<'_> {
    /// Runs the sweep: the grid points, then the extra points.
    pub fn run(
        &self,
        evaluator: &mut Evaluator,
        emit: Option<&mut Emit<'_>>,
        progress: Progress<'_>,
    ) -> std::io::Result<Tally> {
        let program = self.program;
        let mut tally = Tally {
            rule_points: vec![0; program.program().rules.len()],
            ..Tally::default()
        };
        let mut fired = RuleSet::new(program.rules().len());
        let mut frame = program.frame();
        let mut grid = self.grid();
        let mut counter = Counter {
            groups: program.behaviour_groups(),
            seen: Vec::new(),
        };
        let mut emitter = emit.map(|e| Emitter::new(e, &grid.skeleton, self.axes));
        if !grid.structural {
            program.bind(&grid.skeleton, &mut frame);
        }
        for index in 0..grid.total {
            if index > 0 {
                grid.advance(self.axes, &mut frame);
            }
            if grid.structural {
                program.bind(&grid.point(self.axes), &mut frame);
            }
            evaluator.fire(program, &frame, &mut fired);
            if self.count(&mut tally, &mut counter, &fired) {
                if tally.shown.len() < self.show {
                    let coordinates = grid.coordinates(self.axes);
                    let point = self.shown(&counter, index, None, coordinates, &frame, &fired);
                    tally.shown.push(point);
                }
            } else if let Some(e) = emitter.as_mut() {
                e.grid_point(&grid.digits)?;
            }
            if index & 0x3fff == 0x3fff {
                progress(index + 1);
            }
        }
        for (i, point) in self.extra.iter().enumerate() {
            let index = grid
                .total
                .saturating_add(u64::try_from(i).unwrap_or(u64::MAX));
            let counted = (&mut tally, &mut counter);
            self.extra_point(evaluator, counted, (index, i), point, emitter.as_mut())?;
        }
        progress(tally.points);
        Ok(tally)
    }

    /// Evaluates extra point `i` (point `index` of the study) on its own config.
    fn extra_point(
        &self,
        evaluator: &mut Evaluator,
        (tally, counter): (&mut Tally, &mut Counter),
        (index, i): (u64, usize),
        point: &ExtraPoint,
        emitter: Option<&mut Emitter<'_, '_>>,
    ) -> std::io::Result<()> {
        let mut root = self.base.clone();
        for (target, value) in &point.overrides {
            set_path(&mut root, &target.path, value.clone());
        }
        let mut frame = self.program.frame();
        let mut fired = RuleSet::new(self.program.rules().len());
        self.program.bind(&root, &mut frame);
        evaluator.fire(self.program, &frame, &mut fired);
        if self.count(tally, counter, &fired) {
            if tally.shown.len() < self.show {
                let coordinates = point
                    .overrides
                    .iter()
                    .map(|(t, v)| (t.dotted.clone(), node_value(v)))
                    .collect();
                let shown = self.shown(counter, index, Some(i), coordinates, &frame, &fired);
                tally.shown.push(shown);
            }
        } else if let Some(e) = emitter {
            e.config(&root)?;
        }
        Ok(())
    }

    /// The skeleton and the axes' slots and values.
    fn grid(&self) -> Grid {
        let mut skeleton = self.base.clone();
        for axis in self.axes {
            if let Some(first) = axis.values.first() {
                set_path(&mut skeleton, &axis.target.path, first.clone());
            }
        }
        let mut slots = Vec::with_capacity(self.axes.len());
        let mut structural = false;
        for axis in self.axes {
            match leaf_slot(self.program, &axis.target) {
                Ok(slot) => slots.push(slot),
                Err(()) => {
                    structural = true;
                    slots.push(None);
                }
            }
        }
        Grid {
            skeleton,
            slots,
            structural,
            values: self
                .axes
                .iter()
                .map(|a| a.values.iter().map(node_value).collect())
                .collect(),
            digits: vec![0; self.axes.len()],
            total: super::study::grid_size(self.axes).unwrap_or(0),
        }
    }

    /// Counts one point's findings (one per library behaviour, of its strongest severity);
    /// returns whether it is invalid: an error, or a warning under `--deny warnings`.
    fn count(&self, tally: &mut Tally, counter: &mut Counter, fired: &RuleSet) -> bool {
        tally.points += 1;
        counter.seen.clear();
        for index in fired.iter() {
            let Some(rule) = self.program.program().rules.get(index) else {
                continue;
            };
            if let Some(count) = tally.rule_points.get_mut(index) {
                *count += 1;
            }
            let group = counter.groups.get(index).copied().unwrap_or(index);
            match counter.seen.iter_mut().find(|(g, _)| *g == group) {
                Some((_, severity)) => *severity = (*severity).min(rule.severity),
                None => counter.seen.push((group, rule.severity)),
            }
        }
        let mut invalid = false;
        for (_, severity) in &counter.seen {
            invalid |= *severity == RuleSeverity::Error
                || (self.deny_warnings && *severity == RuleSeverity::Warn);
            tally.findings.add(*severity);
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
        counter: &Counter,
        index: u64,
        extra: Option<usize>,
        coordinates: Vec<(String, Value)>,
        frame: &Frame,
        fired: &RuleSet,
    ) -> ShownPoint {
        let mut findings = Vec::new();
        self.program.findings_from_set(frame, fired, &mut findings);
        ShownPoint {
            index,
            extra,
            coordinates,
            findings: crate::merge::merge_findings(&counter.groups, findings),
        }
    }
}

impl Grid {
    /// Moves to the next point (the last axis fastest), rewriting the slots of the axes whose
    /// digit changed (unless every point is rebuilt).
    fn advance(&mut self, axes: &[Axis], frame: &mut Frame) {
        for axis in (0..self.digits.len()).rev() {
            let (Some(digit), Some(values)) = (self.digits.get_mut(axis), self.values.get(axis))
            else {
                break;
            };
            *digit += 1;
            let wrapped = *digit >= values.len();
            if wrapped {
                *digit = 0;
            }
            if !self.structural
                && let (Some(Some(slot)), Some(value), Some(node)) = (
                    self.slots.get(axis),
                    values.get(*digit),
                    axes.get(axis).and_then(|a| a.values.get(*digit)),
                )
            {
                frame.set(*slot, value.clone(), SlotState::Declared, Some(node.span));
            }
            if !wrapped {
                break;
            }
        }
    }

    /// The current point as a config (for structural axes).
    fn point(&self, axes: &[Axis]) -> Node {
        let mut root = self.skeleton.clone();
        for (axis, digit) in axes.iter().zip(&self.digits) {
            if let Some(v) = axis.values.get(*digit) {
                set_path(&mut root, &axis.target.path, v.clone());
            }
        }
        root
    }

    /// (dotted field path, value) of the current point on every axis.
    fn coordinates(&self, axes: &[Axis]) -> Vec<(String, Value)> {
        axes.iter()
            .zip(&self.values)
            .zip(&self.digits)
            .map(|((a, r), d)| {
                (
                    a.target.dotted.clone(),
                    r.get(*d).cloned().unwrap_or(Value::Null),
                )
            })
            .collect()
    }
}

impl<'e, 'w> Emitter<'e, 'w> {
    fn new(emit: &'e mut Emit<'w>, skeleton: &Node, axes: &[Axis]) -> Emitter<'e, 'w> {
        Emitter {
            emit,
            skeleton: node_json(skeleton),
            pointers: axes
                .iter()
                .map(|a| {
                    a.target
                        .path
                        .iter()
                        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
                        .collect()
                })
                .collect(),
            values: axes
                .iter()
                .map(|a| a.values.iter().map(node_json).collect())
                .collect(),
            line: Vec::with_capacity(1024),
        }
    }

    /// Writes the grid point with these digits.
    fn grid_point(&mut self, digits: &[usize]) -> std::io::Result<()> {
        for ((pointer, values), digit) in self.pointers.iter().zip(&self.values).zip(digits) {
            if let (Some(slot), Some(v)) = (self.skeleton.pointer_mut(pointer), values.get(*digit))
            {
                *slot = v.clone();
            }
        }
        self.line.clear();
        serde_json::to_writer(&mut self.line, &self.skeleton).map_err(std::io::Error::other)?;
        self.write_line()
    }

    /// Writes a whole config.
    fn config(&mut self, root: &Node) -> std::io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, &node_json(root)).map_err(std::io::Error::other)?;
        self.write_line()
    }

    fn write_line(&mut self) -> std::io::Result<()> {
        self.line.push(b'\n');
        self.emit.out.write_all(&self.line)
    }
}

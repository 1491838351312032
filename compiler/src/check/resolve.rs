//! Name resolution: the rule's native type, field paths to slots, interned strings and constants.

use super::{Checker, Mode, mount_path};
use crate::ir::{Const, NativeField, Slot, SlotId, StrId};
use crate::schema::{EngineSchema, suggest};
use crate::types::Kinds;
use crate::value::Value;
use llemc_grammar::ast::{FieldPath, Span};

impl Checker<'_> {
    /// Resolves the rule's native type and where its kwargs sit in an experiment config.
    pub(super) fn resolve_native(&mut self) {
        let Mode::Schema(schema) = self.mode else {
            return;
        };
        let Some(native) = &self.rule.native_type else {
            // 0.7.0-shaped rules have no native type: their paths must be absolute.
            return;
        };
        if schema.native(&native.value).is_none() {
            let suggestions = suggest(
                &native.value,
                schema.native_types.iter().map(|n| n.name.as_str()),
            );
            let help = match suggestions.first() {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "the schema for `{}` declares: {}",
                    schema.engine,
                    schema
                        .native_types
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.error(
                "E301",
                native.span,
                format!("unknown native type `{}`", native.value),
                "not declared in the engine schema",
                help,
            );
            self.resolvable = false;
            return;
        }
        match mount_path(schema, &native.value) {
            Some(mount) => {
                self.mount = mount;
                self.native = Some(native.value.clone());
            }
            None => {
                self.error(
                    "E303",
                    native.span,
                    format!("no experiment-config section feeds `{}`", native.value),
                    "cannot be reached from a config",
                    "add a section for it under `sections:` in the engine schema".into(),
                );
                self.resolvable = false;
            }
        }
    }

    pub(super) fn intern(&mut self, s: &str) -> StrId {
        let index = self.strings.iter().position(|x| x == s).unwrap_or_else(|| {
            self.strings.push(s.to_owned());
            self.strings.len() - 1
        });
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    pub(super) fn slot_for(&mut self, slot: Slot) -> SlotId {
        let index = self
            .slots
            .iter()
            .position(|s| s.path == slot.path)
            .unwrap_or_else(|| {
                self.slots.push(slot);
                self.slots.len() - 1
            });
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    pub(super) fn slot_kinds(&self, slot: SlotId) -> Kinds {
        self.slots
            .get(slot as usize)
            .map(|s| s.kinds)
            .unwrap_or(Kinds::ALL)
    }

    /// Resolves a written field path to a slot, reporting unknown fields.
    pub(super) fn resolve_path(&mut self, path: &FieldPath, span: Span) -> Option<SlotId> {
        match self.mode {
            Mode::Compat => Some(self.slot_for(Slot {
                path: path.segments.clone(),
                native: None,
                kinds: Kinds::ALL,
            })),
            Mode::Schema(schema) => {
                if !self.resolvable {
                    return None;
                }
                // Relative to the rule's native type.
                if let Some(native) = self.native.clone() {
                    match schema.resolve(&native, path) {
                        Ok(resolved) => {
                            let (full, resolved) =
                                self.config_path(schema, &native, path, resolved);
                            return Some(self.native_slot(full, path, &resolved));
                        }
                        Err(unresolved) => {
                            if let Some(slot) = self.resolve_absolute(schema, path) {
                                return Some(slot);
                            }
                            let segment = path
                                .segments
                                .get(unresolved.segment)
                                .cloned()
                                .unwrap_or_default();
                            let help = match unresolved.suggestions.first() {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!(
                                    "`{}` declares no field `{segment}`; see engines/{}/schema.yaml",
                                    unresolved.searched, schema.engine
                                ),
                            };
                            self.error(
                                "E302",
                                span,
                                format!("unknown field `{segment}` on `{}`", unresolved.searched),
                                "unknown field",
                                help,
                            );
                            return None;
                        }
                    }
                }
                if let Some(slot) = self.resolve_absolute(schema, path) {
                    return Some(slot);
                }
                self.error(
                    "E302",
                    span,
                    format!("`{path}` is not a field of any `{}` section", schema.engine),
                    "unknown field",
                    format!(
                        "without `native_type`, write the full config path, e.g. `{}.{}.<field>`",
                        schema.engine,
                        schema
                            .sections
                            .first()
                            .map(|s| s.name.as_str())
                            .unwrap_or("section")
                    ),
                );
                None
            }
        }
    }

    /// Where a config writes `path` of the rule's native type: the mount plus the path, except
    /// in a native type `fed_by` another, whose first segment is the feeder's field it comes
    /// `from` (the feeder's declaration gives the default a config leaves in place) or, when the
    /// engine computes the field itself, a key no config can write (`vllm.CacheConfig.field`).
    fn config_path(
        &self,
        schema: &EngineSchema,
        native: &str,
        path: &FieldPath,
        mut resolved: crate::schema::ResolvedField,
    ) -> (Vec<String>, crate::schema::ResolvedField) {
        let mut full = self.mount.clone();
        let mut segments = path.segments.iter();
        if let Some(first) = segments.next() {
            match schema.fed_from(native, first) {
                None => full.push(first.clone()),
                Some(Some(feeder)) => {
                    full.push(feeder.name.clone());
                    if path.segments.len() == 1 {
                        resolved.decl.default = feeder.default.clone();
                        resolved.decl.ty = feeder.ty.clone();
                    }
                }
                Some(None) => full.push(format!("{native}.{first}")),
            }
        }
        full.extend(segments.cloned());
        (full, resolved)
    }

    /// Resolves `engine.section.field...` against the schema.
    pub(super) fn resolve_absolute(
        &mut self,
        schema: &EngineSchema,
        path: &FieldPath,
    ) -> Option<SlotId> {
        let mut segments = path.segments.iter();
        if segments.next()? != &schema.engine {
            return None;
        }
        let section_name = segments.next()?;
        let section = schema.sections.iter().find(|s| &s.name == section_name)?;
        let rest = FieldPath {
            segments: segments.cloned().collect(),
        };
        if rest.segments.is_empty() {
            return None;
        }
        let resolved = schema.resolve(&section.native_type, &rest).ok()?;
        Some(self.native_slot(path.segments.clone(), &rest, &resolved))
    }

    pub(super) fn native_slot(
        &mut self,
        full: Vec<String>,
        field: &FieldPath,
        resolved: &crate::schema::ResolvedField,
    ) -> SlotId {
        let decl = &resolved.decl;
        let mut kinds = decl.ty.kinds();
        if matches!(decl.default, None | Some(Value::Null)) || resolved.nested {
            kinds = kinds.or(Kinds::NONE);
        }
        let parent_len = u32::try_from(full.len().saturating_sub(1)).unwrap_or(0);
        let default = decl.default.as_ref().map(|v| self.constant(v));
        self.slot_for(Slot {
            path: full,
            native: Some(NativeField {
                native_type: resolved.owner.clone(),
                field: field.segments.clone(),
                default,
                parent_len,
                ty: decl.ty.to_string(),
            }),
            kinds,
        })
    }

    pub(super) fn constant(&mut self, v: &Value) -> Const {
        match v {
            Value::Null => Const::Null,
            Value::Bool(b) => Const::Bool(*b),
            Value::Int(i) => Const::Int(*i),
            Value::Float(f) => Const::Float(*f),
            Value::Str(s) => Const::Str(self.intern(s)),
            Value::List(items) => Const::List(items.iter().map(|i| self.constant(i)).collect()),
            Value::Dict(entries) => Const::Dict(
                entries
                    .iter()
                    .map(|(k, v)| (self.constant(k), self.constant(v)))
                    .collect(),
            ),
        }
    }

    pub(super) fn value_of(&self, c: &Const) -> Value {
        match c {
            Const::Null => Value::Null,
            Const::Bool(b) => Value::Bool(*b),
            Const::Int(i) => Value::Int(*i),
            Const::Float(f) => Value::Float(*f),
            Const::Str(id) => {
                Value::Str(self.strings.get(*id as usize).cloned().unwrap_or_default())
            }
            Const::List(items) => Value::List(items.iter().map(|i| self.value_of(i)).collect()),
            Const::Dict(entries) => Value::Dict(
                entries
                    .iter()
                    .map(|(k, v)| (self.value_of(k), self.value_of(v)))
                    .collect(),
            ),
        }
    }
}

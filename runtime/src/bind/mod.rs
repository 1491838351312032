//! Binding a config into a frame: every slot's declared value, else the library default when the
//! object holding the field is present (schema mode), else absent.
//!
//! The slot paths are merged into a trie once, when the program is loaded ([`BindPlan`]). Binding
//! walks the trie and the config together: at each trie node it either looks up each of the
//! node's few children in the config, or (for a node with many children) enumerates the config's
//! keys and looks each up among the children, so binding costs about what the config holds,
//! not (number of slots × path depth) lookups.

mod lex;
pub mod stream;

use crate::frame::{Frame, SlotState};
use crate::hash::KeyWords;
use crate::loaded::LoadedProgram;
use crate::tree::ConfigTree;
use llemc_compiler::ir::{Program, SlotId};

/// Above this many children, a trie node enumerates the config's keys instead of looking up each
/// child in the config.
const LOOKUP_CHILDREN_MAX: usize = 2;

/// The slot paths of a program as a trie, built once per program.
#[derive(Clone, Debug, Default)]
pub struct BindPlan {
    /// Node 0 is the config root.
    nodes: Vec<TrieNode>,
    /// Per native type: its mount node and the defaulted slots under it whose parent object is the
    /// mount itself or above it (they default whenever the kwargs are a mapping).
    mounts: Vec<MountPlan>,
}

#[derive(Clone, Debug, Default)]
struct TrieNode {
    /// Children by key, sorted.
    children: Vec<(Box<str>, u32)>,
    /// The words of each child's key, in `children` order.
    words: Vec<KeyWords>,
    /// Open-addressing table over `children`: `(hash, index in children + 1)`, 0 = empty; its
    /// length is a power of two at least twice the number of children.
    table: Vec<(u32, u32)>,
    /// The slot whose path ends here.
    slot: Option<SlotId>,
    /// Slots with a default whose parent object (the first `parent_len` segments) is this node.
    defaults: Vec<SlotId>,
}

#[derive(Clone, Debug)]
struct MountPlan {
    native_type: String,
    node: u32,
    defaults: Vec<SlotId>,
    /// For a native type `fed_by` another, whose fields sit under the feeder's config keys:
    /// each top-level kwarg name with the trie node of the config key it is written under
    /// (kwargs bind through these only). `None` when kwarg names are the config keys.
    keyed: Option<Vec<(String, u32)>>,
}

/// The hash of a key in a trie node's table.
fn hash(key: &KeyWords) -> u32 {
    (key.hash() >> 32) as u32
}

impl BindPlan {
    /// Builds the trie of a program's slot paths.
    pub fn new(program: &Program) -> BindPlan {
        let mut plan = BindPlan {
            nodes: vec![TrieNode::default()],
            mounts: Vec::new(),
        };
        for (index, slot) in program.slots.iter().enumerate() {
            let id = SlotId::try_from(index).unwrap_or(SlotId::MAX);
            let mut node = 0u32;
            for (depth, segment) in slot.path.iter().enumerate() {
                if let Some(native) = &slot.native
                    && native.default.is_some()
                    && native.parent_len as usize == depth
                    && let Some(n) = plan.node_mut(node)
                {
                    n.defaults.push(id);
                }
                node = plan.child_or_insert(node, segment);
            }
            if let Some(native) = &slot.native
                && native.default.is_some()
                && native.parent_len as usize == slot.path.len()
                && let Some(n) = plan.node_mut(node)
            {
                n.defaults.push(id);
            }
            if let Some(n) = plan.node_mut(node) {
                n.slot = Some(id);
            }
        }
        for node in &mut plan.nodes {
            node.children.sort_by(|a, b| a.0.cmp(&b.0));
            node.words = node
                .children
                .iter()
                .map(|(k, _)| KeyWords::of(k.as_bytes()))
                .collect();
            let size = (node.children.len() * 2).next_power_of_two();
            node.table = vec![(0, 0); size];
            let mask = size - 1;
            for (i, (key, _)) in node.children.iter().enumerate() {
                let h = hash(&KeyWords::of(key.as_bytes()));
                let mut at = h as usize & mask;
                while node.table.get(at).is_some_and(|e| e.1 != 0) {
                    at = (at + 1) & mask;
                }
                if let Some(e) = node.table.get_mut(at) {
                    *e = (h, u32::try_from(i + 1).unwrap_or(u32::MAX));
                }
            }
        }
        // Native mounts, in the order LoadedProgram::mount finds them.
        for slot in &program.slots {
            let Some(native) = &slot.native else { continue };
            if plan
                .mounts
                .iter()
                .any(|m| m.native_type == native.native_type)
            {
                continue;
            }
            let keep = slot.path.len().saturating_sub(native.field.len());
            let mount: Vec<&String> = slot.path.iter().take(keep).collect();
            let Some(node) = plan.find(mount.iter().map(|s| s.as_str())) else {
                continue;
            };
            let defaults = program
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.path.len() >= keep
                        && s.path.iter().zip(&mount).all(|(a, b)| a == *b)
                        && s.native
                            .as_ref()
                            .is_some_and(|n| n.default.is_some() && (n.parent_len as usize) < keep)
                })
                .map(|(i, _)| SlotId::try_from(i).unwrap_or(SlotId::MAX))
                .collect();
            let keyed = plan.keyed_fields(program, &native.native_type, keep);
            plan.mounts.push(MountPlan {
                native_type: native.native_type.clone(),
                node,
                defaults,
                keyed,
            });
        }
        plan
    }

    /// The kwarg name → trie node map of a native type whose top-level fields are written under
    /// other config keys (see [`MountPlan::keyed`]); `None` when every kwarg name is its key.
    fn keyed_fields(
        &self,
        program: &Program,
        native_type: &str,
        keep: usize,
    ) -> Option<Vec<(String, u32)>> {
        let mut keyed = Vec::new();
        let mut renamed = false;
        for slot in &program.slots {
            let Some(native) = &slot.native else { continue };
            if native.native_type != native_type {
                continue;
            }
            let (Some(key), Some(config_key)) = (native.field.first(), slot.path.get(keep)) else {
                continue;
            };
            renamed |= key != config_key;
            let Some(node) = self.find(slot.path.iter().take(keep + 1).map(String::as_str)) else {
                continue;
            };
            if !keyed.iter().any(|(k, _)| k == key) {
                keyed.push((key.clone(), node));
            }
        }
        renamed.then_some(keyed)
    }

    fn node_mut(&mut self, node: u32) -> Option<&mut TrieNode> {
        self.nodes.get_mut(node as usize)
    }

    fn child_or_insert(&mut self, node: u32, key: &str) -> u32 {
        if let Some(found) = self
            .nodes
            .get(node as usize)
            .and_then(|n| n.children.iter().find(|(k, _)| k.as_ref() == key))
        {
            return found.1;
        }
        let new = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(TrieNode::default());
        if let Some(n) = self.node_mut(node) {
            n.children.push((key.into(), new));
        }
        new
    }

    fn find<'a>(&self, path: impl Iterator<Item = &'a str>) -> Option<u32> {
        let mut node = 0u32;
        for segment in path {
            node = self.child(self.nodes.get(node as usize)?, segment)?;
        }
        Some(node)
    }

    fn child(&self, node: &TrieNode, key: &str) -> Option<u32> {
        self.child_bytes(node, key.as_bytes())
    }

    /// The child of `node` under the key spelled by `key`.
    #[inline]
    fn child_bytes(&self, node: &TrieNode, key: &[u8]) -> Option<u32> {
        let words = KeyWords::of(key);
        let is = |i: usize| {
            node.words.get(i) == Some(&words)
                && (words.decides()
                    || node
                        .children
                        .get(i)
                        .is_some_and(|(k, _)| k.as_bytes() == key))
        };
        if node.children.len() <= LOOKUP_CHILDREN_MAX {
            let i = (0..node.children.len()).find(|i| is(*i))?;
            return node.children.get(i).map(|(_, n)| *n);
        }
        let mask = node.table.len().checked_sub(1)?;
        let h = hash(&words);
        let mut at = h as usize & mask;
        loop {
            let (eh, index) = *node.table.get(at)?;
            if index == 0 {
                return None;
            }
            let i = index as usize - 1;
            if eh == h && is(i) {
                return node.children.get(i).map(|(_, n)| *n);
            }
            at = (at + 1) & mask;
        }
    }
}

/// Whether `tree` holds a mapping at `path` (the config builds the object there).
fn builds<T: ConfigTree>(tree: &T, path: &[String]) -> bool {
    let mut node = tree;
    for segment in path {
        match node.child(segment) {
            Some(child) => node = child,
            None => return false,
        }
    }
    node.is_mapping()
}

impl LoadedProgram {
    /// Binds a whole config tree (absolute config paths).
    pub fn bind<T: ConfigTree>(&self, root: &T, frame: &mut Frame) {
        frame.reset();
        self.walk(0, root, frame);
        for (index, (_, path)) in self.objects().iter().enumerate() {
            frame.set_object(index, builds(root, path));
        }
    }

    /// Binds the constructor kwargs of one native type (they are placed at its config path).
    /// Returns `false` when the program has no slot for that native type.
    pub fn bind_native<T: ConfigTree>(
        &self,
        native_type: &str,
        kwargs: &T,
        frame: &mut Frame,
    ) -> bool {
        frame.reset();
        let plan = self.bind_plan();
        let Some(mount) = plan.mounts.iter().find(|m| m.native_type == native_type) else {
            return false;
        };
        match &mount.keyed {
            None => self.walk(mount.node, kwargs, frame),
            Some(keyed) => {
                for (key, node) in keyed {
                    if let Some(value) = kwargs.child(key) {
                        self.walk(*node, value, frame);
                    }
                }
                // what `walk` does at the mount node: the defaults of the fields left out
                if kwargs.is_mapping()
                    && let Some(n) = plan.nodes.get(mount.node as usize)
                {
                    self.apply_defaults(&n.defaults, frame);
                }
            }
        }
        if kwargs.is_mapping() {
            self.apply_defaults(&mount.defaults, frame);
        }
        // Objects at or inside this native type's mount are built when the kwargs hold them.
        let base = self
            .mount(native_type)
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        for (index, (_, path)) in self.objects().iter().enumerate() {
            let present = path
                .strip_prefix(base.as_slice())
                .is_some_and(|rest| builds(kwargs, rest));
            frame.set_object(index, present);
        }
        true
    }

    /// Binds the subtree `tree` found at trie node `node`.
    fn walk<T: ConfigTree>(&self, node: u32, tree: &T, frame: &mut Frame) {
        let plan = self.bind_plan();
        let Some(n) = plan.nodes.get(node as usize) else {
            return;
        };
        if let Some(slot) = n.slot {
            frame.set(slot, tree.to_value(), SlotState::Declared, tree.span());
        }
        if !n.children.is_empty() {
            let enumerated = n.children.len() > LOOKUP_CHILDREN_MAX
                && tree.for_each_entry(&mut |key, child| {
                    if let Some(next) = plan.child(n, key) {
                        self.walk(next, child, frame);
                    }
                });
            if !enumerated {
                for (key, next) in &n.children {
                    if let Some(child) = tree.child(key) {
                        self.walk(*next, child, frame);
                    }
                }
            }
        }
        if !n.defaults.is_empty() && tree.is_mapping() {
            self.apply_defaults(&n.defaults, frame);
        }
    }

    /// Gives every slot of `slots` that the config does not declare its default.
    fn apply_defaults(&self, slots: &[SlotId], frame: &mut Frame) {
        for slot in slots {
            if frame.state(*slot) != SlotState::Declared
                && let Some(default) = self.default(*slot)
            {
                frame.set(*slot, default.clone(), SlotState::Defaulted, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The trie binder against the straightforward one (every slot's path walked from the root),
    //! on the seeds (schema mode: defaults, nested objects, native mounts) and generated configs.
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;
    use crate::compile::{CorpusInput, compile_corpus};

    /// The previous binder: walk each slot's path from the root.
    fn reference<T: ConfigTree>(
        p: &LoadedProgram,
        root: &T,
        mount: Option<&[String]>,
        frame: &mut Frame,
    ) {
        frame.reset();
        for (index, slot) in p.program().slots.iter().enumerate() {
            let id = index as u32;
            let path = match mount {
                None => &slot.path[..],
                Some(m) => match slot.path.strip_prefix(m) {
                    Some(rest) => rest,
                    None => continue,
                },
            };
            let parent_len = slot
                .native
                .as_ref()
                .map(|n| (n.parent_len as usize).saturating_sub(slot.path.len() - path.len()));
            let mut node = root;
            let mut depth = 0;
            let mut parent_present = parent_len == Some(0) && root.is_mapping();
            let mut found = true;
            for segment in path {
                match node.child(segment) {
                    Some(child) => {
                        node = child;
                        depth += 1;
                        if Some(depth) == parent_len && node.is_mapping() {
                            parent_present = true;
                        }
                    }
                    None => {
                        if parent_present && let Some(d) = p.default(id) {
                            frame.set(id, d.clone(), SlotState::Defaulted, None);
                        }
                        found = false;
                        break;
                    }
                }
            }
            if found {
                frame.set(id, node.to_value(), SlotState::Declared, node.span());
            }
        }
    }

    fn seeds() -> LoadedProgram {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join("engines/transformers/seeds.yaml")).unwrap();
        let schema = std::fs::read_to_string(
            root.join("engines/transformers/reference/hand-written-schema.yaml"),
        )
        .unwrap();
        let input = CorpusInput {
            name: "seeds.yaml",
            text: &text,
            schema: Some(("schema.yaml", &schema)),
            compat: false,
            engine_version: None,
        };
        match compile_corpus(&input) {
            Ok((p, _)) => p,
            Err(_) => panic!("seeds do not compile"),
        }
    }

    fn same(p: &LoadedProgram, a: &Frame, b: &Frame) -> bool {
        (0..p.program().slots.len() as u32)
            .all(|s| a.state(s) == b.state(s) && a.value(s) == b.value(s))
    }

    /// Deterministic configs: every slot path, alone and in pairs, with values of every kind, and
    /// the parents replaced by non-mappings.
    fn configs(p: &LoadedProgram) -> Vec<serde_json::Value> {
        use serde_json::{Value as J, json};
        let values = [
            json!(null),
            json!(1),
            json!(0.5),
            json!("x"),
            json!([1]),
            json!({"a": 1}),
        ];
        fn put(root: &mut J, path: &[String], v: J) {
            let mut node = root;
            for (i, seg) in path.iter().enumerate() {
                if !node.is_object() {
                    return;
                }
                let map = node.as_object_mut().unwrap();
                if i + 1 == path.len() {
                    map.insert(seg.clone(), v);
                    return;
                }
                node = map.entry(seg.clone()).or_insert_with(|| json!({}));
            }
        }
        let slots = &p.program().slots;
        let mut out = vec![json!({}), json!([]), json!(3)];
        for (i, slot) in slots.iter().enumerate() {
            for (k, v) in values.iter().enumerate() {
                let mut cfg = json!({});
                put(&mut cfg, &slot.path, v.clone());
                let other = &slots[(i * 7 + k) % slots.len()];
                put(
                    &mut cfg,
                    &other.path,
                    values[(i + k) % values.len()].clone(),
                );
                out.push(cfg);
            }
            for cut in 1..slot.path.len() {
                for v in &values {
                    let mut cfg = json!({});
                    put(&mut cfg, &slot.path[..cut], v.clone());
                    out.push(cfg);
                }
            }
        }
        out
    }

    #[test]
    fn the_trie_binder_agrees_with_walking_every_slot() {
        let p = seeds();
        let (mut a, mut b) = (p.frame(), p.frame());
        let cfgs = configs(&p);
        assert!(cfgs.len() > 100);
        let mut defaulted = 0;
        for cfg in &cfgs {
            p.bind(cfg, &mut a);
            reference(&p, cfg, None, &mut b);
            assert!(same(&p, &a, &b), "bind differs on {cfg}");
            defaulted += (0..p.program().slots.len() as u32)
                .filter(|s| a.state(*s) == SlotState::Defaulted)
                .count();
        }
        assert!(defaulted > 1000, "{defaulted}");
        let natives: Vec<String> = p.native_types().map(str::to_owned).collect();
        assert!(natives.len() >= 2);
        for native in &natives {
            let mount = p.mount(native).unwrap().to_vec();
            for cfg in &cfgs {
                // Use the subtree at the mount (or the whole config) as kwargs.
                let mut kwargs = cfg;
                for seg in &mount {
                    kwargs = kwargs.get(seg).unwrap_or(kwargs);
                }
                for kw in [kwargs, cfg] {
                    assert!(p.bind_native(native, kw, &mut a));
                    reference(&p, kw, Some(&mount), &mut b);
                    assert!(same(&p, &a, &b), "bind_native {native} differs on {kw}");
                }
            }
        }
        assert!(!p.bind_native("no.Such", &cfgs[0], &mut a));
    }
}

//! Binding a config into a frame: every slot's declared value, else the library default when the
//! object holding the field is present (schema mode), else absent.

use crate::frame::{Frame, SlotState};
use crate::loaded::LoadedProgram;
use crate::tree::ConfigTree;

impl LoadedProgram {
    /// Binds a whole config tree (absolute config paths).
    pub fn bind<T: ConfigTree>(&self, root: &T, frame: &mut Frame) {
        frame.reset();
        for (index, slot) in self.program().slots.iter().enumerate() {
            let id = u32::try_from(index).unwrap_or(u32::MAX);
            self.bind_slot(root, &slot.path, id, frame);
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
        let Some(mount) = self.mount(native_type) else {
            return false;
        };
        for (index, slot) in self.program().slots.iter().enumerate() {
            let Some(rest) = slot.path.strip_prefix(mount) else {
                continue;
            };
            let id = u32::try_from(index).unwrap_or(u32::MAX);
            self.bind_slot(kwargs, rest, id, frame);
        }
        true
    }

    fn bind_slot<T: ConfigTree>(&self, root: &T, path: &[String], id: u32, frame: &mut Frame) {
        let parent_len = self
            .program()
            .slots
            .get(id as usize)
            .and_then(|s| s.native.as_ref())
            .map(|n| {
                (n.parent_len as usize).saturating_sub(
                    self.program()
                        .slots
                        .get(id as usize)
                        .map(|s| s.path.len() - path.len())
                        .unwrap_or(0),
                )
            });
        let mut node = root;
        let mut depth = 0;
        let mut parent_present = parent_len == Some(0) && root.is_mapping();
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
                    if parent_present {
                        if let Some(default) = self.default(id) {
                            frame.set(id, default.clone(), SlotState::Defaulted, None);
                        }
                    }
                    return;
                }
            }
        }
        frame.set(id, node.to_value(), SlotState::Declared, node.span());
    }
}

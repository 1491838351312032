//! Where every file of the pipeline lives, relative to the repository root: the SSOT, the
//! engine's seeds and probes, each version's schema and corpora, staging files, venvs, fetched
//! wheels and sources, generated docs. Every stage asks this module instead of joining paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository layout, optionally with an engine's `artifacts:` templates from its SSOT
/// (`{version}` is substituted); without a template the default path is used.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
    artifacts: BTreeMap<String, String>,
    cache: Option<PathBuf>,
}

/// A per-version file of an engine whose path the SSOT may override under `artifacts:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Artifact {
    /// `engines/<engine>/<version>/schema.yaml`: the generated engine schema.
    Schema,
    /// `engines/<engine>/<version>/invariants.proposed.yaml`: what build-corpus writes.
    Proposed,
    /// `engines/<engine>/<version>/invariants.validated.yaml`: what the gate confirmed.
    Validated,
    /// `.cache/staging/<engine>/<version>`: the miners' staging files.
    Staging,
}

impl Artifact {
    /// The key of the SSOT's `artifacts:` mapping.
    pub fn key(self) -> &'static str {
        match self {
            Artifact::Schema => "schema",
            Artifact::Proposed => "proposed",
            Artifact::Validated => "validated",
            Artifact::Staging => "staging",
        }
    }
}

impl Layout {
    /// The layout of the repository at `root`, with default paths.
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout {
            root: root.into(),
            artifacts: BTreeMap::new(),
            cache: None,
        }
    }

    /// The layout of the current directory, paths relative to it (`engines/...`, not
    /// `./engines/...`).
    pub fn cwd() -> Layout {
        Layout::new("")
    }

    /// The nearest directory at or above `start` that holds `engines/`, else `start`.
    pub fn find_root(start: &Path) -> PathBuf {
        let mut dir = Some(start);
        while let Some(d) = dir {
            if Layout::new(d).engines().is_dir() {
                return d.to_path_buf();
            }
            dir = d.parent();
        }
        start.to_path_buf()
    }

    /// The same layout with the cache (venvs, wheels, sources, staging) somewhere else.
    pub fn with_cache(mut self, cache: impl Into<PathBuf>) -> Layout {
        self.cache = Some(cache.into());
        self
    }

    /// The same layout with an engine's `artifacts:` templates.
    pub fn with_artifacts(mut self, artifacts: &BTreeMap<String, String>) -> Layout {
        self.artifacts = artifacts.clone();
        self
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `engine_versions/<engine>.yaml`.
    pub fn ssot(&self, engine: &str) -> PathBuf {
        self.root
            .join("engine_versions")
            .join(format!("{engine}.yaml"))
    }

    /// `engines`: every engine's seeds, probes, schemas and corpora.
    pub fn engines(&self) -> PathBuf {
        self.root.join("engines")
    }

    /// `engines/<engine>`.
    pub fn engine_dir(&self, engine: &str) -> PathBuf {
        self.engines().join(engine)
    }

    /// `engines/<engine>/seeds.yaml`: the manual seeds.
    pub fn seeds(&self, engine: &str) -> PathBuf {
        self.engine_dir(engine).join("seeds.yaml")
    }

    /// `engines/<engine>/probes.yaml`: the dynamic miner's probe clusters.
    pub fn probes(&self, engine: &str) -> PathBuf {
        self.engine_dir(engine).join("probes.yaml")
    }

    /// The path the SSOT's `artifacts:` names for a per-version file, if it names one.
    pub fn declared(&self, kind: Artifact, version: &str) -> Option<PathBuf> {
        self.artifacts
            .get(kind.key())
            .map(|template| self.root.join(template.replace("{version}", version)))
    }

    /// The path of a per-version artifact (SSOT template, else the default).
    pub fn artifact(&self, kind: Artifact, engine: &str, version: &str) -> PathBuf {
        if let Some(declared) = self.declared(kind, version) {
            return declared;
        }
        match kind {
            Artifact::Schema => self.version_dir(engine, version).join("schema.yaml"),
            Artifact::Proposed => self
                .version_dir(engine, version)
                .join("invariants.proposed.yaml"),
            Artifact::Validated => self
                .version_dir(engine, version)
                .join("invariants.validated.yaml"),
            Artifact::Staging => self.staging_root(engine).join(version),
        }
    }

    /// `engines/<engine>/<version>`.
    pub fn version_dir(&self, engine: &str, version: &str) -> PathBuf {
        self.engine_dir(engine).join(version)
    }

    /// The engine schema of a version: its generated `schema.yaml` when it exists, else
    /// `engines/<engine>/schema.yaml`.
    pub fn schema(&self, engine: &str, version: &str) -> PathBuf {
        let versioned = self.artifact(Artifact::Schema, engine, version);
        if versioned.is_file() {
            versioned
        } else {
            self.engine_dir(engine).join("schema.yaml")
        }
    }

    /// `invariants.proposed.yaml` of a version.
    pub fn proposed(&self, engine: &str, version: &str) -> PathBuf {
        self.artifact(Artifact::Proposed, engine, version)
    }

    /// `invariants.validated.yaml` of a version.
    pub fn validated(&self, engine: &str, version: &str) -> PathBuf {
        self.artifact(Artifact::Validated, engine, version)
    }

    /// `invariants.quarantine.yaml` of a version, beside the validated corpus.
    pub fn quarantine(&self, engine: &str, version: &str) -> PathBuf {
        self.validated(engine, version)
            .with_file_name("invariants.quarantine.yaml")
    }

    /// `runtime-context.json` of a version, beside the proposed corpus.
    pub fn runtime_context(&self, engine: &str, version: &str) -> PathBuf {
        self.proposed(engine, version)
            .with_file_name("runtime-context.json")
    }

    /// `.cache/staging/<engine>`: the staging folders of every version.
    pub fn staging_root(&self, engine: &str) -> PathBuf {
        self.cache().join("staging").join(engine)
    }

    /// The staging folder of a version.
    pub fn staging(&self, engine: &str, version: &str) -> PathBuf {
        self.artifact(Artifact::Staging, engine, version)
    }

    /// `.cache` (unless moved with [`Layout::with_cache`]): everything downloaded or built that
    /// is not committed.
    pub fn cache(&self) -> PathBuf {
        self.cache
            .clone()
            .unwrap_or_else(|| self.root.join(".cache"))
    }

    /// `.cache/venvs`: one venv per library version.
    pub fn venvs(&self) -> PathBuf {
        self.cache().join("venvs")
    }

    /// `<venvs>/<distribution>-<version>`: the venv of one library version.
    pub fn venv(&self, distribution: &str, version: &str) -> PathBuf {
        self.venvs().join(format!("{distribution}-{version}"))
    }

    /// `docs/generated/invariants-<engine>.md`.
    pub fn generated_docs(&self, engine: &str) -> PathBuf {
        self.root
            .join("docs")
            .join("generated")
            .join(format!("invariants-{engine}.md"))
    }

    /// `path` relative to the root with `/` separators (for reports and file headers).
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_follow_the_documented_layout() {
        let layout = Layout::new("/repo");
        assert_eq!(
            layout.proposed("vllm", "0.17.1"),
            PathBuf::from("/repo/engines/vllm/0.17.1/invariants.proposed.yaml")
        );
        assert_eq!(
            layout.quarantine("vllm", "0.17.1"),
            PathBuf::from("/repo/engines/vllm/0.17.1/invariants.quarantine.yaml")
        );
        assert_eq!(
            layout.staging("vllm", "0.17.1"),
            PathBuf::from("/repo/.cache/staging/vllm/0.17.1")
        );
        assert_eq!(
            layout.ssot("vllm"),
            PathBuf::from("/repo/engine_versions/vllm.yaml")
        );
        assert_eq!(
            layout.display(&layout.seeds("vllm")),
            "engines/vllm/seeds.yaml"
        );
    }

    #[test]
    fn relative_layouts_and_moved_caches() {
        let layout = Layout::cwd();
        assert_eq!(layout.seeds("e"), PathBuf::from("engines/e/seeds.yaml"));
        assert_eq!(layout.display(&layout.ssot("e")), "engine_versions/e.yaml");
        let moved = Layout::new("/repo").with_cache("/tmp/c");
        assert_eq!(moved.staging("e", "1"), PathBuf::from("/tmp/c/staging/e/1"));
        assert_eq!(moved.venv("d", "1"), PathBuf::from("/tmp/c/venvs/d-1"));
        assert_eq!(moved.declared(Artifact::Schema, "1"), None);
    }

    #[test]
    fn ssot_templates_override_the_defaults() {
        let mut artifacts = BTreeMap::new();
        artifacts.insert(
            "validated".to_owned(),
            "shipped/{version}/rules.yaml".to_owned(),
        );
        let layout = Layout::new("/repo").with_artifacts(&artifacts);
        assert_eq!(
            layout.validated("x", "1.0"),
            PathBuf::from("/repo/shipped/1.0/rules.yaml")
        );
        assert_eq!(
            layout.quarantine("x", "1.0"),
            PathBuf::from("/repo/shipped/1.0/invariants.quarantine.yaml")
        );
        assert_eq!(
            layout.proposed("x", "1.0"),
            PathBuf::from("/repo/engines/x/1.0/invariants.proposed.yaml")
        );
    }
}

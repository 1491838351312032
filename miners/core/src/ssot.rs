//! The single source of truth per engine (`engine_versions/{engine}.yaml`): supported library
//! versions, the envelope each is tested against, the landmarks the miners walk, and artifact
//! paths.

use llemc_compiler::corpus::Stage;
use llemc_compiler::diagnostic::{Diagnostic, FileId};
use llemc_compiler::versions::Specifier;
use llemc_compiler::yaml::{Node, parse_yaml};
use llemc_compiler::yaml_out::Yaml;
use std::collections::BTreeMap;

/// What the miner does with a landmark method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Searched for rejections, warnings and normalisations.
    Validator,
    /// Returns the dict of generate()-time fallback values.
    Defaults,
}

/// A native type the engine's config sections feed.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeTypeDecl {
    /// Fully qualified name, e.g. `transformers.GenerationConfig`.
    pub name: String,
    /// Dotted module path inside the distribution.
    pub module: String,
    /// Class name.
    pub class: String,
    /// Experiment-config section feeding it, if any.
    pub section: Option<String>,
    /// `Owner.Type.field` when it is reached through a field of another native type.
    pub nested_in: Option<String>,
    /// The native type whose fields the engine passes on to this one's constructor (vLLM's
    /// `EngineArgs` building `CacheConfig`): a config sets this type's fields through the
    /// feeder's section.
    pub fed_by: Option<String>,
}

/// One method to walk.
#[derive(Clone, Debug, PartialEq)]
pub struct Landmark {
    /// The native type whose class holds the method.
    pub native_type: String,
    /// Method name.
    pub method: String,
    /// What to do with it.
    pub role: Role,
    /// Where in a run the library reaches the method (`stage:`, default construct): the stage of
    /// the rules found in it.
    pub stage: Stage,
    /// When the method is not the native type's own but a class the run builds from its fields
    /// (`module:` + `class:`, e.g. a logits processor): that class and how it is fed.
    pub consumer: Option<Consumer>,
}

impl Landmark {
    /// `native_type.method` (`module.Class.method` for a consumer's), the name `absent:` lists
    /// use.
    pub fn key(&self) -> String {
        match &self.consumer {
            Some(c) => format!("{}.{}.{}", c.module, c.class, self.method),
            None => format!("{}.{}", self.native_type, self.method),
        }
    }
}

/// A class the engine builds from a native type's fields during a run (a logits processor): the
/// mapping from its constructor's parameters back to the fields is data, not code.
#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    /// Dotted module path of the class.
    pub module: String,
    /// Class name.
    pub class: String,
    /// `arguments:` parameter → what the run passes: a field of the native type (a string), or a
    /// constant (any other YAML value).
    pub arguments: BTreeMap<String, Argument>,
    /// `reached_when:` the predicate (over the native type's fields) under which the run builds
    /// the class; ANDed into every rule found in it.
    pub reached_when: Option<String>,
}

/// What the run passes to one parameter of a consumer.
#[derive(Clone, Debug, PartialEq)]
pub enum Argument {
    /// The value of this field of the native type.
    Field(String),
    /// A constant.
    Literal(serde_json::Value),
}

/// A call the miner may replace by a constant in conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct Assumption {
    /// Its value.
    pub value: bool,
    /// Why that is right.
    pub reason: String,
}

/// The value a condition is translated with when it reads an environment variable through the
/// library's settings module (`envs.VLLM_MAX_N_SEQUENCES`): the library's default.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvAssumption {
    /// The default value (a JSON scalar).
    pub value: serde_json::Value,
    /// Why, and what reads it.
    pub reason: String,
}

/// A name whose value a validator reads from the running engine, not from the kwargs
/// (`runtime_context:`): a condition that reads it needs that context to decide, so the site is
/// never shipped as an unconditional rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuntimeContext {
    /// What it needs: `platform`, `device`, `model`, `environment`, ...
    pub needs: String,
    /// What the name is and why a config alone cannot decide it.
    pub reason: String,
}

/// One supported library version.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionEntry {
    /// The version, e.g. `5.14.1`.
    pub version: String,
    /// The envelope text, e.g. `>=5.14,<5.15`.
    pub envelope: String,
    /// The parsed envelope.
    pub specifier: Specifier,
    /// Landmark keys (`native_type.method`) this version lacks.
    pub absent: Vec<String>,
    /// Landmarks only this version has.
    pub extra_landmarks: Vec<Landmark>,
    /// `shared_env:` of this version when it pins other shared requirements than the engine's
    /// (vLLM 0.33.0 pins torch 2.14.0, the others 2.10.0).
    pub shared_env: Option<Vec<String>>,
}

/// A whole `engine_versions/{engine}.yaml`.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineSsot {
    /// Engine name.
    pub engine: String,
    /// Python distribution name.
    pub distribution: String,
    /// The version used when none is named.
    pub default_version: String,
    /// Artifact path templates by kind (`schema`, `proposed`, `validated`, `staging`).
    pub artifacts: BTreeMap<String, String>,
    /// Native types by name, in file order.
    pub native_types: Vec<NativeTypeDecl>,
    /// Landmarks common to every version.
    pub landmarks: Vec<Landmark>,
    /// Name of the local dict that collects minor issues.
    pub minor_issues_variable: Option<String>,
    /// Assumed call values by function name.
    pub assume: BTreeMap<String, Assumption>,
    /// Assumed environment variables by name (`environment:`).
    pub environment: BTreeMap<String, EnvAssumption>,
    /// Names validators read from the running engine (`runtime_context:`), by name.
    pub runtime_context: BTreeMap<String, RuntimeContext>,
    /// Exception classes whose `str()` appends some of their keyword arguments to the message,
    /// as ` (k1=v1, k2=v2)` in this order (`exceptions: {Class: {message_keywords: [...]}}`).
    pub message_keywords: BTreeMap<String, Vec<String>>,
    /// Supported versions, in file order.
    pub versions: Vec<VersionEntry>,
    /// Requirements installed beside the library in each version's venv (`llemc env ensure`).
    pub env_extras: Vec<String>,
    /// Requirements installed once into a venv every version's venv shares (`torch==2.10.0`),
    /// seen through a `.pth` file (`live::env`).
    pub shared_env: Vec<String>,
}

impl EngineSsot {
    /// The entry for `version`, or an error listing the supported ones.
    pub fn version(&self, version: &str) -> Result<&VersionEntry, String> {
        self.versions
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| {
                format!(
                    "{} {version} is not a supported version (engine_versions/{}.yaml lists: {})",
                    self.distribution,
                    self.engine,
                    self.versions
                        .iter()
                        .map(|v| v.version.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// The entry for `version`, or `E513` listing the supported ones.
    pub fn supported(&self, version: &str) -> Result<&VersionEntry, Diagnostic> {
        self.version(version).map_err(|message| {
            Diagnostic::error("E513", message).with_help(format!(
                "pass one of the listed versions, or add {version} under `versions:` in engine_versions/{}.yaml",
                self.engine
            ))
        })
    }

    /// The shared requirements of `version`'s venv: its own `shared_env:`, else the engine's.
    pub fn shared_env_for(&self, version: &str) -> Vec<String> {
        self.versions
            .iter()
            .find(|v| v.version == version)
            .and_then(|v| v.shared_env.clone())
            .unwrap_or_else(|| self.shared_env.clone())
    }

    /// The landmarks of `version`: the common ones minus `absent`, plus its own.
    pub fn landmarks_for(&self, entry: &VersionEntry) -> Vec<Landmark> {
        let mut out: Vec<Landmark> = self
            .landmarks
            .iter()
            .filter(|l| !entry.absent.contains(&l.key()))
            .cloned()
            .collect();
        out.extend(entry.extra_landmarks.iter().cloned());
        out
    }

    /// The native type called `name`.
    pub fn native(&self, name: &str) -> Option<&NativeTypeDecl> {
        self.native_types.iter().find(|n| n.name == name)
    }

    /// The artifact path of `kind` for `version` (`{version}` substituted).
    pub fn artifact(&self, kind: &str, version: &str) -> Option<String> {
        self.artifacts
            .get(kind)
            .map(|t| t.replace("{version}", version))
    }
}

struct Reader {
    file: FileId,
    diags: Vec<Diagnostic>,
}

impl Reader {
    fn err(&mut self, node: &Node, message: String, help: &str) {
        self.diags.push(
            Diagnostic::error("E510", message)
                .with_primary(self.file, node.span, "here")
                .with_help(help.to_owned()),
        );
    }

    fn string(&mut self, parent: &Node, key: &str) -> Option<String> {
        match parent.get(key) {
            Some(v) => match v.as_str() {
                Some(s) => Some(s.to_owned()),
                None => {
                    // versions such as 5.14 can be read as numbers: take their text
                    match &v.kind {
                        llemc_compiler::yaml::NodeKind::Float(f) => Some(f.to_string()),
                        llemc_compiler::yaml::NodeKind::Int(i) => Some(i.to_string()),
                        _ => {
                            self.err(v, format!("`{key}` must be a string"), "quote the value");
                            None
                        }
                    }
                }
            },
            None => {
                self.err(
                    parent,
                    format!("missing `{key}`"),
                    "see engine_versions/transformers.yaml for the layout",
                );
                None
            }
        }
    }

    fn landmark(&mut self, node: &Node) -> Option<Landmark> {
        let native_type = self.string(node, "native_type")?;
        let method = self.string(node, "method")?;
        let role = match node.get("role").and_then(Node::as_str) {
            None | Some("validator") => Role::Validator,
            Some("defaults") => Role::Defaults,
            Some(other) => {
                self.err(
                    node,
                    format!("unknown landmark role `{other}`"),
                    "use `validator` or `defaults`",
                );
                return None;
            }
        };
        let stage = match node.get("stage").and_then(Node::as_str) {
            None => Stage::Construct,
            Some(text) => match Stage::parse(text) {
                Some(stage) => stage,
                None => {
                    self.err(
                        node,
                        format!("unknown landmark stage `{text}`"),
                        "use `construct`, `validate` or `generate`",
                    );
                    return None;
                }
            },
        };
        let consumer = match (node.get("module"), node.get("class")) {
            (None, None) => None,
            _ => Some(self.consumer(node)?),
        };
        Some(Landmark {
            native_type,
            method,
            role,
            stage,
            consumer,
        })
    }

    /// The `module:` / `class:` / `arguments:` / `reached_when:` of a consumer landmark.
    fn consumer(&mut self, node: &Node) -> Option<Consumer> {
        let module = self.string(node, "module")?;
        let class = self.string(node, "class")?;
        let mut arguments = BTreeMap::new();
        if let Some(args) = node.get("arguments") {
            let Some(entries) = args.as_map() else {
                self.err(
                    args,
                    "`arguments` must map parameter names to fields or constants".into(),
                    "write `{parameter: field_name, other: 1}`",
                );
                return None;
            };
            for (k, v) in entries {
                let Some(name) = k.as_str() else { continue };
                let argument = match v.as_str() {
                    Some(field) => Argument::Field(field.to_owned()),
                    None => Argument::Literal(Yaml::from_node(v).to_json()),
                };
                arguments.insert(name.to_owned(), argument);
            }
        }
        let reached_when = node
            .get("reached_when")
            .and_then(Node::as_str)
            .map(str::to_owned);
        Some(Consumer {
            module,
            class,
            arguments,
            reached_when,
        })
    }

    fn landmarks(&mut self, node: Option<&Node>) -> Vec<Landmark> {
        let mut out = Vec::new();
        if let Some(node) = node {
            match node.as_seq() {
                Some(items) => {
                    for item in items {
                        if let Some(l) = self.landmark(item) {
                            out.push(l);
                        }
                    }
                }
                None => self.err(
                    node,
                    "`landmarks` must be a list".into(),
                    "write a YAML list",
                ),
            }
        }
        out
    }
}

/// Reads an `engine_versions/{engine}.yaml` file; every problem found is returned.
pub fn read_ssot(file: FileId, text: &str) -> Result<EngineSsot, Vec<Diagnostic>> {
    let root = parse_yaml(file, text).map_err(|d| vec![d])?;
    let mut r = Reader {
        file,
        diags: Vec::new(),
    };
    let engine = r.string(&root, "engine");
    let distribution = r.string(&root, "distribution");
    let default_version = r.string(&root, "default_version");
    let artifacts = strings_by_key(root.get("artifacts"));
    let native_types = r.native_types(&root);
    let landmarks = r.landmarks(root.get("landmarks"));
    r.check_landmarks(&landmarks, &native_types);
    let assume = r.assumptions(root.get("assume"));
    let environment = r.environment(root.get("environment"));
    let runtime_context = r.runtime_context(root.get("runtime_context"));
    let versions = r.versions(&root);
    let (Some(engine), Some(distribution), Some(default_version)) =
        (engine, distribution, default_version)
    else {
        return Err(r.diags);
    };
    if !versions.iter().any(|v| v.version == default_version) {
        r.diags.push(Diagnostic::error(
            "E512",
            format!("default_version {default_version} is not listed under `versions`"),
        ));
    }
    if r.diags.iter().any(Diagnostic::is_error) {
        return Err(r.diags);
    }
    Ok(EngineSsot {
        engine,
        distribution,
        default_version,
        artifacts,
        native_types,
        landmarks,
        minor_issues_variable: root
            .get("minor_issues_variable")
            .and_then(Node::as_str)
            .map(str::to_owned),
        assume,
        environment,
        runtime_context,
        message_keywords: root
            .get("exceptions")
            .and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        Some((k.as_str()?.to_owned(), strings(v.get("message_keywords"))))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        versions,
        env_extras: strings(root.get("env_extras")),
        shared_env: strings(root.get("shared_env")),
    })
}

/// The string items of a list (others are skipped).
fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The string entries of a mapping (others are skipped).
fn strings_by_key(node: Option<&Node>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(map) = node.and_then(Node::as_map) {
        for (k, v) in map {
            if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                out.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    out
}

impl Reader {
    fn native_types(&mut self, root: &Node) -> Vec<NativeTypeDecl> {
        let mut out = Vec::new();
        let Some(map) = root.get("native_types").and_then(Node::as_map) else {
            self.err(
                root,
                "missing `native_types` mapping".into(),
                "list the native types and their modules",
            );
            return out;
        };
        for (k, v) in map {
            let Some(name) = k.as_str() else { continue };
            let (Some(module), Some(class)) = (self.string(v, "module"), self.string(v, "class"))
            else {
                continue;
            };
            out.push(NativeTypeDecl {
                name: name.to_owned(),
                module,
                class,
                section: v.get("section").and_then(Node::as_str).map(str::to_owned),
                nested_in: v.get("nested_in").and_then(Node::as_str).map(str::to_owned),
                fed_by: v.get("fed_by").and_then(Node::as_str).map(str::to_owned),
            });
        }
        out
    }

    /// `E511`: every landmark names a declared native type.
    fn check_landmarks(&mut self, landmarks: &[Landmark], native_types: &[NativeTypeDecl]) {
        for l in landmarks {
            if !native_types.iter().any(|n| n.name == l.native_type) {
                self.diags.push(Diagnostic::error(
                    "E511",
                    format!(
                        "landmark `{}` names native type `{}`, which `native_types` does not declare",
                        l.method, l.native_type
                    ),
                ));
            }
        }
    }

    fn assumptions(&mut self, node: Option<&Node>) -> BTreeMap<String, Assumption> {
        let mut assume = BTreeMap::new();
        let Some(map) = node.and_then(Node::as_map) else {
            return assume;
        };
        for (k, v) in map {
            let Some(name) = k.as_str() else { continue };
            let value = v.get("value").and_then(Node::as_bool);
            let reason = v.get("reason").and_then(Node::as_str);
            match (value, reason) {
                (Some(value), Some(reason)) => {
                    assume.insert(
                        name.to_owned(),
                        Assumption {
                            value,
                            reason: reason.to_owned(),
                        },
                    );
                }
                _ => self.err(
                    v,
                    format!("assumption `{name}` needs a boolean `value` and a `reason`"),
                    "write `{value: true, reason: ...}`",
                ),
            }
        }
        assume
    }

    /// `runtime_context:`: `name: {needs: <what>, reason: ...}` per name.
    fn runtime_context(&mut self, node: Option<&Node>) -> BTreeMap<String, RuntimeContext> {
        let mut out = BTreeMap::new();
        let Some(map) = node.and_then(Node::as_map) else {
            return out;
        };
        for (k, v) in map {
            let Some(name) = k.as_str() else { continue };
            match (
                v.get("needs").and_then(Node::as_str),
                v.get("reason").and_then(Node::as_str),
            ) {
                (Some(needs), Some(reason)) => {
                    out.insert(
                        name.to_owned(),
                        RuntimeContext {
                            needs: needs.to_owned(),
                            reason: reason.to_owned(),
                        },
                    );
                }
                _ => self.err(
                    v,
                    format!("runtime context `{name}` needs `needs` and `reason` strings"),
                    "write `{needs: platform, reason: ...}`",
                ),
            }
        }
        out
    }

    /// `environment:`: `NAME: {value: <scalar>, reason: ...}` per variable.
    fn environment(&mut self, node: Option<&Node>) -> BTreeMap<String, EnvAssumption> {
        let mut out = BTreeMap::new();
        let Some(map) = node.and_then(Node::as_map) else {
            return out;
        };
        for (k, v) in map {
            let Some(name) = k.as_str() else { continue };
            let value = v.get("value").and_then(|n| match &n.kind {
                llemc_compiler::yaml::NodeKind::Null => Some(serde_json::Value::Null),
                llemc_compiler::yaml::NodeKind::Bool(b) => Some(serde_json::Value::Bool(*b)),
                llemc_compiler::yaml::NodeKind::Int(i) => Some(serde_json::Value::from(*i)),
                llemc_compiler::yaml::NodeKind::Float(f) => Some(serde_json::Value::from(*f)),
                llemc_compiler::yaml::NodeKind::Str(s) => Some(serde_json::Value::from(s.as_str())),
                _ => None,
            });
            match (value, v.get("reason").and_then(Node::as_str)) {
                (Some(value), Some(reason)) => {
                    out.insert(
                        name.to_owned(),
                        EnvAssumption {
                            value,
                            reason: reason.to_owned(),
                        },
                    );
                }
                _ => self.err(
                    v,
                    format!("environment variable `{name}` needs a scalar `value` and a `reason`"),
                    "write `{value: 16384, reason: ...}`",
                ),
            }
        }
        out
    }

    fn versions(&mut self, root: &Node) -> Vec<VersionEntry> {
        let mut versions = Vec::new();
        let Some(map) = root.get("versions").and_then(Node::as_map) else {
            self.err(
                root,
                "missing `versions` mapping".into(),
                "list the supported versions",
            );
            return versions;
        };
        for (k, v) in map {
            let version = match (&k.kind, k.as_str()) {
                (_, Some(s)) => s.to_owned(),
                (llemc_compiler::yaml::NodeKind::Float(f), _) => f.to_string(),
                _ => {
                    self.err(k, "a version must be a string".into(), "quote it");
                    continue;
                }
            };
            if let Some(entry) = self.version(k, v, version) {
                versions.push(entry);
            }
        }
        versions
    }

    fn version(&mut self, key: &Node, v: &Node, version: String) -> Option<VersionEntry> {
        let envelope = self.string(v, "envelope")?;
        let specifier = match Specifier::parse(&envelope) {
            Ok(s) => s,
            Err(e) => {
                self.err(
                    v.get("envelope").unwrap_or(v),
                    format!("envelope of {version} is not a PEP 440 specifier: {e}"),
                    "write e.g. `>=5.14,<5.15`",
                );
                return None;
            }
        };
        if !specifier.matches(&version) {
            self.err(
                key,
                format!("version {version} is outside its own envelope `{envelope}`"),
                "fix the envelope",
            );
        }
        let absent = strings(v.get("absent"));
        let extra_landmarks = self.landmarks(v.get("landmarks"));
        Some(VersionEntry {
            version,
            envelope,
            specifier,
            absent,
            extra_landmarks,
            shared_env: v.get("shared_env").map(|n| strings(Some(n))),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const SSOT: &str = "engine: e\ndistribution: e\ndefault_version: '1.0'\nnative_types:\n  e.T:\n    module: e.core\n    class: T\nlandmarks:\n  - {native_type: e.T, method: __init__}\n  - {native_type: e.T, method: validate, stage: validate}\n  - native_type: e.T\n    stage: generate\n    module: e.run\n    class: Scaler\n    method: __init__\n    arguments: {factor: scale, floor: 1}\n    reached_when: scale present\nversions:\n  '1.0':\n    envelope: '>=1,<2'\n  '0.9':\n    envelope: '>=0.9,<1'\n    absent: [e.run.Scaler.__init__]\n";

    #[test]
    fn landmarks_carry_their_stage_and_consumers_their_feeding() {
        let ssot = read_ssot(FileId(0), SSOT).unwrap();
        let stages: Vec<Stage> = ssot.landmarks.iter().map(|l| l.stage).collect();
        assert_eq!(stages, [Stage::Construct, Stage::Validate, Stage::Generate]);
        let consumer = ssot.landmarks[2].consumer.clone().unwrap();
        assert_eq!(consumer.class, "Scaler");
        assert_eq!(
            consumer.arguments.get("factor"),
            Some(&Argument::Field("scale".to_owned()))
        );
        assert_eq!(
            consumer.arguments.get("floor"),
            Some(&Argument::Literal(serde_json::json!(1)))
        );
        assert_eq!(consumer.reached_when.as_deref(), Some("scale present"));
        assert_eq!(ssot.landmarks[2].key(), "e.run.Scaler.__init__");
        let old = ssot.version("0.9").unwrap();
        assert_eq!(ssot.landmarks_for(old).len(), 2);
    }

    #[test]
    fn an_unknown_stage_is_an_error() {
        let text = SSOT.replace("stage: validate", "stage: run");
        let diagnostics = read_ssot(FileId(0), &text).unwrap_err();
        assert!(
            diagnostics
                .iter()
                .any(|d| d.message.contains("unknown landmark stage `run`"))
        );
    }
}

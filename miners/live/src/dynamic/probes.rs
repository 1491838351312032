//! Probe clusters as data (`engines/<engine>/probes.yaml`): per cluster the native type, the
//! fields and the values to try, fixed base kwargs, and which fields' probed values are a
//! closed domain. Every combination of the values is one probe (a row).

use llemc_compiler::corpus::Stage;
use llemc_compiler::diagnostic::FileId;
use llemc_compiler::versions::Specifier;
use llemc_compiler::yaml::parse_yaml;
use llemc_compiler::yaml_out::Yaml;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One probe cluster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    /// Unique name.
    pub name: String,
    /// Native type the rules are written for.
    pub native_type: String,
    /// Module to import the class from (default: the SSOT's, for the native type).
    pub module: Option<String>,
    /// Class name (default: the SSOT's).
    pub class: Option<String>,
    /// Kwargs passed in every probe.
    pub base: Map<String, Value>,
    /// Field → values to try, sorted by field name.
    pub fields: BTreeMap<String, Vec<Value>>,
    /// Fields whose probed values are their whole domain (bool, Literal, enum): an allowlist
    /// may be inferred for them.
    pub closed: Vec<String>,
    /// PEP 440 specifier of the library versions the cluster applies to (default: all).
    pub versions: Option<String>,
    /// How far each row is run: construction and validation (`construct`, the default; the
    /// validation phase is observed too), or on through a generation run (`generate`, whose rows
    /// count only when they reach it).
    pub stage: Stage,
}

impl Cluster {
    /// Every combination of the probed values, in lexicographic order of (field name, value
    /// index), each merged over `base`.
    pub fn rows(&self) -> Vec<Map<String, Value>> {
        let mut out = vec![self.base.clone()];
        for (field, values) in &self.fields {
            let mut next = Vec::with_capacity(out.len() * values.len());
            for row in &out {
                for v in values {
                    let mut r = row.clone();
                    r.insert(field.clone(), v.clone());
                    next.push(r);
                }
            }
            out = next;
        }
        out
    }

    /// Whether the cluster applies to `version`.
    pub fn applies_to(&self, version: &str) -> Result<bool, String> {
        match &self.versions {
            None => Ok(true),
            Some(spec) => Specifier::parse(spec)
                .map(|s| s.matches(version))
                .map_err(|e| format!("cluster `{}`: bad `versions`: {e}", self.name)),
        }
    }
}

/// The most rows one cluster may have (a typo in a value list must not launch a huge sweep).
pub const MAX_ROWS: usize = 4096;

/// Reads a probes file. Errors name the file and the cluster.
pub fn read_probes(name: &str, text: &str) -> Result<Vec<Cluster>, String> {
    let node = parse_yaml(FileId(0), text).map_err(|d| format!("{name}: {}", d.message))?;
    let doc = Yaml::from_node(&node).to_json();
    let items = doc
        .get("clusters")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{name}: expected a top-level `clusters:` list"))?;
    let mut out: Vec<Cluster> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |what: &str| format!("{name}: cluster #{}: {what}", i + 1);
        let obj = item
            .as_object()
            .ok_or_else(|| at("a cluster must be a mapping"))?;
        for key in obj.keys() {
            if ![
                "name",
                "native_type",
                "module",
                "class",
                "base",
                "fields",
                "closed",
                "versions",
                "stage",
            ]
            .contains(&key.as_str())
            {
                return Err(at(&format!("unknown key `{key}`")));
            }
        }
        let text_of = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
        let cname = text_of("name").ok_or_else(|| at("`name` (a string) is required"))?;
        let at = |what: &str| format!("{name}: cluster `{cname}`: {what}");
        if out.iter().any(|c| c.name == cname) {
            return Err(at("duplicate cluster name"));
        }
        let native_type =
            text_of("native_type").ok_or_else(|| at("`native_type` (a string) is required"))?;
        let base = match obj.get("base") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(at("`base` must be a mapping of kwargs")),
        };
        let mut fields = BTreeMap::new();
        let Some(Value::Object(map)) = obj.get("fields") else {
            return Err(at("`fields` must be a mapping field -> list of values"));
        };
        for (field, values) in map {
            let Value::Array(values) = values else {
                return Err(at(&format!("field `{field}`: the values must be a list")));
            };
            if values.is_empty() {
                return Err(at(&format!("field `{field}`: no values")));
            }
            fields.insert(field.clone(), values.clone());
        }
        if fields.is_empty() {
            return Err(at("`fields` is empty"));
        }
        let rows: usize = fields.values().map(Vec::len).product();
        if rows > MAX_ROWS {
            return Err(at(&format!("{rows} combinations, more than {MAX_ROWS}")));
        }
        let closed = match obj.get("closed") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut names = Vec::new();
                for it in items {
                    let Some(f) = it.as_str() else {
                        return Err(at("`closed` must list field names"));
                    };
                    if !fields.contains_key(f) {
                        return Err(at(&format!("`closed` names `{f}`, which is not probed")));
                    }
                    names.push(f.to_owned());
                }
                names.sort();
                names
            }
            Some(_) => return Err(at("`closed` must be a list of field names")),
        };
        let versions = text_of("versions");
        if let Some(v) = &versions {
            Specifier::parse(v).map_err(|e| at(&format!("bad `versions`: {e}")))?;
        }
        let stage = match text_of("stage").as_deref() {
            None | Some("construct") => Stage::Construct,
            Some("generate") => Stage::Generate,
            Some(other) => {
                return Err(at(&format!(
                    "unknown `stage` `{other}` (use `construct` or `generate`)"
                )));
            }
        };
        out.push(Cluster {
            name: cname,
            native_type,
            module: text_of("module"),
            class: text_of("class"),
            base,
            fields,
            closed,
            versions,
            stage,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

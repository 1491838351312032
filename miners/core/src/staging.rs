//! Staging files: what a miner proposes for one engine version, before build-corpus merges it
//! with the other miners' proposals and the manual seeds.

use crate::failure::read_text;
use llemc_compiler::corpus::{
    AddedBy, EmissionChannel, Outcome, OutcomeDoc, RuleDoc, RuleSeverity, SourceDoc, Stage,
};
use llemc_compiler::diagnostic::Diagnostic;
use llemc_compiler::yaml_out::Yaml;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Where a rule came from: a source line (static miner), or the class a live miner introspected
/// or probed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MinerSource {
    /// Source file relative to site-packages (else the module path).
    pub path: String,
    /// `Class.method`, or `Class.field` for a lift.
    pub method: String,
    /// Line of the site (static miner) or of the class statement, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_at_scan: Option<u32>,
    /// The dotted module the class was imported from (live miners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The class name (live miners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The field the rule is about (lifts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The probe cluster that produced it (dynamic miner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

impl MinerSource {
    /// A site in the library's source.
    pub fn line(path: &str, method: &str, line: u32) -> MinerSource {
        MinerSource {
            path: path.to_owned(),
            method: method.to_owned(),
            line_at_scan: Some(line),
            module: None,
            class: None,
            field: None,
            cluster: None,
        }
    }

    fn doc(&self) -> SourceDoc {
        SourceDoc {
            path: Some(self.path.clone()),
            method: Some(self.method.clone()),
            line_at_scan: self.line_at_scan.map(i64::from),
            module: self.module.clone(),
            class: self.class.clone(),
            field: self.field.clone(),
            cluster: self.cluster.clone(),
        }
    }
}

/// `normalised_fields`: the fields a dormant rule names, or what the library sets them to.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum NormalisedFields {
    /// Field to the value the library sets.
    Values(BTreeMap<String, Json>),
    /// Field names only.
    Fields(Vec<String>),
}

/// `expected_outcome`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedOutcome {
    /// What the library does.
    pub outcome: Outcome,
    /// Where it says so.
    pub emission_channel: EmissionChannel,
    /// Normalised fields and the value they get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalised_fields: Option<NormalisedFields>,
}

impl ExpectedOutcome {
    /// An outcome with the values normalised fields get (none for most rules).
    pub fn new(
        outcome: Outcome,
        emission_channel: EmissionChannel,
        normalised: BTreeMap<String, Json>,
    ) -> ExpectedOutcome {
        ExpectedOutcome {
            outcome,
            emission_channel,
            normalised_fields: Some(NormalisedFields::Values(normalised)),
        }
    }

    /// The values normalised fields get (empty when none or only field names are given).
    pub fn normalised_values(&self) -> &BTreeMap<String, Json> {
        static NONE: BTreeMap<String, Json> = BTreeMap::new();
        match &self.normalised_fields {
            Some(NormalisedFields::Values(values)) => values,
            _ => &NONE,
        }
    }

    fn doc(&self) -> OutcomeDoc {
        OutcomeDoc {
            outcome: self.outcome,
            emission_channel: self.emission_channel,
            normalised_fields: self.normalised_fields.as_ref().map(|n| match n {
                NormalisedFields::Values(values) => Yaml::Map(
                    values
                        .iter()
                        .map(|(k, v)| (k.clone(), Yaml::from_json(v)))
                        .collect(),
                ),
                NormalisedFields::Fields(names) => Yaml::Seq(names.iter().map(Yaml::str).collect()),
            }),
        }
    }
}

/// A rule a miner proposes: the one staging shape of the static miner, the lifts and the
/// dynamic miner.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StagedRule {
    /// Content-derived id.
    pub id: String,
    /// Native type.
    pub native_type: String,
    /// Severity.
    pub severity: RuleSeverity,
    /// The predicate (canonical `when:` text); it holds on the bad value.
    pub when: String,
    /// The field the rule is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Message template.
    pub message_template: String,
    /// Where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miner_source: Option<MinerSource>,
    /// What the library does.
    pub expected_outcome: ExpectedOutcome,
    /// The miner that proposed it.
    pub added_by: AddedBy,
    /// Kwargs under which the predicate holds (filled by the live miners or build-corpus).
    pub kwargs_positive: Option<Map<String, Json>>,
    /// Kwargs under which it does not.
    pub kwargs_negative: Option<Map<String, Json>>,
    /// The library versions the rule holds for, when the miner limits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
    /// Where the library shows the behaviour (the gate replays the rule there).
    #[serde(default)]
    pub stage: Stage,
    /// A regex the library's message must match when replayed, where the message template
    /// cannot say it (an `assert` without a message: Python's text is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_match: Option<String>,
}

impl StagedRule {
    /// The rule as a corpus rule of `engine`.
    pub fn doc(&self, engine: &str) -> RuleDoc {
        let kwargs = |k: &Option<Map<String, Json>>| {
            k.as_ref()
                .map(|m| Yaml::from_json(&Json::Object(m.clone())))
        };
        RuleDoc {
            native_type: Some(self.native_type.clone()),
            subject: self.subject.clone(),
            when: Some(self.when.clone()),
            message_template: Some(self.message_template.clone()),
            miner_source: self.miner_source.as_ref().map(MinerSource::doc),
            kwargs_positive: kwargs(&self.kwargs_positive),
            kwargs_negative: kwargs(&self.kwargs_negative),
            expected_outcome: Some(self.expected_outcome.doc()),
            versions: self.versions.clone(),
            stage: Some(self.stage),
            replay_match: self.replay_match.clone(),
            ..RuleDoc::new(&self.id, engine, self.severity, self.added_by)
        }
    }
}

/// A site whose condition (or normalised value) could not be translated.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OpaqueRule {
    /// Content-derived id.
    pub id: String,
    /// Native type.
    pub native_type: String,
    /// Severity it would have.
    pub severity: RuleSeverity,
    /// Where it came from.
    pub miner_source: MinerSource,
    /// Why it is opaque.
    pub reason: String,
    /// The Python source of the untranslatable parts (and the site).
    pub source_text: String,
    /// The translatable part of the condition (a necessary condition), if any.
    pub partial_when: Option<String>,
    /// The runtime context the condition reads (`platform`, `model`, ...: the SSOT's
    /// `runtime_context:`), when that is what keeps it from a config-only rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<String>,
}

/// The static miner's sites of one version whose condition reads the running engine (an
/// [`OpaqueRule`] with `needs`), as `llemc build-corpus` commits them beside the proposed corpus
/// (`runtime-context.json`), so that `llemc docs` reads committed files only.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContextSites {
    /// The command that wrote the file.
    pub generated_by: String,
    /// The sites, sorted by native type, method, condition and line.
    pub sites: Vec<OpaqueRule>,
}

impl ContextSites {
    /// The sites of the committed file at `path` (none when there is no file); `E622` when it
    /// is not such a file.
    pub fn read(path: &Path, shown: &str) -> Result<Vec<OpaqueRule>, Diagnostic> {
        if !path.exists() {
            return Ok(Vec::new());
        }
        let text = read_text(path, shown, None)?;
        let file: ContextSites = serde_json::from_str(&text).map_err(|e| {
            Diagnostic::error(
                "E622",
                format!("`{shown}` is not a runtime-context file: {e}"),
            )
            .with_help("it is written by `llemc build-corpus`: build the corpus again")
        })?;
        Ok(file.sites)
    }

    /// The file's text: pretty JSON, sites sorted, a final line break.
    pub fn render(generated_by: String, mut sites: Vec<OpaqueRule>) -> String {
        sites.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let file = ContextSites {
            generated_by,
            sites,
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// How a committed runtime-context file orders its sites.
fn sort_key(s: &OpaqueRule) -> (&str, &str, &str, Option<u32>, &str) {
    (
        &s.native_type,
        &s.miner_source.method,
        &s.source_text,
        s.miner_source.line_at_scan,
        &s.id,
    )
}

/// Counts for one group of sites.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Sites found.
    pub sites: usize,
    /// Translated into rules.
    pub translated: usize,
    /// Left opaque.
    pub opaque: usize,
}

/// The mining report.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Sites found.
    pub sites: usize,
    /// Rules fully translated.
    pub translated: usize,
    /// Sites left opaque.
    pub opaque: usize,
    /// Sites whose condition can never hold.
    pub unreachable: usize,
    /// Sites that gave the same rule as an earlier one.
    pub duplicates: usize,
    /// Rules whose message could only partly be rendered (`…` in the template).
    pub partial_messages: usize,
    /// Per detector.
    pub by_detector: BTreeMap<String, Counts>,
    /// Per landmark (`Class.method`).
    pub by_landmark: BTreeMap<String, Counts>,
    /// Opaque sites per reason.
    pub opaque_reasons: BTreeMap<String, usize>,
    /// Opaque sites whose condition reads the running engine (SSOT `runtime_context:`), per
    /// what they need (`platform`, `model`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub needs_runtime_context: BTreeMap<String, usize>,
    /// Assumptions used (`function: reason`).
    pub assumptions: BTreeMap<String, String>,
}

/// A staging file: what one miner proposes for one engine version, and its report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Staging<R = Report> {
    /// Engine.
    pub engine: String,
    /// Library version.
    pub engine_version: String,
    /// `static_miner`, `lifts` or `dynamic_miner`.
    pub miner: String,
    /// Rules, sorted by id.
    pub rules: Vec<StagedRule>,
    /// Sites left opaque, sorted by id (static miner; the live miners list what they did not
    /// turn into rules in their report).
    pub opaque: Vec<OpaqueRule>,
    /// The miner's report.
    pub report: R,
}

impl<R: Serialize> Staging<R> {
    /// The staging file as JSON (deterministic, ends with a newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A staging file as build-corpus reads it: the envelope, and each rule still unread so that one
/// malformed rule is dropped, not the file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct StagingFile {
    /// Engine.
    pub engine: String,
    /// Library version.
    pub engine_version: String,
    /// The miner that wrote it.
    #[serde(default = "static_miner")]
    pub miner: String,
    /// Rules.
    #[serde(default)]
    pub rules: Vec<Json>,
    /// Opaque sites (counted only).
    #[serde(default)]
    pub opaque: Vec<Json>,
}

impl StagingFile {
    /// Reads a staging file's JSON text; `shown` names it in messages. `E622` when it is not
    /// JSON or not a staging file.
    pub fn parse(shown: &str, text: &str) -> Result<StagingFile, Diagnostic> {
        serde_json::from_str(text).map_err(|e| {
            let what = if e.is_syntax() || e.is_eof() {
                "is not valid JSON"
            } else {
                "is not a staging file"
            };
            Diagnostic::error("E622", format!("`{shown}` {what}: {e}"))
                .with_help("staging files are written by `llemc mine`: run the miner again")
        })
    }

    /// Reads the staging file at `path`; `shown` names it in messages.
    pub fn read(path: &Path, shown: &str) -> Result<StagingFile, Diagnostic> {
        StagingFile::parse(shown, &read_text(path, shown, None)?)
    }

    /// `E623` unless the file is for `engine` `version`.
    pub fn check_for(&self, shown: &str, engine: &str, version: &str) -> Result<(), Diagnostic> {
        let help = "each staging folder holds one engine version: move or re-mine the file";
        if self.engine != engine {
            return Err(Diagnostic::error(
                "E623",
                format!("`{shown}` is for engine `{}`, not `{engine}`", self.engine),
            )
            .with_help(help));
        }
        if self.engine_version != version {
            return Err(Diagnostic::error(
                "E623",
                format!(
                    "`{shown}` is for {engine} {}, not {version}",
                    self.engine_version
                ),
            )
            .with_help(help));
        }
        Ok(())
    }

    /// Each rule, typed, or why it is not a staged rule.
    pub fn typed_rules(&self) -> Vec<Result<StagedRule, String>> {
        self.rules
            .iter()
            .map(|r| serde_json::from_value(r.clone()).map_err(|e| e.to_string()))
            .collect()
    }
}

fn static_miner() -> String {
    AddedBy::StaticMiner.as_str().to_owned()
}

impl Staging {
    /// A readable listing of the rules and opaque sites (for snapshots and humans).
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for r in &self.rules {
            let _ = writeln!(out, "{}  [{}] {}", r.id, r.severity.as_str(), r.native_type);
            let _ = writeln!(out, "  when: {}", r.when);
            if r.stage != Stage::Construct {
                let _ = writeln!(out, "  stage: {}", r.stage.as_str());
            }
            if let Some(s) = &r.subject {
                let _ = writeln!(out, "  subject: {s}");
            }
            let _ = writeln!(out, "  message: {}", r.message_template);
            let (path, method, line) = r.miner_source.as_ref().map_or(("?", "?", None), |m| {
                (m.path.as_str(), m.method.as_str(), m.line_at_scan)
            });
            let _ = writeln!(
                out,
                "  source: {path} {method}:{}  ({} / {})",
                line.map_or_else(|| "?".to_owned(), |l| l.to_string()),
                r.expected_outcome.outcome.as_str(),
                r.expected_outcome.emission_channel.as_str()
            );
            let values = r.expected_outcome.normalised_values();
            if !values.is_empty() {
                let _ = writeln!(
                    out,
                    "  normalised: {}",
                    serde_json::to_string(values).unwrap_or_default()
                );
            }
        }
        for o in &self.opaque {
            let _ = writeln!(
                out,
                "{}  [{} OPAQUE] {}",
                o.id,
                o.severity.as_str(),
                o.native_type
            );
            let _ = writeln!(out, "  reason: {}", o.reason);
            let _ = writeln!(out, "  source_text: {}", o.source_text);
            if let Some(p) = &o.partial_when {
                let _ = writeln!(out, "  partial_when: {p}");
            }
            let _ = writeln!(
                out,
                "  source: {} {}:{}",
                o.miner_source.path,
                o.miner_source.method,
                o.miner_source
                    .line_at_scan
                    .map_or_else(|| "?".to_owned(), |l| l.to_string())
            );
        }
        let _ = writeln!(
            out,
            "report: {}",
            serde_json::to_string(&self.report).unwrap_or_default()
        );
        out
    }
}

//! Reading a corpus file: the envelope, every rule in either shape, and all their problems in
//! one pass.

use super::match_fields::{and_of, field_path, lower_fields};
use super::model::{
    AddedBy, Corpus, EmissionChannel, ExpectedOutcome, MatchField, MinerSource, Outcome, Predicate,
    Rule, RuleSeverity, RuleShape, Spanned, Stage,
};
use super::suggest::{did_you_mean, list_values};
use super::values::{Ctx, head_span};
use super::when::parse_when;
use crate::diagnostic::{Diagnostic, FileId};
use crate::versions::Specifier;
use crate::yaml::{Node, NodeKind, parse_yaml};
use llemc_grammar::ast::{Expr, FieldPath, Span};
use std::collections::HashMap;

/// `severity`: the closed set.
pub const SEVERITIES: [&str; 3] = ["error", "warn", "dormant"];
/// The stages a rule may name.
pub const STAGES: [&str; 3] = ["construct", "validate", "generate"];
/// `expected_outcome.outcome`: the closed set.
pub const OUTCOMES: [&str; 5] = [
    "dormant_silent",
    "dormant_announced",
    "warn",
    "error",
    "pass",
];
/// `expected_outcome.emission_channel`: the closed set.
pub const EMISSION_CHANNELS: [&str; 6] = [
    "warnings_warn",
    "logger_warning",
    "logger_warning_once",
    "minor_issues_dict",
    "none",
    "runtime_exception",
];
/// `added_by` and `cross_validated_by` entries: the format's set plus the v1 loader's
/// `ast_walker` and `introspection`.
pub const ADDED_BY: [&str; 10] = [
    "static_miner",
    "dynamic_miner",
    "pydantic_lift",
    "msgspec_lift",
    "dataclass_lift",
    "manual_seed",
    "runtime_warning",
    "observed_collision",
    "ast_walker",
    "introspection",
];

/// Every rule key the reader knows (others are kept in `extra`).
const RULE_KEYS: [&str; 23] = [
    "id",
    "engine",
    "library",
    "rule_under_test",
    "severity",
    "native_type",
    "miner_source",
    "match",
    "kwargs_positive",
    "kwargs_negative",
    "expected_outcome",
    "message_template",
    "references",
    "added_by",
    "added_at",
    "cross_validated_by",
    "when",
    "subject",
    "versions",
    "provenance",
    "replay_match",
    "stage",
    "observations",
];

/// The keys the v1 shape requires on top of the common ones.
const V1_ONLY: [&str; 4] = [
    "native_type",
    "kwargs_positive",
    "kwargs_negative",
    "expected_outcome",
];

/// Reads a corpus file. Returns the corpus when its envelope is usable (rules with errors are
/// left out of it) and every problem found, errors and warnings, in file order.
pub fn read_corpus(file: FileId, text: &str) -> (Option<Corpus>, Vec<Diagnostic>) {
    let root = match parse_yaml(file, text) {
        Ok(root) => root,
        Err(diagnostic) => return (None, vec![diagnostic]),
    };
    let mut cx = Ctx::new(file, text);
    let corpus = read_envelope(&mut cx, &root);
    let mut diagnostics = cx.diags;
    // File order (the reader checks keys in its own order); stable for equal positions.
    diagnostics.sort_by_key(|d| d.primary.as_ref().map(|p| (p.span.start, p.span.end)));
    (corpus, diagnostics)
}

fn read_envelope(cx: &mut Ctx<'_>, root: &Node) -> Option<Corpus> {
    if root.as_map().is_none() {
        let found = root.kind_name();
        cx.push(
            Diagnostic::error(
                "E200",
                format!("a corpus must be a mapping at the top level, found {found}"),
            )
            .with_primary(cx.file, root.span, format!("this is {found}"))
            .with_help("start the file with `schema_version: 1.0.0`, `engine: ...` and `rules:`"),
        );
        return None;
    }
    let top = Span::new(root.span.start as usize, root.span.start as usize);
    let mut usable = true;

    let schema_version = match root.get("schema_version") {
        None => {
            let d = cx
                .missing(
                    "the corpus",
                    "schema_version",
                    top,
                    "the envelope starts here",
                )
                .with_help("add `schema_version: 1.0.0` at the top of the file");
            cx.push(d);
            None
        }
        Some(node) => cx.version_text("`schema_version`", node),
    };
    let mut supported = true;
    if let Some(version) = &schema_version {
        match semver_major(&version.value) {
            None => {
                cx.push(
                    Diagnostic::error(
                        "E203",
                        format!(
                            "`schema_version` must be a version like `1.0.0`, found `{}`",
                            version.value
                        ),
                    )
                    .with_primary(cx.file, version.span, "not a version number")
                    .with_help("write `schema_version: 1.0.0`"),
                );
                usable = false;
            }
            Some(1) => {}
            Some(major) => {
                cx.push(
                    Diagnostic::error(
                        "E204",
                        format!("unsupported corpus format: major version {major}"),
                    )
                    .with_primary(cx.file, version.span, format!("corpus format {major}"))
                    .with_note("this llemc reads corpus format 1.x")
                    .with_help(
                        "use an llemc that reads this format, or convert the corpus to format 1.x",
                    ),
                );
                supported = false;
            }
        }
    } else {
        usable = false;
    }

    let engine = match root.get("engine") {
        None => {
            let d = cx
                .missing("the corpus", "engine", top, "the envelope starts here")
                .with_help("add `engine: transformers` (or `vllm`, `tensorrt`)");
            cx.push(d);
            None
        }
        Some(node) => cx.nonempty_string("`engine` of the corpus", node),
    };
    usable &= engine.is_some();
    let engine_version = root
        .get("engine_version")
        .and_then(|n| cx.version_text("`engine_version`", n));

    if !supported {
        // Another format: its rules would only produce noise.
        return None;
    }

    let mut rules = Vec::new();
    match root.get("rules") {
        None => {}
        Some(node) => match &node.kind {
            NodeKind::Null => {}
            NodeKind::Seq(items) => {
                rules.reserve(items.len());
                let mut ids: HashMap<String, Span> = HashMap::new();
                for (index, item) in items.iter().enumerate() {
                    if let Some(rule) = read_rule(cx, item, index, engine.as_ref(), &mut ids) {
                        rules.push(rule);
                    }
                }
            }
            _ => cx.wrong_type("`rules`", "a list", node),
        },
    }

    let (Some(schema_version), Some(engine), true) = (schema_version, engine, usable) else {
        return None;
    };
    Some(Corpus {
        file: cx.file,
        schema_version,
        engine,
        engine_version,
        rules,
    })
}

/// The major of a semver-ish version (`1`, `1.0`, `1.0.0`, `1.0.0-rc.1`, `1.0.0+x`).
fn semver_major(text: &str) -> Option<u64> {
    let core = text.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if core.len() < text.len() {
        let rest = text.get(core.len() + 1..).unwrap_or("");
        if rest.is_empty()
            || !rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+')
        {
            return None;
        }
    }
    parts.first()?.parse().ok()
}

/// One rule's keys while it is read: the mapping, how messages name it, and where they point
/// when a key is missing.
struct RuleReader<'n> {
    node: &'n Node,
    owner: String,
    at: Span,
}

/// The identity and shape of a rule, read first.
struct Head {
    id: Option<Spanned<String>>,
    shape: RuleShape,
}

/// The descriptive keys of a rule.
struct Texts {
    engine: Option<Spanned<String>>,
    severity: Option<Spanned<RuleSeverity>>,
    native_type: Option<Spanned<String>>,
    library: Option<Spanned<String>>,
    rule_under_test: Option<Spanned<String>>,
    message_template: Option<Spanned<String>>,
    message_template_offsets: Vec<u32>,
    replay_match: Option<Spanned<String>>,
    stage: Option<Spanned<Stage>>,
    miner_source: Option<MinerSource>,
}

/// The replay examples of a rule and what the library does with them.
struct Examples {
    kwargs_positive: Option<Node>,
    kwargs_negative: Option<Node>,
    expected_outcome: Option<ExpectedOutcome>,
}

/// Where a rule comes from and what it is kept with.
struct Provenance {
    added_by: Option<Spanned<AddedBy>>,
    cross_validated_by: Vec<Spanned<AddedBy>>,
    references: Option<Node>,
    added_at: Option<Node>,
    provenance: Option<Node>,
    observations: Option<Node>,
    subject: Option<Spanned<FieldPath>>,
    versions: Option<Spanned<String>>,
}

/// The predicate of a rule as read: both spellings, as written and lowered.
struct Written {
    match_fields: Vec<MatchField>,
    match_node: Option<Node>,
    when: Option<Expr>,
    when_text: Option<Spanned<String>>,
}

fn read_rule(
    cx: &mut Ctx<'_>,
    node: &Node,
    index: usize,
    envelope_engine: Option<&Spanned<String>>,
    ids: &mut HashMap<String, Span>,
) -> Option<Rule> {
    let Some(entries) = node.as_map() else {
        let found = node.kind_name();
        cx.push(
            Diagnostic::error(
                "E202",
                format!("rule #{} must be a mapping, found {found}", index + 1),
            )
            .with_primary(cx.file, node.span, format!("this is {found}"))
            .with_help(
                "each item of `rules` is a mapping with `id`, `engine`, `severity`, `match`, ...",
            ),
        );
        return None;
    };
    let errors_before = cx.error_count();
    let id = node
        .get("id")
        .and_then(|n| cx.nonempty_string(&format!("`id` of rule #{}", index + 1), n));
    let reader = RuleReader {
        node,
        owner: match &id {
            Some(id) => format!("rule `{}`", id.value),
            None => format!("rule #{}", index + 1),
        },
        at: match &id {
            Some(id) => id.span,
            None => head_span(node),
        },
    };
    let head = reader.head(cx, id, ids);
    let texts = reader.texts(cx, envelope_engine);
    let examples = reader.examples(cx);
    let provenance = reader.provenance(cx);
    let written = reader.predicate(cx, envelope_engine);
    let extra = reader.extra(cx, entries);
    if written.match_fields.is_empty()
        && written.when.is_none()
        && cx.error_count() == errors_before
    {
        cx.push(
            Diagnostic::error(
                "E209",
                format!("empty predicate: {} tests nothing", reader.owner),
            )
            .with_primary(cx.file, reader.at, "in this rule")
            .with_help("add `match.fields` tests or a `when:` predicate"),
        );
    }
    if cx.error_count() > errors_before {
        return None;
    }
    assemble(node, head, texts, examples, provenance, written, extra)
}

impl RuleReader<'_> {
    /// An optional key: an explicit null is the same as leaving the key out.
    fn optional(&self, key: &str) -> Option<&Node> {
        self.node.get(key).filter(|n| !n.is_null())
    }

    fn has(&self, key: &str) -> bool {
        self.node.get_entry(key).is_some()
    }

    /// The id's uniqueness, the shape, and the keys the shape requires.
    fn head(
        &self,
        cx: &mut Ctx<'_>,
        id: Option<Spanned<String>>,
        ids: &mut HashMap<String, Span>,
    ) -> Head {
        if let Some(id) = &id {
            match ids.get(&id.value) {
                Some(&first) => cx.push(
                    Diagnostic::error("E206", format!("duplicate rule id `{}`", id.value))
                        .with_primary(cx.file, id.span, "defined again here")
                        .with_secondary(cx.file, first, "first defined here")
                        .with_help(
                            "rule ids must be unique within a corpus: rename one of the rules",
                        ),
                ),
                None => {
                    ids.insert(id.value.clone(), id.span);
                }
            }
        }
        let shape = if self.has("provenance") || !V1_ONLY.iter().any(|k| self.has(k)) {
            RuleShape::V070
        } else {
            RuleShape::V1
        };
        let unknown_keys: Vec<&str> = self
            .node
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, _)| k.as_str())
            .filter(|k| !RULE_KEYS.contains(k))
            .collect();
        let mut required: Vec<&str> = vec!["id", "engine", "severity"];
        if shape == RuleShape::V1 {
            required.extend(V1_ONLY);
        }
        for key in required {
            if !self.has(key) {
                report_missing(cx, &self.owner, key, self.at, shape, &unknown_keys);
            }
        }
        if !self.has("match") && self.node.get("when").is_none_or(Node::is_null) {
            report_missing(cx, &self.owner, "match", self.at, shape, &unknown_keys);
        }
        Head { id, shape }
    }

    /// A string key of the rule, if given.
    fn text(&self, cx: &mut Ctx<'_>, key: &str) -> Option<Spanned<String>> {
        let owner = &self.owner;
        self.optional(key)
            .and_then(|n| cx.string(&format!("`{key}` of {owner}"), n))
    }

    fn texts(&self, cx: &mut Ctx<'_>, envelope_engine: Option<&Spanned<String>>) -> Texts {
        let owner = &self.owner;
        let engine = self
            .node
            .get("engine")
            .and_then(|n| cx.nonempty_string(&format!("`engine` of {owner}"), n));
        if let (Some(rule_engine), Some(envelope)) = (&engine, envelope_engine) {
            check_engine(cx, owner, "engine", rule_engine, envelope);
        }
        let severity = self
            .node
            .get("severity")
            .and_then(|n| cx.closed_string("severity", owner, n, &SEVERITIES))
            .and_then(|s| Some(Spanned::new(RuleSeverity::parse(&s.value)?, s.span)));
        let native_type = self
            .node
            .get("native_type")
            .and_then(|n| cx.string(&format!("`native_type` of {owner}"), n));
        let library = self.text(cx, "library");
        let rule_under_test = self.text(cx, "rule_under_test");
        let message_template = self.text(cx, "message_template");
        let message_template_offsets = match (&message_template, self.optional("message_template"))
        {
            (Some(_), Some(n)) => crate::yaml::string_offsets(n, cx.source),
            _ => Vec::new(),
        };
        let miner_source = self
            .optional("miner_source")
            .and_then(|n| read_miner_source(cx, n, owner));
        Texts {
            engine,
            severity,
            native_type,
            library,
            rule_under_test,
            message_template,
            message_template_offsets,
            replay_match: self.text(cx, "replay_match"),
            stage: self
                .optional("stage")
                .and_then(|n| cx.closed_string("stage", owner, n, &STAGES))
                .and_then(|s| Some(Spanned::new(Stage::parse(&s.value)?, s.span))),
            miner_source,
        }
    }

    fn examples(&self, cx: &mut Ctx<'_>) -> Examples {
        let owner = &self.owner;
        let kwargs = |cx: &mut Ctx<'_>, key: &str| {
            let n = self.node.get(key)?;
            if n.as_map().is_none() {
                cx.wrong_type(
                    &format!("`{key}` of {owner}"),
                    "a mapping of constructor arguments",
                    n,
                );
                return None;
            }
            Some(n.clone())
        };
        let kwargs_positive = kwargs(cx, "kwargs_positive");
        let kwargs_negative = kwargs(cx, "kwargs_negative");
        let expected_outcome = self
            .node
            .get("expected_outcome")
            .and_then(|n| read_expected_outcome(cx, n, owner));
        Examples {
            kwargs_positive,
            kwargs_negative,
            expected_outcome,
        }
    }

    fn provenance(&self, cx: &mut Ctx<'_>) -> Provenance {
        let owner = &self.owner;
        let added_by = match self.optional("added_by") {
            Some(n) => read_added_by(cx, "added_by", owner, n),
            None => Some(Spanned::new(
                AddedBy::ManualSeed,
                Span::new(self.node.span.start as usize, self.node.span.start as usize),
            )),
        };
        let cross_validated_by = match self.node.get("cross_validated_by") {
            None => Vec::new(),
            Some(n) => match &n.kind {
                NodeKind::Null => Vec::new(),
                NodeKind::Seq(items) => items
                    .iter()
                    .filter_map(|item| read_added_by(cx, "cross_validated_by entry", owner, item))
                    .collect(),
                _ => {
                    cx.wrong_type(&format!("`cross_validated_by` of {owner}"), "a list", n);
                    Vec::new()
                }
            },
        };
        let provenance = match self.optional("provenance") {
            Some(n) if n.as_map().is_none() => {
                cx.wrong_type(&format!("`provenance` of {owner}"), "a mapping", n);
                None
            }
            other => other.cloned(),
        };
        let subject = self.optional("subject").and_then(|n| {
            let text = cx.string(&format!("`subject` of {owner}"), n)?;
            let path = field_path(
                cx,
                text.value.strip_prefix('@').unwrap_or(&text.value),
                n.span,
                "the subject",
            )?;
            Some(Spanned::new(path, n.span))
        });
        let versions = self
            .optional("versions")
            .and_then(|n| read_versions(cx, n, owner));
        Provenance {
            added_by,
            cross_validated_by,
            references: self.optional("references").cloned(),
            added_at: self.optional("added_at").cloned(),
            provenance,
            observations: self.optional("observations").cloned(),
            subject,
            versions,
        }
    }

    /// The predicate: `match.fields`, then `when`.
    fn predicate(&self, cx: &mut Ctx<'_>, envelope_engine: Option<&Spanned<String>>) -> Written {
        let owner = &self.owner;
        let mut written_fields = 0usize;
        let mut match_fields: Vec<MatchField> = Vec::new();
        if let Some(m) = self.node.get("match")
            && let Some(fields) = read_match(cx, m, owner, envelope_engine)
        {
            written_fields = fields.as_map().map(<[_]>::len).unwrap_or(0);
            match_fields = lower_fields(cx, fields, owner);
        }
        let when_node = self.optional("when");
        let when = when_node.and_then(|n| match parse_when(cx.file, cx.source, n, owner) {
            Ok(expr) => Some(expr),
            Err(d) => {
                cx.push(d);
                None
            }
        });
        if written_fields == 0
            && when_node.is_none()
            && let Some((match_key, m)) = self.node.get_entry("match")
        {
            let (at, label) = match m.get_entry("fields") {
                Some((fields_key, _)) => (fields_key.span, "no tests under `fields`"),
                None => (match_key.span, "no `fields` in `match`"),
            };
            cx.push(
                Diagnostic::error("E209", format!("empty predicate: {owner} tests nothing"))
                    .with_primary(cx.file, at, label)
                    .with_note("a rule with an empty predicate would fire on every config")
                    .with_help("add `fields:` tests under `match`, or a `when:` predicate"),
            );
        }
        Written {
            match_fields,
            match_node: self.optional("match").cloned(),
            when_text: when_node
                .and_then(|n| n.as_str().map(|s| Spanned::new(s.to_owned(), n.span))),
            when,
        }
    }

    /// The keys the reader does not know (kept as written), after reporting non-string keys.
    fn extra(&self, cx: &mut Ctx<'_>, entries: &[(Node, Node)]) -> Vec<(Spanned<String>, Node)> {
        let extra = entries
            .iter()
            .filter_map(|(k, v)| {
                let key = k.as_str()?;
                (!RULE_KEYS.contains(&key))
                    .then(|| (Spanned::new(key.to_owned(), k.span), v.clone()))
            })
            .collect();
        for (k, _) in entries {
            if k.as_str().is_none() {
                cx.wrong_type(&format!("a key of {}", self.owner), "a string", k);
            }
        }
        extra
    }
}

/// `added_by` or a `cross_validated_by` entry.
fn read_added_by(
    cx: &mut Ctx<'_>,
    what: &str,
    owner: &str,
    node: &Node,
) -> Option<Spanned<AddedBy>> {
    let text = cx.closed_string(what, owner, node, &ADDED_BY)?;
    Some(Spanned::new(AddedBy::parse(&text.value)?, text.span))
}

/// The rule, when every required piece was read.
fn assemble(
    node: &Node,
    head: Head,
    texts: Texts,
    examples: Examples,
    provenance: Provenance,
    written: Written,
    extra: Vec<(Spanned<String>, Node)>,
) -> Option<Rule> {
    let (Some(id), Some(engine), Some(severity), Some(added_by)) =
        (head.id, texts.engine, texts.severity, provenance.added_by)
    else {
        return None;
    };
    let mut exprs: Vec<Expr> = written
        .match_fields
        .iter()
        .map(|f| f.expr.clone())
        .collect();
    exprs.extend(written.when.clone());
    let span = exprs
        .iter()
        .map(|e| e.span)
        .reduce(Span::to)
        .unwrap_or(node.span);
    let expr = and_of(exprs, span)?;
    Some(Rule {
        id,
        span: node.span,
        shape: head.shape,
        engine,
        severity,
        native_type: texts.native_type,
        library: texts.library,
        rule_under_test: texts.rule_under_test,
        predicate: Predicate {
            match_fields: written.match_fields,
            when: written.when,
            expr,
        },
        when_text: written.when_text,
        match_node: written.match_node,
        subject: provenance.subject,
        message_template: texts.message_template,
        message_template_offsets: texts.message_template_offsets,
        replay_match: texts.replay_match,
        stage: texts.stage,
        kwargs_positive: examples.kwargs_positive,
        kwargs_negative: examples.kwargs_negative,
        expected_outcome: examples.expected_outcome,
        miner_source: texts.miner_source,
        added_by,
        cross_validated_by: provenance.cross_validated_by,
        references: provenance.references,
        added_at: provenance.added_at,
        versions: provenance.versions,
        provenance: provenance.provenance,
        observations: provenance.observations,
        extra,
    })
}

fn report_missing(
    cx: &mut Ctx<'_>,
    owner: &str,
    key: &str,
    at: Span,
    shape: RuleShape,
    unknown: &[&str],
) {
    let mut d = cx.missing(owner, key, at, "in this rule");
    if key == "match" {
        d.message = format!("{owner} has no predicate: it needs `match` (or `when`)");
    }
    if shape == RuleShape::V1 && V1_ONLY.contains(&key) {
        d = d.with_note(
            "this rule has the v1 shape (it has `native_type`, kwargs or `expected_outcome`), which also requires `native_type`, `kwargs_positive`, `kwargs_negative` and `expected_outcome`",
        );
    }
    if let Some(close) = unknown.iter().find(|u| did_you_mean(u, &[key]).is_some()) {
        d = d.with_help(format!(
            "the rule has a key `{close}`: did you mean `{key}`?"
        ));
    }
    cx.push(d);
}

fn check_engine(
    cx: &mut Ctx<'_>,
    owner: &str,
    key: &str,
    value: &Spanned<String>,
    envelope: &Spanned<String>,
) {
    if value.value == envelope.value {
        return;
    }
    cx.push(
        Diagnostic::error(
            "E207",
            format!(
                "{owner} is for engine `{}`, but the corpus is for `{}`",
                value.value, envelope.value
            ),
        )
        .with_primary(cx.file, value.span, format!("`{key}` is `{}`", value.value))
        .with_secondary(cx.file, envelope.span, "the corpus engine")
        .with_help(format!(
            "a corpus holds the rules of one engine: write `{key}: {}`",
            envelope.value
        )),
    );
}

/// Checks `match` and returns its `fields` node (if any).
fn read_match<'n>(
    cx: &mut Ctx<'_>,
    node: &'n Node,
    owner: &str,
    envelope_engine: Option<&Spanned<String>>,
) -> Option<&'n Node> {
    let Some(entries) = node.as_map() else {
        if !node.is_null() {
            cx.wrong_type(&format!("`match` of {owner}"), "a mapping", node);
        }
        return None;
    };
    const MATCH_KEYS: [&str; 2] = ["engine", "fields"];
    for (key, _) in entries {
        match key.as_str() {
            Some(k) if MATCH_KEYS.contains(&k) => {}
            _ => {
                let shown = key
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| key.short_display());
                let mut d = Diagnostic::error(
                    "E215",
                    format!("unknown key `{shown}` in `match` of {owner}"),
                )
                .with_primary(cx.file, key.span, "not a key of `match`")
                .with_note(format!("`match` has the keys {}", list_values(&MATCH_KEYS)));
                if let Some(s) = did_you_mean(&shown, &MATCH_KEYS) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                cx.push(d);
            }
        }
    }
    if let Some(engine) = node
        .get("engine")
        .and_then(|n| cx.nonempty_string(&format!("`match.engine` of {owner}"), n))
        && let Some(envelope) = envelope_engine
    {
        check_engine(cx, owner, "match.engine", &engine, envelope);
    }
    node.get("fields")
}

fn read_miner_source(cx: &mut Ctx<'_>, node: &Node, owner: &str) -> Option<MinerSource> {
    if node.as_map().is_none() {
        cx.wrong_type(&format!("`miner_source` of {owner}"), "a mapping", node);
        return None;
    }
    let path = node
        .get("path")
        .and_then(|n| cx.string(&format!("`miner_source.path` of {owner}"), n));
    let method = node
        .get("method")
        .and_then(|n| cx.string(&format!("`miner_source.method` of {owner}"), n));
    let line = node
        .get("line_at_scan")
        .and_then(|n| cx.integer(&format!("`miner_source.line_at_scan` of {owner}"), n));
    let mut text = |key: &str| {
        node.get(key)
            .and_then(|n| cx.string(&format!("`miner_source.{key}` of {owner}"), n))
    };
    Some(MinerSource {
        path,
        method,
        line,
        module: text("module"),
        class: text("class"),
        field: text("field"),
        cluster: text("cluster"),
    })
}

fn read_expected_outcome(cx: &mut Ctx<'_>, node: &Node, owner: &str) -> Option<ExpectedOutcome> {
    if node.as_map().is_none() {
        cx.wrong_type(&format!("`expected_outcome` of {owner}"), "a mapping", node);
        return None;
    }
    let at = head_span(node);
    let outcome = match node.get("outcome") {
        Some(n) => cx
            .closed_string("outcome", owner, n, &OUTCOMES)
            .and_then(|s| Some(Spanned::new(Outcome::parse(&s.value)?, s.span))),
        None => {
            let d = cx.missing(
                &format!("`expected_outcome` of {owner}"),
                "outcome",
                at,
                "in this mapping",
            );
            cx.push(d);
            None
        }
    };
    let emission_channel = match node.get("emission_channel") {
        Some(n) => cx
            .closed_string("emission_channel", owner, n, &EMISSION_CHANNELS)
            .and_then(|s| Some(Spanned::new(EmissionChannel::parse(&s.value)?, s.span))),
        None => {
            let d = cx.missing(
                &format!("`expected_outcome` of {owner}"),
                "emission_channel",
                at,
                "in this mapping",
            );
            cx.push(d);
            None
        }
    };
    let normalised_fields = match node.get("normalised_fields") {
        Some(n) if !matches!(n.kind, NodeKind::Seq(_) | NodeKind::Map(_) | NodeKind::Null) => {
            cx.wrong_type(
                &format!("`expected_outcome.normalised_fields` of {owner}"),
                "a list or a mapping",
                n,
            );
            None
        }
        other => other.cloned(),
    };
    Some(ExpectedOutcome {
        outcome: outcome?,
        emission_channel: emission_channel?,
        normalised_fields,
    })
}

fn read_versions(cx: &mut Ctx<'_>, node: &Node, owner: &str) -> Option<Spanned<String>> {
    let text = cx.string(&format!("`versions` of {owner}"), node)?;
    match Specifier::parse(&text.value) {
        Ok(_) => Some(text),
        Err(reason) => {
            cx.push(
                Diagnostic::error(
                    "E212",
                    format!("invalid `versions` specifier in {owner}: {reason}"),
                )
                .with_primary(cx.file, node.span, "not a PEP 440 version specifier")
                .with_help("write a specifier such as `>=4.40,<5` or `==4.57.*`"),
            );
            None
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn semver() {
        assert_eq!(semver_major("1.0.0"), Some(1));
        assert_eq!(semver_major("1"), Some(1));
        assert_eq!(semver_major("2.1"), Some(2));
        assert_eq!(semver_major("1.0.0-rc.1"), Some(1));
        assert_eq!(semver_major("1.0.0.0"), None);
        assert_eq!(semver_major("v1"), None);
        assert_eq!(semver_major("1.x"), None);
        assert_eq!(semver_major("1.0.0-"), None);
    }

    fn read(text: &str) -> (Option<Corpus>, Vec<Diagnostic>) {
        read_corpus(FileId(0), text)
    }

    const HEAD: &str = "schema_version: 1.0.0\nengine: vllm\nrules:\n";

    #[test]
    fn minimal_rules_in_both_shapes() {
        let text = format!(
            "{HEAD}- id: a\n  engine: vllm\n  severity: error\n  match:\n    fields:\n      x: 1\n  provenance: {{source: manual}}\n\
             - id: b\n  engine: vllm\n  severity: warn\n  when: x > 1\n  subject: x\n  versions: '>=5'\n"
        );
        let (corpus, diags) = read(&text);
        assert!(diags.is_empty(), "{diags:?}");
        let corpus = corpus.unwrap();
        assert_eq!(corpus.rules.len(), 2);
        assert_eq!(corpus.rules[0].shape, RuleShape::V070);
        assert_eq!(corpus.rules[1].added_by.value, AddedBy::ManualSeed);
        assert!(corpus.rules[1].predicate.when.is_some());
        assert_eq!(
            corpus.rules[1].subject.as_ref().unwrap().value.dotted(),
            "x"
        );
    }

    #[test]
    fn match_and_when_are_anded() {
        let text = format!(
            "{HEAD}- id: a\n  engine: vllm\n  severity: error\n  match: {{fields: {{x: 1, y: {{present: true}}}}}}\n  when: z > 2\n"
        );
        let (corpus, diags) = read(&text);
        assert!(diags.is_empty(), "{diags:?}");
        let rule = &corpus.unwrap().rules[0];
        let llemc_grammar::ast::ExprKind::And(items) = &rule.predicate.expr.kind else {
            panic!()
        };
        assert_eq!(items.len(), 3);
        assert_eq!(&text[items[2].span.range()], "z > 2");
    }

    #[test]
    fn envelope_problems() {
        let (c, d) = read("- a\n");
        assert!(c.is_none());
        assert_eq!(d[0].code, "E200");
        let (c, d) = read("engine: 3\nrules: {}\n");
        assert!(c.is_none());
        let codes: Vec<_> = d.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["E201", "E202", "E202"]);
        let (c, d) = read("schema_version: 2.0.0\nengine: vllm\n");
        assert!(c.is_none());
        assert_eq!(d[0].code, "E204");
        assert!(d[0].notes[0].contains("this llemc reads corpus format 1.x"));
        let (c, d) = read("schema_version: 1.0\nengine: vllm\nrules:\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.unwrap().schema_version.value, "1.0");
    }
}

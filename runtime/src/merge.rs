//! One finding per library behaviour.
//!
//! Several rules can describe one thing the library does: transformers 5.x reports `temperature`
//! with `do_sample: false` as a minor issue of `validate()` (a dormant rule) *and* logs "The
//! following generation flags are not valid" about it (a warn rule); the static and the dynamic
//! miner can both find one `raise`. Two rules describe the same behaviour when they are about the
//! same native type and have the same message template, or the same subject field and read the
//! same fields ([`same_behaviour`]). Their findings are merged into one, of the strongest severity
//! (error, then warn, then dormant; the first rule in program order among equals), carrying the
//! others in [`Finding::merged`]. `llem config check` and `llem sweep check` count and show
//! merged findings.

use crate::findings::Finding;
use crate::loaded::LoadedProgram;
use llemc_compiler::ir::RuleIr;

/// Whether two rules describe the same library behaviour: about the same native type, and
/// either with the same message template (one message source, mined twice) or with the same
/// subject field and the same fields read.
pub fn same_behaviour(a: &RuleIr, b: &RuleIr) -> bool {
    let same_message = !a.message.parts.is_empty() && a.message == b.message;
    let same_site = a.subject.is_some() && a.subject == b.subject && a.reads == b.reads;
    a.native_type == b.native_type && (same_message || same_site)
}

impl LoadedProgram {
    /// Per rule, the index of the first rule (in program order) that describes the same library
    /// behaviour: equal indices, one finding.
    pub fn behaviour_groups(&self) -> Vec<usize> {
        let rules = &self.program().rules;
        rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                rules
                    .iter()
                    .take(i)
                    .position(|earlier| same_behaviour(earlier, rule))
                    .unwrap_or(i)
            })
            .collect()
    }

    /// Merges `findings` (in program order) with [`merge_findings`] over this program's groups.
    pub fn merged(&self, findings: Vec<Finding>) -> Vec<Finding> {
        merge_findings(&self.behaviour_groups(), findings)
    }
}

/// Merges the findings whose rules share a group (`groups` from
/// [`LoadedProgram::behaviour_groups`]): one finding per group, in the order of each group's
/// first finding; the strongest one leads and holds the others, in program order.
pub fn merge_findings(groups: &[usize], findings: Vec<Finding>) -> Vec<Finding> {
    let group_of = |f: &Finding| groups.get(f.rule).copied().unwrap_or(f.rule);
    let mut buckets: Vec<(usize, Vec<Finding>)> = Vec::new();
    for finding in findings {
        let group = group_of(&finding);
        match buckets.iter_mut().find(|(g, _)| *g == group) {
            Some((_, members)) => members.push(finding),
            None => buckets.push((group, vec![finding])),
        }
    }
    buckets
        .into_iter()
        .filter_map(|(_, mut members)| {
            // `min_by_key` keeps the first of equals; `RuleSeverity` orders error < warn < dormant.
            let lead = members
                .iter()
                .enumerate()
                .min_by_key(|(_, f)| f.severity)
                .map(|(i, _)| i)?;
            let mut lead = members.remove(lead);
            lead.merged.extend(members);
            Some(lead)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use llemc_compiler::corpus::RuleSeverity;
    use llemc_compiler::value::Value;

    fn finding(rule: usize, severity: RuleSeverity) -> Finding {
        Finding {
            rule,
            id: format!("r{rule}"),
            severity,
            subject: Some(0),
            declared_value: Value::Null,
            effective_value: None,
            from_default: false,
            message: String::new(),
            merged: Vec::new(),
        }
    }

    #[test]
    fn the_strongest_leads_and_keeps_the_others() {
        // rules 0 and 2 are one behaviour, rule 1 another
        let groups = [0, 1, 0];
        let merged = merge_findings(
            &groups,
            vec![
                finding(0, RuleSeverity::Dormant),
                finding(1, RuleSeverity::Dormant),
                finding(2, RuleSeverity::Warn),
            ],
        );
        let ids: Vec<&str> = merged.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["r2", "r1"]);
        assert_eq!(merged[0].severity, RuleSeverity::Warn);
        assert_eq!(merged[0].merged.len(), 1);
        assert_eq!(merged[0].merged[0].id, "r0");
        assert!(merged[1].merged.is_empty());
    }

    #[test]
    fn equals_keep_program_order() {
        let merged = merge_findings(
            &[0, 0],
            vec![
                finding(0, RuleSeverity::Error),
                finding(1, RuleSeverity::Error),
            ],
        );
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].id, "r0");
        assert_eq!(merged[0].merged[0].id, "r1");
    }
}

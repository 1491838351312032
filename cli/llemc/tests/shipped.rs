//! The corpora `llem` ships are exactly the versions the SSOT supports, the default first.
#![allow(clippy::unwrap_used)]

use llem::shipped::CORPORA;
use llemc_compiler::diagnostic::SourceMap;
use llemc_mining::ssot::read_ssot;

#[test]
fn shipped_versions_follow_the_source_of_truth() {
    let text = include_str!("../../../engine_versions/transformers.yaml");
    let mut sources = SourceMap::new();
    let file = sources.add("transformers.yaml", text);
    let Ok(ssot) = read_ssot(file, text) else {
        unreachable!("the SSOT reads")
    };
    let shipped: Vec<&str> = CORPORA
        .iter()
        .filter(|c| c.engine == "transformers")
        .map(|c| c.version)
        .collect();
    let supported: Vec<&str> = ssot.versions.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(shipped, supported);
    assert_eq!(
        shipped.first().copied(),
        Some(ssot.default_version.as_str())
    );
}

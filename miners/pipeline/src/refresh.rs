//! `llemc refresh ENGINE`: the step plan of the whole compile-time pipeline, for every supported
//! version in order: venv, source, static miner, lifts, dynamic miner, build-corpus, gate,
//! fixpoint; then the generated docs. Each step is one `llemc` invocation (one live library
//! version per process); the command runs them.

/// One step: what it is called and the `llemc` arguments that run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// For progress lines and errors, e.g. `gate (transformers 5.14.1)`.
    pub name: String,
    /// The `llemc` arguments.
    pub args: Vec<String>,
    /// Whether the step reads the engine's SSOT (and so takes `--ssot` when one is given).
    pub reads_ssot: bool,
}

impl Step {
    fn new(name: String, args: Vec<String>, reads_ssot: bool) -> Step {
        Step {
            name,
            args,
            reads_ssot,
        }
    }
}

/// The steps that refresh `engine` for `versions`, in the order they run.
pub fn plan(engine: &str, versions: &[String]) -> Vec<Step> {
    let mut all = Vec::new();
    for version in versions {
        let v = version.as_str();
        let name = |step: &str| format!("{step} ({engine} {v})");
        let target = format!("{engine}@{v}");
        let each = ["--engine", engine, "--version", v];
        let with = |command: &[&'static str]| -> Vec<String> {
            command
                .iter()
                .chain(each.iter())
                .map(|a| (*a).to_owned())
                .collect()
        };
        let venv = vec!["env".to_owned(), "ensure".to_owned(), target];
        all.push(Step::new(name("venv"), venv, true));
        all.push(Step::new(name("source"), with(&["mine", "source"]), true));
        all.push(Step::new(
            name("static miner"),
            with(&["mine", "static"]),
            true,
        ));
        all.push(Step::new(name("lifts"), with(&["mine", "lifts"]), true));
        all.push(Step::new(
            name("dynamic miner"),
            with(&["mine", "dynamic"]),
            true,
        ));
        all.push(Step::new(
            name("build-corpus"),
            with(&["build-corpus"]),
            false,
        ));
        all.push(Step::new(name("gate"), with(&["validate"]), false));
        all.push(Step::new(name("fixpoint"), with(&["fixpoint"]), true));
    }
    all.push(Step::new(
        format!("docs ({engine})"),
        vec!["docs".to_owned(), "--engine".to_owned(), engine.to_owned()],
        true,
    ));
    all
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_version_in_order_then_the_docs() {
        let steps = plan("e", &["1.0".to_owned(), "2.0".to_owned()]);
        let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), 17);
        assert_eq!(names[0], "venv (e 1.0)");
        assert_eq!(names[7], "fixpoint (e 1.0)");
        assert_eq!(names[8], "venv (e 2.0)");
        assert_eq!(names[16], "docs (e)");
        assert_eq!(
            steps[6].args,
            ["validate", "--engine", "e", "--version", "1.0"]
        );
        assert_eq!(steps[0].args, ["env", "ensure", "e@1.0"]);
        let without_ssot: Vec<&str> = steps
            .iter()
            .filter(|s| !s.reads_ssot)
            .map(|s| s.args[0].as_str())
            .collect();
        assert_eq!(
            without_ssot,
            ["build-corpus", "validate", "build-corpus", "validate"]
        );
    }
}

//! What to run: the experiment (config, model, native kwargs, prompts, warmup) and where its
//! model comes from.

use crate::error::HarnessError;
use crate::hash::{canonical, config_hash};
use crate::prompts;
use crate::warmup::WarmupConfig;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The GPUs a run uses (and measures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gpus {
    /// None: the worker runs on the CPU.
    None,
    /// Every GPU of the machine.
    All,
    /// These GPUs, by NVML index (PCI bus order, as `nvidia-smi` numbers them).
    Devices(Vec<u32>),
}

/// Where the model comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    /// A directory holding the model (`save_pretrained` output).
    Path(PathBuf),
    /// A Hugging Face model id, taken from the local Hugging Face cache; never downloaded.
    Hub(String),
}

impl ModelSource {
    /// The config's `model` value: a directory when `relative_to.join(model)` is one (made
    /// absolute), else a Hugging Face id.
    pub fn from_written(model: &str, relative_to: &Path) -> ModelSource {
        let candidate = relative_to.join(model);
        if candidate.is_dir() {
            ModelSource::Path(std::path::absolute(&candidate).unwrap_or(candidate))
        } else {
            ModelSource::Hub(model.to_owned())
        }
    }
}

/// One experiment, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// Names the run in its result (default: the config hash).
    pub experiment_id: String,
    /// The checked experiment config as JSON, keys sorted, with `engine_version` set to the
    /// version whose rules checked it.
    pub config: Value,
    /// [`config_hash`] of `config`: keys a result directory, and studies resume by it.
    pub config_hash: String,
    /// The file the config was read from, for the result.
    pub config_path: Option<PathBuf>,
    /// The engine (`transformers`).
    pub engine: String,
    /// The engine version whose rules checked the config.
    pub engine_version: String,
    /// `model` as written in the config.
    pub model_name: String,
    /// Where the worker loads the model from.
    pub model: ModelSource,
    /// The engine key's sections (`{"generation": {...}}`): the native kwargs per section.
    pub native: Map<String, Value>,
    /// The measured prompts (default: [`prompts::builtin`]).
    pub prompts: Vec<String>,
    /// Prompts per `generate()` call (default 1).
    pub batch_size: usize,
    /// Warmup (default: 5 iterations).
    pub warmup: WarmupConfig,
    /// Seed (default 0).
    pub seed: u64,
}

impl Experiment {
    /// An experiment from a config that `llem config check` accepted, converted to JSON (YAML
    /// mappings to objects, scalars to their JSON values), checked against the rules of
    /// `engine_version`. Reads `engine`, `model` and the engine's sections; a `model` naming
    /// an existing directory (relative to the current directory) is loaded from there, anything
    /// else is a Hugging Face id.
    pub fn from_config(config: &Value, engine_version: &str) -> Result<Experiment, HarnessError> {
        let object = config.as_object().ok_or_else(|| {
            HarnessError::Spec("the experiment config is not a mapping".to_owned())
        })?;
        let text = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| HarnessError::Spec(format!("the config has no `{key}` string")))
        };
        let engine = text("engine")?;
        let model_name = text("model")?;
        let native = match object.get(&engine) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(sections)) => sections.clone(),
            Some(_) => {
                return Err(HarnessError::Spec(format!(
                    "`{engine}` must be a mapping of sections"
                )));
            }
        };
        let mut filled = object.clone();
        filled.insert(
            "engine_version".to_owned(),
            Value::String(engine_version.to_owned()),
        );
        let config = canonical(&Value::Object(filled));
        let config_hash = config_hash(&config);
        Ok(Experiment {
            experiment_id: config_hash.clone(),
            config,
            config_hash,
            config_path: None,
            model: ModelSource::from_written(&model_name, Path::new(".")),
            model_name,
            engine,
            engine_version: engine_version.to_owned(),
            native,
            prompts: prompts::builtin(),
            batch_size: 1,
            warmup: WarmupConfig::default(),
            seed: 0,
        })
    }

    /// What makes this experiment impossible to run, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.prompts.is_empty() {
            return Some("there are no prompts to measure".to_owned());
        }
        if self.batch_size == 0 {
            return Some("the batch size must be at least 1".to_owned());
        }
        if let Some((name, _)) = self
            .native
            .iter()
            .find(|(_, kwargs)| !matches!(kwargs, Value::Object(_) | Value::Null))
        {
            return Some(format!("section `{name}` must be a mapping of kwargs"));
        }
        if let ModelSource::Path(dir) = &self.model
            && !dir.is_dir()
        {
            return Some(format!(
                "the model directory `{}` does not exist",
                dir.display()
            ));
        }
        self.warmup.problem()
    }

    /// The native kwargs with empty sections (`generation:`) as empty mappings.
    pub fn native_kwargs(&self) -> Map<String, Value> {
        self.native
            .iter()
            .map(|(name, kwargs)| {
                let kwargs = match kwargs {
                    Value::Null => Value::Object(Map::new()),
                    other => canonical(other),
                };
                (name.clone(), kwargs)
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_checked_config() {
        let config = json!({
            "engine": "transformers",
            "model": "gpt2-like/not-a-directory",
            "transformers": {"generation": {"max_new_tokens": 8, "do_sample": false}, "quantization": null}
        });
        let experiment = Experiment::from_config(&config, "5.14.1").unwrap();
        assert_eq!(experiment.engine, "transformers");
        assert_eq!(experiment.engine_version, "5.14.1");
        assert_eq!(
            experiment.model,
            ModelSource::Hub("gpt2-like/not-a-directory".to_owned())
        );
        assert_eq!(experiment.config["engine_version"], json!("5.14.1"));
        assert_eq!(experiment.experiment_id, experiment.config_hash);
        assert_eq!(
            Value::Object(experiment.native_kwargs()),
            json!({"generation": {"do_sample": false, "max_new_tokens": 8}, "quantization": {}})
        );
        assert_eq!(experiment.problem(), None);
        // Writing the default engine version or not gives the same hash.
        let mut explicit = config.clone();
        explicit["engine_version"] = json!("5.14.1");
        assert_eq!(
            Experiment::from_config(&explicit, "5.14.1")
                .unwrap()
                .config_hash,
            experiment.config_hash
        );
    }

    #[test]
    fn a_model_directory_is_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().to_str().unwrap();
        let config = json!({"engine": "transformers", "model": model});
        let experiment = Experiment::from_config(&config, "5.14.1").unwrap();
        assert_eq!(
            experiment.model,
            ModelSource::Path(dir.path().to_path_buf())
        );
        assert!(experiment.native.is_empty());
    }

    #[test]
    fn unusable_configs_and_experiments() {
        assert!(Experiment::from_config(&json!([1]), "1").is_err());
        let no_model = Experiment::from_config(&json!({"engine": "transformers"}), "1");
        assert!(no_model.is_err_and(|e| e.to_string().contains("`model`")));
        let mut experiment =
            Experiment::from_config(&json!({"engine": "transformers", "model": "m"}), "1").unwrap();
        experiment.batch_size = 0;
        assert!(
            experiment
                .problem()
                .is_some_and(|p| p.contains("batch size"))
        );
        experiment.batch_size = 1;
        experiment.prompts.clear();
        assert!(
            experiment
                .problem()
                .is_some_and(|p| p.contains("no prompts"))
        );
        experiment.prompts.push("hello".to_owned());
        experiment
            .native
            .insert("generation".to_owned(), json!([1]));
        assert!(
            experiment
                .problem()
                .is_some_and(|p| p.contains("`generation`"))
        );
        experiment.native.clear();
        experiment.model = ModelSource::Path(PathBuf::from("/nonexistent/model"));
        assert!(
            experiment
                .problem()
                .is_some_and(|p| p.contains("does not exist"))
        );
    }
}

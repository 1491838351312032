//! The Docker runner: the worker in a container of the engine's image, through the Docker API
//! (bollard). The exchange directory is bind-mounted, GPUs are requested when the run uses
//! them, logs are streamed, and the container is removed however the run ends. Images are never
//! pulled: the image must already be on the machine.
//!
//! bollard is asynchronous; this runner drives it on a single-threaded tokio runtime of its own,
//! so that its interface, like the rest of the harness, is synchronous.

use super::lines::LineBuffer;
use super::{Launch, OutputLine};
use crate::error::HarnessError;
use crate::exchange::{REQUEST_FILE, WORKER_FILE};
use crate::spec::{Gpus, ModelSource};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::errors::Error as DockerError;
use bollard::models::{ContainerCreateBody, DeviceRequest, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

/// Where the exchange directory appears inside the container.
pub const CONTAINER_EXCHANGE: &str = "/llemc/exchange";

/// Where a model directory appears inside the container.
pub const CONTAINER_MODEL: &str = "/llemc/model";

/// Where the host's Hugging Face hub cache appears inside the container.
pub const CONTAINER_HF_HUB: &str = "/llemc/hf-hub";

/// The label every llemc container carries, with the run's exchange directory name as value.
pub const RUN_LABEL: &str = "llemc.run";

/// How often the runner looks at the cancel token.
const TICK: Duration = Duration::from_millis(100);

/// A host directory made visible in the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindMount {
    /// The directory (or file) on the host.
    pub host: PathBuf,
    /// Where it appears in the container.
    pub container: String,
    /// Whether the container may only read it.
    pub read_only: bool,
}

impl BindMount {
    fn spec(&self) -> String {
        let mode = if self.read_only { "ro" } else { "rw" };
        format!("{}:{}:{mode}", self.host.display(), self.container)
    }
}

/// Runs the worker in a container of a local image.
#[derive(Clone, Debug, PartialEq)]
pub struct DockerRunner {
    /// The engine's image (never pulled; it must be on the machine).
    pub image: String,
    /// The Python interpreter inside the image (default `python3`).
    pub python: String,
    /// More bind mounts (a venv, a dataset).
    pub mounts: Vec<BindMount>,
    /// Labels for the container, besides [`RUN_LABEL`].
    pub labels: BTreeMap<String, String>,
    /// The container's network (default `none`: nothing can be downloaded).
    pub network: String,
    /// The host's Hugging Face hub cache, mounted read-only for models given by id (default:
    /// `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`).
    pub hf_hub_cache: Option<PathBuf>,
}

/// The model as a containerised worker sees it.
pub(crate) fn model_for_worker(model: &ModelSource) -> String {
    match model {
        ModelSource::Path(_) => CONTAINER_MODEL.to_owned(),
        ModelSource::Hub(id) => id.clone(),
    }
}

/// The host's Hugging Face hub cache, where the usual variables say it is.
fn default_hf_hub_cache() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("HF_HUB_CACHE")
        .or_else(|| var("HF_HOME").map(|home| home.join("hub")))
        .or_else(|| var("HOME").map(|home| home.join(".cache").join("huggingface").join("hub")))
}

impl DockerRunner {
    /// A runner for `image` with the defaults.
    pub fn new(image: impl Into<String>) -> Self {
        DockerRunner {
            image: image.into(),
            python: "python3".to_owned(),
            mounts: Vec::new(),
            labels: BTreeMap::new(),
            network: "none".to_owned(),
            hf_hub_cache: default_hf_hub_cache(),
        }
    }

    pub(crate) fn launch(
        &self,
        launch: &Launch<'_>,
        on_line: &mut dyn FnMut(OutputLine),
    ) -> Result<Option<i64>, HarnessError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| HarnessError::Docker(format!("cannot start the async runtime: {e}")))?;
        runtime.block_on(self.run(launch, on_line))
    }

    async fn run(
        &self,
        launch: &Launch<'_>,
        on_line: &mut dyn FnMut(OutputLine),
    ) -> Result<Option<i64>, HarnessError> {
        let docker = connect().await?;
        if let Err(e) = docker.inspect_image(&self.image).await {
            return Err(match e {
                DockerError::DockerResponseServerError {
                    status_code: 404, ..
                } => HarnessError::Docker(format!(
                    "image `{}` is not on this machine; llemc never pulls images: build or load \
                     it first",
                    self.image
                )),
                other => failed(&format!("inspect image `{}`", self.image), other),
            });
        }
        let name = launch
            .exchange
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| HarnessError::Spec("the exchange directory has no name".to_owned()))?;
        let options = CreateContainerOptionsBuilder::new().name(&name).build();
        let created = docker
            .create_container(Some(options), self.container(launch, &name))
            .await
            .map_err(|e| failed("create the container", e))?;
        // From here on the container exists: whatever happens, it is removed.
        let outcome = drive(&docker, &created.id, launch, on_line).await;
        let removed = remove(&docker, &created.id).await;
        let code = outcome?;
        removed?;
        Ok(code)
    }

    /// The container's configuration.
    fn container(&self, launch: &Launch<'_>, name: &str) -> ContainerCreateBody {
        let mut binds = vec![
            BindMount {
                host: launch.exchange.to_path_buf(),
                container: CONTAINER_EXCHANGE.to_owned(),
                read_only: false,
            }
            .spec(),
        ];
        let mut env: Vec<String> = launch.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        env.push(format!("HOME={CONTAINER_EXCHANGE}"));
        // The container runs as the caller's uid, which the image's /etc/passwd may not know;
        // Python's getpass (torch asks it for cache directory names) then falls back on these.
        env.push("USER=llemc".to_owned());
        env.push("LOGNAME=llemc".to_owned());
        match launch.model {
            ModelSource::Path(dir) => binds.push(
                BindMount {
                    host: dir.clone(),
                    container: CONTAINER_MODEL.to_owned(),
                    read_only: true,
                }
                .spec(),
            ),
            ModelSource::Hub(_) => {
                if let Some(cache) = self.hf_hub_cache.as_ref().filter(|dir| dir.is_dir()) {
                    binds.push(
                        BindMount {
                            host: cache.clone(),
                            container: CONTAINER_HF_HUB.to_owned(),
                            read_only: true,
                        }
                        .spec(),
                    );
                    env.push(format!("HF_HUB_CACHE={CONTAINER_HF_HUB}"));
                }
            }
        }
        binds.extend(self.mounts.iter().map(BindMount::spec));
        let device_requests = match launch.gpus {
            Gpus::None => None,
            Gpus::All => Some(vec![gpu_request(Some(-1), None)]),
            Gpus::Devices(list) => Some(vec![gpu_request(
                None,
                Some(list.iter().map(u32::to_string).collect()),
            )]),
        };
        let mut labels: HashMap<String, String> = self
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.insert(RUN_LABEL.to_owned(), name.to_owned());
        let uid = rustix::process::getuid().as_raw();
        let gid = rustix::process::getgid().as_raw();
        ContainerCreateBody {
            image: Some(self.image.clone()),
            cmd: Some(vec![
                self.python.clone(),
                format!("{CONTAINER_EXCHANGE}/{WORKER_FILE}"),
                format!("{CONTAINER_EXCHANGE}/{REQUEST_FILE}"),
            ]),
            working_dir: Some(CONTAINER_EXCHANGE.to_owned()),
            env: Some(env),
            // Files the worker writes in the exchange directory belong to the caller.
            user: Some(format!("{uid}:{gid}")),
            labels: Some(labels),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            host_config: Some(HostConfig {
                binds: Some(binds),
                device_requests,
                network_mode: Some(self.network.clone()),
                auto_remove: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

fn gpu_request(count: Option<i64>, device_ids: Option<Vec<String>>) -> DeviceRequest {
    DeviceRequest {
        driver: Some("nvidia".to_owned()),
        count,
        device_ids,
        capabilities: Some(vec![vec!["gpu".to_owned()]]),
        ..Default::default()
    }
}

fn failed(what: &str, error: DockerError) -> HarnessError {
    HarnessError::Docker(format!("cannot {what}: {error}"))
}

/// Connects to the local daemon and agrees on an API version it speaks.
async fn connect() -> Result<Docker, HarnessError> {
    let reach = |e: DockerError| {
        HarnessError::Docker(format!(
            "cannot reach the Docker daemon ({e}); is it running, and is DOCKER_HOST right?"
        ))
    };
    let docker = Docker::connect_with_local_defaults().map_err(reach)?;
    docker.negotiate_version().await.map_err(reach)
}

/// Starts the container, streams its logs until it stops, and returns its exit status. Stops
/// early with an error on timeout or cancellation (the caller removes the container, which
/// kills it).
async fn drive(
    docker: &Docker,
    id: &str,
    launch: &Launch<'_>,
    on_line: &mut dyn FnMut(OutputLine),
) -> Result<Option<i64>, HarnessError> {
    docker
        .start_container(id, None)
        .await
        .map_err(|e| failed("start the container", e))?;
    let options = LogsOptionsBuilder::new()
        .follow(true)
        .stdout(true)
        .stderr(true)
        .build();
    let mut logs = docker.logs(id, Some(options));
    let deadline = tokio::time::sleep(launch.timeout);
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(TICK);
    let mut stdout = LineBuffer::default();
    let mut stderr = LineBuffer::default();
    loop {
        tokio::select! {
            item = logs.next() => match item {
                Some(Ok(LogOutput::StdOut { message })) => {
                    stdout.push(&message).into_iter().for_each(|l| on_line(OutputLine::Stdout(l)));
                }
                Some(Ok(LogOutput::StdErr { message })) => {
                    stderr.push(&message).into_iter().for_each(|l| on_line(OutputLine::Stderr(l)));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(failed("read the container's logs", e)),
                None => break,
            },
            () = &mut deadline => return Err(HarnessError::Timeout(launch.timeout)),
            _ = tick.tick() => {
                if launch.cancel.is_cancelled() {
                    return Err(HarnessError::Interrupted);
                }
            }
        }
    }
    if let Some(line) = stdout.finish() {
        on_line(OutputLine::Stdout(line));
    }
    if let Some(line) = stderr.finish() {
        on_line(OutputLine::Stderr(line));
    }
    let mut wait = docker.wait_container(id, None);
    match wait.next().await {
        Some(Ok(response)) => Ok(Some(response.status_code)),
        Some(Err(DockerError::DockerContainerWaitError { code, .. })) => Ok(Some(code)),
        Some(Err(e)) => Err(failed("wait for the container", e)),
        None => Err(HarnessError::Docker(
            "the daemon did not report the container's exit status".to_owned(),
        )),
    }
}

/// Removes the container (killing it if it still runs) and its anonymous volumes.
async fn remove(docker: &Docker, id: &str) -> Result<(), HarnessError> {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        // Already gone.
        Err(DockerError::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(failed(&format!("remove container {id}"), e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::cancel::CancelToken;
    use std::path::Path;

    #[test]
    fn container_configuration() {
        let mut runner = DockerRunner::new("llemc/transformers:5.14.1");
        runner.mounts.push(BindMount {
            host: PathBuf::from("/opt/venv"),
            container: "/opt/venv".to_owned(),
            read_only: true,
        });
        runner
            .labels
            .insert("llemc.test".to_owned(), "1".to_owned());
        let model = ModelSource::Path(PathBuf::from("/models/tiny"));
        let cancel = CancelToken::new();
        let env = vec![("HF_HUB_OFFLINE".to_owned(), "1".to_owned())];
        let gpus = Gpus::Devices(vec![1, 3]);
        let launch = Launch {
            exchange: Path::new("/tmp/llemc-run-abc"),
            model: &model,
            gpus: &gpus,
            env: &env,
            timeout: Duration::from_secs(60),
            cancel: &cancel,
        };
        let body = runner.container(&launch, "llemc-run-abc");
        assert_eq!(body.image.as_deref(), Some("llemc/transformers:5.14.1"));
        assert_eq!(
            body.cmd.unwrap(),
            vec![
                "python3",
                "/llemc/exchange/llemc_worker.py",
                "/llemc/exchange/request.json"
            ]
        );
        let env = body.env.unwrap();
        assert!(env.contains(&"HF_HUB_OFFLINE=1".to_owned()));
        assert!(env.contains(&"HOME=/llemc/exchange".to_owned()));
        let labels = body.labels.unwrap();
        assert_eq!(labels["llemc.run"], "llemc-run-abc");
        assert_eq!(labels["llemc.test"], "1");
        let host = body.host_config.unwrap();
        assert_eq!(
            host.binds.unwrap(),
            vec![
                "/tmp/llemc-run-abc:/llemc/exchange:rw",
                "/models/tiny:/llemc/model:ro",
                "/opt/venv:/opt/venv:ro"
            ]
        );
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        let requests = host.device_requests.unwrap();
        assert_eq!(
            requests[0].device_ids,
            Some(vec!["1".to_owned(), "3".to_owned()])
        );
        assert_eq!(requests[0].capabilities, Some(vec![vec!["gpu".to_owned()]]));
        assert_eq!(model_for_worker(&model), "/llemc/model");
    }
}

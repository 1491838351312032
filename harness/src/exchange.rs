//! The run's exchange directory: a private temporary directory holding the worker script and its
//! request, shared with the worker (bind-mounted into a container), removed when the run ends.

use crate::error::HarnessError;
use crate::protocol::WorkerRequest;
use std::path::Path;
use tempfile::TempDir;

/// The worker, embedded in the binary and written into every exchange directory.
pub const WORKER_SOURCE: &str = include_str!("../worker/llemc_worker.py");

/// The worker's file name in the exchange directory.
pub const WORKER_FILE: &str = "llemc_worker.py";

/// The request's file name in the exchange directory.
pub const REQUEST_FILE: &str = "request.json";

/// The prefix of every exchange directory's name (`llemc-run-XXXXXX`).
pub const EXCHANGE_PREFIX: &str = "llemc-run-";

/// A run's exchange directory. Dropping it removes it; [`Exchange::close`] does the same and
/// reports a failure.
#[derive(Debug)]
pub struct Exchange {
    dir: TempDir,
}

impl Exchange {
    /// Creates an empty exchange directory under `root` (default: the system's temporary
    /// directory).
    pub fn create(root: Option<&Path>) -> Result<Exchange, HarnessError> {
        let root = root.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let dir = tempfile::Builder::new()
            .prefix(EXCHANGE_PREFIX)
            .tempdir_in(&root)
            .map_err(|e| HarnessError::io("create an exchange directory in", &root, e))?;
        Ok(Exchange { dir })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the worker and `request` into the directory.
    pub fn write(&self, request: &WorkerRequest) -> Result<(), HarnessError> {
        let worker = self.path().join(WORKER_FILE);
        std::fs::write(&worker, WORKER_SOURCE)
            .map_err(|e| HarnessError::io("write the worker", &worker, e))?;
        let path = self.path().join(REQUEST_FILE);
        let text = serde_json::to_string_pretty(request).map_err(|e| {
            HarnessError::Spec(format!("the request cannot be written as JSON: {e}"))
        })?;
        std::fs::write(&path, text).map_err(|e| HarnessError::io("write the request", &path, e))
    }

    /// Removes the directory and everything in it.
    pub fn close(self) -> Result<(), HarnessError> {
        let path = self.dir.path().to_path_buf();
        self.dir
            .close()
            .map_err(|e| HarnessError::io("remove the exchange directory", path, e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::protocol::{PROTOCOL_VERSION, WarmupRequest};

    #[test]
    fn writes_worker_and_request_and_removes_them() {
        let root = tempfile::tempdir().unwrap();
        let exchange = Exchange::create(Some(root.path())).unwrap();
        let request = WorkerRequest {
            protocol_version: PROTOCOL_VERSION,
            engine: "transformers".to_owned(),
            model: "/models/tiny".to_owned(),
            native: serde_json::Map::new(),
            prompts: vec!["hi".to_owned()],
            batch_size: 1,
            warmup: WarmupRequest {
                iterations: 1,
                convergence: None,
            },
            seed: 0,
            device: "cpu".to_owned(),
        };
        exchange.write(&request).unwrap();
        let dir = exchange.path().to_path_buf();
        assert!(
            dir.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(EXCHANGE_PREFIX)
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(WORKER_FILE)).unwrap(),
            WORKER_SOURCE
        );
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(REQUEST_FILE)).unwrap())
                .unwrap();
        assert_eq!(written["protocol_version"], PROTOCOL_VERSION);
        assert_eq!(written["warmup"]["convergence"], serde_json::Value::Null);
        exchange.close().unwrap();
        assert!(!dir.exists());
    }

    #[test]
    fn the_worker_speaks_this_protocol_version() {
        assert!(WORKER_SOURCE.contains(&format!("PROTOCOL_VERSION = {PROTOCOL_VERSION}\n")));
    }
}

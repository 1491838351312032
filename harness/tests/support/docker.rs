//! Docker helpers for the tests: an image built from what the machine has, a runner for it,
//! and the check that no container is left.

use super::{entries, python};
use llemc_harness::{BindMount, DockerRunner, RunOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The image the tests build.
pub const IMAGE: &str = "llemc-test/host-python:1";

pub fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs");
    assert!(
        output.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Builds [`IMAGE`] once (a root filesystem of empty mount points and the `/bin`, `/lib`,
/// `/lib64`, `/sbin` links into `/usr` that Debian uses) unless it is already there.
pub fn image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let present = Command::new("docker")
            .args(["image", "inspect", IMAGE])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("the docker CLI runs")
            .success();
        if present {
            return;
        }
        let rootfs = tempfile::tempdir().unwrap();
        for dir in ["usr", "tmp", "etc", "root", "proc", "sys", "dev", "llemc"] {
            std::fs::create_dir(rootfs.path().join(dir)).unwrap();
        }
        for (link, target) in [
            ("bin", "usr/bin"),
            ("lib", "usr/lib"),
            ("lib64", "usr/lib64"),
            ("sbin", "usr/sbin"),
        ] {
            std::os::unix::fs::symlink(target, rootfs.path().join(link)).unwrap();
        }
        let chmod = Command::new("chmod")
            .args(["1777", "tmp"])
            .current_dir(rootfs.path())
            .status()
            .unwrap();
        assert!(chmod.success());
        let mut tar = Command::new("tar")
            .args(["-C", rootfs.path().to_str().unwrap(), "-c", "."])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let import = Command::new("docker")
            .args(["import", "--change", "LABEL llemc.test.image=1", "-", IMAGE])
            .stdin(tar.stdout.take().unwrap())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(tar.wait().unwrap().success());
        assert!(import.success(), "docker import failed");
    });
    IMAGE
}

/// The directories the test Python needs, outermost only: `/usr` (shared libraries), its
/// prefix and base prefix, and every directory on its `sys.path` (a venv may see a shared
/// install through a `.pth` file).
pub fn python_mounts(python: &Path) -> Vec<BindMount> {
    let output = Command::new(python)
        .args([
            "-c",
            "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix] + sys.path))",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let listed: Vec<String> = serde_json::from_slice(&output.stdout).unwrap();
    let mut dirs: Vec<PathBuf> = listed
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir())
        .chain([PathBuf::from("/usr")])
        .collect();
    dirs.sort_by_key(|p| p.components().count());
    let mut outermost: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        if !outermost.iter().any(|kept| dir.starts_with(kept)) {
            outermost.push(dir);
        }
    }
    outermost
        .into_iter()
        .map(|dir| BindMount {
            container: dir.display().to_string(),
            host: dir,
            read_only: true,
        })
        .collect()
}

/// A runner for [`IMAGE`] with the test Python mounted, its containers labelled for `test`.
pub fn runner(test: &str) -> DockerRunner {
    let python = python();
    let mut runner = DockerRunner::new(image());
    runner.python = python.display().to_string();
    runner.mounts = python_mounts(&python);
    runner
        .labels
        .insert("llemc.test".to_owned(), test.to_owned());
    runner
}

/// Containers (running or not) labelled for `test`.
pub fn containers(test: &str) -> String {
    docker(&["ps", "-aq", "--filter", &format!("label=llemc.test={test}")])
}

pub struct Scratch {
    pub exchange_root: tempfile::TempDir,
    pub output: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            exchange_root: tempfile::tempdir().unwrap(),
            output: tempfile::tempdir().unwrap(),
        }
    }

    pub fn options(&self) -> RunOptions {
        let mut options = RunOptions::new(self.output.path().join("run"));
        options.exchange_root = Some(self.exchange_root.path().to_path_buf());
        options
    }

    /// Nothing left: no container, no exchange directory, no result.
    pub fn assert_clean(&self, test: &str) {
        assert_eq!(containers(test), "", "containers left behind");
        assert!(
            entries(self.exchange_root.path()).is_empty(),
            "exchange directory left behind"
        );
    }
}

//! The one way llemc writes a file it generates (artifacts, corpora, staging files, docs):
//! the bytes go to a temporary file beside the target, which is then renamed over it, so a
//! reader never sees a half-written file and a failed write leaves the old file in place.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating the parent folders first.
pub fn write_atomically(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    write_synced(&tmp, bytes.as_ref())
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

/// Writes and flushes `bytes` to disk before the rename makes them visible.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Writes several files so that either all of them are replaced or, when one cannot be written,
/// none is (every temporary file is written before the first rename).
pub fn write_all_atomically(files: &[(&Path, &[u8])]) -> std::io::Result<()> {
    let mut temps = Vec::with_capacity(files.len());
    let mut result = Ok(());
    for (path, bytes) in files {
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            result = Err(e);
            break;
        }
        if let Err(e) = write_synced(&tmp, bytes) {
            result = Err(e);
            break;
        }
        temps.push(tmp);
    }
    if result.is_ok() {
        for ((path, _), tmp) in files.iter().zip(&temps) {
            if let Err(e) = std::fs::rename(tmp, path) {
                result = Err(e);
                break;
            }
        }
    }
    for tmp in &temps {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("llemc-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_the_file_and_leaves_no_temporary_behind() {
        let dir = scratch("one");
        let path = dir.join("nested/out.txt");
        write_atomically(&path, "hello").unwrap();
        write_atomically(&path, "again").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "again");
        let names: Vec<_> = std::fs::read_dir(dir.join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn several_files_are_all_written() {
        let dir = scratch("many");
        let (a, b) = (dir.join("a.json"), dir.join("b.yaml"));
        write_all_atomically(&[(&a, b"1"), (&b, b"2")]).unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "1");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "2");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

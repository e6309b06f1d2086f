//! Writing files so that a crash or power cut leaves either the old content
//! or the new, never a torn mix: the spool, its state, the policy cache and
//! the agent's key and certificate all go through here.
//!
//! The recipe is the classic one: write a temporary file beside the target
//! (same folder, so the rename cannot cross file systems), fsync it, rename
//! it over the target, then fsync the folder so the rename itself is on
//! disk. Temporary files are hidden and end in [`TMP_SUFFIX`], so a folder
//! scan can recognise and remove the leftovers of a crash.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Ends the name of every temporary file made here.
pub const TMP_SUFFIX: &str = ".tmp";

/// `dir/.name.tmp` for `dir/name`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{TMP_SUFFIX}"))
}

/// Replaces `path` with `bytes` atomically and durably. `mode` sets the
/// permissions of the new file (on Unix) before any byte is written, so a
/// private key is never readable by others, not even for a moment.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let tmp = tmp_path(path);
    let result = write_synced(&tmp, bytes, mode).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Writes and fsyncs a new file (replacing any old one at `path`).
pub fn write_synced(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    // `mode` only applies when the file is created; a stale temporary file
    // left with wider permissions is narrowed here.
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the entries of `dir` (renames, removals) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// True for a temporary file of [`write_atomic`] (a crash's leftover when
/// found while nothing is writing).
pub fn is_tmp(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(TMP_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(&path, b"one", None).unwrap();
        write_atomic(&path, b"two", None).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["state.json"]);
        assert!(is_tmp(
            tmp_path(&path).file_name().unwrap().to_str().unwrap()
        ));
    }

    #[cfg(unix)]
    #[test]
    fn private_files_get_their_mode_even_over_a_stale_temporary() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.key");
        fs::write(tmp_path(&path), b"stale").unwrap();
        fs::set_permissions(tmp_path(&path), fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"secret", Some(0o600)).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

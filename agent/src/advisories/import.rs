//! Reading OSV records out of an import `PATH`: a single record (`*.json`),
//! an OSV zip export (`all.zip`, one JSON file per record), or a folder of
//! either, walked recursively.
//!
//! Everything is bounded: a record or zip entry may hold at most
//! [`MAX_RECORD_BYTES`] once decompressed (the size a zip header claims is
//! not trusted: reading stops one byte past the limit), a zip at most
//! [`MAX_ZIP_ENTRIES`] entries, a folder walk [`MAX_DEPTH`] levels, and
//! symbolic links are not followed. A zip whose central directory is lost
//! (a truncated download) is read entry by entry from its start up to
//! where it stops.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The most one record may hold, decompressed: the largest OSV records
/// (kernel advisories listing every version) are a few MiB.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;
/// The most entries read from one zip.
pub const MAX_ZIP_ENTRIES: usize = 5_000_000;
/// How deep a folder is walked.
pub const MAX_DEPTH: usize = 16;

/// What one `import` call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// Records written (new, or newer than the one they replaced).
    pub imported: u64,
    /// Of `imported`, records that replaced an older one with the same id.
    pub replaced: u64,
    /// Records left out because the index already holds a newer
    /// `modified` of the same id.
    pub older: u64,
    /// Records with no affected package in an ecosystem Trustwatch
    /// assesses.
    pub skipped: u64,
    /// Records the publisher withdrew (any older copy is removed).
    pub withdrawn: u64,
    /// Records or entries that could not be read (each is also a problem).
    pub invalid: u64,
    /// Imported and withdrawn records per assessed ecosystem (`Debian:12`).
    pub ecosystems: BTreeMap<String, EcosystemCounts>,
    /// Ecosystems not assessed, with the number of records naming them.
    pub unassessed: BTreeMap<String, u64>,
    /// One sentence per thing that could not be read or was left out,
    /// naming the file (and zip entry).
    pub problems: Vec<String>,
}

/// Counts for one assessed ecosystem.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EcosystemCounts {
    pub imported: u64,
    pub withdrawn: u64,
}

/// One record's bytes and where they came from (`FILE` or `FILE (entry E)`).
pub(crate) struct Found<'a> {
    pub label: &'a str,
    pub bytes: &'a [u8],
}

/// Reads every record under `path`, handing each to `sink`, and returns
/// the SHA-256 of the input (of the file; for a folder, of the list of its
/// files' paths and digests). `None` when the path could not be read at
/// all (a problem says why). Only `sink`'s own errors stop the walk.
pub(crate) fn read_path<E>(
    path: &Path,
    sink: &mut dyn FnMut(Found<'_>) -> Result<(), E>,
    problems: &mut Vec<String>,
    invalid: &mut u64,
) -> Result<Option<String>, E> {
    let shown = path.display().to_string();
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            problems.push(format!("{shown}: cannot be read: {e}"));
            return Ok(None);
        }
    };
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, 0, &mut files, problems);
        files.sort();
        let mut listing = Sha256::new();
        for file in &files {
            let digest = read_file(file, sink, problems, invalid)?;
            let rel = file.strip_prefix(path).unwrap_or(file);
            listing.update(rel.to_string_lossy().as_bytes());
            listing.update(b"\0");
            listing.update(digest.as_deref().unwrap_or("unreadable").as_bytes());
            listing.update(b"\n");
        }
        Ok(Some(hex::encode(listing.finalize())))
    } else {
        read_file(path, sink, problems, invalid)
    }
}

/// Collects `*.json` and `*.zip` files under `dir`, not following links.
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    if depth >= MAX_DEPTH {
        problems.push(format!(
            "{}: deeper than {MAX_DEPTH} folders; not read",
            dir.display()
        ));
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("{}: cannot be listed: {e}", dir.display()));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, depth + 1, out, problems),
            Ok(t) if t.is_file() && is_input(&path) => out.push(path),
            _ => {}
        }
    }
}

fn is_input(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json") | Some("zip")
    )
}

/// One file: a zip (by its magic number, whatever its name) or one record.
fn read_file<E>(
    path: &Path,
    sink: &mut dyn FnMut(Found<'_>) -> Result<(), E>,
    problems: &mut Vec<String>,
    invalid: &mut u64,
) -> Result<Option<String>, E> {
    let shown = path.display().to_string();
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("{shown}: cannot be read: {e}"));
            return Ok(None);
        }
    };
    let mut magic = [0u8; 4];
    let is_zip = file.read_exact(&mut magic).is_ok() && magic == *b"PK\x03\x04";
    if is_zip {
        let digest = match digest_file(&mut file) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{shown}: cannot be read: {e}"));
                return Ok(None);
            }
        };
        read_zip(&shown, file, sink, problems, invalid)?;
        return Ok(Some(digest));
    }
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_RECORD_BYTES {
        *invalid += 1;
        problems.push(format!(
            "{shown}: {size} bytes, more than the {MAX_RECORD_BYTES} a record may hold; skipped"
        ));
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(size as usize);
    let read = file.rewind().and_then(|_| {
        (&mut file)
            .take(MAX_RECORD_BYTES + 1)
            .read_to_end(&mut bytes)
    });
    if let Err(e) = read {
        problems.push(format!("{shown}: cannot be read: {e}"));
        return Ok(None);
    }
    let digest = hex::encode(Sha256::digest(&bytes));
    sink(Found {
        label: &shown,
        bytes: &bytes,
    })?;
    Ok(Some(digest))
}

fn digest_file(file: &mut File) -> io::Result<String> {
    file.rewind()?;
    let mut hasher = Sha256::new();
    io::copy(file, &mut hasher)?;
    file.rewind()?;
    Ok(hex::encode(hasher.finalize()))
}

/// Every `*.json` entry of a zip.
fn read_zip<E>(
    shown: &str,
    file: File,
    sink: &mut dyn FnMut(Found<'_>) -> Result<(), E>,
    problems: &mut Vec<String>,
    invalid: &mut u64,
) -> Result<(), E> {
    let mut reader = BufReader::new(file);
    let mut archive = match zip::ZipArchive::new(&mut reader) {
        Ok(a) => a,
        Err(e) => {
            problems.push(format!(
                "{shown}: the zip's central directory cannot be read ({e}); its entries were read in order up to where the file stops"
            ));
            if let Err(e) = reader.rewind() {
                problems.push(format!("{shown}: cannot be read: {e}"));
                return Ok(());
            }
            return read_zip_stream(shown, &mut reader, sink, problems, invalid);
        }
    };
    let count = archive.len().min(MAX_ZIP_ENTRIES);
    if archive.len() > MAX_ZIP_ENTRIES {
        problems.push(format!(
            "{shown}: {} entries, more than the {MAX_ZIP_ENTRIES} read; the rest were skipped",
            archive.len()
        ));
    }
    for i in 0..count {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                *invalid += 1;
                problems.push(format!("{shown} (entry #{i}): cannot be read: {e}"));
                continue;
            }
        };
        if entry.is_dir() || !entry.name().ends_with(".json") {
            continue;
        }
        let name = entry.name().to_owned();
        let label = format!("{shown} (entry {name})");
        if let Some(bytes) = read_entry(&label, entry.size(), &mut entry, problems, invalid) {
            sink(Found {
                label: &label,
                bytes: &bytes,
            })?;
        }
    }
    Ok(())
}

/// A zip without its central directory, from its local headers.
fn read_zip_stream<E, R: Read>(
    shown: &str,
    reader: &mut R,
    sink: &mut dyn FnMut(Found<'_>) -> Result<(), E>,
    problems: &mut Vec<String>,
    invalid: &mut u64,
) -> Result<(), E> {
    for i in 0..MAX_ZIP_ENTRIES {
        let mut entry = match zip::read::read_zipfile_from_stream(reader) {
            Ok(Some(e)) => e,
            // The central directory: nothing after it is an entry.
            Ok(None) => return Ok(()),
            Err(e) => {
                *invalid += 1;
                problems.push(format!(
                    "{shown} (entry #{i}): the file stops or is damaged here: {e}"
                ));
                return Ok(());
            }
        };
        if entry.is_dir() || !entry.name().ends_with(".json") {
            // Drain it so the next header is in place.
            if io::copy(&mut entry, &mut io::sink()).is_err() {
                return Ok(());
            }
            continue;
        }
        let label = format!("{shown} (entry {})", entry.name());
        let claimed = entry.size();
        match read_entry(&label, claimed, &mut entry, problems, invalid) {
            Some(bytes) => sink(Found {
                label: &label,
                bytes: &bytes,
            })?,
            // The entry's data is cut short: the stream's position is lost.
            None => return Ok(()),
        }
    }
    Ok(())
}

/// One entry's bytes, at most [`MAX_RECORD_BYTES`] whatever its header says.
fn read_entry(
    label: &str,
    claimed: u64,
    entry: &mut impl Read,
    problems: &mut Vec<String>,
    invalid: &mut u64,
) -> Option<Vec<u8>> {
    let too_large = |n: u64| {
        format!("{label}: {n} bytes uncompressed, more than the {MAX_RECORD_BYTES} a record may hold; skipped")
    };
    if claimed > MAX_RECORD_BYTES {
        *invalid += 1;
        problems.push(too_large(claimed));
        return None;
    }
    let mut bytes = Vec::with_capacity(claimed as usize);
    if let Err(e) = entry.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes) {
        *invalid += 1;
        problems.push(format!("{label}: cannot be decompressed: {e}"));
        return None;
    }
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        *invalid += 1;
        problems.push(too_large(bytes.len() as u64));
        return None;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(path: &Path) -> (Vec<String>, Vec<String>, Option<String>) {
        let mut labels = Vec::new();
        let mut problems = Vec::new();
        let mut invalid = 0;
        let digest = read_path::<()>(
            path,
            &mut |f: Found<'_>| {
                labels.push(f.label.to_owned());
                Ok(())
            },
            &mut problems,
            &mut invalid,
        )
        .unwrap();
        (labels, problems, digest)
    }

    #[test]
    fn a_folder_is_walked_for_json_and_zip_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/one.json"), "{}").unwrap();
        fs::write(root.join("two.json"), "{}").unwrap();
        fs::write(root.join("notes.txt"), "not a record").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("a/loop")).unwrap();
        let (labels, problems, digest) = collect(root);
        let names: Vec<_> = labels
            .iter()
            .map(|l| {
                Path::new(l)
                    .strip_prefix(root)
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["a/b/one.json", "two.json"]);
        assert!(problems.is_empty(), "{problems:?}");
        // The folder's digest changes with any file's content.
        fs::write(root.join("two.json"), "{ }").unwrap();
        assert_ne!(collect(root).2, digest);
    }

    #[test]
    fn a_missing_path_is_a_problem_not_an_error() {
        let (labels, problems, digest) = collect(Path::new("/nonexistent/osv.zip"));
        assert!(labels.is_empty() && digest.is_none());
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("/nonexistent/osv.zip: cannot be read"),
            "{problems:?}"
        );
    }
}

//! The advisory index: a compact SQLite file (or an in-memory database)
//! holding what matching needs from each OSV record and nothing more
//! (no `details`, no references).
//!
//! Tables:
//! - `meta`: `format_version`, `created_at`, `import_id` (one more per
//!   import), `imported_at`.
//! - `sources`: every input imported, with its SHA-256 and record count.
//! - `advisories`: id, published, modified (text and nanoseconds, for
//!   ordering), summary, record-level rating, CVSS score and vector, CVEs.
//! - `affected`: one row per affected package in an assessed ecosystem:
//!   the ecosystem key (`Debian:12`), the OSV ecosystem as written, the
//!   package name, the `ECOSYSTEM` ranges as compact JSON
//!   (`[["i:0","f:1.2-3"]]`: `i` introduced, `f` fixed, `l` last_affected,
//!   `x` limit), the explicit `versions` as JSON, and a per-package rating
//!   and CVSS score where the publisher gives one per package.
//!   Indexed by (ecosystem, package).
//!
//! A record id imported again replaces the stored one unless the stored
//! one has a newer `modified`. Each input is imported in one transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_rules::observe::packages::DataSource;

use super::ecosystem::EcosystemKey;
#[cfg(test)]
use super::import::MAX_RECORD_BYTES;
use super::import::{read_path, Found, ImportSummary};
use super::osv::{Event, Record};
use super::severity::{affected_cvss, affected_rating, record_severity};
use super::AdvisoryError;

/// The index's own format; an index of another format is refused rather
/// than misread.
pub const FORMAT_VERSION: u32 = 1;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources (
    import_id INTEGER NOT NULL, path TEXT NOT NULL, sha256 TEXT,
    imported_at TEXT NOT NULL, records INTEGER NOT NULL);
CREATE TABLE advisories (
    id TEXT PRIMARY KEY, published TEXT, modified TEXT, modified_ns INTEGER,
    summary TEXT, rating TEXT, cvss_score REAL, cvss_vector TEXT,
    cves TEXT NOT NULL);
CREATE TABLE affected (
    advisory TEXT NOT NULL, ecosystem TEXT NOT NULL, osv_ecosystem TEXT NOT NULL,
    package TEXT NOT NULL, ranges TEXT NOT NULL, versions TEXT NOT NULL, rating TEXT,
    cvss_score REAL, cvss_vector TEXT);
CREATE INDEX affected_package ON affected (ecosystem, package);
CREATE INDEX affected_advisory ON affected (advisory);
";

/// An advisory index, on disk or in memory.
pub struct Index {
    pub(super) conn: Connection,
    /// The file, folder or `builtin` it was made from, for reports.
    path: String,
}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index").field("path", &self.path).finish()
    }
}

impl Index {
    /// Creates the index file, or opens an existing one to import more
    /// into it. A file that exists and is not a Trustwatch index is refused,
    /// never overwritten.
    pub fn create(path: &Path) -> Result<Index, AdvisoryError> {
        let shown = path.display().to_string();
        let fresh = std::fs::metadata(path)
            .map(|m| m.len() == 0)
            .unwrap_or(true);
        if !fresh && !is_sqlite(path) {
            return Err(AdvisoryError::NotAnIndex { path: shown });
        }
        let conn = Connection::open(path).map_err(sqlite(&shown))?;
        let index = Index { conn, path: shown };
        if fresh {
            index.init()?;
        } else {
            index.check_format()?;
        }
        Ok(index)
    }

    /// Opens an index file read-only, for assessment.
    pub fn open(path: &Path) -> Result<Index, AdvisoryError> {
        let shown = path.display().to_string();
        if !is_sqlite(path) {
            if let Err(e) = std::fs::metadata(path) {
                return Err(AdvisoryError::Io {
                    path: shown,
                    source: e,
                });
            }
            return Err(AdvisoryError::NotAnIndex { path: shown });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite(&shown))?;
        let index = Index { conn, path: shown };
        index.check_format()?;
        Ok(index)
    }

    /// An empty index in memory.
    pub fn in_memory() -> Result<Index, AdvisoryError> {
        let conn = Connection::open_in_memory().map_err(sqlite(":memory:"))?;
        let index = Index {
            conn,
            path: ":memory:".into(),
        };
        index.init()?;
        Ok(index)
    }

    /// What `--advisories PATH` names: an index file (opened read-only), or
    /// raw OSV data (a record, a folder, a zip) imported into memory, whose
    /// import summary is returned for its problems.
    pub fn load(path: &Path) -> Result<(Index, Option<ImportSummary>), AdvisoryError> {
        // A path that is not there is a mistake in the command or config,
        // not advisory data with no records: refuse it before the scan.
        if let Err(source) = std::fs::metadata(path) {
            return Err(AdvisoryError::Io {
                path: path.display().to_string(),
                source,
            });
        }
        if path.is_file() && is_sqlite(path) {
            return Ok((Index::open(path)?, None));
        }
        let mut index = Index::in_memory()?;
        let summary = index.import(&[path.to_path_buf()])?;
        index.path = path.display().to_string();
        Ok((index, Some(summary)))
    }

    /// The curated records built into the agent (`--advisories builtin`).
    pub fn bundled() -> Result<Index, AdvisoryError> {
        let mut index = Index::in_memory()?;
        index.path = "builtin".into();
        let summary = index.import_with("builtin", |sink, _problems, _invalid| {
            let mut all = Sha256::new();
            for (name, text) in super::bundled::BUNDLED {
                let label = format!("builtin ({name})");
                sink(Found {
                    label: &label,
                    bytes: text.as_bytes(),
                })?;
                all.update(name.as_bytes());
                all.update(b"\0");
                all.update(Sha256::digest(text.as_bytes()));
            }
            Ok(Some(hex::encode(all.finalize())))
        })?;
        // The bundled records are tested; a problem here is a build defect.
        debug_assert!(summary.problems.is_empty(), "{:?}", summary.problems);
        Ok(index)
    }

    /// Imports each input (a record, a folder, a zip), each in one
    /// transaction. Bad records are problems in the summary; only the
    /// database itself failing is an error.
    pub fn import(&mut self, inputs: &[PathBuf]) -> Result<ImportSummary, AdvisoryError> {
        let mut summary = ImportSummary::default();
        for input in inputs {
            let one = self
                .import_with(&input.display().to_string(), |sink, problems, invalid| {
                    read_path(input, sink, problems, invalid)
                })?;
            merge(&mut summary, one);
        }
        Ok(summary)
    }

    /// Imports what `read` finds as one source, in one transaction.
    fn import_with<F>(&mut self, label: &str, read: F) -> Result<ImportSummary, AdvisoryError>
    where
        F: FnOnce(
            &mut dyn FnMut(Found<'_>) -> rusqlite::Result<()>,
            &mut Vec<String>,
            &mut u64,
        ) -> rusqlite::Result<Option<String>>,
    {
        let shown = self.path.clone();
        let err = sqlite(&shown);
        let mut summary = ImportSummary {
            inputs: vec![label.to_owned()],
            ..ImportSummary::default()
        };
        let now = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let tx = self.conn.transaction().map_err(&err)?;
        let import_id: i64 = tx
            .query_row(
                "SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'import_id'",
                [],
                |r| r.get(0),
            )
            .map_err(&err)?;
        let mut read_problems = Vec::new();
        let mut invalid = 0;
        let mut unassessed: BTreeMap<String, u64> = BTreeMap::new();
        let digest = {
            let mut sink = |found: Found<'_>| ingest(&tx, found, &mut summary, &mut unassessed);
            read(&mut sink, &mut read_problems, &mut invalid).map_err(&err)?
        };
        summary.invalid += invalid;
        let mut problems = read_problems;
        problems.append(&mut summary.problems);
        for (ecosystem, records) in &unassessed {
            problems.push(format!(
                "{label}: ecosystem {ecosystem:?} is not one Trustwatch assesses; its entries in {records} record{} were skipped",
                if *records == 1 { "" } else { "s" }
            ));
        }
        summary.problems = problems;
        summary.unassessed = unassessed;
        tx.execute(
            "INSERT INTO sources (import_id, path, sha256, imported_at, records) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![import_id, label, digest, now, summary.imported as i64],
        )
        .map_err(&err)?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'import_id'",
            [import_id.to_string()],
        )
        .map_err(&err)?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'imported_at'",
            [&now],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(summary)
    }

    /// The index as a report's data source: `version` is the index format
    /// and import id, `date` the newest `modified` among its advisories,
    /// `sha256` the input's digest (one input) or the digest of the
    /// `sha256  path` lines of all inputs, sorted (several).
    pub fn data_source(&self) -> DataSource {
        let meta = |key: &str| -> Option<String> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .ok()
        };
        let date: Option<String> = self
            .conn
            .query_row(
                "SELECT modified FROM advisories WHERE modified_ns IS NOT NULL ORDER BY modified_ns DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .ok();
        let records = self.records().ok();
        let sources: Vec<(String, Option<String>)> = self
            .conn
            .prepare("SELECT path, sha256 FROM sources ORDER BY import_id, path")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()
            })
            .unwrap_or_default();
        let sha256 = match sources.as_slice() {
            [] => None,
            [(_, one)] => one.clone(),
            many => {
                let mut lines: Vec<String> = many
                    .iter()
                    .map(|(p, s)| format!("{}  {p}\n", s.as_deref().unwrap_or("-")))
                    .collect();
                lines.sort();
                Some(hex::encode(Sha256::digest(lines.concat().as_bytes())))
            }
        };
        DataSource {
            kind: "advisories".into(),
            path: self.path.clone(),
            version: Some(format!(
                "osv-index-{}+import-{}",
                meta("format_version").unwrap_or_else(|| FORMAT_VERSION.to_string()),
                meta("import_id").unwrap_or_else(|| "0".into())
            )),
            date,
            records,
            sha256,
        }
    }

    /// How many advisories the index holds.
    pub fn records(&self) -> Result<u64, AdvisoryError> {
        self.conn
            .query_row("SELECT count(*) FROM advisories", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(sqlite(&self.path))
    }

    /// The file, folder or `builtin` the index was made from.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn init(&self) -> Result<(), AdvisoryError> {
        let now = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        self.conn
            .execute_batch(SCHEMA)
            .and_then(|_| {
                let mut insert = self
                    .conn
                    .prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
                for (k, v) in [
                    ("format_version", FORMAT_VERSION.to_string()),
                    ("created_at", now.clone()),
                    ("import_id", "0".into()),
                    ("imported_at", now),
                ] {
                    insert.execute([k, &v])?;
                }
                Ok(())
            })
            .map_err(sqlite(&self.path))
    }

    fn check_format(&self) -> Result<(), AdvisoryError> {
        let found: Option<String> = match self.conn.query_row(
            "SELECT value FROM meta WHERE key = 'format_version'",
            [],
            |r| r.get(0),
        ) {
            Ok(v) => Some(v),
            Err(rusqlite::Error::QueryReturnedNoRows) => None,
            // No meta table: some other SQLite file.
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => None,
            Err(e) => return Err(sqlite(&self.path)(e)),
        };
        match found {
            None => Err(AdvisoryError::NotAnIndex {
                path: self.path.clone(),
            }),
            Some(v) if v == FORMAT_VERSION.to_string() => Ok(()),
            Some(v) => Err(AdvisoryError::Format {
                path: self.path.clone(),
                found: v,
                expected: FORMAT_VERSION,
            }),
        }
    }
}

/// One record into the index.
fn ingest(
    tx: &Transaction<'_>,
    found: Found<'_>,
    summary: &mut ImportSummary,
    unassessed: &mut BTreeMap<String, u64>,
) -> rusqlite::Result<()> {
    let record = match Record::from_slice(found.bytes) {
        Ok(r) => r,
        Err(e) => {
            summary.invalid += 1;
            summary.problems.push(format!(
                "{}: record is not valid OSV JSON: {e}",
                found.label
            ));
            return Ok(());
        }
    };
    let modified_ns = record.modified.as_deref().and_then(nanos);
    let stored: Option<Option<i64>> = tx
        .prepare_cached("SELECT modified_ns FROM advisories WHERE id = ?1")?
        .query_row([&record.id], |r| r.get(0))
        .optional()?;
    // A missing `modified` orders first, so any dated copy wins over it.
    if let Some(old) = stored {
        if old.unwrap_or(i64::MIN) > modified_ns.unwrap_or(i64::MIN) {
            summary.older += 1;
            return Ok(());
        }
    }

    let mut rows = Vec::new();
    let mut names_unassessed = BTreeSet::new();
    for affected in &record.affected {
        let Some(package) = &affected.package else {
            continue;
        };
        match EcosystemKey::parse(&package.ecosystem) {
            Some(key) => rows.push((key, package, affected)),
            None => {
                names_unassessed.insert(package.ecosystem.clone());
            }
        }
    }
    for ecosystem in names_unassessed {
        *unassessed.entry(ecosystem).or_default() += 1;
    }
    let keys: BTreeSet<String> = rows.iter().map(|(k, _, _)| k.to_string()).collect();

    if stored.is_some() {
        tx.prepare_cached("DELETE FROM affected WHERE advisory = ?1")?
            .execute([&record.id])?;
        tx.prepare_cached("DELETE FROM advisories WHERE id = ?1")?
            .execute([&record.id])?;
    }
    if record.withdrawn.is_some() {
        summary.withdrawn += 1;
        for key in keys {
            summary.ecosystems.entry(key).or_default().withdrawn += 1;
        }
        return Ok(());
    }
    if rows.is_empty() {
        summary.skipped += 1;
        return Ok(());
    }

    let severity = record_severity(&record);
    let cves = serde_json::to_string(&record.cves()).unwrap_or_else(|_| "[]".into());
    tx.prepare_cached(
        "INSERT INTO advisories (id, published, modified, modified_ns, summary, rating, cvss_score, cvss_vector, cves)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        record.id,
        record.published,
        record.modified,
        modified_ns,
        record.summary,
        severity.rating,
        severity.cvss_score,
        severity.cvss_vector,
        cves
    ])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO affected (advisory, ecosystem, osv_ecosystem, package, ranges, versions, rating, cvss_score, cvss_vector)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (key, package, affected) in &rows {
        let ranges: Vec<Vec<String>> = affected
            .ranges
            .iter()
            .filter(|r| r.kind == "ECOSYSTEM" && !r.events.is_empty())
            .map(|r| r.events.iter().filter_map(encode_event).collect())
            .collect();
        let (cvss_score, cvss_vector) = affected_cvss(affected).unzip();
        insert.execute(params![
            record.id,
            key.to_string(),
            package.ecosystem,
            package.name,
            serde_json::to_string(&ranges).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&affected.versions).unwrap_or_else(|_| "[]".into()),
            affected_rating(affected),
            cvss_score,
            cvss_vector,
        ])?;
    }
    summary.imported += 1;
    if stored.is_some() {
        summary.replaced += 1;
    }
    for key in keys {
        summary.ecosystems.entry(key).or_default().imported += 1;
    }
    Ok(())
}

/// `i:0`, `f:1.2-3`, `l:…`, `x:…`: the kind, a colon, the version (which
/// may hold colons of its own; only the first one separates).
fn encode_event(event: &Event) -> Option<String> {
    let (tag, version) = if let Some(v) = &event.introduced {
        ('i', v)
    } else if let Some(v) = &event.fixed {
        ('f', v)
    } else if let Some(v) = &event.last_affected {
        ('l', v)
    } else {
        ('x', event.limit.as_ref()?)
    };
    Some(format!("{tag}:{version}"))
}

/// An RFC 3339 time as nanoseconds since 1970, for ordering `modified`
/// (text comparison misorders `…00Z` against `…00.5Z`).
fn nanos(text: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos()).ok()
}

fn is_sqlite(path: &Path) -> bool {
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok()
        && header == *b"SQLite format 3\0"
}

fn sqlite(path: &str) -> impl Fn(rusqlite::Error) -> AdvisoryError + '_ {
    move |source| AdvisoryError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

fn merge(total: &mut ImportSummary, one: ImportSummary) {
    total.inputs.extend(one.inputs);
    total.imported += one.imported;
    total.replaced += one.replaced;
    total.older += one.older;
    total.skipped += one.skipped;
    total.withdrawn += one.withdrawn;
    total.invalid += one.invalid;
    for (k, c) in one.ecosystems {
        let t = total.ecosystems.entry(k).or_default();
        t.imported += c.imported;
        t.withdrawn += c.withdrawn;
    }
    for (k, n) in one.unassessed {
        *total.unassessed.entry(k).or_default() += n;
    }
    total.problems.extend(one.problems);
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn record(id: &str, modified: &str, ecosystem: &str, fixed: &str) -> String {
        format!(
            r#"{{"id":"{id}","modified":"{modified}","affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"openssl"}},
               "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
        )
    }

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            out.start_file(*name, options).unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    fn fixed_of(index: &Index, id: &str) -> Option<String> {
        index
            .conn
            .query_row(
                "SELECT ranges FROM affected WHERE advisory = ?1",
                [id],
                |r| r.get(0),
            )
            .ok()
    }

    #[test]
    fn bad_records_are_problems_and_the_rest_is_imported() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs_write(
            d,
            "good.json",
            &record("DSA-1-1", "2024-01-01T00:00:00Z", "Debian:12", "1.0-2"),
        );
        fs_write(
            d,
            "truncated.json",
            &record("DSA-2-1", "2024-01-01T00:00:00Z", "Debian:12", "1.0-2")[..40],
        );
        fs_write(
            d,
            "noid.json",
            r#"{"modified":"2024-01-01T00:00:00Z","affected":[]}"#,
        );
        fs_write(
            d,
            "pypi.json",
            &record("PYSEC-1", "2024-01-01T00:00:00Z", "PyPI", "1.0"),
        );
        fs_write(
            d,
            "pypi2.json",
            &record("PYSEC-2", "2024-01-01T00:00:00Z", "PyPI", "1.0"),
        );
        fs_write(
            d,
            "gone.json",
            r#"{"id":"DSA-3-1","withdrawn":"2024-02-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"x"}}]}"#,
        );
        let mut index = Index::in_memory().unwrap();
        let s = index.import(&[d.to_path_buf()]).unwrap();
        assert_eq!(
            (s.imported, s.invalid, s.skipped, s.withdrawn),
            (1, 2, 2, 1),
            "{s:?}"
        );
        assert_eq!(s.ecosystems["Debian:12"].imported, 1);
        assert_eq!(s.unassessed["PyPI"], 2);
        let shown = d.display();
        let expected = [
            format!("{shown}/noid.json: record is not valid OSV JSON: missing field `id`"),
            format!("{shown}/truncated.json: record is not valid OSV JSON: EOF"),
            format!("{shown}: ecosystem \"PyPI\" is not one Trustwatch assesses; its entries in 2 records were skipped"),
        ];
        for e in &expected {
            assert!(
                s.problems.iter().any(|p| p.starts_with(e.as_str())),
                "{e}\n{:?}",
                s.problems
            );
        }
        assert_eq!(s.problems.len(), 3, "{:?}", s.problems);
        assert_eq!(index.records().unwrap(), 1);
    }

    fn fs_write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn newest_modified_wins_and_withdrawal_removes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut index = Index::in_memory().unwrap();
        // `.5Z` is later than `Z` although it sorts first as text.
        fs_write(
            d,
            "a.json",
            &record(
                "USN-1-1",
                "2024-01-01T00:00:00.5Z",
                "Ubuntu:22.04:LTS",
                "1.0-2",
            ),
        );
        index.import(&[d.join("a.json")]).unwrap();
        fs_write(
            d,
            "b.json",
            &record(
                "USN-1-1",
                "2024-01-01T00:00:00Z",
                "Ubuntu:22.04:LTS",
                "1.0-3",
            ),
        );
        let s = index.import(&[d.join("b.json")]).unwrap();
        assert_eq!((s.imported, s.older), (0, 1));
        assert!(fixed_of(&index, "USN-1-1").unwrap().contains("f:1.0-2"));
        fs_write(
            d,
            "c.json",
            &record(
                "USN-1-1",
                "2024-03-01T00:00:00Z",
                "Ubuntu:22.04:LTS",
                "1.0-4",
            ),
        );
        let s = index.import(&[d.join("c.json")]).unwrap();
        assert_eq!((s.imported, s.replaced), (1, 1));
        assert!(fixed_of(&index, "USN-1-1").unwrap().contains("f:1.0-4"));
        let rows: i64 = index
            .conn
            .query_row("SELECT count(*) FROM affected", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
        fs_write(
            d,
            "d.json",
            r#"{"id":"USN-1-1","modified":"2024-04-01T00:00:00Z","withdrawn":"2024-04-01T00:00:00Z","affected":[]}"#,
        );
        let s = index.import(&[d.join("d.json")]).unwrap();
        assert_eq!(s.withdrawn, 1);
        assert_eq!(index.records().unwrap(), 0);
        assert_eq!(fixed_of(&index, "USN-1-1"), None);
        assert_eq!(
            index.data_source().version.as_deref(),
            Some("osv-index-1+import-4")
        );
    }

    #[test]
    fn a_truncated_zip_is_read_up_to_where_it_stops() {
        let entries: Vec<(String, Vec<u8>)> = (0..20)
            .map(|i| {
                let id = format!("DSA-{i}-1");
                (
                    format!("{id}.json"),
                    record(&id, "2024-01-01T00:00:00Z", "Debian:12", "1.0-2").into_bytes(),
                )
            })
            .collect();
        let refs: Vec<(&str, Vec<u8>)> = entries
            .iter()
            .map(|(n, b)| (n.as_str(), b.clone()))
            .collect();
        let whole = zip_of(&refs);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("all.zip");
        std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
        let mut index = Index::in_memory().unwrap();
        let s = index.import(std::slice::from_ref(&path)).unwrap();
        let shown = path.display();
        assert!(
            s.problems[0].starts_with(&format!(
                "{shown}: the zip's central directory cannot be read"
            )),
            "{:?}",
            s.problems
        );
        // The entry the file stops in is named.
        assert!(
            s.problems[1].starts_with(&format!("{shown} (entry DSA-")),
            "{:?}",
            s.problems
        );
        assert!(
            s.problems[1].contains("cannot be decompressed"),
            "{:?}",
            s.problems
        );
        assert_eq!(s.problems.len(), 2);
        // About half the entries precede the cut; all of those are kept.
        assert!(s.imported >= 5 && s.imported < 20, "{s:?}");
        assert_eq!(index.records().unwrap(), s.imported);

        // The whole zip imports every entry.
        std::fs::write(&path, &whole).unwrap();
        let s = index.import(&[path]).unwrap();
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(index.records().unwrap(), 20);
    }

    #[test]
    fn an_oversize_or_garbled_entry_is_skipped_and_the_rest_imported() {
        let mut huge = record("DSA-9-1", "2024-01-01T00:00:00Z", "Debian:12", "1.0-2").into_bytes();
        // Valid JSON, padded past the limit: refused for its size alone.
        huge.splice(
            1..1,
            std::iter::repeat_n(b' ', (MAX_RECORD_BYTES + 1) as usize),
        );
        let huge_len = huge.len();
        let zip = zip_of(&[
            (
                "DSA-1-1.json",
                record("DSA-1-1", "2024-01-01T00:00:00Z", "Debian:12", "1.0-2").into_bytes(),
            ),
            ("DSA-9-1.json", huge),
            (
                "DSA-5-1.json",
                b"{\"id\": \"DSA-5-1\", \"affected\": [".to_vec(),
            ),
            ("README", b"not a record".to_vec()),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Debian.zip");
        std::fs::write(&path, zip).unwrap();
        let mut index = Index::in_memory().unwrap();
        let s = index.import(std::slice::from_ref(&path)).unwrap();
        let shown = path.display();
        assert_eq!((s.imported, s.invalid), (1, 2), "{s:?}");
        assert!(
            s.problems.iter().any(|p| p.starts_with(&format!(
            "{shown} (entry DSA-9-1.json): {huge_len} bytes uncompressed, more than the 16777216"
        ))),
            "{:?}",
            s.problems
        );
        assert!(
            s.problems.iter().any(|p| p.starts_with(&format!(
                "{shown} (entry DSA-5-1.json): record is not valid OSV JSON: EOF"
            ))),
            "{:?}",
            s.problems
        );
    }

    #[test]
    fn index_files_are_created_reopened_and_foreign_files_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("advisories.db");
        let src = dir.path().join("r.json");
        fs_write(
            dir.path(),
            "r.json",
            &record("DSA-1-1", "2024-05-01T10:00:00Z", "Debian:12", "1.0-2"),
        );
        {
            let mut index = Index::create(&path).unwrap();
            index.import(std::slice::from_ref(&src)).unwrap();
        }
        let index = Index::open(&path).unwrap();
        let ds = index.data_source();
        assert_eq!(ds.kind, "advisories");
        assert_eq!(ds.records, Some(1));
        assert_eq!(ds.date.as_deref(), Some("2024-05-01T10:00:00Z"));
        let file_digest = hex::encode(Sha256::digest(std::fs::read(&src).unwrap()));
        assert_eq!(ds.sha256.as_deref(), Some(file_digest.as_str()));
        // Read-only: writing fails.
        assert!(index.conn.execute("DELETE FROM advisories", []).is_err());
        drop(index);
        // `load` tells an index file from raw OSV data.
        let (loaded, summary) = Index::load(&path).unwrap();
        assert!(summary.is_none());
        assert_eq!(loaded.records().unwrap(), 1);
        let (loaded, summary) = Index::load(&src).unwrap();
        assert_eq!(summary.unwrap().imported, 1);
        assert_eq!(loaded.path(), src.display().to_string());

        // Another SQLite file, or any other file, is not an index.
        let foreign = dir.path().join("other.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert!(matches!(
            Index::open(&foreign),
            Err(AdvisoryError::NotAnIndex { .. })
        ));
        assert!(matches!(
            Index::create(&foreign),
            Err(AdvisoryError::NotAnIndex { .. })
        ));
        assert!(matches!(
            Index::create(&src),
            Err(AdvisoryError::NotAnIndex { .. })
        ));
        assert!(matches!(
            Index::open(&dir.path().join("none.db")),
            Err(AdvisoryError::Io { .. })
        ));
        let err = Index::open(&src).unwrap_err().to_string();
        assert!(err.starts_with(&src.display().to_string()), "{err}");
    }
}

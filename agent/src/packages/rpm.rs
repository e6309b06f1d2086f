//! Installed packages from the RPM database. Current systems (RHEL 9,
//! Rocky/Alma 9, Fedora ≥ 33, SUSE) keep it in sqlite, `rpmdb.sqlite`,
//! read here directly; older ones (RHEL 7/8's Berkeley DB `Packages`,
//! SUSE's NDB `Packages.db`) are read through the `rpm` tool when it is
//! installed, since their formats are not worth re-implementing.

pub mod header;
pub mod tool;

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use trustwatch_rules::observe::{InstalledPackage, PackageFormat};

use super::rootfs::{is_absent, RootFs};
use header::{source_name, RpmHeader};

/// Where rpm keeps its database, inside the root: the traditional place
/// first (on Fedora it is a symlink to the second), then the
/// `/usr/lib/sysimage` one.
const DB_DIRS: [&str; 2] = ["/var/lib/rpm", "/usr/lib/sysimage/rpm"];

/// What rpm writes for a key that holds no package.
const PUBKEY: &str = "gpg-pubkey";

/// An rpm database that was read: where, and what it holds.
#[derive(Debug)]
pub struct RpmDatabase {
    /// The database file, inside the root.
    pub source: String,
    pub packages: Vec<InstalledPackage>,
}

/// The installed packages, or `None` when the root has no rpm database
/// (or it could not be read at all, which is a problem).
pub fn read(fs: &RootFs, problems: &mut Vec<String>) -> Option<RpmDatabase> {
    for dir in DB_DIRS {
        let sqlite = format!("{dir}/rpmdb.sqlite");
        match fs.metadata(&sqlite) {
            Ok(_) => return read_sqlite(fs, &sqlite, problems),
            Err(err) if is_absent(&err) => {}
            Err(err) => {
                problems.push(format!("{}: cannot be read: {err}", fs.display(&sqlite)));
                return None;
            }
        }
    }
    for dir in DB_DIRS {
        for (file, backend) in [("Packages", "bdb_ro"), ("Packages.db", "ndb")] {
            let path = format!("{dir}/{file}");
            if fs.exists(&path) {
                let rpm = tool::find_on_path("rpm");
                return tool::read(fs, dir, &path, backend, rpm.as_deref(), problems);
            }
        }
    }
    None
}

fn read_sqlite(fs: &RootFs, path: &str, problems: &mut Vec<String>) -> Option<RpmDatabase> {
    let shown = fs.display(path);
    let host_path = match fs.resolve(path) {
        Ok(p) => p,
        Err(err) => {
            problems.push(format!("{shown}: cannot be read: {err}"));
            return None;
        }
    };
    let rows = match query(&host_path) {
        Ok(rows) => rows,
        Err(err) => {
            problems.push(format!("{shown}: cannot be read as an rpm database: {err}"));
            return None;
        }
    };
    let mut packages = Vec::new();
    for (hnum, blob) in rows {
        match RpmHeader::from_blob(&blob) {
            Ok(header) if header.name == PUBKEY => {}
            Ok(header) => packages.push(installed(&header)),
            Err(err) => problems.push(format!("{shown}, package header {hnum}: {err}")),
        }
    }
    Some(RpmDatabase {
        source: path.to_owned(),
        packages,
    })
}

/// Every `(hnum, blob)` of the `Packages` table.
///
/// Opened read-only, and as `immutable` unless a write-ahead log holds
/// data: then sqlite takes no locks and creates no `-shm` file, so a
/// read-only mount works and a running rpm's files are never touched. A
/// non-empty `-wal` holds committed transactions not yet copied into the
/// database, which `immutable` would ignore; then the ordinary read-only
/// open is used so they are seen.
fn query(path: &Path) -> rusqlite::Result<Vec<(i64, Vec<u8>)>> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal_has_data = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    let connection = if wal_has_data {
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?
    } else {
        Connection::open_with_flags(
            format!("file:{}?immutable=1", uri_path(path)),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
        )?
    };
    let mut statement = connection.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")?;
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect();
    rows
}

/// A path as the path part of an sqlite `file:` URI: bytes other than
/// unreserved ones and `/` percent-encoded (a `?` or `#` in a directory
/// name would otherwise end it).
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One header as an inventory entry.
fn installed(header: &RpmHeader) -> InstalledPackage {
    let source = header.source_rpm.as_deref().and_then(source_name);
    InstalledPackage {
        format: PackageFormat::Rpm,
        name: header.name.clone(),
        version: header.evr(),
        source_name: source.filter(|s| *s != header.name).map(str::to_owned),
        // The source rpm's version-release is the binary's in practice;
        // Red Hat advisories name binary packages and their EVRs.
        source_version: None,
        arch: header.arch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(dir: &Path, blobs: &[Vec<u8>]) {
        std::fs::create_dir_all(dir).unwrap();
        let db = Connection::open(dir.join("rpmdb.sqlite")).unwrap();
        db.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        for blob in blobs {
            db.execute("INSERT INTO Packages (blob) VALUES (?1)", [blob])
                .unwrap();
        }
    }

    #[test]
    fn a_bad_header_is_one_problem_and_the_rest_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a ?#root");
        let good = header::tests::openssl_libs();
        let pubkey = header::tests::blob(&[
            (header::NAME, 6, b"gpg-pubkey"),
            (header::VERSION, 6, b"fd431d51"),
            (header::RELEASE, 6, b"4ae0493b"),
        ]);
        database(
            &root.join("usr/lib/sysimage/rpm"),
            &[good.clone(), good[..20].to_vec(), pubkey, good],
        );
        let mut problems = Vec::new();
        let db = read(&RootFs::new(&root), &mut problems).unwrap();
        assert_eq!(db.source, "/usr/lib/sysimage/rpm/rpmdb.sqlite");
        assert_eq!(db.packages.len(), 2);
        assert_eq!(db.packages[0].version, "1:3.0.7-27.el9");
        assert_eq!(db.packages[0].source(), "openssl");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].ends_with("usr/lib/sysimage/rpm/rpmdb.sqlite, package header 2: the header declares 6 index entries and 68 data bytes, which need 172 bytes, but it is 20"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn transactions_still_in_the_write_ahead_log_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let db_dir = dir.path().join("var/lib/rpm");
        database(&db_dir, &[header::tests::openssl_libs()]);
        // A writer (rpm mid-transaction, or one that crashed) whose
        // commits are in rpmdb.sqlite-wal only: no checkpoint, and the
        // connection held open so the log is not folded back on close.
        let writer = Connection::open(db_dir.join("rpmdb.sqlite")).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")
            .unwrap();
        writer
            .execute(
                "INSERT INTO Packages (blob) VALUES (?1)",
                [header::tests::openssl_libs()],
            )
            .unwrap();
        assert!(
            std::fs::metadata(db_dir.join("rpmdb.sqlite-wal"))
                .unwrap()
                .len()
                > 0
        );
        let mut problems = Vec::new();
        let db = read(&RootFs::new(dir.path()), &mut problems).unwrap();
        assert_eq!(db.packages.len(), 2, "{problems:?}");
        drop(writer);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("var/lib/rpm")).unwrap();
        std::fs::write(dir.path().join("var/lib/rpm/rpmdb.sqlite"), "not sqlite").unwrap();
        let mut problems = Vec::new();
        assert!(read(&RootFs::new(dir.path()), &mut problems).is_none());
        assert!(
            problems[0].contains("cannot be read as an rpm database"),
            "{problems:?}"
        );
    }
}

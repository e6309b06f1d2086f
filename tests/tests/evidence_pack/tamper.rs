//! `verify` on the intact pack, on packs changed inside the zip, on a
//! store changed under the pack, and bad input.

use std::io::Write;
use std::path::Path;

use super::contents::Files;
use super::{collector, fails, ok, Db};

fn rezip(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

pub fn check(dir: &Path, files: &Files, db: &Db<'_>) {
    let sql = db.exec;
    // Intact: verify passes on its own and against the store.
    let alone = ok(&collector(dir, &["verify", "pack.zip"]));
    assert!(alone.contains("intact: 11 files"), "{alone}");
    let full = ok(&collector(
        dir,
        &["verify", "pack.zip", "--config", "collector.toml"],
    ));
    assert!(full.contains("2 cited report(s) still chain"), "{full}");

    // One byte of one file changed inside the zip: named.
    let mut changed = files.clone();
    changed
        .iter_mut()
        .find(|(n, _)| n == "results.csv")
        .unwrap()
        .1[3] ^= 1;
    rezip(&dir.join("changed.zip"), &changed);
    let err = fails(
        &collector(dir, &["verify", "changed.zip"]),
        1,
        "changed.zip: results.csv: changed",
    );
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("failed verification: 1 fault(s)"), "{err}");

    // A file removed and one added: both named.
    let mut moved: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|(n, _)| n != "exceptions.json")
        .cloned()
        .collect();
    moved.push(("extra.txt".into(), b"slipped in".to_vec()));
    rezip(&dir.join("moved.zip"), &moved);
    let err = fails(
        &collector(dir, &["verify", "moved.zip"]),
        1,
        "exceptions.json: removed",
    );
    assert!(err.contains("extra.txt: added"), "{err}");

    // The database changed under the pack: a report's digest in the middle
    // of a1's chain, then a cited report's body.
    sql("UPDATE reports SET body_sha256 = '0000000000000000000000000000000000000000000000000000000000000000' WHERE agent = 'a1' AND sequence = 2");
    let err = fails(
        &collector(dir, &["verify", "pack.zip", "--config", "collector.toml"]),
        1,
        "(agent a1, sequence 2): the chain breaks here",
    );
    assert!(!err.contains("agent a2"), "{err}");
    // The pack alone cannot see the database.
    ok(&collector(dir, &["verify", "pack.zip"]));
    sql("UPDATE reports SET body = body || ' ' WHERE agent = 'a2' AND sequence = 2");
    fails(
        &collector(dir, &["verify", "pack.zip", "--config", "collector.toml"]),
        1,
        "(agent a2, sequence 2): its stored body no longer matches its SHA-256",
    );

    // The ledger refuses changes; an operator who drops its triggers
    // first is still found out by its chain and by the pack's copy.
    for statement in [
        "UPDATE ledger SET subject = 'other.zip' WHERE seq = 2",
        "DELETE FROM ledger WHERE seq = 2",
    ] {
        let err = (db.error)(statement);
        assert!(
            err.contains("the ledger is append-only"),
            "{statement}: {err}"
        );
    }
    sql(db.drop_ledger_triggers);
    sql("UPDATE ledger SET subject = 'other.zip' WHERE seq = 2");
    let err = fails(
        &collector(dir, &["verify", "pack.zip", "--config", "collector.toml"]),
        1,
        "ledger entry 2 (evidence_pack other.zip) was changed: its hash does not match its fields",
    );
    assert!(
        err.contains("ledger entry 2 in the store differs from the pack's own entry"),
        "{err}"
    );
    sql("DELETE FROM ledger WHERE seq = 1");
    fails(
        &collector(dir, &["verify", "pack.zip", "--config", "collector.toml"]),
        1,
        "the ledger starts at entry 2: earlier entries were removed",
    );

    // Bad input: one sentence each, exit status 2.
    let base = [
        "report",
        "evidence",
        "--config",
        "collector.toml",
        "--out",
        "x.zip",
    ];
    let err = fails(
        &collector(
            dir,
            &[&base[..], &["--from", "2026-02-01", "--to", "2026-01-01"]].concat(),
        ),
        2,
        "--from `2026-02-01` is not allowed: it is after --to 2026-01-01",
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    fails(
        &collector(dir, &[&base[..], &["--from", "2026-1-1"]].concat()),
        2,
        "--from `2026-1-1` is not allowed: it is not a date written YYYY-MM-DD",
    );
    assert!(!dir.join("x.zip").exists());
    // A destination that cannot be written fails before the store is read.
    fails(
        &collector(
            dir,
            &[
                "report",
                "evidence",
                "--config",
                "collector.toml",
                "--out",
                "nowhere/x.zip",
            ],
        ),
        1,
        "cannot write the evidence pack nowhere/x.zip",
    );
    let err = fails(
        &collector(dir, &["verify", "collector.toml"]),
        2,
        "collector.toml is not a Trustwatch evidence pack: it is not a readable zip file",
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    rezip(
        &dir.join("other.zip"),
        &[("readme.txt".into(), b"hello".to_vec())],
    );
    fails(
        &collector(dir, &["verify", "other.zip"]),
        2,
        "other.zip is not a Trustwatch evidence pack: it holds no manifest.json",
    );
}

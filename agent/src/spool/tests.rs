use std::fs;
use std::time::{Duration, SystemTime};

use trustwatch_rules::{BaselineRef, Report, SCHEMA_VERSION};

use super::*;

fn report(vantage: &str) -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        scanned_at: time::macros::datetime!(2025-01-02 03:04:05 UTC),
        baseline: BaselineRef {
            id: "b".into(),
            version: "1".into(),
        },
        tool: None,
        vantage: Some(vantage.into()),
        findings: Vec::new(),
        services: Vec::new(),
        data_sources: Vec::new(),
        agent: None,
        report_id: None,
        sequence: None,
    }
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn open(dir: &Path) -> Spool {
    Spool::open(dir, SpoolLimits::default(), now()).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn parse(body: &[u8]) -> Report {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn reports_are_stamped_numbered_and_served_oldest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    let a = spool.push(report("a"), "ward-7", now()).unwrap();
    let b = spool.push(report("b"), "ward-7", now()).unwrap();
    assert_eq!((a.sequence, b.sequence), (1, 2));
    assert_ne!(a.report_id, b.report_id);
    assert_eq!(a.report_id.len(), 32);
    let stamped = parse(&a.body);
    assert_eq!(stamped.agent.as_deref(), Some("ward-7"));
    assert_eq!(stamped.sequence, Some(1));
    assert_eq!(stamped.report_id.as_deref(), Some(a.report_id.as_str()));

    // The same bytes come back until the report is removed.
    assert_eq!(spool.oldest().unwrap(), Some(a.clone()));
    assert_eq!(spool.oldest().unwrap(), Some(a.clone()));
    spool.remove(1).unwrap();
    assert_eq!(spool.oldest().unwrap(), Some(b));
    spool.remove(2).unwrap();
    assert_eq!(spool.oldest().unwrap(), None);
    assert_eq!(spool.pending().unwrap(), (0, 0));
}

#[test]
fn sequences_survive_a_restart_and_are_never_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    for _ in 0..3 {
        let s = spool.push(report("x"), "a", now()).unwrap();
        spool.remove(s.sequence).unwrap();
    }
    drop(spool);
    // Everything was delivered: only the state file remembers the numbers.
    let mut spool = open(tmp.path());
    assert_eq!(spool.push(report("x"), "a", now()).unwrap().sequence, 4);
}

#[test]
fn a_lost_state_file_resumes_after_the_highest_file() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    for _ in 0..5 {
        spool.push(report("x"), "a", now()).unwrap();
    }
    spool.reject(5, "stale_sequence").unwrap();
    drop(spool);
    fs::remove_file(tmp.path().join(STATE_FILE)).unwrap();
    let spool = open(tmp.path());
    // 5 lives on only in rejected/, and is still not reused.
    assert_eq!(spool.next_sequence(), 6);
    fs::write(tmp.path().join(STATE_FILE), b"{not json").unwrap();
    drop(spool);
    let spool = open(tmp.path());
    assert_eq!(spool.next_sequence(), 6);
}

#[test]
fn the_state_is_written_before_the_report() {
    // A crash between the two leaves the number used and no report: the
    // state file already says the next number.
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    spool.push(report("x"), "a", now()).unwrap();
    fs::remove_file(tmp.path().join(file_name(1))).unwrap();
    drop(spool);
    let mut spool = open(tmp.path());
    assert_eq!(spool.push(report("x"), "a", now()).unwrap().sequence, 2);
}

#[test]
fn leftover_temporary_files_are_removed_and_never_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    spool.push(report("x"), "a", now()).unwrap();
    drop(spool);
    // A crash mid-write leaves a hidden temporary file, torn.
    let torn = crate::fsio::tmp_path(&tmp.path().join(file_name(2)));
    fs::write(&torn, b"{\"schema_ver").unwrap();
    fs::write(
        crate::fsio::tmp_path(&tmp.path().join(REJECTED_DIR).join("x.json")),
        b"",
    )
    .unwrap();
    let mut spool = open(tmp.path());
    assert!(!torn.exists());
    assert!(names(&tmp.path().join(REJECTED_DIR)).is_empty());
    assert_eq!(spool.oldest().unwrap().unwrap().sequence, 1);
    spool.remove(1).unwrap();
    assert_eq!(spool.oldest().unwrap(), None);
    assert_eq!(names(tmp.path()), [REJECTED_DIR, STATE_FILE]);
}

#[test]
fn corrupt_files_are_moved_aside_and_the_rest_carries_on() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    for _ in 0..4 {
        spool.push(report("x"), "a", now()).unwrap();
    }
    fs::write(tmp.path().join(file_name(1)), b"\0\0garbage").unwrap();
    // A report whose stamp disagrees with its name is not sent either.
    let three = fs::read(tmp.path().join(file_name(3))).unwrap();
    fs::write(tmp.path().join(file_name(2)), three).unwrap();
    assert_eq!(spool.oldest().unwrap().unwrap().sequence, 3);
    assert_eq!(
        names(&tmp.path().join(REJECTED_DIR)),
        [
            "00000000000000000001.corrupt.json",
            "00000000000000000002.corrupt.json"
        ]
    );
    // Files that are not reports are not touched.
    fs::write(tmp.path().join("notes.txt"), b"hello").unwrap();
    spool.remove(3).unwrap();
    assert_eq!(spool.oldest().unwrap().unwrap().sequence, 4);
    assert!(tmp.path().join("notes.txt").exists());
}

#[test]
fn refused_reports_go_to_rejected_and_are_not_retried() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    let a = spool.push(report("x"), "a", now()).unwrap();
    spool.push(report("y"), "a", now()).unwrap();
    let moved = spool.reject(1, "stale sequence/../x").unwrap();
    assert_eq!(
        moved.file_name().unwrap(),
        "00000000000000000001.stale_sequence____x.json"
    );
    assert_eq!(fs::read(&moved).unwrap(), a.body);
    assert_eq!(spool.oldest().unwrap().unwrap().sequence, 2);
}

#[test]
fn rejected_is_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    for _ in 0..REJECTED_MAX_FILES + 5 {
        let s = spool.push(report("x"), "a", now()).unwrap();
        spool.reject(s.sequence, "malformed").unwrap();
    }
    assert_eq!(
        names(&tmp.path().join(REJECTED_DIR)).len(),
        REJECTED_MAX_FILES
    );
}

#[test]
fn the_size_cap_drops_the_oldest_first_and_counts_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    let one = spool.push(report("x"), "a", now()).unwrap().body.len() as u64;
    drop(spool);
    // Room for three reports of this size.
    let limits = SpoolLimits {
        max_bytes: one * 3 + one / 2,
        ..SpoolLimits::default()
    };
    let mut spool = Spool::open(tmp.path(), limits, now()).unwrap();
    for _ in 0..4 {
        spool.push(report("x"), "a", now()).unwrap();
    }
    // 5 pushed, 3 fit: 1 and 2 dropped.
    assert_eq!(spool.dropped(), 2);
    assert_eq!(spool.pending().unwrap().0, 3);
    assert_eq!(spool.oldest().unwrap().unwrap().sequence, 3);
    drop(spool);
    // The count is persisted.
    let spool = Spool::open(tmp.path(), limits, now()).unwrap();
    assert_eq!(spool.dropped(), 2);
    assert_eq!(spool.next_sequence(), 6);
}

#[test]
fn the_age_cap_drops_old_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spool = open(tmp.path());
    for _ in 0..3 {
        spool.push(report("x"), "a", now()).unwrap();
    }
    // Age the first two by 15 days.
    let old = now() - Duration::from_secs(15 * 86_400);
    for seq in [1, 2] {
        fs::File::options()
            .write(true)
            .open(tmp.path().join(file_name(seq)))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    drop(spool);
    let mut spool = open(tmp.path());
    assert_eq!(spool.dropped(), 2);
    assert_eq!(spool.oldest().unwrap().unwrap().sequence, 3);
}

#[test]
fn file_names_sort_as_sequences() {
    assert_eq!(file_name(42), "00000000000000000042.json");
    assert_eq!(sequence_of(&file_name(u64::MAX)), Some(u64::MAX));
    assert_eq!(sequence_of("42.json"), None);
    assert_eq!(sequence_of(".00000000000000000042.json.tmp"), None);
    assert_eq!(sequence_of("0000000000000000004x.json"), None);
    assert!(file_name(9) < file_name(10));
}

//! `finding_counts` stays equal to grouping the findings themselves, through
//! new findings, status changes, site moves and retired rules.

use time::macros::datetime;
use trustwatch_rules::{Evidence, Status};

use super::{agent, finding, incoming, open};

type Counts = Vec<(String, String, String, String, i64)>;

/// (`finding_counts` where not 0, the findings grouped), both sorted.
pub(super) fn counted(conn: &rusqlite::Connection) -> (Counts, Counts) {
    let read = |sql: &str| -> Counts {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap();
        rows.map(Result::unwrap).collect()
    };
    (
        read(
            "SELECT site, rule_id, severity, status, n FROM finding_counts WHERE n <> 0
             ORDER BY 1, 2, 3, 4",
        ),
        read(
            "SELECT site, rule_id, severity, status, COUNT(*) FROM findings
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        ),
    )
}

#[tokio::test]
async fn counts_follow_every_write() {
    let (_tmp, store) = open();
    let conn = rusqlite::Connection::open(store.location()).unwrap();
    let steps = [
        (
            agent("a1", "north"),
            datetime!(2026-01-01 00:00 UTC),
            vec![
                ("TLS-002", "h:443", Status::Fail),
                ("CERT-001", "h:443", Status::Pass),
                ("TLS-002", "g:443", Status::Pass),
            ],
        ),
        // A status change, a rule no longer reported for h:443 (retired).
        (
            agent("a1", "north"),
            datetime!(2026-01-02 00:00 UTC),
            vec![("TLS-002", "h:443", Status::Pass)],
        ),
        // The agent moved site: its rows move with it.
        (
            agent("a1", "south"),
            datetime!(2026-01-03 00:00 UTC),
            vec![
                ("TLS-002", "h:443", Status::Error),
                ("TLS-002", "g:443", Status::Pass),
            ],
        ),
        (
            agent("a2", "south"),
            datetime!(2026-01-03 00:00 UTC),
            vec![("TLS-002", "h:443", Status::Fail)],
        ),
    ];
    for (who, at, findings) in steps {
        let findings = findings
            .into_iter()
            .map(|(rule, target, status)| finding(rule, target, status, Evidence::new()))
            .collect();
        store.ingest(incoming(&who, at, findings)).await.unwrap();
        let (counts, grouped) = counted(&conn);
        assert_eq!(counts, grouped);
    }
    let (counts, _) = counted(&conn);
    assert!(!counts.is_empty());
}

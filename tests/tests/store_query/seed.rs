//! One small estate as plain, portable SQL, so the same rows go into
//! SQLite and PostgreSQL. Times are relative to `now`.

pub const DAY: i64 = 86_400;

/// (agent, site, target, rule, status, severity, last_seen age,
/// last_changed age)
type Finding = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
);
/// (name, site, last_seen age, last_contact age, revoked age)
type Agent = (&'static str, &'static str, i64, Option<i64>, Option<i64>);

/// Stored findings.
pub const FINDINGS: &[Finding] = &[
    (
        "a1",
        "north",
        "10.0.0.5:443",
        "TLS-002",
        "fail",
        "high",
        100,
        1000,
    ),
    (
        "a1",
        "north",
        "10.0.0.5:443",
        "TLS-001",
        "pass",
        "critical",
        100,
        1000,
    ),
    (
        "a1",
        "north",
        "10.0.0.5:443",
        "CERT-001",
        "fail",
        "critical",
        100,
        5 * DAY,
    ),
    (
        "a1",
        "north",
        "[2001:db8::1]:443",
        "TLS-002",
        "fail",
        "high",
        100,
        1000,
    ),
    (
        "a1",
        "north",
        "example.nhs.uk",
        "TLS-004",
        "fail",
        "low",
        100,
        1000,
    ),
    (
        "a2",
        "south",
        "10.0.0.5:443",
        "TLS-002",
        "fail",
        "high",
        200,
        200,
    ),
    (
        "a2",
        "south",
        "10.0.0.6:443",
        "TLS-003",
        "error",
        "high",
        200,
        200,
    ),
    (
        "a3",
        "north",
        "10.0.0.9:22",
        "SSH-001",
        "fail",
        "medium",
        30 * DAY,
        40 * DAY,
    ),
    (
        "a4",
        "north",
        "10.0.0.10:443",
        "TLS-002",
        "fail",
        "high",
        100,
        100,
    ),
];

pub const AGENTS: &[Agent] = &[
    ("a1", "north", 100, Some(50), None),
    ("a2", "south", 200, None, None),
    ("a3", "north", 30 * DAY, None, None),
    ("a4", "north", 100, None, Some(10)),
];

pub fn statements(now: i64) -> Vec<String> {
    let mut sql = Vec::new();
    let opt = |v: Option<i64>| v.map_or("NULL".to_owned(), |age| (now - age).to_string());
    for (i, (name, site, seen, contact, revoked)) in AGENTS.iter().enumerate() {
        let id = i + 1;
        sql.push(format!(
            "INSERT INTO agents (name, site, cert_fingerprint, first_seen, last_seen, enrolled_at,
                 cert_not_after, revoked_at, revoked_reason, last_contact, last_sequence)
             VALUES ('{name}', '{site}', 'fp-{name}', {first}, {last}, {first}, {na}, {rv}, {rr},
                 {lc}, {seq})",
            first = now - 60 * DAY,
            last = now - seen,
            na = now + 7 * DAY,
            rv = opt(*revoked),
            rr = if revoked.is_some() {
                "'stolen'"
            } else {
                "NULL"
            },
            lc = opt(*contact),
            seq = 10 + id,
        ));
        sql.push(format!(
            "INSERT INTO reports (id, agent, site, cert_fingerprint, received_at, scanned_at,
                 baseline_id, baseline_version, vantage, body, body_sha256, report_uid, sequence)
             VALUES ({id}, '{name}', '{site}', 'fp-{name}', {t}, {t}, 'trustwatch-nhs-baseline',
                 '1', NULL, '{{}}', 'sha-{id}', 'uid-{id}', {seq})",
            t = now - seen,
            seq = 10 + id,
        ));
    }
    for (agent, site, target, rule, status, severity, seen, changed) in FINDINGS {
        let report = AGENTS.iter().position(|a| a.0 == *agent).unwrap() + 1;
        let not_after = if *rule == "CERT-001" {
            (now + 20 * DAY).to_string()
        } else {
            "NULL".into()
        };
        sql.push(format!(
            "INSERT INTO findings (agent, site, target, rule_id, status, severity, title, summary,
                 evidence, controls, cert_not_after, first_seen, last_seen, last_changed, report_id)
             VALUES ('{agent}', '{site}', '{target}', '{rule}', '{status}', '{severity}',
                 'title of {rule}', '{rule} {status}', '{{\"k\": 1}}', '[\"CAF:B4.b\", \"NCSC-TLS\"]',
                 {not_after}, {first}, {last}, {changed}, {report})",
            first = now - 60 * DAY,
            last = now - seen,
            changed = now - changed,
        ));
    }
    // The collector's writer keeps these counts as it stores findings; rows
    // seeded by SQL need them written the same way.
    sql.push(
        "INSERT INTO finding_counts (site, rule_id, severity, status, n)
         SELECT site, rule_id, severity, status, COUNT(*) FROM findings
         GROUP BY site, rule_id, severity, status"
            .into(),
    );
    for (agent, first, last) in [("a1", 3, 4), ("a1", 7, 7)] {
        sql.push(format!(
            "INSERT INTO sequence_gaps (agent, first_missing, last_missing, detected_at, report_id)
             VALUES ('{agent}', {first}, {last}, {now}, 1)"
        ));
    }
    // History: six changes, oldest first by id.
    for (i, (agent, site, target, rule, from, to, age)) in [
        (
            "a1",
            "north",
            "10.0.0.5:443",
            "TLS-002",
            None,
            "fail",
            10 * DAY,
        ),
        (
            "a1",
            "north",
            "10.0.0.5:443",
            "TLS-001",
            None,
            "pass",
            10 * DAY,
        ),
        (
            "a2",
            "south",
            "10.0.0.5:443",
            "TLS-002",
            None,
            "fail",
            9 * DAY,
        ),
        (
            "a1",
            "north",
            "10.0.0.5:443",
            "CERT-001",
            Some("pass"),
            "fail",
            5 * DAY,
        ),
        (
            "a1",
            "north",
            "10.0.0.7:443",
            "TLS-002",
            Some("fail"),
            "absent",
            2 * DAY,
        ),
        (
            "a2",
            "south",
            "10.0.0.6:443",
            "TLS-003",
            Some("pass"),
            "error",
            DAY,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        sql.push(format!(
            "INSERT INTO finding_changes (id, agent, site, target, rule_id, severity, from_status,
                 to_status, at, report_id)
             VALUES ({id}, '{agent}', '{site}', '{target}', '{rule}', 'high', {from}, '{to}', {at}, 1)",
            id = i + 1,
            from = from.map_or("NULL".into(), |f| format!("'{f}'")),
            at = now - age,
        ));
    }
    for (id, agent, site, age, fail) in [
        (1, "a1", "north", 3 * DAY, 4),
        (2, "a2", "south", 2 * DAY, 1),
        (3, "a1", "north", DAY, 3),
        (4, "a1", "north", 100, 4),
    ] {
        sql.push(format!(
            "INSERT INTO scan_summaries (report_id, agent, site, scanned_at, received_at, targets,
                 pass, fail, error, not_applicable, fail_critical, fail_high, fail_medium, fail_low)
             VALUES ({id}, '{agent}', '{site}', {t}, {t}, 3, 1, {fail}, 0, 0, 1, 2, 0, 1)",
            t = now - age,
        ));
    }
    sql
}

//! The agent's spool with real binaries: the daemon scans while no
//! collector listens, its reports wait on disk, and once a real collector
//! comes up on that port every spooled report arrives exactly once and the
//! spool empties.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use trustwatch_e2e::net::closed_port;
use trustwatch_e2e::{binary, Child, Collector};

const AGENT: &str = "spool-agent";

/// Sequences of the reports waiting in `spool` (files named by sequence).
fn spooled(spool: &Path) -> BTreeSet<u64> {
    std::fs::read_dir(spool)
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    let digits = name.strip_suffix(".json")?;
                    (digits.len() == 20).then(|| digits.parse().ok())?
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `sequence=N` of an agent log line saying a report was delivered.
fn delivered_sequence(line: &str) -> Option<u64> {
    if !line.contains("report delivered to the collector") {
        return None;
    }
    let rest = &line[line.find("sequence=")? + "sequence=".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// This agent's `reports` count in the collector's agents API.
fn stored_reports(collector: &Collector) -> Option<i64> {
    // Read the store itself (the API needs a token; this counts rows).
    let db = collector.data_dir().join("trustwatch.db");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.query_row(
        "SELECT COUNT(*) FROM reports WHERE agent = ?1",
        [AGENT],
        |r| r.get(0),
    )
    .ok()
}

#[test]
fn reports_spooled_while_the_collector_is_down_arrive_exactly_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cdir = tmp.path().join("collector");
    let adir = tmp.path().join("agent");
    std::fs::create_dir_all(&cdir).expect("collector dir");
    std::fs::create_dir_all(&adir).expect("agent dir");
    // The collector makes its CA and the agent's certificate, then goes
    // away: its ingest port is closed while the agent starts.
    let mut collector = Collector::start(&cdir);
    collector.agent_cert(AGENT, "e2e", &adir);
    collector.stop();

    // Something quick to scan: a closed loopback port (error findings).
    let target = closed_port();
    let config = adir.join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "[collector]\nurl = \"https://{ingest}\"\nca = \"ca.crt\"\ncert = \"agent.crt\"\nkey = \"agent.key\"\n\n\
             [schedule]\ninterval_secs = 10\n\n[scan]\ntimeout_secs = 2\n\n[spool]\ndir = \"spool\"\n\n\
             [[tls]]\ntarget = \"{target}\"\n",
            ingest = collector.ingest,
        ),
    )
    .expect("write agent config");
    let spool = adir.join("spool");

    let mut child = Command::new(binary("trustwatch-agent"))
        .args(["run", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the agent");
    let stderr = child.stderr.take().expect("agent stderr");
    let agent = Child(child);
    let (tx, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = String::new();
    let drain = |log: &mut String, wait: Duration| -> Vec<String> {
        let mut got = Vec::new();
        if let Ok(line) = lines.recv_timeout(wait) {
            got.push(line);
            got.extend(lines.try_iter());
        }
        for line in &got {
            log.push_str(line);
            log.push('\n');
        }
        got
    };

    // Three cycles (10 s apart) spool three reports while the collector is
    // away; none can be delivered.
    let started = Instant::now();
    while spooled(&spool).len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the agent did not spool 3 reports within 60 s; spool holds {:?}; log:\n{log}",
            spooled(&spool)
        );
        drain(&mut log, Duration::from_millis(200));
    }
    let waiting = spooled(&spool);
    assert_eq!(
        waiting.iter().copied().take(3).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(
        !log.contains("report delivered"),
        "delivered with no collector?\n{log}"
    );

    // The collector comes back on the same port.
    collector.restart();
    let back = Instant::now();
    let mut delivered: Vec<u64> = Vec::new();
    loop {
        // Bound: the backoff's ceiling has reached at most 64 s by now.
        assert!(
            back.elapsed() < Duration::from_secs(150),
            "spooled reports not delivered within 150 s of the collector's return; delivered {delivered:?}, spool {:?}; log:\n{log}",
            spooled(&spool)
        );
        let got = drain(&mut log, Duration::from_millis(200));
        delivered.extend(got.iter().filter_map(|l| delivered_sequence(l)));
        // Checked right after a delivery: the next cycle is ~10 s away, so
        // nothing is in flight when the agent is stopped below.
        if got.iter().any(|l| delivered_sequence(l).is_some())
            && waiting.iter().all(|s| delivered.contains(s))
            && spooled(&spool).is_empty()
        {
            break;
        }
    }

    // Stop the agent as a service manager would, and wait for it.
    let mut agent = agent;
    let status = Command::new("kill")
        .args(["-TERM", &agent.0.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    let stopping = Instant::now();
    let exit = loop {
        if let Some(exit) = agent.0.try_wait().expect("poll agent") {
            break exit;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(20),
            "agent did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "agent exited with {exit}");
    while !drain(&mut log, Duration::from_millis(200)).is_empty() {}
    delivered = log.lines().filter_map(delivered_sequence).collect();
    assert!(log.contains("agent stopped"), "{log}");

    // Every sequence the agent handed out was delivered once, in order,
    // and the collector stored each exactly once.
    let state: Value =
        serde_json::from_slice(&std::fs::read(spool.join("state.json")).expect("spool state file"))
            .expect("state JSON");
    let next = state["next_sequence"].as_u64().expect("next_sequence");
    let all: Vec<u64> = (1..next).collect();
    assert_eq!(delivered, all, "log:\n{log}");
    assert!(spooled(&spool).is_empty());
    assert_eq!(state["dropped"], 0);
    assert_eq!(
        stored_reports(&collector),
        Some(all.len() as i64),
        "the collector's count differs from the {} reports delivered",
        all.len()
    );
}

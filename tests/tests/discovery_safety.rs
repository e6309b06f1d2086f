//! Scan safety, observed on the wire: the real `trustwatch-agent scan
//! --hosts` runs inside a network namespace this test creates (`unshare
//! -n`, as root), with addresses in and out of scope on its loopback.
//! iptables counts every TCP SYN and UDP datagram the agent sends to each
//! address and to the excluded ports, and tcpdump timestamps every SYN so
//! the connection rate can be measured against `--rate`.
//!
//! Nothing here can reach beyond the namespace: it has no interface but lo.

use std::process::Command;
use std::time::Duration;

use trustwatch_e2e::process::{binary, run_bounded};

/// Runs `script` with bash in a new network namespace and returns stdout.
fn in_namespace(script: &str) -> String {
    let out = run_bounded(
        Command::new("unshare").args(["-n", "bash", "-euo", "pipefail", "-c", script]),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "namespace script failed ({:?}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Packet counters of the `OUTPUT` chain rules, by their comment.
fn counters(output: &str) -> std::collections::HashMap<String, u64> {
    output
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let packets = fields.first()?.parse::<u64>().ok()?;
            let start = line.find("/* ")? + 3;
            let end = line[start..].find(" */")? + start;
            Some((line[start..end].to_owned(), packets))
        })
        .collect()
}

/// Listeners the agent could find, on every address, so that an
/// out-of-scope contact would complete a connection, not just send a SYN.
const LISTENERS: &str = r#"
python3 - <<'PY' &
import socket, threading, time
socks = []
for host, port in [("10.99.0.1", 2222), ("10.99.0.1", 2005), ("10.99.0.2", 2222), ("10.99.0.5", 2222)]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(64); socks.append(s)
def serve(s):
    while True:
        c, _ = s.accept(); c.sendall(b"SSH-2.0-OpenSSH_9.2p1 lab\r\n"); c.close()
for s in socks: threading.Thread(target=serve, args=(s,), daemon=True).start()
time.sleep(100)
PY
sleep 0.5
"#;

fn setup(agent: &str) -> String {
    format!(
        r#"
ip link set lo up
for a in 10.99.0.1 10.99.0.2 10.99.0.5; do ip addr add $a/24 dev lo; done
iptables -A OUTPUT -p tcp --syn -d 10.99.0.1 -m comment --comment in_scope
iptables -A OUTPUT -p tcp --syn -d 10.99.0.1 --dport 2000:2010 -m comment --comment excluded_ports
iptables -A OUTPUT -p tcp --syn -d 10.99.0.2 -m comment --comment excluded_host
iptables -A OUTPUT -p tcp --syn -d 10.99.0.5 -m comment --comment out_of_scope
iptables -A OUTPUT -p udp -d 10.99.0.2 -m comment --comment excluded_host_udp
iptables -A OUTPUT -p udp -d 10.99.0.5 -m comment --comment out_of_scope_udp
{LISTENERS}
AGENT={agent}
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
"#
    )
}

#[test]
fn scope_exclusions_and_excluded_ports_are_never_touched() {
    let agent = binary("trustwatch-agent");
    let script = format!(
        r#"{}
set +e
"$AGENT" scan --hosts 10.99.0.0/30 --exclude 10.99.0.2 --ports T:1-3000,U:161 \
    --exclude-ports 2000-2010 --rate 5000 --host-rate 5000 --format json > /tmp/tw-scan-$$.json
echo "exit=$?"
set -e
echo "open=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join("%s:%d" % (s["host"], s["port"]) for s in d.get("services", [])))' /tmp/tw-scan-$$.json)"
rm -f /tmp/tw-scan-$$.json
iptables -L OUTPUT -v -n -x
"#,
        setup(&agent.display().to_string())
    );
    let out = in_namespace(&script);
    let c = counters(&out);
    // Exit 0 or 1 (findings); never 2.
    assert!(
        out.contains("exit=0") || out.contains("exit=1"),
        "agent failed:\n{out}"
    );
    assert!(
        out.contains("open=10.99.0.1:2222"),
        "the in-scope listener was not found:\n{out}"
    );
    // The counters work: the in-scope host saw the sweep's SYNs (ports
    // 1-3000 less the 11 excluded, plus identification's reconnects).
    assert!(
        c["in_scope"] >= 3000 - 11,
        "in-scope SYNs {} (counters broken?)\n{out}",
        c["in_scope"]
    );
    assert_eq!(c["excluded_ports"], 0, "excluded ports were touched\n{out}");
    assert_eq!(
        c["excluded_host"], 0,
        "the excluded host was touched\n{out}"
    );
    assert_eq!(
        c["out_of_scope"], 0,
        "an out-of-scope address was touched\n{out}"
    );
    assert_eq!(c["excluded_host_udp"], 0, "{out}");
    assert_eq!(c["out_of_scope_udp"], 0, "{out}");
}

#[test]
fn public_scope_is_refused_before_any_packet() {
    let agent = binary("trustwatch-agent");
    let script = format!(
        r#"{}
iptables -A OUTPUT -m comment --comment everything
set +e
"$AGENT" scan --hosts 10.99.0.1 81.2.69.0/28 --ports 22 --format json >/dev/null 2>/tmp/tw-err-$$
echo "exit=$?"
set -e
echo "stderr=$(cat /tmp/tw-err-$$)"; rm -f /tmp/tw-err-$$
iptables -L OUTPUT -v -n -x
"#,
        setup(&agent.display().to_string())
    );
    let out = in_namespace(&script);
    assert!(out.contains("exit=2"), "{out}");
    assert!(
        out.contains("81.2.69.0/28") && out.contains("public"),
        "{out}"
    );
    // Only the listeners' own setup traffic (none) may be counted.
    assert_eq!(counters(&out)["everything"], 0, "{out}");
}

#[test]
fn measured_connection_rate_stays_under_the_limit() {
    let agent = binary("trustwatch-agent");
    const RATE: usize = 100;
    let script = format!(
        r#"{}
tcpdump -i lo -n -tt -l 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' > /tmp/tw-syn-$$ 2>/dev/null &
DUMP=$!
sleep 1
set +e
"$AGENT" scan --hosts 10.99.0.1 --ports 1-350 --rate {RATE} --host-rate 1000 --format json >/dev/null
echo "exit=$?"
set -e
sleep 0.5
kill $DUMP; wait $DUMP 2>/dev/null || true
echo "syn-times-begin"
awk '{{print $1}}' /tmp/tw-syn-$$
echo "syn-times-end"
rm -f /tmp/tw-syn-$$
"#,
        setup(&agent.display().to_string())
    );
    let out = in_namespace(&script);
    let times: Vec<f64> = out
        .split("syn-times-begin")
        .nth(1)
        .and_then(|s| s.split("syn-times-end").next())
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert!(times.len() >= 350, "only {} SYNs seen:\n{out}", times.len());
    // The most SYNs in any one-second window.
    let mut worst = 0;
    for (i, start) in times.iter().enumerate() {
        let n = times[i..].iter().take_while(|t| **t < start + 1.0).count();
        worst = worst.max(n);
    }
    assert!(
        worst <= RATE,
        "{worst} connection starts in one second, over the limit of {RATE}"
    );
    // And the limit was really in force: 350 starts at 100/s take ≥ 2.5 s.
    let span = times.last().unwrap() - times.first().unwrap();
    assert!(
        span >= 2.4,
        "350 SYNs in {span:.2} s: no rate limit applied"
    );
}

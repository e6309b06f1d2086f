//! The TCP connect sweep against real sockets on loopback: it finds exactly
//! the listening ports, over IPv4 and IPv6; it stays under its rate; it
//! never touches excluded ports, excluded hosts or hosts outside the
//! scope; gentle mode spaces connections and keeps one at a time per host;
//! a full 65,535-port sweep completes quickly.
//!
//! Tests run one at a time (a lock): a sweep loads the machine, and timing
//! tests must not measure another test's load. Sweeps of every port use a
//! loopback address of their own (127.101.x.y), not 127.0.0.1, so they do
//! not connect to other tests' servers on this machine; only wildcard
//! listeners answer there too, and the expected sets allow for them.

#[path = "support/accepts.rs"]
mod accepts;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use accepts::Accepts;
use tokio::time::Instant;
use trustwatch_agent::discover::ports::PortList;
use trustwatch_agent::discover::rate::Pacer;
use trustwatch_agent::discover::sweep::{sweep, SweepConfig, SweepOutcome, SweepProgress};
use trustwatch_agent::scope::{Scope, ScopeLimits};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// A loopback address for this test process alone.
fn own_loopback(tag: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 101, tag, (std::process::id() % 250) as u8 + 1)
}

/// No rate limits: loopback can take it.
fn fast() -> SweepConfig {
    SweepConfig {
        rate: None,
        host_rate: None,
        ..SweepConfig::default()
    }
}

fn scope(include: &[&str], exclude: &[&str]) -> Scope {
    Scope::new(include, exclude, ScopeLimits::default()).unwrap()
}

fn spec(addrs: &[SocketAddr]) -> String {
    let ports: Vec<String> = addrs.iter().map(|a| a.port().to_string()).collect();
    ports.join(",")
}

async fn run(scope: &Scope, ports: &PortList, cfg: &SweepConfig) -> SweepOutcome {
    assert_eq!(cfg.validate(), Ok(()));
    let pacer = Arc::new(Pacer::new(cfg.pacer_limits()));
    let last = Mutex::new(None::<SweepProgress>);
    let out = sweep(scope, ports, cfg, pacer, &|p| {
        *last.lock().unwrap() = Some(p);
    })
    .await;
    // The final report says everything is done.
    let last = last.lock().unwrap().expect("progress was reported");
    assert_eq!(last.done, last.total);
    assert_eq!(last.done, out.counts.attempted);
    assert_eq!(last.open, out.counts.open);
    let c = out.counts;
    assert_eq!(c.open + c.closed + c.filtered + c.errors, c.attempted);
    assert_eq!(c.open as usize, out.open.len());
    out
}

/// TCP ports listening per /proc/net/tcp{,6}: on `ip` exactly, and on a
/// wildcard address (which answers on every loopback address; a dual-stack
/// `::` listener included).
fn kernel_listeners(ip: Ipv4Addr) -> (BTreeSet<u16>, BTreeSet<u16>) {
    let mut exact = BTreeSet::new();
    let mut wildcard = BTreeSet::new();
    for (file, any) in [
        ("/proc/net/tcp", "00000000"),
        ("/proc/net/tcp6", "00000000000000000000000000000000"),
    ] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // Fields: sl, local address:port, remote, state (0A = LISTEN).
            if f.len() < 4 || f[3] != "0A" {
                continue;
            }
            let Some((host, port)) = f[1].split_once(':') else {
                continue;
            };
            let port = u16::from_str_radix(port, 16).unwrap();
            if host == any {
                wildcard.insert(port);
            } else if host.len() == 8 {
                // The address is printed as the in-memory (network order)
                // word read natively.
                let word = u32::from_str_radix(host, 16).unwrap();
                if Ipv4Addr::from(u32::from_be(word)) == ip {
                    exact.insert(port);
                }
            }
        }
    }
    (exact, wildcard)
}

/// Checks that `found` is every listener of `ip` among `ports` that the
/// kernel lists, ours included, and nothing else.
fn assert_exactly_listeners(
    found: &[SocketAddr],
    ip: Ipv4Addr,
    ours: &[SocketAddr],
    ports: &PortList,
) {
    let (exact, wildcard) = kernel_listeners(ip);
    let found: BTreeSet<u16> = found
        .iter()
        .inspect(|a| assert_eq!(a.ip(), IpAddr::V4(ip)))
        .map(|a| a.port())
        .collect();
    for a in ours {
        assert!(exact.contains(&a.port()), "the kernel lists {a}");
        assert!(found.contains(&a.port()), "the sweep missed {a}");
    }
    for p in &found {
        assert!(
            exact.contains(p) || wildcard.contains(p),
            "the sweep reported {ip}:{p} open, but nothing listens there"
        );
    }
    for p in exact.iter().filter(|p| ports.tcp().contains(**p)) {
        assert!(found.contains(p), "the sweep missed {ip}:{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_exactly_the_open_ports_of_a_range() {
    let _serial = serial().await;
    let ip = own_loopback(1);
    let mut listeners = Accepts::new();
    // 25 listeners scattered over 20000-21999 (a port someone else holds
    // is skipped).
    for k in 0..25u16 {
        listeners.listen(SocketAddr::from((ip, 20_000 + k * 79 + 3)));
    }
    assert!(listeners.addrs().len() >= 20);
    let ports = PortList::parse("20000-21999").unwrap();
    let out = run(&scope(&[&ip.to_string()], &[]), &ports, &fast()).await;
    assert_eq!(out.counts.attempted, 2000);
    assert_eq!(out.counts.filtered, 0);
    assert_eq!(out.counts.errors, 0, "{:?}", out.first_error);
    assert_exactly_listeners(&out.open, ip, listeners.addrs(), &ports);
    // Every answer was a sample.
    assert!(out.rtt_for(IpAddr::V4(ip)).is_some());
    assert!(out.timeout_for(IpAddr::V4(ip)) <= SweepConfig::DEFAULT_MAX_TIMEOUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeps_ipv6_loopback() {
    let _serial = serial().await;
    let mut listeners = Accepts::new();
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(listeners.listen("[::1]:0".parse().unwrap()).unwrap());
    }
    // Ports just freed: nothing listens.
    let closed: Vec<SocketAddr> = (0..3)
        .map(|_| {
            std::net::TcpListener::bind("[::1]:0")
                .unwrap()
                .local_addr()
                .unwrap()
        })
        .collect();
    let all: Vec<SocketAddr> = open.iter().chain(&closed).copied().collect();
    let ports = PortList::parse(&spec(&all)).unwrap();
    let out = run(&scope(&["::1"], &[]), &ports, &fast()).await;
    open.sort();
    assert_eq!(out.open, open);
    assert_eq!(out.counts.closed, 3);
    assert_eq!(out.counts.filtered, 0);
    assert!(out.rtt_for("::1".parse().unwrap()).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_rate_stays_under_the_limit() {
    let _serial = serial().await;
    const RATE: usize = 100;
    let mut listeners = Accepts::new();
    for _ in 0..300 {
        listeners.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    }
    let cfg = SweepConfig {
        rate: Some(RATE as u32),
        host_rate: None,
        ..SweepConfig::default()
    };
    let ports = PortList::parse(&spec(listeners.addrs())).unwrap();
    let began = Instant::now();
    let out = run(&scope(&["127.0.0.1"], &[]), &ports, &cfg).await;
    let took = began.elapsed();
    assert_eq!(out.open.len(), 300);
    assert_eq!(listeners.wait_for(300, Duration::from_secs(5)).await, 300);
    let times = listeners.times();
    // Accepts lag connect starts by the handshake and the accept loop's
    // wake-up, a few milliseconds that vary; a second shortened by a
    // generous bound on that jitter must still never hold more than the
    // rate. A burst (say a bucket of 100 refilled at 100/s) would put
    // nearly 200 in it.
    const JITTER: Duration = Duration::from_millis(50);
    for i in RATE..times.len() {
        let span = times[i] - times[i - RATE];
        assert!(
            span >= Duration::from_secs(1) - JITTER,
            "accepts {} to {i} ({} connections) within {span:?}",
            i - RATE,
            RATE + 1
        );
    }
    // 300 at 100/s: three windows, the first at once, so at least 2 s.
    assert!(took >= Duration::from_secs(2), "{took:?}: the limit is off");
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluded_ports_and_hosts_and_outsiders_are_never_touched() {
    let _serial = serial().await;
    let (one, two, three) = (
        Ipv4Addr::new(127, 0, 0, 1),
        Ipv4Addr::new(127, 0, 0, 2),
        Ipv4Addr::new(127, 0, 0, 3),
    );
    let mut listeners = Accepts::new();
    // Same port numbers on three addresses: `kept` is swept, `dropped` is
    // an excluded port.
    let kept = listeners.listen(SocketAddr::from((one, 0))).unwrap().port();
    let dropped = listeners.listen(SocketAddr::from((one, 0))).unwrap().port();
    for ip in [two, three] {
        for port in [kept, dropped] {
            listeners
                .listen(SocketAddr::from((ip, port)))
                .expect("the same port is free on another loopback address");
        }
    }
    let ports =
        PortList::from_specs(&format!("{kept},{dropped}"), Some(&dropped.to_string())).unwrap();

    // 127.0.0.0/30 holds .1 and .2; .2 is excluded.
    let out = run(&scope(&["127.0.0.0/30"], &["127.0.0.2"]), &ports, &fast()).await;
    assert_eq!(out.open, [SocketAddr::from((one, kept))]);
    assert_eq!(out.counts.attempted, 1);
    // Then a scope of 127.0.0.1 alone: .3 is outside it.
    let out = run(&scope(&["127.0.0.1/32"], &[]), &ports, &fast()).await;
    assert_eq!(out.open, [SocketAddr::from((one, kept))]);

    // Both sweeps' connections to the kept port arrive; anything else
    // would have arrived with them.
    assert_eq!(listeners.wait_for(2, Duration::from_secs(5)).await, 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(listeners.count(SocketAddr::from((one, kept))), 2);
    for untouched in [
        SocketAddr::from((one, dropped)),
        SocketAddr::from((two, kept)),
        SocketAddr::from((two, dropped)),
        SocketAddr::from((three, kept)),
        SocketAddr::from((three, dropped)),
    ] {
        assert_eq!(listeners.count(untouched), 0, "{untouched} was touched");
    }
    assert_eq!(listeners.total(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gentle_mode_keeps_one_connection_per_host_and_the_gap() {
    let _serial = serial().await;
    let ip = own_loopback(2);
    // Three ports in ascending order; the middle one never answers (its
    // listener's accept queue is full, so the kernel drops our SYN), which
    // holds the host's only slot for the whole timeout.
    let mut sockets: Vec<tokio::net::TcpSocket> = (0..3)
        .map(|_| {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind(SocketAddr::from((ip, 0))).unwrap();
            s
        })
        .collect();
    sockets.sort_by_key(|s| s.local_addr().unwrap().port());
    let mut listeners = Accepts::new();
    let mut addrs = Vec::new();
    let mut silent = None;
    for (i, s) in sockets.into_iter().enumerate() {
        let addr = s.local_addr().unwrap();
        addrs.push(addr);
        if i == 1 {
            // Linux queues backlog + 1 connections: one, held here.
            let l = s.listen(0).unwrap();
            let held = tokio::net::TcpStream::connect(addr).await.unwrap();
            silent = Some((l, held));
        } else {
            listeners.serve(s.listen(16).unwrap());
        }
    }
    const TIMEOUT: Duration = Duration::from_secs(1);
    let cfg = SweepConfig {
        // A fixed timeout, so the silent port holds the slot for 1 s.
        min_timeout: TIMEOUT,
        max_timeout: TIMEOUT,
        ..SweepConfig::gentle()
    };
    let gap = cfg.host_gap;
    assert_eq!(gap, Duration::from_millis(500));
    let out = run(
        &scope(&[&ip.to_string()], &[]),
        &PortList::parse(&spec(&addrs)).unwrap(),
        &cfg,
    )
    .await;
    assert_eq!(out.open, [addrs[0], addrs[2]]);
    assert_eq!(out.counts.filtered, 1);
    assert_eq!(listeners.wait_for(2, Duration::from_secs(5)).await, 2);
    let t = listeners.times();
    // With two slots, the third connect would start one gap after the
    // silent one; with one slot it waits for its timeout.
    let apart = t[1] - t[0];
    let slack = Duration::from_millis(25);
    assert!(
        apart >= gap + TIMEOUT - slack,
        "{apart:?}: not one at a time"
    );
    assert!(
        apart < gap + TIMEOUT + Duration::from_millis(500),
        "{apart:?}"
    );
    drop(silent);

    // The gap alone, between answered connects.
    let mut listeners = Accepts::new();
    for _ in 0..4 {
        listeners.listen(SocketAddr::from((ip, 0))).unwrap();
    }
    let ports = PortList::parse(&spec(listeners.addrs())).unwrap();
    let out = run(
        &scope(&[&ip.to_string()], &[]),
        &ports,
        &SweepConfig::gentle(),
    )
    .await;
    assert_eq!(out.open.len(), 4);
    assert_eq!(listeners.wait_for(4, Duration::from_secs(5)).await, 4);
    for w in listeners.times().windows(2) {
        assert!(w[1] - w[0] >= gap - slack, "{:?} apart", w[1] - w[0]);
    }
}

/// Not a timed test: correctness of a whole-range sweep, and its figures
/// printed for the record (`cargo test --release -p trustwatch-agent
/// --test sweep -- --nocapture full`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_sweep_of_every_port() {
    let _serial = serial().await;
    let ip = own_loopback(3);
    let mut listeners = Accepts::new();
    for port in [1, 22, 443, 8080, 31337, 65535] {
        listeners.listen(SocketAddr::from((ip, port)));
    }
    for _ in 0..4 {
        listeners.listen(SocketAddr::from((ip, 0)));
    }
    assert!(listeners.addrs().len() >= 5);
    let ports = PortList::parse("-").unwrap();
    let out = run(&scope(&[&ip.to_string()], &[]), &ports, &fast()).await;
    assert_eq!(out.counts.attempted, 65_535);
    assert_eq!(out.counts.filtered, 0);
    assert_eq!(out.counts.errors, 0, "{:?}", out.first_error);
    assert_exactly_listeners(&out.open, ip, listeners.addrs(), &ports);
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    println!(
        "full sweep of {ip}: 65535 ports in {:?} (window {}, {} open, {} retries); {peak}",
        out.elapsed, out.window, out.counts.open, out.counts.retries
    );
}

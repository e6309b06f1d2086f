use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::discover::rtt::TimeoutBounds;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn limits() -> PacerLimits {
    PacerLimits::unlimited()
}

/// Starts `n` paced tasks on `hosts` (round-robin) at once; returns each
/// task's (host index, start time).
async fn starts(pacer: Arc<Pacer>, hosts: &[IpAddr], n: usize) -> Vec<(usize, Instant)> {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let (pacer, h) = (pacer.clone(), i % hosts.len());
        let host = hosts[h];
        set.spawn(async move { (h, pacer.paced(host, || async { Instant::now() }).await) });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out.sort_by_key(|&(_, t)| t);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_rate_holds_in_any_second() {
    let pacer = Arc::new(Pacer::new(PacerLimits {
        rate: NonZeroU32::new(100),
        ..limits()
    }));
    let hosts: Vec<IpAddr> = (1..=10).map(|i| ip(&format!("10.0.0.{i}"))).collect();
    let began = Instant::now();
    let got = starts(pacer, &hosts, 150).await;
    let times: Vec<Instant> = got.iter().map(|&(_, t)| t).collect();
    // No second holds more than 100: the 101st start after any start is
    // at least a second later.
    for i in 100..times.len() {
        assert!(
            times[i] - times[i - 100] >= Duration::from_secs(1),
            "starts {} and {i} are {:?} apart",
            i - 100,
            times[i] - times[i - 100]
        );
    }
    // The first hundred went at once: the limit is a window, not spacing.
    assert!(times[99] - began < Duration::from_millis(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_window_bounds_attempts_in_flight() {
    let pacer = Arc::new(Pacer::new(PacerLimits {
        per_host_window: 2,
        ..limits()
    }));
    let peaks: Arc<[(AtomicUsize, AtomicUsize); 2]> = Arc::new(Default::default());
    let mut set = tokio::task::JoinSet::new();
    for i in 0..24 {
        let (pacer, peaks) = (pacer.clone(), peaks.clone());
        let h = i % 2;
        let host = [ip("10.0.0.1"), ip("10.0.0.2")][h];
        set.spawn(async move {
            pacer
                .paced(host, || async {
                    let (now, peak) = &peaks[h];
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                })
                .await
        });
    }
    let began = Instant::now();
    while set.join_next().await.is_some() {}
    for (_, peak) in peaks.iter() {
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
    // Twelve per host, two at a time, 10 ms each: ~60 ms, the hosts in
    // parallel.
    assert!(began.elapsed() >= Duration::from_millis(60));
    assert!(began.elapsed() < Duration::from_millis(500));
    assert_eq!(pacer.tracked_hosts(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gap_and_host_rate_space_starts_per_host() {
    for (lim, spacing) in [
        (
            PacerLimits {
                per_host_window: 1,
                host_gap: Duration::from_millis(60),
                ..limits()
            },
            Duration::from_millis(60),
        ),
        (
            PacerLimits {
                host_rate: NonZeroU32::new(25),
                ..limits()
            },
            Duration::from_millis(40),
        ),
    ] {
        let pacer = Arc::new(Pacer::new(lim));
        let got = starts(pacer, &[ip("10.0.0.1"), ip("::1")], 10).await;
        for h in 0..2 {
            let mine: Vec<Instant> = got.iter().filter(|s| s.0 == h).map(|s| s.1).collect();
            assert_eq!(mine.len(), 5);
            for w in mine.windows(2) {
                assert!(w[1] - w[0] >= spacing, "{:?} < {spacing:?}", w[1] - w[0]);
            }
        }
        // The two hosts do not wait on each other: both start at once.
        assert!(got[1].1 - got[0].1 < spacing / 2);
    }
}

#[tokio::test]
async fn idle_hosts_leave_no_state() {
    let pacer = Pacer::new(limits());
    for i in 0..5000u32 {
        let host = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        pacer.paced(host, || async {}).await;
    }
    assert_eq!(pacer.tracked_hosts(), 0);
    // With a gap, a host is kept until its gap has passed; sweeps keep
    // the table near the hosts started within the last gap.
    let pacer = Pacer::new(PacerLimits {
        host_gap: Duration::from_millis(5),
        ..limits()
    });
    for i in 0..5000u32 {
        let host = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        pacer.paced(host, || async {}).await;
        if i % 500 == 0 {
            tokio::time::sleep(Duration::from_millis(6)).await;
        }
    }
    assert!(
        pacer.tracked_hosts() <= 2 * MIN_SWEEP,
        "{}",
        pacer.tracked_hosts()
    );
}

#[tokio::test]
async fn a_cancelled_wait_gives_its_slot_back() {
    let pacer = Arc::new(Pacer::new(PacerLimits {
        per_host_window: 1,
        ..limits()
    }));
    let host = ip("10.0.0.1");
    // One task holds the only slot forever; a second waits for it.
    let holder = tokio::spawn({
        let pacer = pacer.clone();
        async move { pacer.paced(host, std::future::pending::<()>).await }
    });
    let waiter = tokio::spawn({
        let pacer = pacer.clone();
        async move { pacer.paced(host, || async {}).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!waiter.is_finished());
    holder.abort();
    tokio::time::timeout(Duration::from_secs(1), waiter)
        .await
        .expect("the slot came back")
        .unwrap();
    assert_eq!(pacer.tracked_hosts(), 0);
}

#[tokio::test]
async fn connect_tells_open_closed_and_filtered() {
    let pacer = Pacer::new(limits());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let open = listener.local_addr().unwrap();
    let a = pacer.connect(open, Duration::from_secs(2)).await;
    assert_eq!(a.state, PortState::Open);
    assert!(a.rtt.is_some());
    // A port just freed: nothing listens.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let a = pacer.connect(closed, Duration::from_secs(2)).await;
    assert_eq!(a.state, PortState::Closed);
    assert!(a.rtt.is_some());
    // A listener whose accept queue is full drops further SYNs: to the
    // scanner that is a silent, filtered port. Linux queues backlog + 1.
    let full = tokio::net::TcpSocket::new_v4().unwrap();
    full.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let full = full.listen(0).unwrap();
    let target = full.local_addr().unwrap();
    let _queued = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(target))
        .await
        .expect("the first connection is queued")
        .unwrap();
    let a = pacer.connect(target, Duration::from_millis(200)).await;
    assert_eq!(a.state, PortState::Filtered);
    assert_eq!(a.rtt, None);
}

#[test]
fn errors_are_classified() {
    let e = |k: ErrorKind| classify(&std::io::Error::from(k));
    assert_eq!(e(ErrorKind::ConnectionRefused), PortState::Closed);
    assert_eq!(e(ErrorKind::ConnectionReset), PortState::Closed);
    assert_eq!(e(ErrorKind::TimedOut), PortState::Filtered);
    assert_eq!(e(ErrorKind::HostUnreachable), PortState::Filtered);
    let PortState::Failed(local) = e(ErrorKind::AddrNotAvailable) else {
        panic!("EADDRNOTAVAIL is ours, not the target's");
    };
    assert!(local.is_transient());
    let emfile = classify(&std::io::Error::from_raw_os_error(EMFILE));
    let PortState::Failed(local) = emfile else {
        panic!("EMFILE is ours");
    };
    assert!(local.is_transient());
    assert!(local.to_string().contains("open files"), "{local}");
    let PortState::Failed(local) = e(ErrorKind::NetworkUnreachable) else {
        panic!("no route is ours");
    };
    assert!(!local.is_transient());
    assert!(!matches!(
        e(ErrorKind::PermissionDenied),
        PortState::Filtered
    ));
}

#[test]
fn host_spacing_rounds_up() {
    let l = PacerLimits {
        host_rate: NonZeroU32::new(3),
        ..limits()
    };
    assert!(l.host_spacing() * 3 >= Duration::from_secs(1));
    let l = PacerLimits {
        host_gap: Duration::from_millis(500),
        ..l
    };
    assert_eq!(l.host_spacing(), Duration::from_millis(500));
    assert_eq!(limits().host_spacing(), Duration::ZERO);
}

#[tokio::test]
async fn paced_dialer_uses_the_host_timeout_within_bounds() {
    let rtts = Arc::new(RttTable::new(TimeoutBounds {
        min: Duration::from_millis(100),
        max: Duration::from_secs(2),
    }));
    let dialer = PacedDialer::new(Arc::new(Pacer::new(limits())), rtts.clone());
    let host = ip("127.0.0.1");
    // No sample: the maximum. Fast host: the floor, not 100 ms.
    assert_eq!(dialer.timeout_for(host), Duration::from_secs(2));
    rtts.sample(host, Duration::from_micros(50));
    assert_eq!(dialer.timeout_for(host), PacedDialer::FLOOR);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stream = dialer.dial(addr).await.unwrap();
    assert_eq!(stream.peer_addr().unwrap(), addr);
    // Under a maximum below the floor, the maximum wins.
    let tight = Arc::new(RttTable::new(TimeoutBounds {
        min: Duration::from_millis(50),
        max: Duration::from_millis(300),
    }));
    tight.sample(host, Duration::from_micros(50));
    let dialer = PacedDialer::new(Arc::new(Pacer::new(limits())), tight);
    assert_eq!(dialer.timeout_for(host), Duration::from_millis(300));
}

/// A per-host spacing below the timer's millisecond tick must not turn
/// into one start per tick: at 1,000,000 a second per host, 3000 starts to
/// one host once took three seconds (every start slept until the next
/// tick), which made `--host-rate 1000000` a limit of 1000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_millisecond_spacing_is_not_rounded_up_to_a_tick() {
    let pacer = Arc::new(Pacer::new(PacerLimits {
        host_rate: NonZeroU32::new(1_000_000),
        ..limits()
    }));
    let began = Instant::now();
    let got = starts(pacer, &[ip("10.0.0.1")], 3000).await;
    assert_eq!(got.len(), 3000);
    let took = Instant::now() - began;
    assert!(
        took < Duration::from_millis(1500),
        "3000 starts at 1e6/s per host took {took:?}"
    );
}

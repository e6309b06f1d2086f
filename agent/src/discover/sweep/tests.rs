use super::config::parse_open_files_soft;
use super::*;
use crate::scope::ScopeLimits;

#[test]
fn defaults_and_gentle() {
    let d = SweepConfig::default();
    assert_eq!(d.validate(), Ok(()));
    assert_eq!(
        (d.window, d.rate, d.host_rate, d.per_host_window),
        (512, Some(1000), Some(200), 16)
    );
    assert_eq!(d.host_gap, Duration::ZERO);
    let g = SweepConfig::gentle();
    assert_eq!(g.validate(), Ok(()));
    assert_eq!(g.per_host_window, 1);
    assert_eq!(g.host_gap, Duration::from_millis(500));
    // Gentle keeps a longer gap asked for, and the other settings.
    let custom = SweepConfig {
        host_gap: Duration::from_secs(2),
        rate: Some(50),
        ..SweepConfig::default()
    }
    .into_gentle();
    assert_eq!(custom.host_gap, Duration::from_secs(2));
    assert_eq!(custom.rate, Some(50));
    let limits = g.pacer_limits();
    assert_eq!(limits.per_host_window, 1);
    assert_eq!(limits.rate.map(|r| r.get()), Some(1000));
}

#[test]
fn bad_values_are_refused_by_name() {
    let d = SweepConfig::default();
    let cases = [
        (SweepConfig { window: 0, ..d }, "window"),
        (SweepConfig { rate: Some(0), ..d }, "rate"),
        (
            SweepConfig {
                host_rate: Some(0),
                ..d
            },
            "host rate",
        ),
        (
            SweepConfig {
                per_host_window: 0,
                ..d
            },
            "per-host window",
        ),
        (
            SweepConfig {
                min_timeout: Duration::ZERO,
                ..d
            },
            "minimum timeout",
        ),
        (
            SweepConfig {
                max_timeout: Duration::from_secs(600),
                ..d
            },
            "timeout",
        ),
        (
            SweepConfig {
                min_timeout: Duration::from_secs(3),
                ..d
            },
            "minimum timeout 3s",
        ),
    ];
    for (cfg, named) in cases {
        let err = cfg.validate().unwrap_err();
        assert!(err.to_string().contains(named), "{err}");
    }
    // Unlimited rates are fine.
    let open = SweepConfig {
        rate: None,
        host_rate: None,
        ..d
    };
    assert_eq!(open.validate(), Ok(()));
    assert_eq!(open.pacer_limits().rate, None);
}

#[test]
fn open_files_limit_is_read_from_proc() {
    let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                Max cpu time              unlimited            unlimited            seconds   \n\
                Max open files            20000                20000                files     \n";
    assert_eq!(parse_open_files_soft(text), Some(20000));
    let text = "Max open files            unlimited            unlimited            files\n";
    assert_eq!(parse_open_files_soft(text), Some(u64::MAX));
    assert_eq!(
        parse_open_files_soft("Max processes 10 10 processes\n"),
        None
    );
    // Here (Linux) the real file parses, and the window is clamped to half.
    let real = std::fs::read_to_string("/proc/self/limits").unwrap();
    let soft = parse_open_files_soft(&real).unwrap();
    let huge = SweepConfig {
        window: usize::MAX,
        ..SweepConfig::default()
    };
    assert_eq!(huge.effective_window() as u64, (soft / 2).max(1));
    assert_eq!(
        SweepConfig::default().effective_window(),
        512.min(soft as usize / 2)
    );
}

#[test]
fn tcp_targets_interleave_hosts() {
    let scope = Scope::new(&["10.0.0.0/30", "10.0.1.9"], &[], ScopeLimits::default()).unwrap();
    let ports = PortList::parse("443,22,U:161").unwrap();
    let got: Vec<String> = tcp_targets(&scope, &ports).map(|a| a.to_string()).collect();
    assert_eq!(
        got,
        [
            "10.0.0.1:22",
            "10.0.0.2:22",
            "10.0.1.9:22",
            "10.0.0.1:443",
            "10.0.0.2:443",
            "10.0.1.9:443"
        ]
    );
    // Lazy: a /16 by every port is 4 billion targets, produced on demand.
    let big = Scope::new(&["10.9.0.0/16"], &[], ScopeLimits::default()).unwrap();
    let all = PortList::all_tcp();
    let mut it = tcp_targets(&big, &all);
    assert_eq!(it.next(), Some("10.9.0.1:1".parse().unwrap()));
    assert_eq!(it.nth(65_532), Some("10.9.255.254:1".parse().unwrap()));
    assert_eq!(it.next(), Some("10.9.0.1:2".parse().unwrap()));
}

#[test]
fn udp_targets_are_listed_not_swept() {
    let scope = Scope::new(&["10.0.0.0/30"], &[], ScopeLimits::default()).unwrap();
    let ports = PortList::parse("22,U:161,162").unwrap();
    let got: Vec<SocketAddr> = udp_targets(&scope, &ports).collect();
    let want: Vec<SocketAddr> = [
        "10.0.0.1:161",
        "10.0.0.1:162",
        "10.0.0.2:161",
        "10.0.0.2:162",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn an_empty_port_list_sweeps_nothing() {
    let scope = Scope::new(&["127.0.0.1"], &[], ScopeLimits::default()).unwrap();
    let ports = PortList::parse("U:161").unwrap();
    let cfg = SweepConfig::default();
    let pacer = Arc::new(Pacer::new(cfg.pacer_limits()));
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let out = sweep(&scope, &ports, &cfg, pacer, &|p| {
        assert_eq!(p.total, 0);
        calls.fetch_add(1, Ordering::Relaxed);
    })
    .await;
    assert!(out.open.is_empty());
    assert_eq!(out.counts, SweepCounts::default());
    assert_eq!(out.window, 0);
    assert_eq!(calls.load(Ordering::Relaxed), 1, "the final report");
}

//! The scheduler with probes that only sleep and count: how many run at
//! once, overall and per host, and the order of the findings.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use trustwatch_rules::{Catalogue, Evidence, Severity, Status};

use super::*;
use crate::net::Resolver;
use crate::probe::{BoxFuture, Limits};

/// Counts probes in flight, overall and per host.
#[derive(Debug, Default)]
struct Gauge {
    now: Mutex<HashMap<String, usize>>,
    max: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
    max_total: AtomicUsize,
    /// When each host's last probe finished.
    finished: Mutex<HashMap<String, std::time::Instant>>,
}

impl Gauge {
    fn enter(&self, host: &str) {
        let mut now = self.now.lock().unwrap();
        let n = now.entry(host.to_owned()).or_default();
        *n += 1;
        let mut max = self.max.lock().unwrap();
        let m = max.entry(host.to_owned()).or_default();
        *m = (*m).max(*n);
        let total = self.total.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_total.fetch_max(total, Ordering::SeqCst);
    }

    fn leave(&self, host: &str) {
        *self.now.lock().unwrap().get_mut(host).unwrap() -= 1;
        self.total.fetch_sub(1, Ordering::SeqCst);
        self.finished
            .lock()
            .unwrap()
            .insert(host.to_owned(), std::time::Instant::now());
    }
}

#[derive(Debug)]
struct Sleeper {
    host: String,
    target: String,
    gauge: Arc<Gauge>,
}

impl Probe for Sleeper {
    fn name(&self) -> &'static str {
        "sleeper"
    }
    fn target(&self) -> &str {
        &self.target
    }
    fn rules(&self) -> &'static [&'static str] {
        &["TLS-003"]
    }
    fn host(&self) -> String {
        self.host.clone()
    }
    fn run<'a>(&'a self, _ctx: &'a ProbeContext) -> BoxFuture<'a, Vec<Finding>> {
        Box::pin(async move {
            self.gauge.enter(&self.host);
            tokio::time::sleep(Duration::from_millis(30)).await;
            self.gauge.leave(&self.host);
            vec![Finding {
                rule_id: "TLS-003".into(),
                title: String::new(),
                severity: Severity::High,
                status: Status::Pass,
                target: self.target.clone(),
                summary: String::new(),
                evidence: Evidence::new(),
                controls: vec![],
                remediation: String::new(),
            }]
        })
    }
}

fn ctx() -> ProbeContext {
    ProbeContext {
        catalogue: Arc::new(Catalogue::embedded().unwrap()),
        now: scan_time(),
        limits: Limits::default(),
        resolver: Resolver::system(),
    }
}

/// 40 probes over 4 hosts (host = index % 4), run within `schedule`.
async fn scan(schedule: Schedule) -> (Arc<Gauge>, Vec<Finding>, usize) {
    let gauge = Arc::new(Gauge::default());
    let probes: Vec<Arc<dyn Probe>> = (0..40)
        .map(|i| {
            Arc::new(Sleeper {
                host: format!("10.0.0.{}", i % 4),
                target: format!("10.0.0.{}:{}", i % 4, 1000 + i),
                gauge: gauge.clone(),
            }) as Arc<dyn Probe>
        })
        .collect();
    let mut done = 0;
    let findings = run(&probes, &ctx(), schedule, &mut || done += 1).await;
    (gauge, findings, done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn per_host_and_global_limits_hold_and_are_reached() {
    for (concurrency, per_host) in [(32, 1), (3, 2), (32, 3), (1, 4)] {
        let (gauge, findings, done) = scan(Schedule {
            concurrency,
            per_host,
        })
        .await;
        let max = gauge.max.lock().unwrap();
        let worst = *max.values().max().unwrap();
        let expected_host = per_host.min(concurrency);
        assert_eq!(worst, expected_host, "({concurrency}, {per_host}): {max:?}");
        assert_eq!(
            gauge.max_total.load(Ordering::SeqCst),
            concurrency.min(4 * per_host),
            "({concurrency}, {per_host})"
        );
        assert_eq!(done, 40);
        let targets: Vec<&str> = findings.iter().map(|f| f.target.as_str()).collect();
        let expected: Vec<String> = (0..40)
            .map(|i| format!("10.0.0.{}:{}", i % 4, 1000 + i))
            .collect();
        assert_eq!(targets, expected, "findings in probe order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_queue_for_one_host_does_not_starve_the_others() {
    let gauge = Arc::new(Gauge::default());
    // 30 probes for one host, then one each for two others, listed last.
    let mut probes: Vec<Arc<dyn Probe>> = (0..30)
        .map(|i| {
            Arc::new(Sleeper {
                host: "busy".into(),
                target: format!("busy:{}", 1000 + i),
                gauge: gauge.clone(),
            }) as Arc<dyn Probe>
        })
        .collect();
    for host in ["a", "b"] {
        probes.push(Arc::new(Sleeper {
            host: host.into(),
            target: format!("{host}:443"),
            gauge: gauge.clone(),
        }));
    }
    let started = std::time::Instant::now();
    let schedule = Schedule {
        concurrency: 2,
        per_host: 1,
    };
    let findings = run(&probes, &ctx(), schedule, &mut || {}).await;
    assert_eq!(findings.len(), 32);
    // The busy host runs one probe at a time (30 × 30 ms). Its queue holds
    // no global permit, so the second permit serves the two other hosts at
    // once rather than after the busy host's queue.
    let finished = gauge.finished.lock().unwrap();
    let busy = finished["busy"] - started;
    for host in ["a", "b"] {
        let at = finished[host] - started;
        assert!(at * 4 < busy, "{host} finished at {at:?}, busy at {busy:?}");
    }
    assert_eq!(gauge.max.lock().unwrap()["busy"], 1);
}

use proptest::prelude::*;
use serde_json::json;
use time::macros::{date, datetime};

use super::*;
use crate::alerts::AlertList;
use crate::observe::{
    AdvisorySeverity, AutoUpdates, InstalledPackage, KernelState, OsRelease, PackageFormat,
    RebootState,
};

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

// Parsed once: the property tests evaluate hundreds of systems.
fn catalogue() -> &'static Catalogue {
    static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::embedded().unwrap())
}

fn lifecycle() -> Lifecycle {
    static LIFECYCLE: std::sync::OnceLock<Lifecycle> = std::sync::OnceLock::new();
    LIFECYCLE
        .get_or_init(|| Lifecycle::embedded().unwrap())
        .clone()
}

fn debian(version: &str) -> OsRelease {
    OsRelease {
        id: "debian".into(),
        version_id: Some(version.into()),
        pretty_name: Some(format!("Debian GNU/Linux {version}")),
        ..OsRelease::default()
    }
}

fn system() -> SystemObservation {
    SystemObservation {
        target: "ward-pc-01".into(),
        root: "/".into(),
        os: Some(debian("12")),
        package_sources: vec!["/var/lib/dpkg/status".into()],
        packages: vec![InstalledPackage {
            format: PackageFormat::Dpkg,
            name: "libssl3".into(),
            version: "3.0.11-1~deb12u1".into(),
            source_name: Some("openssl".into()),
            source_version: None,
            arch: Some("amd64".into()),
        }],
        kernel: Some(KernelState {
            running: Some("6.1.0-18-amd64".into()),
            installed: vec!["6.1.0-18-amd64".into()],
            newer_installed: Some(false),
            newest_installed_at: None,
        }),
        reboot: RebootState {
            checked: vec!["/run/reboot-required".into()],
            ..RebootState::default()
        },
        auto_updates: AutoUpdates {
            tool: Some("unattended-upgrades".into()),
            enabled: true,
            evidence: vec![
                "/etc/apt/apt.conf.d/20auto-upgrades: APT::Periodic::Unattended-Upgrade \"1\";"
                    .into(),
            ],
            last_success: Some(NOW - Duration::days(1)),
            last_success_source: Some("/var/lib/apt/periodic/unattended-upgrades-stamp".into()),
        },
        problems: Vec::new(),
    }
}

/// A match for openssl, published `days_ago` days before NOW.
fn adv(id: &str, days_ago: Option<i64>, rating: Option<&str>, cvss: Option<f64>) -> AdvisoryMatch {
    AdvisoryMatch {
        id: id.into(),
        cves: vec![format!("CVE-2026-{}", 1000 + id.len())],
        ecosystem: "Debian:12".into(),
        package: "openssl".into(),
        binaries: vec!["libssl3".into()],
        installed_version: "3.0.11-1~deb12u1".into(),
        fixed_version: Some("3.0.15-1~deb12u1".into()),
        published: days_ago.map(|d| NOW - Duration::days(d)),
        severity: AdvisorySeverity {
            rating: rating.map(str::to_owned),
            cvss_score: cvss,
            cvss_vector: None,
        },
        summary: None,
    }
}

struct Setup {
    system: SystemObservation,
    matches: Vec<AdvisoryMatch>,
    lifecycle: Lifecycle,
    alerts: Option<AlertList>,
    assessed: bool,
    now: OffsetDateTime,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            system: system(),
            matches: Vec::new(),
            lifecycle: lifecycle(),
            alerts: None,
            assessed: true,
            now: NOW,
        }
    }

    fn run(&self) -> Vec<Finding> {
        let scan = PackageScan {
            system: &self.system,
            matches: &self.matches,
            lifecycle: &self.lifecycle,
            alerts: self.alerts.as_ref(),
            advisories_assessed: self.assessed,
            now: self.now,
        };
        crate::evaluate::packages(catalogue(), &scan)
    }

    fn rule(&self, id: &str) -> Finding {
        self.run().into_iter().find(|f| f.rule_id == id).unwrap()
    }
}

fn ev<'a>(f: &'a Finding, key: &str) -> &'a serde_json::Value {
    f.evidence
        .get(key)
        .unwrap_or_else(|| panic!("{} has no `{key}`: {:?}", f.rule_id, f.evidence))
}

#[test]
fn a_healthy_system_passes_every_rule_in_catalogue_order() {
    let s = Setup::new();
    let f = s.run();
    let ids: Vec<&str> = f.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, PACKAGE_RULES);
    for f in &f {
        assert_eq!(f.target, "ward-pc-01");
        let want = if f.rule_id == "PATCH-002" {
            Status::NotApplicable
        } else {
            Status::Pass
        };
        assert_eq!(f.status, want, "{}: {}", f.rule_id, f.summary);
        assert_eq!(ev(f, "scan_time"), "2026-11-22T12:00:00Z");
    }
}

#[test]
fn package_rules_are_in_catalogue_order_and_run_in_agent_mode() {
    let cat = catalogue();
    let ordered: Vec<&str> = cat
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| PACKAGE_RULES.contains(id))
        .collect();
    assert_eq!(ordered, PACKAGE_RULES);
    for id in PACKAGE_RULES {
        assert!(cat.rule(id).unwrap().modes.contains(&Mode::Agent), "{id}");
    }
}

// ---------------------------------------------------------------- OS-001

#[test]
fn os_in_support_passes_with_days_left() {
    let f = Setup::new().rule("OS-001");
    assert_eq!(f.status, Status::Pass);
    assert_eq!(ev(&f, "release"), "Debian 12 (bookworm)");
    assert_eq!(ev(&f, "security_until"), "2028-06-30");
    assert_eq!(ev(&f, "lifecycle_version"), "2026.11.1");
    assert_eq!(ev(&f, "extended_support_applied"), false);
    assert_eq!(
        ev(&f, "days_left"),
        (date!(2028 - 06 - 30) - date!(2026 - 11 - 22)).whole_days()
    );
    assert!(f.summary.contains("until 2028-06-30"), "{}", f.summary);
}

#[test]
fn os_past_support_fails_and_esm_enrolment_extends_it() {
    let mut s = Setup::new();
    s.system.os = Some(OsRelease {
        id: "ubuntu".into(),
        version_id: Some("18.04".into()),
        pretty_name: Some("Ubuntu 18.04.6 LTS".into()),
        ..OsRelease::default()
    });
    let f = s.rule("OS-001");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.severity, crate::severity::Severity::Critical);
    assert_eq!(
        ev(&f, "days_past_end"),
        (date!(2026 - 11 - 22) - date!(2023 - 05 - 31)).whole_days()
    );
    assert_eq!(ev(&f, "extended_support")["name"], "Ubuntu Pro ESM");
    assert_eq!(ev(&f, "extended_support")["enrolled"], false);
    assert!(f.summary.contains("no enrolment was seen"), "{}", f.summary);

    s.system.os.as_mut().unwrap().extended_support = vec!["ubuntu-pro-esm".into()];
    let f = s.rule("OS-001");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert_eq!(ev(&f, "extended_support_applied"), true);
    assert_eq!(ev(&f, "supported_until"), "2028-04-30");
    assert!(
        f.summary.contains("Ubuntu Pro ESM until 2028-04-30"),
        "{}",
        f.summary
    );

    // Enrolled, but the extension has ended too.
    s.now = datetime!(2028-05-01 00:00 UTC);
    let f = s.rule("OS-001");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.summary.contains("its Ubuntu Pro ESM ended on 2028-04-30"),
        "{}",
        f.summary
    );
}

#[test]
fn the_last_day_of_support_still_passes() {
    let mut s = Setup::new();
    s.now = datetime!(2028-06-30 23:59 UTC);
    assert_eq!(s.rule("OS-001").status, Status::Pass);
    s.now = datetime!(2028-07-01 00:00 UTC);
    let f = s.rule("OS-001");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(ev(&f, "days_past_end"), 1);
}

#[test]
fn windows_editions_decide_the_dates() {
    let mut s = Setup::new();
    s.system.os = Some(OsRelease {
        id: "windows".into(),
        version_id: Some("10.0.26100.2314".into()),
        edition: Some("Professional".into()),
        ..OsRelease::default()
    });
    let f = s.rule("OS-001");
    assert_eq!(f.status, Status::Fail, "{}", f.summary);
    assert_eq!(ev(&f, "security_until"), "2026-10-13");
    s.system.os.as_mut().unwrap().edition = Some("Enterprise".into());
    let f = s.rule("OS-001");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert_eq!(ev(&f, "edition_dates"), "edition Enterprise");
    s.system.os.as_mut().unwrap().edition = Some("ServerDatacenter".into());
    let f = s.rule("OS-001");
    assert_eq!(ev(&f, "release"), "Windows Server 2025");
    assert_eq!(f.status, Status::Pass);
}

#[test]
fn unknown_or_missing_os_is_an_error_not_a_pass() {
    let mut s = Setup::new();
    s.system.os = Some(OsRelease {
        id: "debian".into(),
        version_id: Some("8".into()),
        pretty_name: Some("Debian GNU/Linux 8 (jessie)".into()),
        ..OsRelease::default()
    });
    let f = s.rule("OS-001");
    assert_eq!(f.status, Status::Error);
    assert_eq!(
        f.summary,
        "could not assess: Debian GNU/Linux 8 (jessie) is not in lifecycle table 2026.11.1"
    );
    s.system.os = None;
    let f = s.rule("OS-001");
    assert_eq!(f.status, Status::Error);
    assert_eq!(ev(&f, "error"), "no os-release was read");
}

// ---------------------------------------------------------------- PATCH-001

#[test]
fn overdue_fixes_fail_most_overdue_first() {
    let mut s = Setup::new();
    s.matches = vec![
        adv("DSA-1", Some(20), Some("high"), None),
        adv("DSA-22", Some(40), None, None), // unrated
        adv("DSA-333", Some(30), Some("medium"), Some(7.5)), // by CVSS
        adv("DSA-4444", Some(90), Some("moderate"), None), // below the bar
        adv("DSA-55555", Some(3), Some("critical"), None), // within 14 days
        adv("DEBIAN-CVE-1", Some(100), Some("unknown"), Some(5.0)), // scored below
    ];
    let mut nofix = adv("DEBIAN-CVE-2", Some(100), Some("critical"), None);
    nofix.fixed_version = None;
    s.matches.push(nofix);
    let f = s.rule("PATCH-001");
    assert_eq!(f.status, Status::Fail);
    let overdue = ev(&f, "overdue").as_array().unwrap();
    let order: Vec<(&str, i64, &str)> = overdue
        .iter()
        .map(|o| {
            (
                o["advisory"].as_str().unwrap(),
                o["days_overdue"].as_i64().unwrap(),
                o["severity_basis"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("DSA-22", 26, "unrated"),
            ("DSA-333", 16, "CVSS 7.5"),
            ("DSA-1", 6, "vendor rating high"),
        ]
    );
    assert_eq!(overdue[0]["days_since_published"], 40);
    assert_eq!(overdue[0]["published"], "2026-10-13T12:00:00Z");
    assert_eq!(overdue[0]["installed"], "3.0.11-1~deb12u1");
    assert_eq!(overdue[0]["fixed"], "3.0.15-1~deb12u1");
    assert_eq!(overdue[0]["binaries"], json!(["libssl3"]));
    assert_eq!(ev(&f, "max_days_overdue"), 26);
    assert_eq!(ev(&f, "overdue_count"), 3);
    assert_eq!(ev(&f, "within_14_days"), 1);
    assert_eq!(ev(&f, "below_severity_bar"), 2);
    assert_eq!(ev(&f, "no_fix_yet"), 1);
    assert_eq!(ev(&f, "scan_date"), "2026-11-22");
    assert!(
        f.summary
            .starts_with("3 critical, high or unrated fixes for 1 package not installed")
            && f.summary
                .contains("26 days overdue (DSA-22 for openssl, published 2026-10-13)"),
        "{}",
        f.summary
    );
}

#[test]
fn the_fourteenth_day_is_still_within_the_allowance() {
    let mut s = Setup::new();
    s.matches = vec![adv("DSA-1", Some(14), Some("critical"), None)];
    let f = s.rule("PATCH-001");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert_eq!(ev(&f, "within_14_days"), 1);
    // Late on the publication day still counts from that calendar day.
    s.matches[0].published = Some(datetime!(2026-11-07 23:59 UTC));
    let f = s.rule("PATCH-001");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(ev(&f, "overdue")[0]["days_overdue"], 1);
}

#[test]
fn undated_fixes_are_an_error_alone_and_listed_beside_a_failure() {
    let mut s = Setup::new();
    s.matches = vec![adv("USN-1", None, Some("high"), None)];
    let f = s.rule("PATCH-001");
    assert_eq!(f.status, Status::Error, "{}", f.summary);
    assert!(f
        .summary
        .contains("1 missing critical, high or unrated fix has no publication date"));
    assert_eq!(ev(&f, "undated")[0]["advisory"], "USN-1");
    s.matches.push(adv("USN-2", Some(30), Some("high"), None));
    let f = s.rule("PATCH-001");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(ev(&f, "undated").as_array().unwrap().len(), 1);
    // An undated fix below the bar does not matter.
    s.matches = vec![adv("USN-3", None, Some("low"), None)];
    assert_eq!(s.rule("PATCH-001").status, Status::Pass);
}

#[test]
fn unassessed_advisories_or_no_packages_are_errors() {
    let mut s = Setup::new();
    s.assessed = false;
    for id in ["PATCH-001", "PATCH-002"] {
        s.alerts = Some(AlertList::from_text("CVE-2024-3400\n", "alerts.txt").unwrap());
        let f = s.rule(id);
        assert_eq!(f.status, Status::Error, "{id}");
        assert_eq!(
            ev(&f, "error"),
            "no advisory data covered this system's packages"
        );
    }
    s.assessed = true;
    s.system.packages.clear();
    s.system.problems = vec!["/var/lib/dpkg/status: cannot be read: permission denied".into()];
    let f = s.rule("PATCH-001");
    assert_eq!(f.status, Status::Error);
    assert_eq!(ev(&f, "error"), "no installed packages were read");
    assert_eq!(
        ev(&f, "problems")[0],
        "/var/lib/dpkg/status: cannot be read: permission denied"
    );
}

#[test]
fn severity_bar() {
    let sev = |rating: Option<&str>, cvss: Option<f64>| {
        overdue::qualifies(&AdvisorySeverity {
            rating: rating.map(str::to_owned),
            cvss_score: cvss,
            cvss_vector: None,
        })
    };
    assert_eq!(
        sev(Some("Important"), None),
        Some(overdue::Basis::Rating("important".into()))
    );
    assert_eq!(sev(Some("low"), Some(9.8)), Some(overdue::Basis::Cvss(9.8)));
    assert_eq!(sev(None, Some(7.0)), Some(overdue::Basis::Cvss(7.0)));
    assert_eq!(sev(None, Some(6.9)), None);
    assert_eq!(sev(None, None), Some(overdue::Basis::Unrated));
    assert_eq!(
        sev(Some("not yet assigned"), None),
        Some(overdue::Basis::Unrated)
    );
    assert_eq!(sev(Some("negligible"), None), None);
    assert_eq!(sev(Some("medium"), None), None);
}

// ---------------------------------------------------------------- PATCH-002

#[test]
fn alert_cves_present_fail_even_without_a_fix_or_fourteen_days() {
    let mut s = Setup::new();
    let mut recent = adv("DSA-1", Some(2), Some("critical"), None);
    recent.cves = vec!["CVE-2024-3400".into(), "CVE-2024-0001".into()];
    let mut unfixed = adv("DEBIAN-CVE-2023-4966", Some(50), None, None);
    unfixed.fixed_version = None;
    unfixed.cves = vec!["cve-2023-4966".into()];
    let mut dup = recent.clone();
    dup.binaries = vec!["openssl".into()];
    s.matches = vec![recent, unfixed, dup];
    s.alerts = Some(
        AlertList::from_text(
            "CVE-2024-3400 CC-4485\nCVE-2023-4966 CC-4395\nCVE-2021-44228\nbad line\n",
            "nhs-alerts.txt",
        )
        .unwrap(),
    );
    let f = s.rule("PATCH-002");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.summary,
        "2 vulnerabilities on the alert list present: CVE-2023-4966, CVE-2024-3400"
    );
    let present = ev(&f, "present").as_array().unwrap();
    assert_eq!(present.len(), 2, "{present:?}");
    assert_eq!(present[1]["alert_reference"], "CC-4485");
    assert_eq!(present[1]["advisory"], "DSA-1");
    assert_eq!(present[0]["fixed"], serde_json::Value::Null);
    assert_eq!(ev(&f, "alert_list")["source"], "nhs-alerts.txt");
    assert_eq!(ev(&f, "alert_list")["entries"], 3);
    assert_eq!(ev(&f, "alert_list_problems").as_array().unwrap().len(), 1);
}

#[test]
fn no_listed_cve_passes_and_no_list_is_not_applicable() {
    let mut s = Setup::new();
    s.matches = vec![adv("DSA-1", Some(30), Some("high"), None)];
    let f = s.rule("PATCH-002");
    assert_eq!(f.status, Status::NotApplicable);
    assert_eq!(f.summary, "no alert list was given");
    s.alerts = Some(AlertList::from_text("CVE-2024-3400\n", "a.txt").unwrap());
    let f = s.rule("PATCH-002");
    assert_eq!(f.status, Status::Pass);
    assert_eq!(ev(&f, "matches_checked"), 1);
    assert_eq!(f.summary, "none of the 1 CVE on the alert list is present");
}

// ---------------------------------------------------------------- PATCH-003

#[test]
fn reboots_pending_within_fourteen_days_pass_and_longer_fail() {
    let mut s = Setup::new();
    s.system.reboot.required = true;
    s.system.reboot.since = Some(NOW - Duration::days(3));
    s.system.reboot.packages = vec!["linux-image-6.1.0-27-amd64".into()];
    let f = s.rule("PATCH-003");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert_eq!(ev(&f, "pending_days"), 3);
    s.system.reboot.since = Some(NOW - Duration::days(14));
    assert_eq!(s.rule("PATCH-003").status, Status::Pass);
    s.system.reboot.since = Some(NOW - Duration::days(14) - Duration::minutes(1));
    let f = s.rule("PATCH-003");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(ev(&f, "pending_days"), 14);
    assert_eq!(ev(&f, "reboot_packages")[0], "linux-image-6.1.0-27-amd64");
}

#[test]
fn a_newer_kernel_without_a_dated_marker_fails_for_an_unknown_time() {
    let mut s = Setup::new();
    s.system.kernel = Some(KernelState {
        running: Some("5.14.0-427.13.1.el9_4.x86_64".into()),
        installed: vec![
            "5.14.0-427.13.1.el9_4.x86_64".into(),
            "5.14.0-503.14.1.el9_5.x86_64".into(),
        ],
        newer_installed: Some(true),
        newest_installed_at: None,
    });
    let f = s.rule("PATCH-003");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("kernel 5.14.0-503.14.1.el9_5.x86_64 is installed but 5.14.0-427.13.1.el9_4.x86_64 is running"), "{}", f.summary);
    assert!(f.summary.contains("unknown time"), "{}", f.summary);
    assert_eq!(ev(&f, "pending_days"), &serde_json::Value::Null);
    // A dated marker dates it.
    s.system.reboot.required = true;
    s.system.reboot.since = Some(NOW - Duration::days(2));
    let f = s.rule("PATCH-003");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    // A marker with no time cannot date anything either.
    s.system.reboot.since = None;
    assert_eq!(s.rule("PATCH-003").status, Status::Fail);
    // Without a marker, the new kernel's install time dates it (the Red
    // Hat family has no marker): 3 days is within the allowance, 20 not.
    s.system.reboot.required = false;
    let kernel = s.system.kernel.as_mut().unwrap();
    kernel.newest_installed_at = Some(NOW - Duration::days(3));
    let f = s.rule("PATCH-003");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert_eq!(ev(&f, "pending_days"), 3);
    s.system.kernel.as_mut().unwrap().newest_installed_at = Some(NOW - Duration::days(20));
    let f = s.rule("PATCH-003");
    assert_eq!(f.status, Status::Fail, "{}", f.summary);
    assert_eq!(ev(&f, "pending_days"), 20);
    // With both, the older date counts.
    s.system.reboot.required = true;
    s.system.reboot.since = Some(NOW - Duration::days(1));
    assert_eq!(ev(&s.rule("PATCH-003"), "pending_days"), 20);
    // An install time alone dates nothing when no newer kernel waits.
    s.system.reboot.required = false;
    s.system.kernel.as_mut().unwrap().newer_installed = Some(false);
    assert_eq!(s.rule("PATCH-003").status, Status::Pass);
}

#[test]
fn nothing_looked_at_is_an_error() {
    let mut s = Setup::new();
    s.system.kernel = None;
    s.system.reboot.checked.clear();
    let f = s.rule("PATCH-003");
    assert_eq!(f.status, Status::Error);
    assert_eq!(ev(&f, "error"), "no reboot marker or kernel state was read");
}

// ---------------------------------------------------------------- PATCH-004

#[test]
fn automatic_updates_off_missing_or_stalled_fail() {
    let mut s = Setup::new();
    s.system.auto_updates.last_success = Some(NOW - Duration::days(7));
    let f = s.rule("PATCH-004");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert_eq!(ev(&f, "age_days"), 7);
    assert_eq!(ev(&f, "configuration").as_array().unwrap().len(), 1);

    s.system.auto_updates.last_success = Some(NOW - Duration::days(7) - Duration::seconds(1));
    let f = s.rule("PATCH-004");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.summary,
        "unattended-upgrades last succeeded 7 days ago, more than the 7 allowed"
    );

    s.system.auto_updates.last_success = None;
    let f = s.rule("PATCH-004");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("no record of a successful run"));

    s.system.auto_updates.enabled = false;
    let f = s.rule("PATCH-004");
    assert_eq!(
        f.summary,
        "unattended-upgrades is installed but not set to install updates"
    );

    s.system.auto_updates.tool = None;
    let f = s.rule("PATCH-004");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.summary, "no automatic update tool is installed");
}

// ---------------------------------------------------------------- properties

fn arb_match() -> impl Strategy<Value = AdvisoryMatch> {
    (
        prop::option::of(0i64..120 * 86_400),
        prop::option::of(prop::sample::select(vec![
            "critical",
            "high",
            "important",
            "medium",
            "moderate",
            "low",
            "odd",
        ])),
        prop::option::of(0.0f64..10.0),
        any::<bool>(),
    )
        .prop_map(|(secs, rating, cvss, fixed)| {
            let mut m = adv("DSA-9", None, rating, cvss);
            m.published = secs.map(|s| NOW - Duration::seconds(s));
            if !fixed {
                m.fixed_version = None;
            }
            m
        })
}

proptest! {
    #[test]
    fn patch_001_never_fails_within_fourteen_days(
        ages in prop::collection::vec(0i64..(14 * 86_400 + 12 * 3_600), 0..20),
        rating in prop::option::of(prop::sample::select(vec!["critical", "high", "low"])),
    ) {
        let mut s = Setup::new();
        s.matches = ages
            .iter()
            .map(|&a| {
                let mut m = adv("DSA-1", None, rating, None);
                m.published = Some(NOW - Duration::seconds(a));
                m
            })
            .collect();
        let f = s.rule("PATCH-001");
        prop_assert_eq!(f.status, Status::Pass);
    }

    #[test]
    fn moving_now_forward_never_turns_a_fail_into_a_pass(
        matches in prop::collection::vec(arb_match(), 0..12),
        reboot_secs in prop::option::of(0i64..40 * 86_400),
        newer_kernel in any::<bool>(),
        last_success_secs in prop::option::of(0i64..20 * 86_400),
        os_pick in 0usize..80,
        later_secs in 0i64..3 * 365 * 86_400,
    ) {
        let mut s = Setup::new();
        s.matches = matches;
        let releases = &s.lifecycle.releases;
        let r = &releases[os_pick % releases.len()];
        s.system.os = Some(OsRelease {
            id: r.os.clone(),
            version_id: Some(r.version.clone()),
            ..OsRelease::default()
        });
        s.system.reboot.required = reboot_secs.is_some();
        s.system.reboot.since = reboot_secs.map(|x| NOW - Duration::seconds(x));
        s.system.kernel.as_mut().unwrap().newer_installed = Some(newer_kernel);
        s.system.auto_updates.last_success = last_success_secs.map(|x| NOW - Duration::seconds(x));
        s.alerts = Some(AlertList::from_text("CVE-2026-1005\n", "a.txt").unwrap());
        let before = s.run();
        s.now = NOW + Duration::seconds(later_secs);
        let after = s.run();
        prop_assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            if b.status == Status::Fail {
                prop_assert_eq!(a.status, Status::Fail, "{} turned from fail to {}", b.rule_id, a.status);
            }
        }
    }
}

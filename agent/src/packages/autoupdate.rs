//! Whether the system installs updates by itself, and when it last did:
//! unattended-upgrades on Debian and Ubuntu, dnf-automatic on the RHEL
//! family. Alpine has no such tool.

pub mod aptconf;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use trustwatch_rules::observe::{AutoUpdates, InstalledPackage, PackageFormat};

use super::rootfs::{is_absent, RootFs};

const APT_CONF_D: &str = "/etc/apt/apt.conf.d";
/// apt reads `apt.conf.d` first and the main file last, so it wins.
const APT_CONF: &str = "/etc/apt/apt.conf";
const UU_KEY: &str = "APT::Periodic::Unattended-Upgrade";
/// Touched by apt's daily job after unattended-upgrade exits successfully.
const UU_STAMP: &str = "/var/lib/apt/periodic/unattended-upgrades-stamp";
const UU_LOG: &str = "/var/log/unattended-upgrades/unattended-upgrades.log";
/// The log lines of a run that ended well, with or without updates.
const UU_SUCCESS: [&str; 2] = [
    "All upgrades installed",
    "No packages found that can be upgraded unattended",
];

const DNF_CONF: &str = "/etc/dnf/automatic.conf";
const TIMER_WANTS: &str = "/etc/systemd/system/timers.target.wants";
const DNF_CACHE: &str = "/var/cache/dnf";

/// The automatic-update state of the root, given its installed packages.
pub fn read(fs: &RootFs, packages: &[InstalledPackage], problems: &mut Vec<String>) -> AutoUpdates {
    let has = |format: PackageFormat, names: &[&str]| {
        packages
            .iter()
            .any(|p| p.format == format && names.contains(&p.name.as_str()))
    };
    if has(PackageFormat::Dpkg, &["unattended-upgrades"]) {
        unattended_upgrades(fs, problems)
    } else if has(
        PackageFormat::Rpm,
        &["dnf-automatic", "dnf5-plugin-automatic"],
    ) {
        dnf_automatic(fs, problems)
    } else {
        let evidence = if packages.iter().any(|p| p.format == PackageFormat::Dpkg) {
            vec!["the unattended-upgrades package is not installed".to_owned()]
        } else if packages.iter().any(|p| p.format == PackageFormat::Rpm) {
            vec!["the dnf-automatic package is not installed".to_owned()]
        } else {
            Vec::new()
        };
        AutoUpdates {
            evidence,
            ..AutoUpdates::default()
        }
    }
}

/// Reads a file that may be absent; an unreadable one is a problem.
fn optional_text(fs: &RootFs, path: &str, problems: &mut Vec<String>) -> Option<String> {
    match fs.read_text(path) {
        Ok(text) => Some(text),
        Err(err) if is_absent(&err) => None,
        Err(err) => {
            problems.push(format!("{}: cannot be read: {err}", fs.display(path)));
            None
        }
    }
}

/// The files apt reads its configuration from, in its order.
fn apt_config_files(fs: &RootFs, problems: &mut Vec<String>) -> Vec<String> {
    let mut files = Vec::new();
    match fs.list(APT_CONF_D) {
        Ok(names) => files.extend(
            names
                .into_iter()
                .filter(|n| aptconf::is_read_by_apt(n))
                .map(|n| format!("{APT_CONF_D}/{n}")),
        ),
        Err(err) if is_absent(&err) => {}
        Err(err) => problems.push(format!(
            "{}: cannot be listed: {err}",
            fs.display(APT_CONF_D)
        )),
    }
    files.push(APT_CONF.to_owned());
    files
}

fn unattended_upgrades(fs: &RootFs, problems: &mut Vec<String>) -> AutoUpdates {
    // The last assignment apt reads is the one in force.
    let mut setting: Option<(String, String)> = None;
    for file in apt_config_files(fs, problems) {
        let Some(text) = optional_text(fs, &file, problems) else {
            continue;
        };
        for a in aptconf::assignments(&text) {
            if a.key.eq_ignore_ascii_case(UU_KEY) {
                let evidence = format!("{file}:{}: {UU_KEY} \"{}\"", a.line, a.value);
                setting = Some((a.value, evidence));
            }
        }
    }
    let (enabled, evidence) = match setting {
        // The value is an interval in days ("always" since apt 1.x);
        // 0 or anything unreadable turns the job off.
        Some((value, evidence)) => (
            value.eq_ignore_ascii_case("always")
                || value.trim().parse::<u32>().is_ok_and(|d| d > 0),
            evidence,
        ),
        None => (
            false,
            format!(
                "{UU_KEY} is set in neither {APT_CONF_D} nor {APT_CONF} (apt's default is off)"
            ),
        ),
    };
    let (last_success, last_success_source) = match modified(fs, UU_STAMP, problems) {
        Some(when) => (Some(when), Some(UU_STAMP.to_owned())),
        None => match optional_text(fs, UU_LOG, problems).and_then(|log| last_logged_success(&log))
        {
            Some(when) => (Some(when), Some(UU_LOG.to_owned())),
            None => (None, None),
        },
    };
    AutoUpdates {
        tool: Some("unattended-upgrades".to_owned()),
        enabled,
        evidence: vec![evidence],
        last_success,
        last_success_source,
    }
}

/// The modification time of a file that may be absent.
fn modified(fs: &RootFs, path: &str, problems: &mut Vec<String>) -> Option<OffsetDateTime> {
    match fs.metadata(path).and_then(|m| m.modified()) {
        Ok(t) => Some(t.into()),
        Err(err) if is_absent(&err) => None,
        Err(err) => {
            problems.push(format!("{}: cannot be read: {err}", fs.display(path)));
            None
        }
    }
}

/// The time of the last successful run in unattended-upgrades' log
/// (`2024-05-01 06:25:13,123 INFO All upgrades installed`). The log has
/// the host's local time without a zone; it is taken as UTC, which is
/// what NHS servers run on in practice and at most an hour out otherwise.
pub fn last_logged_success(log: &str) -> Option<OffsetDateTime> {
    log.lines()
        .rev()
        .filter(|line| UU_SUCCESS.iter().any(|s| line.contains(s)))
        .find_map(log_time)
}

fn log_time(line: &str) -> Option<OffsetDateTime> {
    let stamp = line.get(..19)?;
    let (date, clock) = stamp.split_once(' ')?;
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = clock.split(':').collect();
    let ([y, mo, da], [h, mi, s]) = (d.as_slice(), t.as_slice()) else {
        return None;
    };
    let date = Date::from_calendar_date(
        y.parse().ok()?,
        Month::try_from(mo.parse::<u8>().ok()?).ok()?,
        da.parse().ok()?,
    )
    .ok()?;
    let time = Time::from_hms(h.parse().ok()?, mi.parse().ok()?, s.parse().ok()?).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

fn dnf_automatic(fs: &RootFs, problems: &mut Vec<String>) -> AutoUpdates {
    let mut evidence = Vec::new();
    let apply = optional_text(fs, DNF_CONF, problems).and_then(|text| apply_updates(&text));
    let apply_updates = match apply {
        Some((value, line)) => {
            evidence.push(format!(
                "{DNF_CONF}:{line}: [commands] apply_updates = {value}"
            ));
            ["yes", "true", "1", "on"].contains(&value.to_ascii_lowercase().as_str())
        }
        None => {
            evidence.push(format!(
                "{DNF_CONF}: [commands] apply_updates is not set (dnf-automatic's default is no)"
            ));
            false
        }
    };
    let timers: Vec<String> = match fs.list(TIMER_WANTS) {
        Ok(names) => names
            .into_iter()
            .filter(|n| {
                (n.starts_with("dnf-automatic") || n.starts_with("dnf5-automatic"))
                    && n.ends_with(".timer")
            })
            .collect(),
        Err(err) if is_absent(&err) => Vec::new(),
        Err(err) => {
            problems.push(format!(
                "{}: cannot be listed: {err}",
                fs.display(TIMER_WANTS)
            ));
            Vec::new()
        }
    };
    // dnf-automatic's timers: `-install` installs whatever the file says,
    // `-download` and `-notifyonly` never install, the plain one follows
    // apply_updates.
    let installs = |timer: &str| match timer.trim_end_matches(".timer") {
        "dnf-automatic-install" => true,
        "dnf-automatic" | "dnf5-automatic" => apply_updates,
        _ => false,
    };
    if timers.is_empty() {
        evidence.push(format!("{TIMER_WANTS}: no dnf-automatic timer is enabled"));
    }
    for timer in &timers {
        evidence.push(format!("{TIMER_WANTS}/{timer}: enabled"));
    }
    let enabled = timers.iter().any(|t| installs(t));
    // dnf keeps no simple record of a successful run (the history
    // database would need its schema); its metadata cache is refreshed
    // on every run, which is the best evidence that it still runs.
    let mut newest: Option<(OffsetDateTime, String)> = None;
    if let Ok(names) = fs.list(DNF_CACHE) {
        for name in names {
            let path = format!("{DNF_CACHE}/{name}");
            if let Some(when) = modified(fs, &path, problems) {
                if newest.as_ref().is_none_or(|(t, _)| when > *t) {
                    newest = Some((when, path));
                }
            }
        }
    }
    AutoUpdates {
        tool: Some("dnf-automatic".to_owned()),
        enabled,
        evidence,
        last_success: newest.as_ref().map(|(t, _)| *t),
        last_success_source: newest.map(|(_, p)| p),
    }
}

/// `apply_updates` of the `[commands]` section and its line.
fn apply_updates(text: &str) -> Option<(String, usize)> {
    let mut section = "";
    let mut found = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim();
        } else if let Some((key, value)) = line.split_once('=') {
            if section == "commands" && key.trim() == "apply_updates" {
                found = Some((value.trim().to_owned(), index + 1));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &std::path::Path, path: &str, body: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }

    fn package(format: PackageFormat, name: &str) -> InstalledPackage {
        InstalledPackage {
            format,
            name: name.to_owned(),
            version: "1.0-1".to_owned(),
            source_name: None,
            source_version: None,
            arch: None,
        }
    }

    #[test]
    fn later_apt_files_override_and_the_log_dates_the_last_run() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "etc/apt/apt.conf.d/20auto-upgrades", "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n");
        // Ignored by apt, so ignored here.
        write(
            root,
            "etc/apt/apt.conf.d/99off.dpkg-old",
            "APT::Periodic::Unattended-Upgrade \"0\";\n",
        );
        write(
            root,
            "var/log/unattended-upgrades/unattended-upgrades.log",
            "2024-04-30 06:10:01,100 INFO Starting unattended upgrades script\n\
             2024-04-30 06:10:09,500 INFO All upgrades installed\n\
             2024-05-01 06:25:13,123 INFO No packages found that can be upgraded unattended and no pending auto-removals\n\
             2024-05-02 06:20:00,000 ERROR Cache has broken packages, exiting\n",
        );
        let fs = RootFs::new(root);
        let packages = [package(PackageFormat::Dpkg, "unattended-upgrades")];
        let mut problems = Vec::new();
        let state = read(&fs, &packages, &mut problems);
        assert_eq!(state.tool.as_deref(), Some("unattended-upgrades"));
        assert!(state.enabled);
        assert_eq!(
            state.evidence,
            ["/etc/apt/apt.conf.d/20auto-upgrades:2: APT::Periodic::Unattended-Upgrade \"1\""]
        );
        assert_eq!(
            state.last_success,
            Some(time::macros::datetime!(2024-05-01 06:25:13 UTC))
        );
        assert_eq!(state.last_success_source.as_deref(), Some(UU_LOG));

        // A later file turns it off, nested form.
        write(
            root,
            "etc/apt/apt.conf.d/99local",
            "APT { Periodic { Unattended-Upgrade \"0\"; }; };\n",
        );
        // The stamp, once there, is preferred to the log.
        write(root, "var/lib/apt/periodic/unattended-upgrades-stamp", "");
        let state = read(&fs, &packages, &mut problems);
        assert!(!state.enabled);
        assert_eq!(
            state.evidence,
            ["/etc/apt/apt.conf.d/99local:1: APT::Periodic::Unattended-Upgrade \"0\""]
        );
        assert_eq!(state.last_success_source.as_deref(), Some(UU_STAMP));
        assert!(problems.is_empty(), "{problems:?}");

        let none = read(&fs, &[package(PackageFormat::Dpkg, "bash")], &mut problems);
        assert_eq!(none.tool, None);
        assert!(!none.enabled);
    }

    #[test]
    fn dnf_automatic_needs_apply_updates_and_a_timer() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "etc/dnf/automatic.conf", "[commands]\n# apply_updates = no\napply_updates = yes\n[emitters]\napply_updates = no\n");
        let fs = RootFs::new(root);
        let packages = [package(PackageFormat::Rpm, "dnf-automatic")];
        let mut problems = Vec::new();
        let state = read(&fs, &packages, &mut problems);
        assert_eq!(state.tool.as_deref(), Some("dnf-automatic"));
        assert!(!state.enabled, "no timer: {:?}", state.evidence);
        std::fs::create_dir_all(root.join("etc/systemd/system/timers.target.wants")).unwrap();
        std::os::unix::fs::symlink(
            "/usr/lib/systemd/system/dnf-automatic.timer",
            root.join("etc/systemd/system/timers.target.wants/dnf-automatic.timer"),
        )
        .unwrap();
        write(root, "var/cache/dnf/expired_repos.json", "[]");
        let state = read(&fs, &packages, &mut problems);
        assert!(state.enabled, "{:?}", state.evidence);
        assert_eq!(
            state.evidence[0],
            "/etc/dnf/automatic.conf:3: [commands] apply_updates = yes"
        );
        assert_eq!(
            state.last_success_source.as_deref(),
            Some("/var/cache/dnf/expired_repos.json")
        );
        assert!(problems.is_empty(), "{problems:?}");
    }
}

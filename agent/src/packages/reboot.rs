//! Reboot-required markers. Debian and Ubuntu packages (the kernel, libc,
//! systemd…) ask for a reboot by writing `/run/reboot-required`, and add
//! their names to `reboot-required.pkgs`. The RHEL family writes no marker;
//! there the kernel comparison tells it.

use time::OffsetDateTime;
use trustwatch_rules::observe::RebootState;

use super::rootfs::{is_absent, RootFs};

/// The markers, inside the root: `/var/run` is a link to `/run` on current
/// systems but a directory of its own on older ones.
const MARKERS: [&str; 2] = ["/run/reboot-required", "/var/run/reboot-required"];

/// The reboot state of the root; `now` is the scan time, against which a
/// marker dated in the future is reported.
pub fn read(fs: &RootFs, now: OffsetDateTime, problems: &mut Vec<String>) -> RebootState {
    let mut state = RebootState {
        checked: MARKERS.iter().map(|m| (*m).to_owned()).collect(),
        ..RebootState::default()
    };
    for marker in MARKERS {
        let modified = match fs.metadata(marker).and_then(|m| m.modified()) {
            Ok(modified) => OffsetDateTime::from(modified),
            Err(err) if is_absent(&err) => continue,
            Err(err) => {
                problems.push(format!("{}: cannot be read: {err}", fs.display(marker)));
                continue;
            }
        };
        if modified > now {
            problems.push(format!(
                "{}: modified {modified}, after the scan time {now}: the system's clock or the image is wrong",
                fs.display(marker)
            ));
        }
        state.required = true;
        // The older marker is the one the 14-day allowance runs from.
        state.since = Some(state.since.map_or(modified, |s| s.min(modified)));
        let pkgs = format!("{marker}.pkgs");
        match fs.read_text(&pkgs) {
            Ok(text) => {
                for name in text.split_whitespace() {
                    if !state.packages.iter().any(|p| p == name) {
                        state.packages.push(name.to_owned());
                    }
                }
            }
            Err(err) if is_absent(&err) => {}
            Err(err) => problems.push(format!("{}: cannot be read: {err}", fs.display(&pkgs))),
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn marker_through_the_var_run_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("run")).unwrap();
        std::fs::create_dir_all(root.join("var")).unwrap();
        symlink("/run", root.join("var/run")).unwrap();
        std::fs::write(
            root.join("run/reboot-required"),
            "*** System restart required ***\n",
        )
        .unwrap();
        std::fs::write(
            root.join("run/reboot-required.pkgs"),
            "linux-image-6.1.0-25-amd64\nlibc6\nlibc6\n",
        )
        .unwrap();
        let mut problems = Vec::new();
        let now = OffsetDateTime::now_utc() + time::Duration::minutes(1);
        let state = read(&RootFs::new(root), now, &mut problems);
        assert!(state.required);
        assert_eq!(state.packages, ["linux-image-6.1.0-25-amd64", "libc6"]);
        let since = state.since.unwrap();
        assert!(now - since < time::Duration::minutes(2), "{since}");
        assert_eq!(
            state.checked,
            ["/run/reboot-required", "/var/run/reboot-required"]
        );
        assert!(problems.is_empty(), "{problems:?}");

        let clean = tempfile::tempdir().unwrap();
        let state = read(&RootFs::new(clean.path()), now, &mut problems);
        assert!(!state.required);
        assert_eq!(state.since, None);
    }
}

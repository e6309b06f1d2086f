//! PATCH-003: no reboot needed to make an update effective has been
//! pending for more than 14 days.

use super::{older_than, opt_rfc3339, Ctx, FIX_ALLOWANCE_DAYS};
use crate::finding::{Finding, Status};

pub(super) fn pending(ctx: &Ctx<'_>) -> Finding {
    let now = ctx.scan.now;
    let system = ctx.system();
    let reboot = &system.reboot;
    let kernel = system.kernel.as_ref();
    let newer_kernel = kernel.and_then(|k| k.newer_installed) == Some(true);
    let mut ev = ctx
        .evidence()
        .with("reboot_required", reboot.required)
        .with("reboot_since", opt_rfc3339(reboot.since))
        .with("reboot_packages", reboot.packages.clone())
        .with("markers_checked", reboot.checked.clone())
        .with("kernel_running", kernel.and_then(|k| k.running.clone()))
        .with("kernel_installed", kernel.map(|k| k.installed.clone()))
        .with(
            "newer_kernel_installed",
            kernel.and_then(|k| k.newer_installed),
        )
        .with("allowance_days", FIX_ALLOWANCE_DAYS);
    if !reboot.required && !newer_kernel {
        if reboot.checked.is_empty() && kernel.is_none() {
            return ctx.error("no reboot marker or kernel state was read".into(), ev);
        }
        return ctx.finding(Status::Pass, "no reboot is pending".into(), ev);
    }
    let what = match (reboot.required, kernel.filter(|_| newer_kernel)) {
        (true, Some(k)) => format!("a reboot (marker present, and {})", kernel_text(k)),
        (false, Some(k)) => format!("a reboot ({})", kernel_text(k)),
        _ => "a reboot (marker present)".to_owned(),
    };
    // A marker dates what is pending, and so does the newest kernel's
    // install time when that kernel is what waits: the older of the two,
    // since both only show that it has been pending at least that long.
    let marker = reboot.since.filter(|_| reboot.required);
    let kernel_at = kernel
        .filter(|_| newer_kernel)
        .and_then(|k| k.newest_installed_at);
    let since = match (marker, kernel_at) {
        (Some(m), Some(k)) => Some(m.min(k)),
        (m, k) => m.or(k),
    };
    ev.insert("kernel_installed_at", opt_rfc3339(kernel_at));
    let Some(since) = since else {
        ev.insert("pending_days", serde_json::Value::Null);
        return ctx.finding(
            Status::Fail,
            format!("{what} is pending for an unknown time: nothing dates it"),
            ev,
        );
    };
    let days = (now - since).whole_days().max(0);
    ev.insert("pending_days", days);
    if older_than(since, now, FIX_ALLOWANCE_DAYS) {
        ctx.finding(
            Status::Fail,
            format!("{what} has been pending for {days} days, more than the 14 allowed"),
            ev,
        )
    } else {
        ctx.finding(
            Status::Pass,
            format!("{what} has been pending for {days} days, within the 14 allowed"),
            ev,
        )
    }
}

fn kernel_text(k: &crate::observe::KernelState) -> String {
    match (k.running.as_deref(), k.installed.last()) {
        (Some(running), Some(newest)) => {
            format!("kernel {newest} is installed but {running} is running")
        }
        _ => "a newer kernel is installed than the one running".into(),
    }
}

//! PATCH-004: automatic updates are enabled and last succeeded no more
//! than 7 days before the scan.

use super::{older_than, opt_rfc3339, Ctx, AUTO_UPDATE_MAX_AGE_DAYS};
use crate::finding::{Finding, Status};

pub(super) fn automatic_updates(ctx: &Ctx<'_>) -> Finding {
    let now = ctx.scan.now;
    let au = &ctx.system().auto_updates;
    let mut ev = ctx
        .evidence()
        .with("tool", au.tool.clone())
        .with("enabled", au.enabled)
        .with("configuration", au.evidence.clone())
        .with("last_success", opt_rfc3339(au.last_success))
        .with("last_success_source", au.last_success_source.clone())
        .with("max_age_days", AUTO_UPDATE_MAX_AGE_DAYS);
    let Some(tool) = au.tool.as_deref() else {
        return ctx.finding(
            Status::Fail,
            "no automatic update tool is installed".into(),
            ev,
        );
    };
    if !au.enabled {
        return ctx.finding(
            Status::Fail,
            format!("{tool} is installed but not set to install updates"),
            ev,
        );
    }
    let Some(last) = au.last_success else {
        return ctx.finding(
            Status::Fail,
            format!("{tool} is enabled but has no record of a successful run"),
            ev,
        );
    };
    let days = (now - last).whole_days();
    ev.insert("age_days", days);
    if older_than(last, now, AUTO_UPDATE_MAX_AGE_DAYS) {
        ctx.finding(
            Status::Fail,
            format!("{tool} last succeeded {days} days ago, more than the 7 allowed"),
            ev,
        )
    } else {
        ctx.finding(
            Status::Pass,
            format!(
                "{tool} is enabled and last succeeded {} days ago",
                days.max(0)
            ),
            ev,
        )
    }
}

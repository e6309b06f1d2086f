//! OS-001: the operating system is within vendor security support on the
//! scan date, by the lifecycle table.

use serde_json::{json, Value};

use super::{utc_date, Ctx};
use crate::finding::{Finding, Status};

pub(super) fn supported(ctx: &Ctx<'_>) -> Finding {
    let lifecycle = ctx.scan.lifecycle;
    let ev = ctx
        .evidence()
        .with("lifecycle_version", lifecycle.version.as_str())
        .with("lifecycle_source", lifecycle.source());
    let Some(os) = &ctx.system().os else {
        let ev = ev.with("root", ctx.system().root.as_str());
        return ctx.error("no os-release was read".into(), ev);
    };
    let described = os.pretty_name.clone().unwrap_or_else(|| {
        format!("{} {}", os.id, os.version_id.as_deref().unwrap_or(""))
            .trim()
            .to_owned()
    });
    let mut ev = ev
        .with("os_id", os.id.as_str())
        .with("version_id", os.version_id.clone())
        .with("pretty_name", os.pretty_name.clone())
        .with("edition", os.edition.clone());
    if !os.extended_support.is_empty() {
        ev.insert("extended_support_seen", os.extended_support.clone());
    }
    let Some(release) = lifecycle.lookup(os) else {
        return ctx.error(
            format!(
                "{described} is not in lifecycle table {}",
                lifecycle.version
            ),
            ev,
        );
    };
    let terms = release.terms(os.edition.as_deref());
    let enrolled = terms.enrolled_extension(os);
    let until = terms.supported_until(os);
    let today = utc_date(ctx.scan.now);
    let extension = terms.extended.map_or(Value::Null, |ext| {
        json!({
            "name": ext.kind.name(),
            "tag": ext.kind.tag(),
            "until": ext.until.to_string(),
            "enrolled": enrolled.is_some(),
        })
    });
    let mut ev = ev
        .with("release", terms.name)
        .with("release_os", release.os.as_str())
        .with("release_version", release.version.as_str())
        .with("released", release.released.to_string())
        .with(
            "edition_dates",
            terms.edition.map_or_else(
                || "release default (the shortest support among its editions)".to_owned(),
                |e| format!("edition {e}"),
            ),
        )
        .with("security_until", terms.security_until.to_string())
        .with("extended_support", extension)
        .with("extended_support_applied", enrolled.is_some())
        .with("supported_until", until.to_string())
        .with("scan_date", today.to_string());
    let through = match enrolled {
        Some(ext) => format!("{} until {}", ext.kind.name(), until),
        None => format!("security support until {until}"),
    };
    if today <= until {
        let left = (until - today).whole_days();
        ev.insert("days_left", left);
        ctx.finding(
            Status::Pass,
            format!("{} is in {through} ({left} days left)", terms.name),
            ev,
        )
    } else {
        let past = (today - until).whole_days();
        ev.insert("days_past_end", past);
        let mut summary = match enrolled {
            Some(ext) => format!(
                "{}: its {} ended on {until}, {past} days ago",
                terms.name,
                ext.kind.name()
            ),
            None => format!(
                "{} left vendor security support on {until}, {past} days ago",
                terms.name
            ),
        };
        if let (None, Some(ext)) = (enrolled, terms.extended) {
            if ext.until >= today {
                summary.push_str(&format!(
                    "; {} runs to {} but no enrolment was seen",
                    ext.kind.name(),
                    ext.until
                ));
            }
        }
        ctx.finding(Status::Fail, summary, ev)
    }
}

//! The six KPI panels as a person reads them: the value now, how it moved
//! over the period (in words, not colour alone), what it counts, and its
//! trend chart.

use super::kpi::{Ratio, Snapshot};
use super::svg::{chart, Series};

pub const BLUE: &str = "#005eb8";
pub const RED: &str = "#d5281b";
pub const GREY: &str = "#768692";

/// One panel, its text not yet escaped (it holds no store text).
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: &'static str,
    pub value: String,
    pub change: String,
    pub note: String,
    pub svg: String,
}

#[derive(Clone, Copy)]
enum Better {
    Up,
    Down,
}

fn pct(r: Ratio) -> Option<f64> {
    r.percent()
}

fn show_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "no data".to_owned(), |v| format!("{v:.0}%"))
}

/// "+13 pts since 24 Aug (better)": the change from the period's first
/// point to its last.
fn change(
    first: Option<f64>,
    last: Option<f64>,
    unit: &str,
    better: Better,
    since: &str,
) -> String {
    let (Some(a), Some(b)) = (first, last) else {
        return format!("no comparable value on {since}");
    };
    let d = b - a;
    if d.abs() < 0.5 {
        return format!("unchanged since {since}");
    }
    let word = match (better, d > 0.0) {
        (Better::Up, true) | (Better::Down, false) => "better",
        _ => "worse",
    };
    format!("{d:+.0}{unit} since {since} ({word})")
}

fn series<'a>(
    label: &'a str,
    colour: &'a str,
    values: Vec<Option<f64>>,
    dashed: bool,
) -> Series<'a> {
    Series {
        label,
        colour,
        values,
        dashed,
    }
}

/// The panels for `trend` (one snapshot per point, oldest first);
/// `first` and `last` label the charts' ends, `stale_days` is PATCH-006's
/// window.
pub fn panels(trend: &[Snapshot], first: &str, last: &str, stale_days: i64) -> Vec<Panel> {
    let now = trend.last().cloned().unwrap_or_default();
    let start = trend.first().cloned().unwrap_or_default();
    let col = |f: &dyn Fn(&Snapshot) -> Option<f64>| trend.iter().map(f).collect::<Vec<_>>();
    let count = |n: u64| Some(n as f64);
    let mut out = Vec::new();

    let title = "Hosts with no overdue high/critical fix";
    out.push(Panel {
        title,
        value: show_pct(pct(now.patched)),
        change: change(
            pct(start.patched),
            pct(now.patched),
            " pts",
            Better::Up,
            first,
        ),
        note: format!(
            "{} of {} hosts assessed; PATCH-001/005 (14-day rule)",
            now.patched.good, now.patched.of
        ),
        svg: chart(
            title,
            &[series(
                "hosts %",
                BLUE,
                col(&|s: &Snapshot| pct(s.patched)),
                false,
            )],
            true,
            first,
            last,
        ),
    });

    let title = "Unsupported systems";
    out.push(Panel {
        title,
        value: format!(
            "{} not accepted · {} accepted",
            now.unsupported_open, now.unsupported_accepted
        ),
        change: change(
            count(start.unsupported_open),
            count(now.unsupported_open),
            "",
            Better::Down,
            first,
        ),
        note: "OS-001 failing; accepted = SIRO-accepted under a live exception (dashed line)"
            .into(),
        svg: chart(
            title,
            &[
                series(
                    "not accepted",
                    RED,
                    col(&|s: &Snapshot| count(s.unsupported_open)),
                    false,
                ),
                series(
                    "SIRO-accepted",
                    GREY,
                    col(&|s: &Snapshot| count(s.unsupported_accepted)),
                    true,
                ),
            ],
            false,
            first,
            last,
        ),
    });

    let title = "Internet-exposed critical findings";
    out.push(Panel {
        title,
        value: now.exposed_critical.to_string(),
        change: change(
            count(start.exposed_critical),
            count(now.exposed_critical),
            "",
            Better::Down,
            first,
        ),
        note: "SVC-003/004/005/008, TLS-001, CERT-001 failing at critical severity".into(),
        svg: chart(
            title,
            &[series(
                "findings",
                RED,
                col(&|s: &Snapshot| count(s.exposed_critical)),
                false,
            )],
            false,
            first,
            last,
        ),
    });

    let title = "Email domains fully protected";
    out.push(Panel {
        title,
        value: show_pct(pct(now.mail_protected)),
        change: change(
            pct(start.mail_protected),
            pct(now.mail_protected),
            " pts",
            Better::Up,
            first,
        ),
        note: format!(
            "{} of {} domains pass MAIL-001–004, 007 and 009",
            now.mail_protected.good, now.mail_protected.of
        ),
        svg: chart(
            title,
            &[series(
                "domains %",
                BLUE,
                col(&|s: &Snapshot| pct(s.mail_protected)),
                false,
            )],
            true,
            first,
            last,
        ),
    });

    let title = "Certificates expiring within 30 days";
    out.push(Panel {
        title,
        value: now.certs_expiring.to_string(),
        change: change(
            count(start.certs_expiring),
            count(now.certs_expiring),
            "",
            Better::Down,
            first,
        ),
        note: "CERT-002 failing and not yet expired (expired ones count above)".into(),
        svg: chart(
            title,
            &[series(
                "certificates",
                RED,
                col(&|s: &Snapshot| count(s.certs_expiring)),
                false,
            )],
            false,
            first,
            last,
        ),
    });

    let title = "Agent coverage";
    out.push(Panel {
        title,
        value: show_pct(pct(now.coverage)),
        change: change(
            pct(start.coverage),
            pct(now.coverage),
            " pts",
            Better::Up,
            first,
        ),
        note: format!(
            "{} of {} agents heard from within {stale_days} days (PATCH-006)",
            now.coverage.good, now.coverage.of
        ),
        svg: chart(
            title,
            &[series(
                "agents %",
                BLUE,
                col(&|s: &Snapshot| pct(s.coverage)),
                false,
            )],
            true,
            first,
            last,
        ),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_say_better_or_worse_in_words() {
        assert_eq!(
            change(Some(50.0), Some(75.0), " pts", Better::Up, "1 Sep"),
            "+25 pts since 1 Sep (better)"
        );
        assert_eq!(
            change(Some(2.0), Some(5.0), "", Better::Down, "1 Sep"),
            "+3 since 1 Sep (worse)"
        );
        assert_eq!(
            change(Some(2.0), Some(2.0), "", Better::Down, "1 Sep"),
            "unchanged since 1 Sep"
        );
        assert_eq!(
            change(None, Some(2.0), "", Better::Down, "1 Sep"),
            "no comparable value on 1 Sep"
        );
    }

    #[test]
    fn six_panels_each_with_a_chart() {
        let trend = vec![Snapshot::default(); 13];
        let p = panels(&trend, "a", "b", 7);
        assert_eq!(p.len(), 6);
        assert!(p.iter().all(|p| p.svg.starts_with("<svg")));
        assert_eq!(p[0].value, "no data");
    }
}

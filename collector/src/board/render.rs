//! The page: one self-contained HTML file (inline style and SVG, no
//! script) laid out to print on one A4 sheet. Every text from the store is
//! escaped; every colour comes with its label.

use std::fmt::Write as _;

use time::macros::format_description;
use time::OffsetDateTime;

use super::html::escape;
use super::kpi::Snapshot;
use super::kpis::panels;
use super::rag::{OutcomeRating, OVERDUE_DAYS};
use super::register::RegisterSummary;
use super::risk::RiskEntry;

const STYLE: &str = include_str!("style.css");

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct Page {
    /// The trust's name, or a neutral title.
    pub organisation: String,
    pub site: Option<String>,
    pub period_days: i64,
    pub as_of: OffsetDateTime,
    pub generated_at: OffsetDateTime,
    pub tool_version: String,
    /// `id version` of the catalogue this collector rates against.
    pub baseline: String,
    /// `id version` of the newest stored report, when any.
    pub reported_baseline: Option<String>,
    pub outcomes: Vec<OutcomeRating>,
    pub trend: Vec<Snapshot>,
    pub risks: Vec<RiskEntry>,
    pub register: RegisterSummary,
    pub stale_after_days: i64,
}

pub fn day(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[day padding:none] [month repr:short] [year]"
    ))
    .unwrap_or_default()
}

fn short_day(t: OffsetDateTime) -> String {
    t.format(format_description!("[day padding:none] [month repr:short]"))
        .unwrap_or_default()
}

fn minute(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute] UTC"
    ))
    .unwrap_or_default()
}

fn at(secs: i64) -> OffsetDateTime {
    crate::store::unix_to_time(secs)
}

pub fn page(p: &Page) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let scope = match &p.site {
        Some(site) => format!("site {}", escape(site)),
        None => "all sites".to_owned(),
    };
    let start = at(p.as_of.unix_timestamp() - p.period_days * 86_400);
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Cyber security board report: {org}</title>
<style>{STYLE}</style></head><body>
<h1>Cyber security posture: {org}</h1>
<p class="meta">Scope: {scope} · Period: {days} days, {from} to {to} · Generated {generated} · Trustwatch {version} · Baseline {baseline}{reported}</p>
<p class="scope">Technical evidence only — not a DSPT self-assessment. Ratings come from automated scans of the estate; CAF outcomes also rest on policy, process and people the scanner cannot see.</p>
"#,
        org = escape(&p.organisation),
        days = p.period_days,
        from = day(start),
        to = day(p.as_of),
        generated = minute(p.generated_at),
        version = escape(&p.tool_version),
        baseline = escape(&p.baseline),
        // Worth a word only when agents scan against another version.
        reported = match &p.reported_baseline {
            Some(b) if *b != p.baseline => format!(" (latest report: {})", escape(b)),
            _ => String::new(),
        },
    );
    outcomes(&mut h, &p.outcomes);
    kpis(&mut h, p);
    risks(&mut h, p);
    register(&mut h, &p.register);
    footnotes(&mut h, p);
    h.push_str("</body></html>\n");
    h
}

fn outcomes(h: &mut String, outcomes: &[OutcomeRating]) {
    h.push_str("<h2>CAF outcomes evidenced by scanning</h2>\n<div class=\"outcomes\">\n");
    for o in outcomes {
        let detail = if o.rules_evidenced == 0 {
            "no rule of this outcome has a result".to_owned()
        } else {
            format!(
                "{} rules evidenced · {} overdue · {} open · {} accepted",
                o.rules_evidenced, o.overdue, o.open, o.accepted
            )
        };
        let _ = writeln!(
            h,
            r#"<div class="outcome"><div class="id">{id}</div><div class="name">{name}</div><span class="pill {colour}">{label}</span><div class="detail">{detail}</div></div>"#,
            id = o.id,
            name = o.name,
            colour = o.rating.colour(),
            label = o.rating.label(),
        );
    }
    h.push_str("</div>\n");
}

fn kpis(h: &mut String, p: &Page) {
    let first = p
        .trend
        .first()
        .map(|s| short_day(at(s.at)))
        .unwrap_or_default();
    let last = p
        .trend
        .last()
        .map(|s| short_day(at(s.at)))
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<h2>Key indicators: {} points over the period</h2>\n<div class=\"kpis\">",
        p.trend.len()
    );
    for k in panels(&p.trend, &first, &last, p.stale_after_days) {
        let _ = writeln!(
            h,
            r#"<div class="kpi"><div class="title">{}</div><div class="value">{}</div><div class="change">{}</div><div class="note">{}</div>{}</div>"#,
            escape(k.title),
            escape(&k.value),
            escape(&k.change),
            escape(&k.note),
            k.svg
        );
    }
    h.push_str("</div>\n");
}

fn risks(h: &mut String, p: &Page) {
    h.push_str("<h2>Top risks: candidate risk-register entries (NPSA 5×5)</h2>\n");
    if p.risks.is_empty() {
        h.push_str("<p class=\"empty\">No failing finding of medium severity or worse.</p>\n");
        return;
    }
    h.push_str(
        "<table class=\"risks\"><colgroup><col class=\"n\"><col class=\"asset\"><col class=\"risk\">\
         <col class=\"cl\"><col class=\"score\"><col class=\"owner\"><col class=\"due\"></colgroup>\
         <thead><tr><th>#</th><th>Asset</th><th>Risk</th><th>C × L</th><th>Score</th>\
         <th>Owner</th><th>Due</th></tr></thead><tbody>\n",
    );
    let now = p.as_of.unix_timestamp();
    for (i, r) in p.risks.iter().enumerate() {
        let mut facts = vec![r.severity.as_str().to_owned()];
        if r.internet {
            facts.push("internet-facing".into());
        }
        facts.push(format!("failing since {}", day(at(r.failing_since))));
        if r.accepted {
            facts.push("accepted under an exception".into());
        }
        // The site is worth a line only when the page covers several.
        let site = match p.site {
            Some(_) => String::new(),
            None => format!("<br><span class=\"sub\">site {}</span>", escape(&r.site)),
        };
        // An accepted risk is past its fix date by design, not neglect.
        let overdue = if r.due < now && !r.accepted {
            "<br><span class=\"sub\">overdue</span>"
        } else {
            ""
        };
        let _ = writeln!(
            h,
            r#"<tr><td>{n}</td><td class="asset">{asset}{site}</td><td><b>{rule}</b> {title}<br><span class="sub">{facts}</span></td><td class="num">{c} × {l}</td><td><span class="score {colour}">{score} {band}</span></td><td>{owner}</td><td>{due}{overdue}</td></tr>"#,
            n = i + 1,
            asset = escape(&r.asset),
            rule = escape(&r.rule_id),
            title = escape(&r.title),
            facts = facts.join(" · "),
            c = r.consequence,
            l = r.likelihood,
            colour = r.band.colour(),
            score = r.score,
            band = r.band.label(),
            owner = escape(&r.owner),
            due = day(at(r.due)),
        );
    }
    h.push_str("</tbody></table>\n");
}

fn register(h: &mut String, r: &RegisterSummary) {
    h.push_str("<h2>Exceptions register (accepted risks)</h2>\n<ul class=\"register\">\n");
    let _ = writeln!(
        h,
        "<li><b>{}</b> live exception{} ({} expired without renewal, {} withdrawn).</li>",
        r.live,
        if r.live == 1 { "" } else { "s" },
        r.expired,
        r.withdrawn
    );
    match &r.oldest {
        Some(o) => {
            let _ = writeln!(
                h,
                "<li>Oldest: accepted by the SIRO on <b>{}</b>: {} on {}, owner {}.</li>",
                escape(&o.siro_accepted_on),
                escape(&o.rule_id),
                escape(&o.target),
                escape(&o.owner)
            );
        }
        None => h.push_str("<li>Oldest: none live.</li>\n"),
    }
    let _ = writeln!(
        h,
        "<li><b>{}</b> expiring this quarter (before {}): each needs a fix or the SIRO's renewed acceptance.</li>\n</ul>",
        r.expiring_this_quarter,
        r.quarter_end
            .format(format_description!("[day padding:none] [month repr:short] [year]"))
            .unwrap_or_default()
    );
}

fn footnotes(h: &mut String, p: &Page) {
    let _ = write!(
        h,
        r#"<div class="foot">
<p><b>CAF ratings.</b> From the current failing findings of the rules the catalogue maps to each outcome. <b>Not achieved</b>: a critical or high failure open more than {OVERDUE_DAYS} days under no exception. <b>Partially achieved</b>: any other failure of medium severity or worse, including risks accepted under an exception. <b>Achieved</b>: none. <b>No evidence</b>: no rule of the outcome has a result. Low-severity and best-practice rules never lower a rating. Silent agents count as PATCH-006 failures.</p>
<p><b>Trends.</b> Each indicator is rebuilt at {points} evenly spaced points from the store's history of status changes, exceptions and agent contacts; a point with nothing assessed shows as a gap.</p>
<p><b>Risk scores.</b> Consequence from severity (critical 5, high 4, medium 3, low 2). Likelihood 2, +1 internet-facing, +1 failing over 30 days, +1 on the NHS alert / known-exploited list, −1 under an exception's compensating control. Score = consequence × likelihood: 1–3 low (green), 4–6 moderate (yellow), 8–12 high (amber), 15–25 extreme (red). Due: failing since + 14 days (critical, high), + 30 (medium). Owner: the exception's owner, else the site's owner, else unassigned.</p>
</div>
"#,
        points = p.trend.len()
    );
}

//! MAIL-006: at least one usable DKIM key at the selectors tried.

use serde_json::{json, Value};

use super::{and_list, evidence, Ctx};
use crate::finding::{Finding, Status};
use crate::observe::{DkimKey, DkimSelector};

/// RSA keys shorter than this can be factored: they do not count.
pub const MIN_RSA_BITS: u32 = 1024;
/// The size the baseline recommends; smaller usable keys are noted.
pub const RECOMMENDED_RSA_BITS: u32 = 2048;

/// Why a key does not count, or `None` when it does.
fn unusable(key: &DkimKey) -> Option<String> {
    if key.revoked {
        return Some("revoked (empty p=)".into());
    }
    if !key.problems.is_empty() {
        return Some(key.problems.join("; "));
    }
    match key.bits {
        None => Some("key could not be read".into()),
        Some(bits) if key.key_type == "rsa" && bits < MIN_RSA_BITS => Some(format!(
            "RSA key of {bits} bits, below the {MIN_RSA_BITS}-bit minimum"
        )),
        Some(_) => None,
    }
}

/// `selector1: rsa 2048 bits`.
fn describe(selector: &DkimSelector, key: &DkimKey) -> String {
    match key.bits {
        Some(bits) => format!("{}: {} {bits} bits", selector.selector, key.key_type),
        None => format!("{}: {}", selector.selector, key.key_type),
    }
}

pub(super) fn usable_key(ctx: &Ctx<'_>) -> Finding {
    let obs = ctx.policy.dkim;
    let mut ev = evidence(
        &obs.resolver,
        &obs.selectors.iter().map(|s| &s.lookup).collect::<Vec<_>>(),
    )
    .with("selectors_tried", obs.selectors_tried.clone());
    if !obs.not_tried.is_empty() {
        ev.insert("not_tried", obs.not_tried.clone());
    }
    let mut usable = Vec::new();
    let mut below_recommendation = Vec::new();
    let mut rejected = Vec::new();
    let mut keys = Vec::new();
    for selector in &obs.selectors {
        for key in &selector.keys {
            let why_not = unusable(key);
            keys.push(json!({
                "selector": selector.selector,
                "key_type": key.key_type,
                "bits": key.bits,
                "revoked": key.revoked,
                "usable": why_not.is_none(),
                "problems": key.problems,
            }));
            match why_not {
                Some(why) => rejected.push(format!("{}: {why}", selector.selector)),
                None => {
                    if key.key_type == "rsa" && key.bits.is_some_and(|b| b < RECOMMENDED_RSA_BITS) {
                        below_recommendation.push(format!(
                            "{}, below the {RECOMMENDED_RSA_BITS} bits recommended",
                            describe(selector, key)
                        ));
                    }
                    usable.push(describe(selector, key));
                }
            }
        }
    }
    ev.insert("keys", Value::from(keys));
    if !usable.is_empty() {
        let mut summary = format!("usable DKIM key at {}", and_list(&usable));
        if !below_recommendation.is_empty() {
            summary.push_str(&format!(
                " ({} below the {RECOMMENDED_RSA_BITS}-bit recommendation)",
                below_recommendation.len()
            ));
            ev.insert("below_recommendation", below_recommendation);
        }
        return ctx.finding(Status::Pass, summary, ev);
    }
    if !rejected.is_empty() {
        ev.insert("not_usable", rejected.clone());
    }
    // A selector we could not read might hold the key: cannot say "none".
    if let Some(failed) = obs
        .selectors
        .iter()
        .find(|s| s.lookup.transient_failure().is_some())
    {
        return ctx.lookup_error(&failed.lookup, ev);
    }
    let tried = obs.selectors_tried.join(", ");
    let summary = if rejected.is_empty() {
        format!(
            "no DKIM key at any of the {} selectors tried ({tried})",
            obs.selectors_tried.len()
        )
    } else {
        format!(
            "no usable DKIM key at the {} selectors tried ({tried}): {}",
            obs.selectors_tried.len(),
            rejected.join("; ")
        )
    };
    ctx.finding(Status::Fail, summary, ev)
}

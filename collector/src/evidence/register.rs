//! The exceptions register as CSV: every exception that can apply at the
//! site, whatever its state, with the SIRO's acceptance date, the
//! compensating control and the expiry.

use crate::store::Exception;

pub(super) fn csv(exceptions: &[Exception]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = exceptions
        .iter()
        .map(|e| {
            let state = serde_json::to_value(e.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            vec![
                e.id.to_string(),
                e.site.clone().unwrap_or_else(|| "*".into()),
                e.rule_id.clone(),
                e.target.clone(),
                e.owner.clone(),
                e.siro_accepted_on.clone(),
                e.compensating_control.clone(),
                e.reason.clone(),
                e.expires.clone(),
                state,
                super::utc(e.created_at),
                e.created_by.clone(),
                e.withdrawn_at.map(super::utc).unwrap_or_default(),
            ]
        })
        .collect();
    super::csv::table(
        &[
            "id",
            "site",
            "rule_id",
            "target",
            "owner",
            "siro_accepted_on",
            "compensating_control",
            "reason",
            "expires",
            "state",
            "created_at_utc",
            "created_by",
            "withdrawn_at_utc",
        ],
        &rows,
    )
}

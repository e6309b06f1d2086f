//! `[board]`: what the board report (`report board`) names that the store
//! does not hold: the organisation's name and who owns each site's risks.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The validated `[board]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardConfig {
    /// The trust's name as the board knows it, e.g. "Northshire NHS
    /// Foundation Trust"; the page says "Trustwatch estate" without one.
    pub trust_name: Option<String>,
    /// Site -> the person or role who owns its risks, the default owner of
    /// a risk-register entry that no exception names an owner for.
    pub owners: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawBoard {
    trust_name: Option<String>,
    owners: BTreeMap<String, String>,
}

/// Blank names would print as nothing on a page a board reads.
pub(super) fn board_config(
    raw: RawBoard,
) -> std::result::Result<BoardConfig, (&'static str, String)> {
    if raw
        .trust_name
        .as_deref()
        .is_some_and(|n| n.trim().is_empty())
    {
        return Err(("trust_name", "must not be blank".into()));
    }
    if let Some((site, _)) = raw.owners.iter().find(|(_, o)| o.trim().is_empty()) {
        return Err(("owners", format!("the owner of site `{site}` is blank")));
    }
    Ok(BoardConfig {
        trust_name: raw.trust_name,
        owners: raw.owners,
    })
}

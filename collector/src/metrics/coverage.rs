//! Agent coverage (PATCH-006): agents by state, the oldest heartbeat per
//! site, and silent agents as failing targets of PATCH-006 (the same
//! judgement the API's collector-evaluated findings make).

use prometheus::{IntGaugeVec, Opts, Registry};
use trustwatch_rules::Catalogue;

use crate::error::Result;
use crate::store::query::COVERAGE_RULE;
use crate::store::{AgentState, Aggregates};

pub(super) fn register(registry: &Registry, agg: &Aggregates) -> Result<()> {
    let agents = IntGaugeVec::new(
        Opts::new(
            "trustwatch_agents",
            "Agents by site and state (stale: no contact for longer than agents.stale_after_secs; revoked: refused from now on).",
        ),
        &["site", "state"],
    )?;
    let oldest = IntGaugeVec::new(
        Opts::new(
            "trustwatch_agent_last_contact_oldest_timestamp_seconds",
            "The oldest last contact (unix time) among a site's non-revoked agents: the heartbeat PATCH-006 judges.",
        ),
        &["site"],
    )?;
    registry.register(Box::new(agents.clone()))?;
    registry.register(Box::new(oldest.clone()))?;
    for a in &agg.agents {
        for (state, n) in [
            (AgentState::Active, a.active),
            (AgentState::Stale, a.stale),
            (AgentState::Revoked, a.revoked),
        ] {
            agents
                .with_label_values(&[a.site.as_str(), state.as_str()])
                .set(n);
        }
        if let Some(t) = a.oldest_contact {
            oldest.with_label_values(&[a.site.as_str()]).set(t);
        }
    }
    Ok(())
}

/// Per site: (silent agents not under a live exception, those under one),
/// when the catalogue has PATCH-006.
pub(super) fn silent<'a>(
    agg: &'a Aggregates,
    catalogue: &Catalogue,
) -> impl Iterator<Item = (&'a str, i64, i64)> {
    let known = catalogue.rule(COVERAGE_RULE).is_some();
    agg.agents.iter().filter(move |_| known).map(|a| {
        (
            a.site.as_str(),
            a.stale - a.stale_excepted,
            a.stale_excepted,
        )
    })
}

//! One domain's checks, side by side, and the findings they give.

use std::sync::Arc;

use trustwatch_rules::evaluate::dns as dns_rules;
use trustwatch_rules::evaluate::mail::policy::{policy_findings, MailPolicy};
use trustwatch_rules::evaluate::mail::{route, spf};
use trustwatch_rules::{Catalogue, Finding};

use crate::dns::Resolve;
use crate::dnscheck::{self, ServerConfig, Validator};
use crate::mail::route::{AccreditedList, RouteConfig};
use crate::mail::{policy, spf as spf_check};

/// What every domain of a scan is checked with.
#[derive(Debug)]
pub(super) struct Shared {
    pub catalogue: Arc<Catalogue>,
    pub selectors: Vec<String>,
    pub route: RouteConfig,
    pub accredited: Option<Arc<AccreditedList>>,
    /// How the domain's name servers are probed (DNS-001, 004, 005).
    pub servers: ServerConfig,
    /// DNSSEC validation (DNS-001), through the scan's resolver, anchored
    /// at the root's keys.
    pub validator: Validator,
}

/// Every MAIL check of `domain` through `resolver`: the DNS records (SPF,
/// DMARC, DKIM, TLS-RPT, MX) and the mail route (each MX's STARTTLS, the
/// MTA-STS policy), side by side; then the forward-confirmed reverse DNS
/// of the addresses SPF lists, beside the DNS hygiene checks (which need
/// the MX hosts for the dangling-name sample). Findings in catalogue order.
pub(super) async fn domain<R: Resolve>(
    resolver: &R,
    shared: &Shared,
    domain: &str,
    non_sending: bool,
) -> Vec<Finding> {
    let (spf_seen, records, route_seen) = tokio::join!(
        spf_check::check(resolver, domain),
        policy::lookups(resolver, domain, &shared.selectors),
        crate::mail::route::observe(
            resolver,
            domain,
            &shared.route,
            shared.accredited.as_deref()
        ),
    );
    let mx_hosts: Vec<String> = records
        .mx
        .hosts
        .iter()
        .map(|h| h.exchange.clone())
        .filter(|h| !h.is_empty() && h != ".")
        .collect();
    let (ptrs, dns_seen) = tokio::join!(
        spf_check::check_ptrs(resolver, &spf_seen.networks),
        dnscheck::observe(
            resolver,
            domain,
            &mx_hosts,
            &[],
            &shared.servers,
            &shared.validator
        ),
    );
    // MAIL-002 accepts `~all` only under a rejecting DMARC policy: the one
    // that applies to the domain's own mail.
    let dmarc_policy = records.dmarc.applied().and_then(|r| {
        if records.dmarc.fallback {
            r.sp.or(r.p)
        } else {
            r.p
        }
    });
    let catalogue = &shared.catalogue;
    let mut findings = spf::spf_findings(
        catalogue,
        &spf_seen,
        dmarc_policy.map(|p| p.as_str()),
        Some(&ptrs),
    );
    let spf_record = match spf_seen.spf_records.as_slice() {
        [one] => Some(one.as_str()),
        _ => None,
    };
    findings.extend(policy_findings(
        catalogue,
        &MailPolicy {
            domain,
            dmarc: &records.dmarc,
            dkim: &records.dkim,
            tls_rpt: &records.tls_rpt,
            mx: &records.mx,
            spf_record,
            non_sending,
        },
    ));
    findings.extend(route::findings(catalogue, &route_seen, shared.route.now));
    findings.extend(dns_rules::findings(catalogue, &dns_seen));
    // Catalogue order, as every other scan reports.
    let order = |id: &str| catalogue.rules().iter().position(|r| r.id == id);
    findings.sort_by_key(|f| order(&f.rule_id));
    findings
}

//! Rules for a domain's DNS hygiene: DNS-001 (DNSSEC), DNS-002 (CAA),
//! DNS-003 (dangling CNAMEs), DNS-004 (open recursion) and DNS-005 (zone
//! transfer), from a [`DnsHealthObservation`].
//!
//! # Decisions
//!
//! - **One finding per rule per domain**, target the domain, in catalogue
//!   order; a rule missing from the catalogue is skipped.
//! - **DNS-001.** The agent asks an authoritative server for the apex
//!   DNSKEY set with the DO bit. No DNSKEY fails (unsigned); DNSKEYs
//!   without an RRSIG over them fail. A signed apex is then judged by a
//!   validating resolver (apex SOA and DNSKEY, `www` address): all secure
//!   passes; any bogus fails naming the record; signed but not proven
//!   (no chain of trust, usually no DS at the parent) fails, since the pass
//!   condition is "signed **and validates from the parent**"; a validation
//!   that could not finish, or was not attempted, is an `error`. No answer
//!   to the DNSKEY question is an `error`.
//! - **DNS-002** passes when the relevant CAA set (RFC 8659 section 3
//!   tree walk, stopping below the public suffix) has at least one `issue`
//!   or `issuewild` record; a set with only `iodef` (or unknown tags)
//!   restricts no CA and fails; no set fails. A lookup that failed before
//!   a set was found is an `error`.
//! - **DNS-003** fails when any checked name's CNAME chain ends at NXDOMAIN
//!   or at a non-resolving name under a claimable cloud suffix, or loops.
//!   Chains that could not be followed (REFUSED, SERVFAIL, timeout, too
//!   long) are `error` when nothing fails, and are listed in the summary
//!   either way. Names without a CNAME are in the evidence only.
//! - **DNS-004** fails when any probed name server address answered a
//!   recursive query for a name outside its zones with RA set and NOERROR.
//!   REFUSED, or an answer without RA, passes. When no address answered
//!   at all it is an `error`; unanswered addresses are listed.
//! - **DNS-005** fails when any address sent the zone in reply to AXFR;
//!   refused, NOTAUTH, empty or closed connections pass. When no address
//!   gave any reply it is an `error`.
//! - DNS-004 and DNS-005 are `not_applicable` when the domain has no NS
//!   records (it is not a zone apex: its zone's servers are judged with
//!   the zone) and `error` when the NS lookup failed or no server address
//!   was found.

mod caa;
mod dangling;
mod dnssec;
mod servers;

use crate::catalogue::{Catalogue, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{DnsHealthObservation, NameServerOutcome, NameServerProbe};

/// Every rule this evaluator produces, in catalogue order.
pub const DNS_RULES: &[&str] = &["DNS-001", "DNS-002", "DNS-003", "DNS-004", "DNS-005"];

/// Findings for one domain: one per rule in [`DNS_RULES`] that the
/// catalogue has, in catalogue order.
pub fn findings(catalogue: &Catalogue, obs: &DnsHealthObservation) -> Vec<Finding> {
    crate::evaluate::each_rule(catalogue, DNS_RULES, None, |rule| {
        let ctx = Ctx { rule, obs };
        match rule.id.as_str() {
            "DNS-001" => Some(dnssec::judge(&ctx)),
            "DNS-002" => Some(caa::judge(&ctx)),
            "DNS-003" => Some(dangling::judge(&ctx)),
            "DNS-004" => Some(servers::recursion(&ctx)),
            "DNS-005" => Some(servers::axfr(&ctx)),
            _ => None,
        }
    })
}

/// One rule judged on the domain.
struct Ctx<'a> {
    rule: &'a Rule,
    obs: &'a DnsHealthObservation,
}

impl Ctx<'_> {
    fn finding(&self, status: Status, summary: String, evidence: Evidence) -> Finding {
        Finding::for_rule(self.rule, &self.obs.domain, status, summary, evidence)
    }

    fn evidence(&self) -> Evidence {
        Evidence::new()
            .with("domain", self.obs.domain.as_str())
            .with("resolver", self.obs.resolver.as_str())
    }

    fn error(&self, reason: String, evidence: Evidence) -> Finding {
        let evidence = evidence.with("error", reason.as_str());
        self.finding(
            Status::Error,
            format!("could not assess: {reason}"),
            evidence,
        )
    }

    /// The probed name servers, or the status and reason that stand
    /// instead.
    fn servers(&self) -> Result<&[NameServerProbe], (Status, String)> {
        let domain = &self.obs.domain;
        match &self.obs.servers.outcome {
            NameServerOutcome::Servers { servers, .. } if !servers.is_empty() => Ok(servers),
            NameServerOutcome::Servers { .. } => Err((
                Status::Error,
                format!("no address was found for any name server of {domain}"),
            )),
            NameServerOutcome::NotApex => Err((
                Status::NotApplicable,
                format!("{domain} has no NS records: it is not a zone apex"),
            )),
            NameServerOutcome::LookupFailed { reason } => Err((
                Status::Error,
                format!("the NS lookup for {domain} failed: {reason}"),
            )),
        }
    }

    /// The finding for a server outcome that stops the rule.
    fn stopped(&self, status: Status, reason: String, evidence: Evidence) -> Finding {
        match status {
            Status::Error => self.error(reason, evidence),
            _ => self.finding(status, reason, evidence),
        }
    }
}

#[cfg(test)]
mod tests;

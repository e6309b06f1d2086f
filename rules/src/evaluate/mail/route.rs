//! Rules for a domain's inbound mail route: MAIL-007 (STARTTLS on every
//! MX), MAIL-008 (the TLS each MX negotiates), MAIL-009 (MTA-STS) and
//! MAIL-013 (a DCB1596 route), from a [`MailRouteObservation`].
//!
//! # Decisions
//!
//! - **One finding per rule per domain**, target the domain, in catalogue
//!   order; a rule missing from the catalogue is skipped. Severities are
//!   the rules' own.
//! - **No MX.** A null MX (`MX 0 .`, RFC 7505) or no MX records at all
//!   makes MAIL-007, MAIL-008, MAIL-009 and MAIL-013 `not_applicable`:
//!   the domain receives no mail by MX. The implicit MX of RFC 5321 5.1
//!   (delivery to the domain's own address) is not probed: a domain that
//!   means to receive mail publishes MX records, and MAIL-011 judges
//!   domains that should not. An MX lookup that failed (SERVFAIL, timeout)
//!   is an `error` for all four, except that MAIL-013 passes on the
//!   accredited list alone.
//! - **MAIL-007.** An MX host is judged on the addresses where an SMTP
//!   server greeted us. It fails when any of them did not list STARTTLS
//!   after EHLO, refused the command, or the TLS handshake after it did
//!   not complete. Addresses that did not answer are listed but not held
//!   against the host (the agent's own network may not reach them all);
//!   hosts where no address answered are listed as unanswered. When no MX
//!   host answered at all the rule is an `error`; when some did and all of
//!   those pass, the rule passes, with the unanswered hosts in the
//!   evidence and the summary.
//! - **MAIL-008.** Every session where the server accepted STARTTLS is
//!   judged: the handshake must complete at TLS 1.2 or later (the agent
//!   offers TLS 1.3 and 1.2, as a current sender does, so a server with
//!   nothing newer than TLS 1.1 fails the handshake and is reported so),
//!   and the certificate must chain to a public root or a CA the trust
//!   configured, be within its dates at the scan time, and be valid for
//!   the MX host name (subjectAltName, wildcards as webpki allows). Sessions
//!   without STARTTLS are MAIL-007's business; when no MX accepted
//!   STARTTLS at all the rule is `not_applicable` (or `error` when no MX
//!   answered). The evidence lists every MX with each address's version,
//!   suite, trust verdict, name check and expiry.
//! - **MAIL-009** fails, listing every reason found, when: there is no
//!   `v=STSv1` TXT record at `_mta-sts.<domain>`, there is more than one,
//!   or its `id` is missing or invalid; the policy could not be fetched
//!   (no address for `mta-sts.<domain>`, connect or handshake failure, a
//!   body over the limit); its certificate is untrusted, out of date or not
//!   valid for `mta-sts.<domain>`; the status is not 200 (redirects are
//!   not followed, RFC 8461 3.3); the media type is not `text/plain`; the
//!   policy does not parse (version, mode, max_age and, unless mode is
//!   `none`, mx are required); the mode is not `enforce`; or an MX host is
//!   not matched by any `mx` pattern (`*.` matches one leftmost label
//!   only, RFC 8461 4.1). A TXT lookup that failed other than "no such
//!   record", or an MX lookup that failed, is an `error` when nothing
//!   else fails. `max_age` is always in the evidence.
//! - **MAIL-013** passes when the domain is on the accredited-domain list
//!   given to the agent, or when every MX host is an NHSmail host (a name
//!   under `nhs.net`). Otherwise it fails: an MX under
//!   `mail.protection.outlook.com` shows Microsoft 365, which is not by
//!   itself evidence of DCB1596 accreditation (the accreditation is the
//!   organisation's, and must be shown by the list), and the evidence says
//!   so. Without a list the evidence says that none was given.

mod dcb1596;
mod mta_sts;
mod starttls;
mod tls;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::catalogue::{Catalogue, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::mailroute::MxHost;
use crate::observe::{ChainObservation, MailRouteObservation, MxOutcome, TrustVerdict};

/// Every rule this evaluator produces, in catalogue order.
pub const ROUTE_RULES: &[&str] = &["MAIL-007", "MAIL-008", "MAIL-009", "MAIL-013"];

/// Findings for one domain's mail route: one per rule in [`ROUTE_RULES`]
/// that the catalogue has, in catalogue order. `now` is the scan time that
/// certificate dates are judged against.
pub fn findings(
    catalogue: &Catalogue,
    obs: &MailRouteObservation,
    now: OffsetDateTime,
) -> Vec<Finding> {
    crate::evaluate::each_rule(catalogue, ROUTE_RULES, None, |rule| {
        let ctx = Ctx { rule, obs, now };
        match rule.id.as_str() {
            "MAIL-007" => Some(starttls::offered(&ctx)),
            "MAIL-008" => Some(tls::quality(&ctx)),
            "MAIL-009" => Some(mta_sts::enforced(&ctx)),
            "MAIL-013" => Some(dcb1596::evidenced(&ctx)),
            _ => None,
        }
    })
}

/// One rule judged on the domain.
struct Ctx<'a> {
    rule: &'a Rule,
    obs: &'a MailRouteObservation,
    now: OffsetDateTime,
}

/// The MX hosts to judge, or the finding that stands instead.
enum Mx<'a> {
    Hosts(&'a [MxHost]),
    Stop(Status, String),
}

impl<'a> Ctx<'a> {
    fn finding(&self, status: Status, summary: String, evidence: Evidence) -> Finding {
        Finding::for_rule(self.rule, &self.obs.domain, status, summary, evidence)
    }

    /// Evidence every finding starts with.
    fn evidence(&self) -> Evidence {
        Evidence::new()
            .with("domain", self.obs.domain.as_str())
            .with("resolver", self.obs.resolver.as_str())
            .with("mx_answer", self.obs.mx.answer.as_str())
            .with("scan_time", rfc3339(self.now))
    }

    fn error(&self, reason: String, evidence: Evidence) -> Finding {
        let evidence = evidence.with("error", reason.as_str());
        self.finding(
            Status::Error,
            format!("could not assess: {reason}"),
            evidence,
        )
    }

    /// The MX hosts, or `not_applicable` (null or no MX) / `error` (the
    /// lookup failed).
    fn mx(&self) -> Mx<'a> {
        match &self.obs.mx.outcome {
            MxOutcome::Hosts { hosts, .. } if !hosts.is_empty() => Mx::Hosts(hosts),
            MxOutcome::Hosts { .. } | MxOutcome::Absent => Mx::Stop(
                Status::NotApplicable,
                format!("{} has no MX records: it receives no mail", self.obs.domain),
            ),
            MxOutcome::Null => Mx::Stop(
                Status::NotApplicable,
                format!(
                    "{} publishes a null MX (RFC 7505): it accepts no mail",
                    self.obs.domain
                ),
            ),
            MxOutcome::LookupFailed { reason } => Mx::Stop(
                Status::Error,
                format!("the MX lookup for {} failed: {reason}", self.obs.domain),
            ),
        }
    }

    /// The finding for an MX outcome that stops the rule.
    fn stopped(&self, status: Status, reason: String, evidence: Evidence) -> Finding {
        match status {
            Status::Error => self.error(reason, evidence),
            _ => self.finding(status, reason, evidence),
        }
    }
}

/// A certificate as evidence: the leaf's names and dates, the trust
/// verdict and the name check.
fn chain_json(chain: &ChainObservation, now: OffsetDateTime) -> Value {
    let leaf = chain.certificates.first();
    let (trusted, trust_reason) = match &chain.trust {
        TrustVerdict::Trusted { public } => (
            true,
            if *public {
                "chains to a public root"
            } else {
                "chains to a configured CA"
            }
            .to_owned(),
        ),
        TrustVerdict::Untrusted { reason } => (false, reason.clone()),
    };
    json!({
        "subject": leaf.map(|l| l.subject.clone()),
        "issuer": leaf.map(|l| l.issuer.clone()),
        "subject_alt_names": leaf.map(|l| l.subject_alt_names.clone()),
        "not_before": leaf.map(|l| rfc3339(l.not_before)),
        "not_after": leaf.map(|l| rfc3339(l.not_after)),
        "days_left": leaf.map(|l| (l.not_after - now).whole_days()),
        "trusted": trusted,
        "trust": trust_reason,
        "checked_name": chain.checked_name,
        "name_matches": chain.name_matches,
    })
}

/// What is wrong with a served certificate for `name`, one sentence each.
fn certificate_problems(chain: &ChainObservation, now: OffsetDateTime) -> Vec<String> {
    let mut problems = Vec::new();
    if let TrustVerdict::Untrusted { reason } = &chain.trust {
        problems.push(format!("certificate not trusted: {reason}"));
    }
    if let Some(leaf) = chain.certificates.first() {
        if leaf.not_after < now {
            problems.push(format!(
                "certificate expired on {}",
                rfc3339(leaf.not_after)
            ));
        } else if leaf.not_before > now {
            problems.push(format!(
                "certificate not valid until {}",
                rfc3339(leaf.not_before)
            ));
        }
    } else {
        problems.push("no certificate was served".to_owned());
    }
    if !chain.name_matches {
        problems.push(format!(
            "certificate is not valid for {}",
            chain.checked_name
        ));
    }
    problems
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests;

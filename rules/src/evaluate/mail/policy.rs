//! Rules for a domain's published mail policy: DMARC (MAIL-003…005), DKIM
//! keys (MAIL-006), TLS-RPT (MAIL-010) and the lock-down of a domain that
//! sends no mail (MAIL-011), from what the agent's lookups observed.
//!
//! # Decisions
//!
//! - **One finding per rule per domain**, target the domain, in catalogue
//!   order; a rule is evaluated when the catalogue has it with mode `dns`.
//!   Every finding's evidence has the resolver and the DNS answers the
//!   rule was decided on.
//! - **Could not tell is `error`, none is `fail`.** NXDOMAIN and an empty
//!   answer mean "there is no record"; SERVFAIL, REFUSED and timeouts mean
//!   the lookup could not say, and make the rule `error` unless what was
//!   seen already decides it (a usable DKIM key at one selector passes
//!   MAIL-006 whatever the others did).
//! - **MAIL-003** follows RFC 7489 section 6.6.3: TXT strings not starting
//!   with `v=DMARC1` are discarded (and shown); none at `_dmarc.<domain>`
//!   falls back to the organisational domain's; none there either fails,
//!   and more than one at the name used fails, since receivers then apply
//!   none. A record whose `p` is missing or not a policy, or whose `sp`
//!   is not one, is invalid and fails. Other bad values are ignored as
//!   receivers ignore them, and listed. A pass says whether the record
//!   was the organisational domain's.
//! - **MAIL-004** is `not_applicable` when no valid record applies (MAIL-003
//!   has failed already) and `error` when the lookups failed. The policy
//!   for the domain's own mail is `p`, or, when the record is the
//!   organisational domain's, its `sp` if present (section 6.6.3); the
//!   policy for subdomains is `sp`, defaulting to `p`. It passes when both
//!   are reject and `pct` is 100. Otherwise it fails, with the severity of
//!   the weakest treatment spoofed mail can get: both policies, each a step
//!   weaker when `pct` is below 100 (section 6.6.4: the mail `pct` leaves
//!   out gets the next weaker policy). Normal delivery (`none`) is high,
//!   quarantine medium, as the baseline's note says. So `p=reject; pct=50`
//!   is medium and `p=reject; sp=none` high.
//! - **MAIL-005** passes when `rua` holds a URI a receiver can use
//!   (`mailto:` with an address, or `https:`); a `rua` with none fails.
//!   Not applicable without a valid record, as MAIL-004.
//! - **MAIL-006** passes with one valid key at any selector tried: RSA of
//!   1024 bits or more, or Ed25519. RSA keys below 2048 bits still pass
//!   and are listed as below the recommendation. Revoked keys (empty `p=`),
//!   keys that do not parse, unknown key types and RSA below 1024 bits do
//!   not count. Without a usable key it fails, naming every selector tried,
//!   because selectors cannot be listed from the DNS: "no key" always means
//!   "none at these selectors".
//! - **MAIL-010** passes with exactly one `v=TLSRPTv1` record holding a
//!   usable `rua`; none, several (RFC 8460 section 3: senders then assume
//!   no policy), or one without a usable `rua` fails.
//! - **MAIL-011** applies only to domains flagged as non-sending; others
//!   get `not_applicable`. It needs the SPF record to be exactly
//!   `v=spf1 -all` (no other mechanism or modifier), DMARC to reject with
//!   `pct` 100 for the domain and its subdomains (an omitted `sp` counts,
//!   since it then takes `p`'s value), and a null MX or no MX at all, as
//!   the baseline states. (Without MX, RFC 5321 lets senders try the
//!   domain's address records; the baseline accepts that, and so do we.)
//!   The failure lists everything missing. SPF is given as the record's
//!   text, because "no other mechanisms" cannot be judged from the `all`
//!   qualifier alone.

mod dkim;
mod dmarc;
mod lockdown;
mod tlsrpt;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::catalogue::{Catalogue, Mode, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{
    DkimObservation, DmarcObservation, DnsLookup, MxObservation, TlsRptObservation,
};

/// Every rule this evaluator can produce, in catalogue order.
pub const POLICY_RULES: &[&str] = &[
    "MAIL-003", "MAIL-004", "MAIL-005", "MAIL-006", "MAIL-010", "MAIL-011",
];

/// What the policy lookups found for one domain, and how it is flagged.
#[derive(Debug, Clone, Copy)]
pub struct MailPolicy<'a> {
    /// The domain checked: every finding's target.
    pub domain: &'a str,
    pub dmarc: &'a DmarcObservation,
    pub dkim: &'a DkimObservation,
    pub tls_rpt: &'a TlsRptObservation,
    pub mx: &'a MxObservation,
    /// The domain's SPF record when exactly one was found (for MAIL-011),
    /// e.g. `v=spf1 -all`; `None` when there is none or several.
    pub spf_record: Option<&'a str>,
    /// The trust listed the domain as sending no mail (MAIL-011).
    pub non_sending: bool,
}

/// Findings for MAIL-003…006, MAIL-010 and MAIL-011: one per rule the
/// catalogue has with mode `dns`, in catalogue order, target the domain.
pub fn policy_findings(catalogue: &Catalogue, policy: &MailPolicy<'_>) -> Vec<Finding> {
    crate::evaluate::each_rule(catalogue, POLICY_RULES, Some(Mode::Dns), |rule| {
        let ctx = Ctx { rule, policy };
        match rule.id.as_str() {
            "MAIL-003" => Some(dmarc::present(&ctx)),
            "MAIL-004" => Some(dmarc::enforcing(&ctx)),
            "MAIL-005" => Some(dmarc::reporting(&ctx)),
            "MAIL-006" => Some(dkim::usable_key(&ctx)),
            "MAIL-010" => Some(tlsrpt::published(&ctx)),
            "MAIL-011" => Some(lockdown::locked_down(&ctx)),
            _ => None,
        }
    })
}

/// One rule judged on one domain.
struct Ctx<'a> {
    rule: &'a Rule,
    policy: &'a MailPolicy<'a>,
}

impl Ctx<'_> {
    fn finding(&self, status: Status, summary: String, evidence: Evidence) -> Finding {
        Finding::for_rule(self.rule, self.policy.domain, status, summary, evidence)
    }

    /// An `error` finding naming the lookup that could not be answered.
    fn lookup_error(&self, lookup: &DnsLookup, evidence: Evidence) -> Finding {
        let reason = lookup.summary();
        self.finding(
            Status::Error,
            format!("could not assess: {reason}"),
            evidence.with("error", reason),
        )
    }
}

/// Evidence every finding starts with: the resolver and the answers used.
fn evidence(resolver: &str, lookups: &[&DnsLookup]) -> Evidence {
    Evidence::new().with("resolver", resolver).with(
        "answers",
        lookups
            .iter()
            .map(|l| Value::from(l.summary()))
            .collect::<Vec<_>>(),
    )
}

/// `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

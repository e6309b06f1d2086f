//! The DNS lookups behind a domain's mail-policy rules: DMARC policy
//! discovery with the organisational-domain fallback (RFC 7489 section
//! 6.6.3), DKIM keys at configured and common selectors (RFC 6376, RFC
//! 8463), the TLS-RPT policy (RFC 8460) and MX records with null MX (RFC
//! 7505). Each check asks through a [`Resolve`], parses what comes back and
//! returns an observation for `trustwatch_rules::evaluate::mail::policy`.
//!
//! Nothing here fails: an answer that is missing, broken or unparseable is
//! recorded as such, with the question and answer, for the rules to judge.
//! Every check asks a fixed, small number of questions (DMARC two, TLS-RPT
//! and MX one, DKIM one per selector with the configured list capped), and
//! each question is bounded in time by the resolver.

mod dkim;
mod dmarc;
mod mx;
mod tags;
mod tlsrpt;

#[cfg(test)]
mod tests;

pub use dkim::{dkim, parse_key, COMMON_SELECTORS, MAX_CONFIGURED_SELECTORS};
pub use dmarc::{dmarc, organisational_domain, parse_record};
pub use mx::mx;
pub use tlsrpt::{parse_tls_rpt, tls_rpt};

use trustwatch_rules::observe::{
    DkimObservation, DmarcObservation, DnsLookup, LookupFailure, MxObservation, TlsRptObservation,
};

use crate::dns::{Answer, Failure, Record, Resolve};

/// All four policy observations of one domain.
#[derive(Debug, Clone)]
pub struct PolicyObservations {
    pub dmarc: DmarcObservation,
    pub dkim: DkimObservation,
    pub tls_rpt: TlsRptObservation,
    pub mx: MxObservation,
}

/// Runs the four checks for `domain` side by side.
pub async fn lookups<R: Resolve>(
    resolver: &R,
    domain: &str,
    selectors: &[String],
) -> PolicyObservations {
    let (dmarc, dkim, tls_rpt, mx) = tokio::join!(
        dmarc(resolver, domain),
        dkim(resolver, domain, selectors),
        tls_rpt(resolver, domain),
        mx(resolver, domain),
    );
    PolicyObservations {
        dmarc,
        dkim,
        tls_rpt,
        mx,
    }
}

/// An answer as the rules keep it.
fn observed(answer: &Answer) -> DnsLookup {
    DnsLookup {
        name: answer.name.clone(),
        rtype: answer.rtype.as_str().to_owned(),
        records: answer
            .records()
            .iter()
            .map(|r| match r {
                // Unquoted here: the summary quotes TXT itself.
                Record::Txt { text } => text.clone(),
                other => other.to_string(),
            })
            .collect(),
        failure: answer.outcome.as_ref().err().map(|f| match f {
            Failure::NxDomain => LookupFailure::NxDomain,
            Failure::NoData => LookupFailure::NoData,
            Failure::ServFail => LookupFailure::ServFail,
            Failure::Refused => LookupFailure::Refused,
            Failure::Timeout => LookupFailure::Timeout,
            Failure::Other(why) => LookupFailure::Other(why.clone()),
        }),
    }
}

/// True when the answer could not say whether records exist.
fn is_transient(answer: &Answer) -> bool {
    answer.outcome.as_ref().is_err_and(|f| !f.is_empty_answer())
}

//! One domain's checks, side by side, and the findings they give.

use trustwatch_rules::evaluate::mail::policy::{policy_findings, MailPolicy};
use trustwatch_rules::{Catalogue, Finding};

use crate::dns::Resolve;
use crate::mail::policy;

/// Every MAIL check of `domain` through `resolver`.
pub(super) async fn domain<R: Resolve>(
    resolver: &R,
    catalogue: &Catalogue,
    domain: &str,
    selectors: &[String],
    non_sending: bool,
) -> Vec<Finding> {
    let found = policy::lookups(resolver, domain, selectors).await;
    policy_findings(
        catalogue,
        &MailPolicy {
            domain,
            dmarc: &found.dmarc,
            dkim: &found.dkim,
            tls_rpt: &found.tls_rpt,
            mx: &found.mx,
            spf_record: None,
            non_sending,
        },
    )
}

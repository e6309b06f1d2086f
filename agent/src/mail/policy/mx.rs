//! A domain's MX records, and whether they are a null MX (RFC 7505).

use trustwatch_rules::observe::{MxHost, MxObservation};

use super::observed;
use crate::dns::answer::normalise;
use crate::dns::{Record, RecordType, Resolve};

/// Looks up the MX records of `domain`.
pub async fn mx<R: Resolve>(resolver: &R, domain: &str) -> MxObservation {
    let domain = normalise(domain);
    let answer = resolver.lookup(&domain, RecordType::Mx).await;
    let hosts: Vec<MxHost> = answer
        .records()
        .iter()
        .filter_map(|r| match r {
            Record::Mx {
                preference,
                exchange,
            } => Some(MxHost {
                preference: *preference,
                exchange: root_or_name(exchange),
            }),
            _ => None,
        })
        .collect();
    // RFC 7505 section 3: a null MX is the only MX record, preference 0,
    // exchange the root.
    let null_mx = matches!(hosts.as_slice(), [h] if h.preference == 0 && h.exchange == ".");
    let null_mx_mixed = hosts.len() > 1 && hosts.iter().any(|h| h.exchange == ".");
    MxObservation {
        lookup: observed(&answer),
        domain,
        hosts,
        null_mx,
        null_mx_mixed,
        resolver: resolver.describe(),
    }
}

/// A name as compared, with the root kept as `.` rather than emptied.
fn root_or_name(name: &str) -> String {
    match normalise(name) {
        root if root.is_empty() => ".".into(),
        name => name,
    }
}

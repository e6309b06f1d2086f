//! The SMTP TLS reporting policy at `_smtp._tls.<domain>` (RFC 8460
//! section 3).

use trustwatch_rules::observe::mail::is_report_uri;
use trustwatch_rules::observe::{TlsRptObservation, TlsRptRecord};

use super::observed;
use super::tags::TagList;
use crate::dns::answer::normalise;
use crate::dns::{RecordType, Resolve};

/// Looks up and parses the TLS-RPT policy of `domain`.
pub async fn tls_rpt<R: Resolve>(resolver: &R, domain: &str) -> TlsRptObservation {
    let domain = normalise(domain);
    let answer = resolver
        .lookup(&format!("_smtp._tls.{domain}"), RecordType::Txt)
        .await;
    TlsRptObservation {
        records: answer.texts().filter_map(parse_tls_rpt).collect(),
        lookup: observed(&answer),
        domain,
        resolver: resolver.describe(),
    }
}

/// Parses one TXT string as a TLS-RPT record; `None` when it does not
/// start with `v=TLSRPTv1`, which senders discard.
pub fn parse_tls_rpt(text: &str) -> Option<TlsRptRecord> {
    let list = TagList::parse(text);
    if !list.starts_with_version("TLSRPTv1") {
        return None;
    }
    let mut record = TlsRptRecord {
        text: text.to_owned(),
        ..TlsRptRecord::default()
    };
    match list.tags.iter().find(|(name, _)| name == "rua") {
        None => record.problems.push("no rua field".into()),
        Some((_, value)) => {
            record.rua = value
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect();
            for uri in record.rua.iter().filter(|u| !is_report_uri(u)) {
                record.problems.push(format!(
                    "rua URI {uri:?} is not a mailto: address or https: URL"
                ));
            }
            if record.rua.is_empty() {
                record.problems.push("rua is empty".into());
            }
        }
    }
    Some(record)
}

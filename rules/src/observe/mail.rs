//! Observations of a domain's mail policy records: DMARC (RFC 7489), DKIM
//! keys (RFC 6376, RFC 8463), TLS-RPT (RFC 8460) and MX, including null MX
//! (RFC 7505).
//!
//! The agent asks the DNS and parses what comes back; the MAIL-003…006,
//! MAIL-010 and MAIL-011 rules read these. Every question asked is kept
//! with its answer, and a record that does not parse keeps its text and
//! the reasons, so a finding can always show what it was decided on.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a DNS question got no records: the agent's answer, as data the
/// rules can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupFailure {
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists without records of the type asked.
    NoData,
    /// SERVFAIL.
    ServFail,
    /// REFUSED.
    Refused,
    /// No answer in time.
    Timeout,
    /// Anything else, in the resolver's words.
    Other(String),
}

impl LookupFailure {
    /// NXDOMAIN and no data say "there is no such record"; everything else
    /// says "could not tell", which makes a rule `error` rather than `fail`.
    pub fn is_empty_answer(&self) -> bool {
        matches!(self, LookupFailure::NxDomain | LookupFailure::NoData)
    }
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupFailure::NxDomain => f.write_str("NXDOMAIN"),
            LookupFailure::NoData => f.write_str("no records (NOERROR)"),
            LookupFailure::ServFail => f.write_str("SERVFAIL"),
            LookupFailure::Refused => f.write_str("REFUSED"),
            LookupFailure::Timeout => f.write_str("timed out"),
            LookupFailure::Other(why) => f.write_str(why),
        }
    }
}

/// One DNS question and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsLookup {
    /// The name asked, lower case, without the trailing dot.
    pub name: String,
    /// `TXT`, `MX`.
    pub rtype: String,
    /// The records as text: a TXT record's strings joined, an MX record as
    /// `10 mail.example.test`.
    #[serde(default)]
    pub records: Vec<String>,
    /// Why there are no records; `None` when the answer had records (or
    /// was an empty NOERROR the resolver did not flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<LookupFailure>,
}

impl DnsLookup {
    /// The failure when it means "could not tell" (SERVFAIL, REFUSED,
    /// timeout, other), not "there is none".
    pub fn transient_failure(&self) -> Option<&LookupFailure> {
        self.failure.as_ref().filter(|f| !f.is_empty_answer())
    }

    /// One line for evidence: `TXT _dmarc.example.test: "v=DMARC1; p=reject"`.
    pub fn summary(&self) -> String {
        match &self.failure {
            Some(failure) => format!("{} {}: {failure}", self.rtype, self.name),
            None if self.records.is_empty() => {
                format!("{} {}: no records (NOERROR)", self.rtype, self.name)
            }
            None => format!(
                "{} {}: {}",
                self.rtype,
                self.name,
                self.records
                    .iter()
                    .map(|r| if self.rtype == "TXT" {
                        format!("{r:?}")
                    } else {
                        r.clone()
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A DMARC policy value (`p=`, `sp=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

impl DmarcPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcPolicy::None => "none",
            DmarcPolicy::Quarantine => "quarantine",
            DmarcPolicy::Reject => "reject",
        }
    }

    /// The policy a receiver applies to the mail a `pct` below 100 leaves
    /// out (RFC 7489 section 6.6.4): reject falls to quarantine, quarantine
    /// to normal handling.
    pub fn next_weaker(self) -> DmarcPolicy {
        match self {
            DmarcPolicy::Reject => DmarcPolicy::Quarantine,
            DmarcPolicy::Quarantine | DmarcPolicy::None => DmarcPolicy::None,
        }
    }
}

impl fmt::Display for DmarcPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One TXT record that starts with `v=DMARC1`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcRecord {
    /// The record as published.
    pub text: String,
    /// `p=`; `None` when missing or not a known policy (see `problems`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<DmarcPolicy>,
    /// `sp=`, when present and valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp: Option<DmarcPolicy>,
    /// `pct=` as published and valid; absent means 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct: Option<u8>,
    /// The `rua=` URIs as published (each with any `!size` suffix).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rua: Vec<String>,
    /// The `ruf=` URIs as published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ruf: Vec<String>,
    /// `adkim=`, `aspf=` (`r` or `s`), `fo=`, `rf=`, `ri=` as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adkim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ri: Option<String>,
    /// Faults that make the record invalid: `p` missing or not a policy,
    /// `sp` not a policy (RFC 7489 section 6.6.3 step 6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// Faults a receiver ignores, using the tag's default instead (section
    /// 6.3): a bad `pct`, a report URI that is not one, a repeated tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
    /// Tags DMARC does not define, which receivers ignore.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_tags: Vec<String>,
}

impl DmarcRecord {
    /// True when the record can be applied: `p` is a policy and nothing in
    /// `problems`.
    pub fn is_valid(&self) -> bool {
        self.p.is_some() && self.problems.is_empty()
    }

    /// `pct`, defaulting to 100.
    pub fn percent(&self) -> u8 {
        self.pct.unwrap_or(100)
    }

    /// The `rua` URIs a receiver can send to: `mailto:` with an address or
    /// `https:`.
    pub fn usable_rua(&self) -> Vec<&str> {
        self.rua
            .iter()
            .map(String::as_str)
            .filter(|u| is_report_uri(u))
            .collect()
    }
}

/// True for a report destination a sender can use: `mailto:` with an
/// address, or an `https:` URL (TLS-RPT also allows the latter; DMARC
/// receivers mostly send mail only, but the URI is still well formed).
pub fn is_report_uri(uri: &str) -> bool {
    // A DMARC URI may carry a `!size` limit after it.
    let uri = uri.split('!').next().unwrap_or("").trim();
    let lower = uri.to_ascii_lowercase();
    if let Some(address) = lower.strip_prefix("mailto:") {
        let (local, host) = address.split_once('@').unwrap_or(("", ""));
        !local.is_empty() && host.contains('.') && !host.starts_with('.')
    } else if let Some(rest) = lower.strip_prefix("https://") {
        rest.split('/').next().is_some_and(|h| h.contains('.'))
    } else {
        false
    }
}

/// What the DMARC policy discovery of RFC 7489 section 6.6.3 found for a
/// domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcObservation {
    /// The domain checked.
    pub domain: String,
    /// Its organisational domain from the public suffix list; `None` when
    /// the domain is itself a public suffix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_domain: Option<String>,
    /// The TXT questions asked: `_dmarc.<domain>`, then
    /// `_dmarc.<org_domain>` when the first had no DMARC record.
    pub lookups: Vec<DnsLookup>,
    /// True when `_dmarc.<domain>` had no DMARC record and the
    /// organisational domain's name was asked instead: its records, if
    /// any, are the ones that apply.
    pub fallback: bool,
    /// The name whose records apply (the last name asked); `None` when a
    /// lookup failed before one could be chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_at: Option<String>,
    /// The records at `found_at` that start with `v=DMARC1`. More than one
    /// means none applies (section 6.6.3 step 5).
    #[serde(default)]
    pub records: Vec<DmarcRecord>,
    /// TXT strings at the names asked that mention DMARC but do not start
    /// with `v=DMARC1`, which receivers discard: shown so a typo is seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discarded: Vec<String>,
    /// The resolver asked.
    pub resolver: String,
}

impl DmarcObservation {
    /// The first lookup that failed with "could not tell".
    pub fn lookup_error(&self) -> Option<&DnsLookup> {
        self.lookups
            .iter()
            .find(|l| l.transient_failure().is_some())
    }

    /// The one valid record that applies, if there is exactly one.
    pub fn applied(&self) -> Option<&DmarcRecord> {
        match self.records.as_slice() {
            [one] if one.is_valid() && self.lookup_error().is_none() => Some(one),
            _ => None,
        }
    }
}

/// One DKIM key record (a TXT record at `<selector>._domainkey.<domain>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimKey {
    /// The record as published.
    pub text: String,
    /// `k=`, lower case; `rsa` when absent (RFC 6376 section 3.6.1).
    pub key_type: String,
    /// The key's size: the RSA modulus in bits, 256 for Ed25519. `None`
    /// when the key could not be read or is revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// `p=` is empty: the key has been revoked.
    pub revoked: bool,
    /// Why the record is not a usable key (no `p=`, bad base64, a key that
    /// does not parse, an unknown key type, a service type without email).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl DkimKey {
    /// A key a verifier can use: parsed, not revoked, of a known type.
    pub fn is_valid(&self) -> bool {
        !self.revoked && self.problems.is_empty() && self.bits.is_some()
    }
}

/// What was found at one selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimSelector {
    pub selector: String,
    /// True when the selector was configured, not one of the common names.
    pub configured: bool,
    /// The TXT question for `<selector>._domainkey.<domain>`.
    pub lookup: DnsLookup,
    /// One entry per TXT record there.
    #[serde(default)]
    pub keys: Vec<DkimKey>,
}

/// The DKIM keys found at the selectors tried. Selectors cannot be listed
/// from the DNS, so "no key" always means "none at these selectors".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimObservation {
    pub domain: String,
    /// Every selector tried, configured ones first, in order.
    pub selectors_tried: Vec<String>,
    pub selectors: Vec<DkimSelector>,
    /// Configured selectors left out because the list was too long.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_tried: Vec<String>,
    pub resolver: String,
}

/// One TXT record at `_smtp._tls.<domain>` starting with `v=TLSRPTv1`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRptRecord {
    pub text: String,
    /// The `rua=` URIs as published.
    #[serde(default)]
    pub rua: Vec<String>,
    /// Faults: no `rua`, a URI that is neither `mailto:` nor `https:`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl TlsRptRecord {
    /// The URIs reports can be sent to.
    pub fn usable_rua(&self) -> Vec<&str> {
        self.rua
            .iter()
            .map(String::as_str)
            .filter(|u| is_report_uri(u))
            .collect()
    }
}

/// The SMTP TLS reporting policy (RFC 8460) of a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRptObservation {
    pub domain: String,
    /// The TXT question for `_smtp._tls.<domain>`.
    pub lookup: DnsLookup,
    /// The records starting with `v=TLSRPTv1`; more than one means the
    /// domain has no policy (section 3).
    #[serde(default)]
    pub records: Vec<TlsRptRecord>,
    pub resolver: String,
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    pub preference: u16,
    /// The exchange, lower case without the trailing dot; `.` for the root.
    pub exchange: String,
}

/// A domain's MX records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxObservation {
    pub domain: String,
    /// The MX question for the domain.
    pub lookup: DnsLookup,
    #[serde(default)]
    pub hosts: Vec<MxHost>,
    /// A null MX (RFC 7505): exactly one record, preference 0, exchange `.`.
    pub null_mx: bool,
    /// A null MX published beside other MX records, which RFC 7505
    /// section 3 forbids; senders may still try the others.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub null_mx_mixed: bool,
    pub resolver: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_uris_need_an_address_or_an_https_url() {
        assert!(is_report_uri("mailto:dmarc@good.test"));
        assert!(is_report_uri("mailto:dmarc@good.test!10m"));
        assert!(is_report_uri("https://reports.example.test/tlsrpt"));
        assert!(!is_report_uri("mailto:"));
        assert!(!is_report_uri("mailto:nobody"));
        assert!(!is_report_uri("dmarc@good.test"));
        assert!(!is_report_uri("http://reports.example.test/"));
    }

    #[test]
    fn lookups_tell_none_from_could_not_tell() {
        let mut l = DnsLookup {
            name: "_dmarc.x.test".into(),
            rtype: "TXT".into(),
            records: vec!["v=DMARC1; p=none".into()],
            failure: None,
        };
        assert_eq!(l.summary(), "TXT _dmarc.x.test: \"v=DMARC1; p=none\"");
        l.records.clear();
        l.failure = Some(LookupFailure::NxDomain);
        assert!(l.transient_failure().is_none());
        l.failure = Some(LookupFailure::Timeout);
        assert_eq!(l.transient_failure(), Some(&LookupFailure::Timeout));
        assert_eq!(l.summary(), "TXT _dmarc.x.test: timed out");
    }
}

//! Observations of a domain's inbound mail route: its MX hosts and what
//! each said over SMTP and STARTTLS, its MTA-STS record and policy, and
//! the evidence of a DCB1596 route (NHSmail MX hosts, or the domain on a
//! locally kept accredited-domain list). Rules MAIL-007, MAIL-008,
//! MAIL-009 and MAIL-013 read them.
//!
//! Everything the agent could not learn is data here (a lookup that
//! failed, a connection refused, a policy that did not parse), so the
//! rules can tell `fail` from `error` without guessing.

use serde::{Deserialize, Serialize};

use super::tls::{ChainObservation, TlsVersion};

/// Everything the mail-route checks saw of one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRouteObservation {
    /// The domain, lower case without the trailing dot: the findings'
    /// target.
    pub domain: String,
    /// The resolver asked (`127.0.0.1:5353`, `system`, `table`).
    pub resolver: String,
    /// The SMTP port the MX hosts were probed on (25 outside tests).
    pub smtp_port: u16,
    pub mx: MxObservation,
    pub mta_sts: MtaStsObservation,
    /// The accredited-domain list's answer; `None` when no list was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accredited: Option<AccreditedLookup>,
}

/// The MX answer and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxObservation {
    /// The answer as one line, e.g. `MX example.test: 10 mx1.example.test`.
    pub answer: String,
    pub outcome: MxOutcome,
}

/// What the MX lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum MxOutcome {
    /// MX hosts, in order of preference (at most the agent's limit).
    Hosts {
        hosts: Vec<MxHost>,
        /// MX records beyond the limit, not probed.
        #[serde(default)]
        skipped: usize,
    },
    /// A null MX (`MX 0 .`, RFC 7505): the domain accepts no mail.
    Null,
    /// No MX records (NXDOMAIN or no data).
    Absent,
    /// The lookup failed (SERVFAIL, REFUSED, timeout, …).
    LookupFailed { reason: String },
}

impl MxOutcome {
    /// The MX hosts, empty unless the lookup found some.
    pub fn hosts(&self) -> &[MxHost] {
        match self {
            MxOutcome::Hosts { hosts, .. } => hosts,
            _ => &[],
        }
    }
}

/// The mail service an MX host name belongs to, by its pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailService {
    /// NHSmail: a name under `nhs.net`.
    Nhsmail,
    /// Microsoft 365 (Exchange Online Protection): a name under
    /// `mail.protection.outlook.com`.
    Microsoft365,
    /// Anything else: the trust's own or another provider's MTA.
    Other,
}

impl MailService {
    pub fn as_str(self) -> &'static str {
        match self {
            MailService::Nhsmail => "NHSmail",
            MailService::Microsoft365 => "Microsoft 365",
            MailService::Other => "other",
        }
    }
}

/// One MX host: its name, preference, addresses and the SMTP sessions
/// held with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    /// Lower case, without the trailing dot.
    pub name: String,
    pub preference: u16,
    pub service: MailService,
    /// Addresses found (A, then AAAA), at most the agent's limit.
    pub addresses: Vec<String>,
    /// Lookups for the host's addresses that failed, one line each
    /// (`AAAA mx1.example.test: SERVFAIL`); empty answers are not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolve_problems: Vec<String>,
    /// One session per address probed, in the order of `addresses`.
    pub sessions: Vec<SmtpSession>,
}

impl MxHost {
    /// Sessions where an SMTP server answered (a greeting at least).
    pub fn answered(&self) -> impl Iterator<Item = &SmtpSession> {
        self.sessions.iter().filter(|s| s.connected && s.greeted)
    }
}

/// One SMTP session with one MX address: how far it got towards TLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSession {
    /// `ip:port`.
    pub address: String,
    /// The TCP connection was made.
    pub connected: bool,
    /// The server greeted with 220.
    pub greeted: bool,
    /// EHLO was answered with 250.
    pub ehlo: bool,
    /// The EHLO reply listed STARTTLS.
    pub starttls_offered: bool,
    /// The server answered the STARTTLS command with 220.
    pub starttls_accepted: bool,
    /// The TLS handshake completed: the negotiated version and suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<NegotiatedTls>,
    /// The certificate served (even when the handshake then failed),
    /// judged against the MX host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainObservation>,
    /// Why the session stopped short of a completed handshake, or a
    /// certificate that could not be parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SmtpSession {
    /// STARTTLS was offered and the upgrade completed a TLS handshake.
    pub fn upgraded(&self) -> bool {
        self.starttls_accepted && self.tls.is_some()
    }
}

/// What a completed handshake negotiated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegotiatedTls {
    pub version: TlsVersion,
    pub cipher_suite: String,
}

/// The domain's MTA-STS (RFC 8461): the TXT record, the policy fetch and
/// the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtaStsObservation {
    pub record: StsRecord,
    /// The policy fetch; `None` when it was not attempted (no usable TXT
    /// record, the policy host did not resolve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<PolicyFetch>,
    /// The policy parsed from the body fetched (whatever the fetch's
    /// validity, so the evidence shows what was served).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<StsPolicy>,
    /// Each MX host and the policy pattern that covers it, if any.
    #[serde(default)]
    pub coverage: Vec<MxCoverage>,
}

/// The `_mta-sts.<domain>` TXT lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsRecord {
    /// The answer as one line.
    pub answer: String,
    /// The lookup failed for a reason other than "no such record"
    /// (SERVFAIL, timeout, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_error: Option<String>,
    /// TXT strings beginning with `v=STSv1` (RFC 8461 3.1: others are
    /// discarded).
    #[serde(default)]
    pub records: Vec<String>,
    /// The `id` of the one valid record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why the record is unusable: none, more than one, no or a bad `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One HTTPS fetch of `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFetch {
    pub url: String,
    /// `ip:port` connected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The certificate served, judged against `mta-sts.<domain>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainObservation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// A redirect's `Location`: recorded, never followed (RFC 8461 3.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Body bytes read (at most the limit).
    #[serde(default)]
    pub body_bytes: u64,
    /// Why the fetch did not complete: no address, connect or handshake
    /// failure, a body over the limit, a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A policy's `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StsMode {
    Enforce,
    Testing,
    None,
}

impl StsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StsMode::Enforce => "enforce",
            StsMode::Testing => "testing",
            StsMode::None => "none",
        }
    }
}

/// An MTA-STS policy as parsed (RFC 8461 3.2). Fields missing or invalid
/// are `None`, with a sentence in `problems`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<StsMode>,
    /// `mx` patterns, lower case, as given (`mail.example.test`,
    /// `*.example.test`).
    #[serde(default)]
    pub mx: Vec<String>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// Why the policy is not valid, one sentence each.
    #[serde(default)]
    pub problems: Vec<String>,
}

impl StsPolicy {
    /// Parsed without a problem.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Whether one MX host is covered by the policy's `mx` patterns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxCoverage {
    pub mx: String,
    /// The first pattern that matches the host, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// The domain looked up in the accredited-domain list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditedLookup {
    /// Where the list came from (its path).
    pub source: String,
    /// Domains in the list.
    pub entries: usize,
    /// The domain is on the list.
    pub listed: bool,
    /// Lines of the list that were not domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

//! Observations of a domain's DNS hygiene: DNSSEC at the apex (DNS-001),
//! the CAA record set found by the RFC 8659 tree walk (DNS-002), CNAME
//! chains that end nowhere (DNS-003), and what each authoritative name
//! server does with a recursive query (DNS-004) and a zone transfer
//! request (DNS-005).
//!
//! As everywhere, "could not tell" is data: a lookup that failed, a server
//! that did not answer, so the rules can tell `fail` from `error`.

use serde::{Deserialize, Serialize};

/// Everything the DNS hygiene checks saw of one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsHealthObservation {
    /// The domain, lower case without the trailing dot: the findings'
    /// target.
    pub domain: String,
    /// The resolver asked (`127.0.0.1:5353`, `system`, `table`).
    pub resolver: String,
    pub dnssec: DnssecObservation,
    pub caa: CaaObservation,
    pub dangling: DanglingObservation,
    pub servers: NameServerObservation,
}

/// The CAA tree walk of RFC 8659 section 3: from the domain towards the
/// root, stopping below the public suffix; the first name with CAA
/// records is the relevant record set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaObservation {
    /// Each question asked, as one line (`CAA www.example.test: NXDOMAIN`).
    pub asked: Vec<String>,
    /// The name whose CAA records are relevant, when some were found.
    pub found_at: Option<String>,
    #[serde(default)]
    pub records: Vec<CaaRecord>,
    /// A lookup that failed other than "no such record": the walk stopped
    /// there and cannot say whether a CAA set exists.
    pub failure: Option<String>,
}

/// One CAA record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaRecord {
    pub critical: bool,
    /// Lower case (`issue`, `issuewild`, `iodef`, …).
    pub tag: String,
    pub value: String,
}

/// The names checked for dangling CNAMEs, each with its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DanglingObservation {
    /// Every name checked, in order, including those without a CNAME.
    pub names: Vec<CnameChain>,
}

/// One name's CNAME chain and where it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CnameChain {
    pub name: String,
    /// The targets in order, without the name itself.
    #[serde(default)]
    pub chain: Vec<String>,
    pub end: ChainEnd,
}

impl CnameChain {
    /// The last target of the chain, or the name when it has no CNAME.
    pub fn last(&self) -> &str {
        self.chain.last().unwrap_or(&self.name)
    }
}

/// Where a CNAME chain ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ChainEnd {
    /// The name has no CNAME (or does not exist): nothing to follow.
    NoCname,
    /// The last target exists.
    Resolves,
    /// The last target does not exist (NXDOMAIN).
    NxDomain,
    /// The last target is under a cloud suffix where anyone can register
    /// the name, and it does not resolve.
    Claimable { suffix: String, reason: String },
    /// The chain comes back to a name already on it.
    Loop,
    /// Longer than the agent follows.
    TooLong,
    /// A lookup on the way failed (REFUSED, SERVFAIL, timeout): cannot
    /// tell.
    LookupFailed { at: String, reason: String },
}

/// The domain's authoritative name servers and what each address did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameServerObservation {
    /// The NS question for the domain, as one line.
    pub answer: String,
    pub outcome: NameServerOutcome,
}

/// What the NS lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum NameServerOutcome {
    /// Addresses probed (at most the agent's limit).
    Servers {
        servers: Vec<NameServerProbe>,
        /// NS names none of whose addresses could be found.
        #[serde(default)]
        unresolved: Vec<String>,
        /// Addresses beyond the limit, not probed.
        #[serde(default)]
        skipped: usize,
    },
    /// No NS records at the name: it is not a zone apex.
    NotApex,
    /// The NS lookup failed.
    LookupFailed { reason: String },
}

/// One name server address and the probes sent to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameServerProbe {
    /// The NS name.
    pub name: String,
    /// `ip:port` probed.
    pub address: String,
    pub recursion: RecursionProbe,
    pub axfr: AxfrProbe,
}

/// The answer to a recursive query (RD set) for a name outside the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RecursionProbe {
    /// An answer came: its response code, whether RA was set, and how many
    /// answer records it held.
    Answered {
        /// The name asked.
        asked: String,
        rcode: String,
        recursion_available: bool,
        answers: usize,
    },
    /// No usable answer (timeout, unreachable, unparseable).
    NoAnswer { reason: String },
}

impl RecursionProbe {
    /// Whether the server recursed for us: RA set and a NOERROR answer for
    /// a name it is not authoritative for.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            RecursionProbe::Answered {
                rcode,
                recursion_available: true,
                ..
            } if rcode == "NOERROR"
        )
    }
}

/// The result of an AXFR request over TCP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AxfrProbe {
    /// The server sent the zone: records counted (to the agent's limit)
    /// and a few owner names as a sample.
    Allowed { records: usize, sample: Vec<String> },
    /// Refused: an error code (REFUSED, NOTAUTH…), an empty answer, or the
    /// connection closed or refused.
    Refused { reason: String },
    /// No answer in time, or an answer that could not be read.
    NoAnswer { reason: String },
}

/// What the apex says about DNSSEC, asked of an authoritative server with
/// the DO bit set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DnssecObservation {
    /// The DNSKEY question was answered.
    Answered {
        /// The server asked, `ip:port`.
        server: String,
        rcode: String,
        dnskeys: usize,
        /// RRSIG records covering the DNSKEY set.
        rrsigs: usize,
        /// The validating resolver's verdict.
        validation: Validation,
    },
    /// No authoritative server to ask (no NS, or none reachable).
    NotAsked { reason: String },
    /// The question got no usable answer.
    NoAnswer { server: String, reason: String },
}

/// What a validating resolver made of the zone's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Validation {
    /// Every record set asked for was proven secure.
    Secure { steps: Vec<ValidationStep> },
    /// Some record set failed validation (a bad or expired signature, a
    /// key that does not match the DS).
    Bogus { steps: Vec<ValidationStep> },
    /// No chain of trust reaches the zone (no DS at the parent), or the
    /// records were not proven: signed or not, resolvers cannot tell.
    Insecure { steps: Vec<ValidationStep> },
    /// A question failed for another reason (timeout, SERVFAIL).
    Failed { steps: Vec<ValidationStep> },
    /// Validation was not attempted.
    NotAttempted { reason: String },
}

/// One question asked of the validating resolver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationStep {
    /// `SOA example.test`.
    pub asked: String,
    /// `secure`, `insecure`, `bogus`, `indeterminate`, `absent`, `error`.
    pub proof: String,
    pub detail: String,
}

impl Validation {
    /// The verdict over the steps: any bogus is bogus, then any error is
    /// failed, then any not secure (absent sets excepted) is insecure.
    pub fn from_steps(steps: Vec<ValidationStep>) -> Validation {
        let any = |p: &str| steps.iter().any(|s| s.proof == p);
        if any("bogus") {
            Validation::Bogus { steps }
        } else if any("error") {
            Validation::Failed { steps }
        } else if steps
            .iter()
            .all(|s| s.proof == "secure" || s.proof == "absent")
            && any("secure")
        {
            Validation::Secure { steps }
        } else {
            Validation::Insecure { steps }
        }
    }
}

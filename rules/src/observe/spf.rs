//! Observations of a domain's SPF policy (RFC 7208) and of the reverse DNS
//! of the sending addresses it lists.
//!
//! The agent's SPF walker fills these in without a sender: it walks the
//! policy as a receiver would when no mechanism matches until the end, so
//! every term that could be reached is parsed and counted. MAIL-001,
//! MAIL-002 and MAIL-012 read them. Everything is plain data: the records
//! seen, the answers used and the resolver that gave them, so a finding can
//! be checked again from its evidence.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// What was found of one domain's SPF policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfObservation {
    /// The domain checked, lower case, no trailing dot: the finding target.
    pub domain: String,
    /// The resolver asked: `127.0.0.1:5353`, `system`, `table`.
    pub resolver: String,
    /// Every TXT string at the domain (each record's strings joined).
    #[serde(default)]
    pub txt_records: Vec<String>,
    /// Those of them that are SPF records (start with `v=spf1`, then a
    /// space or the end).
    #[serde(default)]
    pub spf_records: Vec<String>,
    /// The domain's own record, parsed, when there was exactly one and it
    /// parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<SpfRecord>,
    /// The outcome of the walk.
    pub result: SpfResult,
    /// DNS-querying terms counted under RFC 7208 section 4.6.4 (include,
    /// a, mx, ptr, exists, redirect) across the whole tree.
    pub lookups: u32,
    /// Terms whose lookup came back NXDOMAIN or empty (section 4.6.4).
    pub void_lookups: u32,
    /// The records walked, rooted at the domain; `None` when the domain had
    /// no single record to walk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<SpfNode>,
    /// The `all` qualifier that ends the domain's evaluation, followed
    /// through `redirect`. `None` when the record (or its redirect target)
    /// has neither `all` nor `redirect`: evaluation then ends in neutral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_all: Option<Qualifier>,
    /// The `ip4` and `ip6` networks of every record walked, each once, in
    /// the order met.
    #[serde(default)]
    pub networks: Vec<SpfNetwork>,
    /// Terms counted but not resolved, with why: `ptr` and macros that need
    /// the sender's address or HELO name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_evaluated: Vec<String>,
    /// Every DNS answer the walk used, as `Answer::summary()` lines.
    #[serde(default)]
    pub answers: Vec<String>,
}

impl SpfObservation {
    /// An observation with nothing found yet.
    pub fn new(domain: &str, resolver: &str) -> SpfObservation {
        SpfObservation {
            domain: domain.to_owned(),
            resolver: resolver.to_owned(),
            txt_records: Vec::new(),
            spf_records: Vec::new(),
            record: None,
            result: SpfResult::None,
            lookups: 0,
            void_lookups: 0,
            tree: None,
            effective_all: None,
            networks: Vec::new(),
            not_evaluated: Vec::new(),
            answers: Vec::new(),
        }
    }
}

/// How the walk ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SpfResult {
    /// No SPF record at the domain (no TXT, NXDOMAIN, or no `v=spf1`).
    None,
    /// Exactly one record, walked to the end within the limits.
    Valid,
    /// A permanent error: receivers treat the policy as broken.
    PermError { kind: PermErrorKind, reason: String },
    /// A DNS failure (SERVFAIL, REFUSED, timeout) stopped the walk.
    TempError { reason: String },
}

/// Why a policy is a PermError.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermErrorKind {
    /// More than one `v=spf1` record at a name (section 4.5).
    MultipleRecords,
    /// A term that does not parse (section 4.6, 5, 6, 7).
    Syntax,
    /// More than 10 DNS-querying terms (section 4.6.4).
    TooManyLookups,
    /// More than 2 void lookups (section 4.6.4).
    TooManyVoidLookups,
    /// An `mx` name with more than 10 MX records (section 4.6.4).
    TooManyMxNames,
    /// An include or redirect back to a name already being evaluated.
    Loop,
    /// An include or redirect target with no SPF record (sections 5.2, 6.1).
    NoRecordAtTarget,
}

impl fmt::Display for PermErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PermErrorKind::MultipleRecords => "more than one SPF record",
            PermErrorKind::Syntax => "syntax error",
            PermErrorKind::TooManyLookups => "more than 10 DNS lookups",
            PermErrorKind::TooManyVoidLookups => "more than 2 void lookups",
            PermErrorKind::TooManyMxNames => "more than 10 MX names",
            PermErrorKind::Loop => "include loop",
            PermErrorKind::NoRecordAtTarget => "include or redirect target without SPF",
        })
    }
}

/// A mechanism's qualifier (section 4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    /// `+`, the default.
    Pass,
    /// `-`
    Fail,
    /// `~`
    SoftFail,
    /// `?`
    Neutral,
}

impl Qualifier {
    /// The qualifier's character.
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.symbol())
    }
}

/// The mechanisms of section 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MechanismKind {
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}

impl MechanismKind {
    /// The mechanism's name as written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            MechanismKind::All => "all",
            MechanismKind::Include => "include",
            MechanismKind::A => "a",
            MechanismKind::Mx => "mx",
            MechanismKind::Ptr => "ptr",
            MechanismKind::Ip4 => "ip4",
            MechanismKind::Ip6 => "ip6",
            MechanismKind::Exists => "exists",
        }
    }

    /// Whether the mechanism counts towards the 10-lookup limit.
    pub fn queries_dns(self) -> bool {
        matches!(
            self,
            MechanismKind::Include
                | MechanismKind::A
                | MechanismKind::Mx
                | MechanismKind::Ptr
                | MechanismKind::Exists
        )
    }
}

/// One mechanism as written: `-ip4:192.0.2.0/24` is qualifier fail, kind
/// ip4, argument `192.0.2.0/24`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfMechanism {
    pub qualifier: Qualifier,
    pub kind: MechanismKind,
    /// What follows the name: the text after `:` (domain-spec or network
    /// with any CIDR length), or a bare CIDR length such as `/24` for `a`
    /// and `mx`. `None` when the mechanism stands alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argument: Option<String>,
}

impl fmt::Display for SpfMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.qualifier != Qualifier::Pass {
            write!(f, "{}", self.qualifier)?;
        }
        f.write_str(self.kind.as_str())?;
        match &self.argument {
            Some(arg) if arg.starts_with('/') => f.write_str(arg),
            Some(arg) => write!(f, ":{arg}"),
            None => Ok(()),
        }
    }
}

/// One parsed SPF record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfRecord {
    /// The record as published.
    pub text: String,
    /// The mechanisms, in order (including any after `all`, which are
    /// never evaluated).
    pub mechanisms: Vec<SpfMechanism>,
    /// The `redirect=` domain-spec, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    /// The `exp=` domain-spec, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<String>,
    /// Other modifiers (`name=value`), which section 6 says to ignore.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_modifiers: Vec<String>,
}

impl SpfRecord {
    /// The qualifier of the record's `all`, when it has one.
    pub fn all(&self) -> Option<Qualifier> {
        self.mechanisms
            .iter()
            .find(|m| m.kind == MechanismKind::All)
            .map(|m| m.qualifier)
    }
}

/// How a record in the tree was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpfVia {
    /// The domain checked.
    Top,
    Include,
    Redirect,
}

/// One name in the include/redirect tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfNode {
    /// The name whose record this is.
    pub domain: String,
    pub via: SpfVia,
    /// The record used, when the name had exactly one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The record's own `all` qualifier, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Qualifier>,
    /// The walk's error at this name, when it stopped here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Includes, then any redirect, in the order walked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<SpfNode>,
}

impl SpfNode {
    /// This node and every node below it, depth first.
    pub fn walk(&self) -> Vec<&SpfNode> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.walk());
        }
        out
    }
}

/// An `ip4` or `ip6` network of a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SpfNetwork {
    pub address: IpAddr,
    /// The prefix length: 32 or 128 when none was written.
    pub prefix: u8,
    /// The name whose record lists it.
    pub listed_by: String,
}

impl SpfNetwork {
    /// A single address (`/32`, `/128`): the only networks whose reverse
    /// DNS MAIL-012 checks.
    pub fn is_single_address(&self) -> bool {
        match self.address {
            IpAddr::V4(_) => self.prefix == 32,
            IpAddr::V6(_) => self.prefix == 128,
        }
    }
}

impl fmt::Display for SpfNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// Forward-confirmed reverse DNS of one sending address (MAIL-012): the
/// PTR names of the address, and whether one of them has an A or AAAA
/// record back to the address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtrCheck {
    pub address: IpAddr,
    /// The PTR names found (at most the first 10 are followed forward).
    #[serde(default)]
    pub ptr_names: Vec<String>,
    /// True when a PTR name resolves back to the address.
    pub forward_confirmed: bool,
    /// A lookup that failed (SERVFAIL, timeout) so that the check could not
    /// be decided; `None` when every answer needed came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_error: Option<String>,
    /// The answers used, as `Answer::summary()` lines.
    #[serde(default)]
    pub answers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanisms_print_as_written() {
        let m = SpfMechanism {
            qualifier: Qualifier::SoftFail,
            kind: MechanismKind::All,
            argument: None,
        };
        assert_eq!(m.to_string(), "~all");
        let m = SpfMechanism {
            qualifier: Qualifier::Pass,
            kind: MechanismKind::A,
            argument: Some("/24".into()),
        };
        assert_eq!(m.to_string(), "a/24");
        let m = SpfMechanism {
            qualifier: Qualifier::Fail,
            kind: MechanismKind::Ip4,
            argument: Some("192.0.2.1".into()),
        };
        assert_eq!(m.to_string(), "-ip4:192.0.2.1");
    }

    #[test]
    fn results_serialise_tagged() {
        let r = SpfResult::PermError {
            kind: PermErrorKind::Loop,
            reason: "x".into(),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"result": "perm_error", "kind": "loop", "reason": "x"})
        );
    }
}

//! A DNS answer as data.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// The record types the domain checks ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    A,
    Aaaa,
    Txt,
    Mx,
    Ptr,
    Cname,
    Ns,
    Caa,
    Soa,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Txt => "TXT",
            RecordType::Mx => "MX",
            RecordType::Ptr => "PTR",
            RecordType::Cname => "CNAME",
            RecordType::Ns => "NS",
            RecordType::Caa => "CAA",
            RecordType::Soa => "SOA",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum Record {
    A {
        address: Ipv4Addr,
    },
    Aaaa {
        address: Ipv6Addr,
    },
    /// The character-strings of one TXT record joined without separators,
    /// as RFC 7208 section 3.3 and RFC 7489 read them.
    Txt {
        text: String,
    },
    Mx {
        preference: u16,
        exchange: String,
    },
    Ptr {
        name: String,
    },
    Cname {
        target: String,
    },
    Ns {
        name: String,
    },
    Caa {
        critical: bool,
        tag: String,
        value: String,
    },
    Soa {
        mname: String,
        serial: u32,
    },
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::A { address } => write!(f, "{address}"),
            Record::Aaaa { address } => write!(f, "{address}"),
            Record::Txt { text } => write!(f, "{text:?}"),
            Record::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {exchange}"),
            Record::Ptr { name } | Record::Ns { name } => f.write_str(name),
            Record::Cname { target } => f.write_str(target),
            Record::Caa {
                critical,
                tag,
                value,
            } => {
                write!(f, "{} {tag} {value:?}", u8::from(*critical) * 128)
            }
            Record::Soa { mname, serial } => write!(f, "{mname} {serial}"),
        }
    }
}

/// Why an answer holds no records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has no records of this type (NOERROR, empty).
    NoData,
    /// The server failed (SERVFAIL), e.g. a broken delegation or signature.
    ServFail,
    /// The server refused to answer (REFUSED).
    Refused,
    /// No answer in time.
    Timeout,
    /// Anything else, with the resolver's words.
    Other(String),
}

impl Failure {
    /// NXDOMAIN and no data: the "void lookups" of RFC 7208 section 4.6.4,
    /// and the answers that mean "there is no such record" rather than
    /// "could not tell".
    pub fn is_empty_answer(&self) -> bool {
        matches!(self, Failure::NxDomain | Failure::NoData)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NxDomain => f.write_str("NXDOMAIN"),
            Failure::NoData => f.write_str("no records (NOERROR)"),
            Failure::ServFail => f.write_str("SERVFAIL"),
            Failure::Refused => f.write_str("REFUSED"),
            Failure::Timeout => f.write_str("timed out"),
            Failure::Other(why) => f.write_str(why),
        }
    }
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The name asked, lower case, without the trailing dot.
    pub name: String,
    pub rtype: RecordType,
    /// The records, or why there are none.
    pub outcome: Result<Vec<Record>, Failure>,
}

impl Answer {
    /// The records, empty on any failure.
    pub fn records(&self) -> &[Record] {
        self.outcome.as_deref().unwrap_or(&[])
    }

    /// The TXT strings of the answer.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.records().iter().filter_map(|r| match r {
            Record::Txt { text } => Some(text.as_str()),
            _ => None,
        })
    }

    /// One line for evidence: `TXT example.test: "v=spf1 -all"` or
    /// `TXT example.test: NXDOMAIN`.
    pub fn summary(&self) -> String {
        match &self.outcome {
            Ok(records) if records.is_empty() => {
                format!("{} {}: no records (NOERROR)", self.rtype, self.name)
            }
            Ok(records) => format!(
                "{} {}: {}",
                self.rtype,
                self.name,
                records
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Err(failure) => format!("{} {}: {failure}", self.rtype, self.name),
        }
    }
}

/// A name as the checks compare it: lower case, no trailing dot.
pub fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

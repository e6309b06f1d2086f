//! [`Resolve`] over hickory-resolver: the real network side of the seam.
//!
//! Decisions:
//! - Every name is asked fully qualified (a trailing dot is added), so no
//!   search domain of the host's resolv.conf is ever appended: a check
//!   about `nhs.uk` must not be answered for `nhs.uk.trust.local`.
//! - hickory's own cache is the cache: one [`Hickory`] is built per scan
//!   and shared by every domain check, so SPF includes, DMARC lookups and
//!   MX hosts common to many domains are asked once (within their TTL).
//! - The answer holds only records of the type asked. hickory follows
//!   CNAME chains for other types; the CNAMEs on the way are left out
//!   (ask for [`RecordType::Cname`] to see them), which is what the
//!   [`Table`](super::Table) resolver does too.
//! - Each lookup is bounded twice: hickory's per-request timeout with a
//!   bounded number of tries (two), and an outer deadline over the whole
//!   lookup (CNAME chasing included), so a misbehaving server can never
//!   hold a check past `timeout * (tries + 2)`.
//! - Failures are mapped from hickory's typed errors, never from their
//!   text: NXDOMAIN and NOERROR-without-records arrive as `NoRecordsFound`
//!   with the response code, other codes (SERVFAIL, REFUSED…) as
//!   `ResponseCode`, and no answer in time as `Timeout`.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType as HickoryType};
use hickory_resolver::TokioResolver;

use super::answer::{normalise, Answer, Failure, Record, RecordType};
use super::Resolve;

/// Retries after a failed try (hickory's `attempts` counts retries: a
/// timeout, SERVFAIL or REFUSED is sent again that many times). One retry
/// covers a lost UDP datagram without multiplying the wait on a dead
/// server: two tries in all.
const RETRIES: usize = 1;

/// Responses kept in hickory's cache. A domain asks about 18 questions
/// (bench/domains.sh: 17.6 a domain, mostly DKIM selectors), so this holds
/// every answer of a scan of a few thousand domains: the shared SPF
/// providers stay cached from the first domain to the last. Entries are
/// small (one answer each); 65,536 of them stay well under the memory the
/// report itself takes.
const CACHE_SIZE: u64 = 65_536;

/// A resolver through hickory-resolver, against the host's configuration
/// or one given name server. Build one per scan and share it: the cache
/// lives inside.
pub struct Hickory {
    resolver: Result<TokioResolver, String>,
    /// `system`, or the server's `addr:port`.
    describe: String,
    /// The bound over one whole lookup.
    deadline: Duration,
}

impl std::fmt::Debug for Hickory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hickory({})", self.describe)
    }
}

impl Hickory {
    /// The host's resolver configuration (`/etc/resolv.conf`). If it cannot
    /// be read, every lookup answers [`Failure::Other`] saying why, rather
    /// than the scan failing to start.
    pub fn system() -> Hickory {
        let resolver = TokioResolver::builder_tokio()
            .map(|mut builder| {
                let opts = builder.options_mut();
                opts.cache_size = CACHE_SIZE;
                opts.attempts = opts.attempts.min(RETRIES);
                builder
            })
            .and_then(|builder| builder.build());
        let deadline = resolver
            .as_ref()
            .map(|r| whole_lookup_bound(r.options().timeout, r.options().attempts))
            .unwrap_or(Duration::from_secs(1));
        Hickory {
            resolver: resolver
                .map_err(|e| format!("the system DNS configuration could not be read ({e})")),
            describe: "system".into(),
            deadline,
        }
    }

    /// One name server at `addr`, over UDP with TCP when an answer is
    /// truncated; no search domains, no hosts file; each try waits at most
    /// `timeout`, and a question is tried at most twice.
    pub fn at(addr: SocketAddr, timeout: Duration) -> Hickory {
        let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
            .into_iter()
            .map(|mut c| {
                c.port = addr.port();
                c
            })
            .collect();
        let server = NameServerConfig::new(addr.ip(), true, connections);
        let config = ResolverConfig::from_parts(None, Vec::new(), vec![server]);
        let mut opts = ResolverOpts::default();
        opts.timeout = timeout;
        opts.attempts = RETRIES;
        opts.cache_size = CACHE_SIZE;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.ndots = 0;
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(|e| format!("the resolver for {addr} could not be built ({e})"));
        Hickory {
            resolver,
            describe: addr.to_string(),
            deadline: whole_lookup_bound(timeout, RETRIES),
        }
    }
}

/// The outer bound over one lookup: every try's timeout, plus two more for
/// a CNAME hop and the TCP retry after a truncated answer.
fn whole_lookup_bound(timeout: Duration, retries: usize) -> Duration {
    let tries = u32::try_from(retries).unwrap_or(u32::MAX).saturating_add(1);
    timeout.saturating_mul(tries.saturating_add(2))
}

impl Resolve for Hickory {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Answer {
        let asked = normalise(name);
        let outcome = match &self.resolver {
            Err(why) => Err(Failure::Other(why.clone())),
            Ok(resolver) => match fqdn(&asked) {
                Err(why) => Err(Failure::Other(why)),
                Ok(fqdn) => {
                    let wanted = hickory_type(rtype);
                    match tokio::time::timeout(self.deadline, resolver.lookup(fqdn, wanted)).await {
                        Err(_) => Err(Failure::Timeout),
                        Ok(Err(e)) => Err(failure(&e)),
                        Ok(Ok(lookup)) => {
                            let records: Vec<Record> = lookup
                                .answers()
                                .iter()
                                .filter(|r| r.record_type() == wanted)
                                .filter_map(|r| record(&r.data))
                                .collect();
                            if records.is_empty() {
                                // Only CNAMEs on the way, or records of a
                                // type this seam does not carry.
                                Err(Failure::NoData)
                            } else {
                                Ok(records)
                            }
                        }
                    }
                }
            },
        };
        Answer {
            name: asked,
            rtype,
            outcome,
        }
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

/// The name as hickory asks it: fully qualified, so no search domain is
/// appended.
fn fqdn(name: &str) -> Result<Name, String> {
    if name.is_empty() {
        return Err("an empty name cannot be asked".into());
    }
    Name::from_ascii(format!("{name}."))
        .map_err(|e| format!("{name:?} is not a valid DNS name ({e})"))
}

fn hickory_type(rtype: RecordType) -> HickoryType {
    match rtype {
        RecordType::A => HickoryType::A,
        RecordType::Aaaa => HickoryType::AAAA,
        RecordType::Txt => HickoryType::TXT,
        RecordType::Mx => HickoryType::MX,
        RecordType::Ptr => HickoryType::PTR,
        RecordType::Cname => HickoryType::CNAME,
        RecordType::Ns => HickoryType::NS,
        RecordType::Caa => HickoryType::CAA,
        RecordType::Soa => HickoryType::SOA,
    }
}

/// A name as the checks compare it; the root (a null MX's exchange) is
/// the empty string.
fn name_of(name: &Name) -> String {
    normalise(&name.to_ascii())
}

/// One record's data as the seam carries it; `None` for types it does not.
fn record(data: &RData) -> Option<Record> {
    Some(match data {
        RData::A(a) => Record::A { address: a.0 },
        RData::AAAA(a) => Record::Aaaa { address: a.0 },
        // RFC 7208 section 3.3 and RFC 7489 section 6.6.2: the strings of
        // one record are concatenated without anything between them.
        // Bytes that are not UTF-8 are kept visible as U+FFFD, so a parser
        // sees a broken record rather than a silently shortened one.
        RData::TXT(txt) => Record::Txt {
            text: txt
                .txt_data
                .iter()
                .map(|s| String::from_utf8_lossy(s))
                .collect(),
        },
        RData::MX(mx) => Record::Mx {
            preference: mx.preference,
            exchange: name_of(&mx.exchange),
        },
        RData::PTR(ptr) => Record::Ptr {
            name: name_of(&ptr.0),
        },
        RData::CNAME(cname) => Record::Cname {
            target: name_of(&cname.0),
        },
        RData::NS(ns) => Record::Ns {
            name: name_of(&ns.0),
        },
        RData::CAA(caa) => Record::Caa {
            critical: caa.issuer_critical,
            // RFC 8659 section 4.1: tags compare case-insensitively.
            tag: caa.tag.to_ascii_lowercase(),
            value: String::from_utf8_lossy(&caa.value).into_owned(),
        },
        RData::SOA(soa) => Record::Soa {
            mname: name_of(&soa.mname),
            serial: soa.serial,
        },
        _ => return None,
    })
}

/// hickory's error as a [`Failure`], by type, not by message.
fn failure(error: &NetError) -> Failure {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            match response_code {
                // NOERROR with nothing: the name exists, the type does not.
                ResponseCode::NoError => Failure::NoData,
                code => from_code(*code),
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => from_code(*code),
        NetError::Timeout => Failure::Timeout,
        NetError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => Failure::Timeout,
        other => Failure::Other(other.to_string()),
    }
}

fn from_code(code: ResponseCode) -> Failure {
    match code {
        ResponseCode::NXDomain => Failure::NxDomain,
        ResponseCode::ServFail => Failure::ServFail,
        ResponseCode::Refused => Failure::Refused,
        ResponseCode::NoError => Failure::NoData,
        other => Failure::Other(format!("the server answered {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::Query;
    use hickory_resolver::proto::rr::rdata::{CAA, MX, TXT};

    #[test]
    fn txt_strings_are_joined_without_separator() {
        let txt = TXT::from_bytes(vec![b"v=DKIM1; k=rsa; p=MIIB", b"IjANBg"]);
        assert_eq!(
            record(&RData::TXT(txt)),
            Some(Record::Txt {
                text: "v=DKIM1; k=rsa; p=MIIBIjANBg".into()
            })
        );
    }

    #[test]
    fn names_lose_case_and_trailing_dot_and_the_root_is_empty() {
        let mx = MX::new(10, Name::from_ascii("Mail.Good.TEST.").unwrap());
        assert_eq!(
            record(&RData::MX(mx)),
            Some(Record::Mx {
                preference: 10,
                exchange: "mail.good.test".into()
            })
        );
        let null = MX::new(0, Name::root());
        assert_eq!(
            record(&RData::MX(null)),
            Some(Record::Mx {
                preference: 0,
                exchange: String::new()
            })
        );
    }

    #[test]
    fn caa_keeps_flag_tag_and_raw_value() {
        let caa = CAA::new_issue(
            true,
            Some(Name::from_ascii("letsencrypt.org").unwrap()),
            vec![],
        );
        assert_eq!(
            record(&RData::CAA(caa)),
            Some(Record::Caa {
                critical: true,
                tag: "issue".into(),
                value: "letsencrypt.org".into()
            })
        );
    }

    #[test]
    fn response_codes_map_to_failures() {
        let query = Query::query(Name::from_ascii("x.test.").unwrap(), HickoryType::TXT);
        let nx = NetError::from(DnsError::NoRecordsFound(NoRecords::new(
            query.clone(),
            ResponseCode::NXDomain,
        )));
        assert_eq!(failure(&nx), Failure::NxDomain);
        let nodata = NetError::from(DnsError::NoRecordsFound(NoRecords::new(
            query,
            ResponseCode::NoError,
        )));
        assert_eq!(failure(&nodata), Failure::NoData);
        let servfail = NetError::from(DnsError::ResponseCode(ResponseCode::ServFail));
        assert_eq!(failure(&servfail), Failure::ServFail);
        let refused = NetError::from(DnsError::ResponseCode(ResponseCode::Refused));
        assert_eq!(failure(&refused), Failure::Refused);
        assert_eq!(failure(&NetError::Timeout), Failure::Timeout);
        let notimp = NetError::from(DnsError::ResponseCode(ResponseCode::NotImp));
        assert_eq!(
            failure(&notimp),
            Failure::Other("the server answered Not Implemented".into())
        );
    }

    #[tokio::test]
    async fn an_invalid_name_is_a_failure_not_a_panic() {
        let r = Hickory::at(
            SocketAddr::from(([127, 0, 0, 1], 9)),
            Duration::from_millis(50),
        );
        let long = "a".repeat(64) + ".test";
        let a = r.lookup(&long, RecordType::Txt).await;
        assert!(matches!(a.outcome, Err(Failure::Other(_))), "{a:?}");
        let a = r.lookup(".", RecordType::Txt).await;
        assert!(matches!(a.outcome, Err(Failure::Other(_))), "{a:?}");
        assert_eq!(r.describe(), "127.0.0.1:9");
    }
}

//! The domain's inbound mail route, observed for MAIL-007, MAIL-008,
//! MAIL-009 and MAIL-013: its MX hosts (through the [`Resolve`] seam), an
//! SMTP session with each of their addresses up to the end of a STARTTLS
//! handshake, its MTA-STS record and policy, and whether the route is
//! NHSmail or the domain is on the trust's accredited-domain list.
//!
//! Bounded everywhere: at most [`MAX_MX`] MX hosts and
//! [`MAX_ADDRESSES`] addresses each, one connection at a time, every DNS
//! question, connection and fetch within the configured timeout, and the
//! whole domain within its time budget (what is left when it runs out is
//! recorded as not probed). Nothing here fails: every problem is in the
//! observation.

pub mod dcb1596;
mod fetch;
pub mod mta_sts;
pub mod policy;
mod smtp;

use std::net::IpAddr;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName};
use time::OffsetDateTime;
use tokio::time::Instant;
use trustwatch_rules::observe::mailroute::{MxHost, MxObservation};
use trustwatch_rules::observe::{
    ChainObservation, MailRouteObservation, MailService, MxOutcome, SmtpSession,
};

pub use self::dcb1596::{AccreditedList, ListError};
use crate::dns::{answer::normalise, Answer, Failure, Record, RecordType, Resolve};
use crate::probe::tls::{summary, trust, Anchors};

/// The most MX hosts probed for one domain.
pub const MAX_MX: usize = 10;
/// The most addresses probed for one MX host (and tried for the policy
/// host).
pub const MAX_ADDRESSES: usize = 4;

/// How the mail route is checked.
#[derive(Debug, Clone)]
pub struct RouteConfig {
    /// The SMTP port of the MX hosts: 25, or a test server's port.
    pub smtp_port: u16,
    /// The HTTPS port of `mta-sts.<domain>`: 443, or a test server's port.
    pub https_port: u16,
    /// CAs trusted besides the public roots (a trust's own, a test's).
    pub anchors: Anchors,
    /// One DNS question, connection with its exchange, or fetch.
    pub timeout: Duration,
    /// The whole domain.
    pub budget: Duration,
    /// The scan's time: certificates are judged against it.
    pub now: OffsetDateTime,
}

impl RouteConfig {
    /// Port 25 and 443, public roots only, 10 s a step and 2 minutes a
    /// domain.
    pub fn new(now: OffsetDateTime) -> RouteConfig {
        RouteConfig {
            smtp_port: 25,
            https_port: 443,
            anchors: Anchors::default(),
            timeout: Duration::from_secs(10),
            budget: Duration::from_secs(120),
            now,
        }
    }
}

/// Observes `domain`'s mail route. `accredited` is the trust's list of
/// DCB1596-accredited domains, when one was given.
pub async fn observe<R: Resolve>(
    resolver: &R,
    domain: &str,
    config: &RouteConfig,
    accredited: Option<&AccreditedList>,
) -> MailRouteObservation {
    let domain = normalise(domain);
    let budget_end = Instant::now() + config.budget;
    let answer = ask(resolver, &domain, RecordType::Mx, config.timeout).await;
    let mut outcome = mx_outcome(&answer);
    if let MxOutcome::Hosts { hosts, .. } = &mut outcome {
        for host in hosts.iter_mut() {
            resolve_host(resolver, host, config.timeout).await;
            for address in &host.addresses {
                let session = match address.parse::<IpAddr>() {
                    Ok(ip) if Instant::now() < budget_end => {
                        smtp::session(ip, &host.name, config, budget_end).await
                    }
                    _ => not_probed(address, config.smtp_port),
                };
                host.sessions.push(session);
            }
        }
    }
    let mx_names: Vec<String> = outcome.hosts().iter().map(|h| h.name.clone()).collect();
    let mta_sts = mta_sts::observe(resolver, &domain, &mx_names, config, budget_end).await;
    MailRouteObservation {
        accredited: accredited.map(|list| list.lookup(&domain)),
        domain,
        resolver: resolver.describe(),
        smtp_port: config.smtp_port,
        mx: MxObservation {
            answer: answer.summary(),
            outcome,
        },
        mta_sts,
    }
}

/// The mail service an MX host name belongs to.
pub fn service(name: &str) -> MailService {
    let name = normalise(name);
    if under(&name, "nhs.net") {
        MailService::Nhsmail
    } else if under(&name, "mail.protection.outlook.com") {
        MailService::Microsoft365
    } else {
        MailService::Other
    }
}

/// `name` is a strict subdomain of `parent` (label boundary respected).
fn under(name: &str, parent: &str) -> bool {
    name.strip_suffix(parent)
        .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.'))
}

/// Asks one question, within `timeout` whatever the resolver does.
pub(crate) async fn ask<R: Resolve>(
    resolver: &R,
    name: &str,
    rtype: RecordType,
    timeout: Duration,
) -> Answer {
    match tokio::time::timeout(timeout, resolver.lookup(name, rtype)).await {
        Ok(answer) => answer,
        Err(_) => Answer {
            name: normalise(name),
            rtype,
            outcome: Err(Failure::Timeout),
        },
    }
}

/// The MX answer as hosts to probe, a null MX, none, or a failure.
fn mx_outcome(answer: &Answer) -> MxOutcome {
    let records = match &answer.outcome {
        Err(f) if f.is_empty_answer() => return MxOutcome::Absent,
        Err(f) => {
            return MxOutcome::LookupFailed {
                reason: f.to_string(),
            }
        }
        Ok(records) => records,
    };
    let mut mx: Vec<(u16, String)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Mx {
                preference,
                exchange,
            } => Some((*preference, normalise(exchange))),
            _ => None,
        })
        .collect();
    if mx.is_empty() {
        return MxOutcome::Absent;
    }
    // RFC 7505: "." as the exchange says "no mail here". Beside real hosts
    // it is a mistake; the real hosts are what senders will use.
    if mx.iter().all(|(_, name)| name.is_empty()) {
        return MxOutcome::Null;
    }
    mx.retain(|(_, name)| !name.is_empty());
    mx.sort();
    // A host listed twice is probed once, at its best preference.
    let mut seen = std::collections::HashSet::new();
    mx.retain(|(_, name)| seen.insert(name.clone()));
    let skipped = mx.len().saturating_sub(MAX_MX);
    let hosts = mx
        .into_iter()
        .take(MAX_MX)
        .map(|(preference, name)| MxHost {
            service: service(&name),
            name,
            preference,
            addresses: Vec::new(),
            resolve_problems: Vec::new(),
            sessions: Vec::new(),
        })
        .collect();
    MxOutcome::Hosts { hosts, skipped }
}

/// Fills in the host's addresses (A, then AAAA) and the lookups that failed.
async fn resolve_host<R: Resolve>(resolver: &R, host: &mut MxHost, timeout: Duration) {
    let (addresses, problems) = addresses(resolver, &host.name, timeout).await;
    host.addresses = addresses.iter().map(IpAddr::to_string).collect();
    host.resolve_problems = problems;
}

/// A name's addresses, A first, at most [`MAX_ADDRESSES`], and one line
/// per lookup that failed (an empty answer is not a failure).
pub(crate) async fn addresses<R: Resolve>(
    resolver: &R,
    name: &str,
    timeout: Duration,
) -> (Vec<IpAddr>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for rtype in [RecordType::A, RecordType::Aaaa] {
        let answer = ask(resolver, name, rtype, timeout).await;
        if let Err(f) = &answer.outcome {
            if !f.is_empty_answer() {
                problems.push(answer.summary());
            }
        }
        found.extend(answer.records().iter().filter_map(|r| match r {
            Record::A { address } => Some(IpAddr::V4(*address)),
            Record::Aaaa { address } => Some(IpAddr::V6(*address)),
            _ => None,
        }));
    }
    found.dedup();
    found.truncate(MAX_ADDRESSES);
    (found, problems)
}

fn not_probed(address: &str, port: u16) -> SmtpSession {
    SmtpSession {
        address: format!("{address}:{port}"),
        connected: false,
        greeted: false,
        ehlo: false,
        starttls_offered: false,
        starttls_accepted: false,
        tls: None,
        chain: None,
        error: Some("not probed: the time budget for this domain ran out".into()),
    }
}

/// Judges a served chain for `name`: its summary, trust (public roots,
/// then `anchors`) and the name check. A certificate that cannot be parsed
/// is the error.
pub(crate) fn judge_chain(
    chain: &[CertificateDer<'static>],
    name: &ServerName<'static>,
    checked_name: &str,
    anchors: &Anchors,
    now: OffsetDateTime,
) -> Result<Option<ChainObservation>, String> {
    let certificates = summary::summarise_chain(chain).map_err(|e| e.to_string())?;
    let Some(leaf) = certificates.first() else {
        return Ok(None);
    };
    let trust = trust::verdict(chain, anchors, now, leaf);
    Ok(Some(ChainObservation {
        name_matches: trust::name_matches(&chain[0], name),
        checked_name: checked_name.to_owned(),
        trust,
        certificates,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Table;

    fn mx(preference: u16, exchange: &str) -> Record {
        Record::Mx {
            preference,
            exchange: exchange.into(),
        }
    }

    #[test]
    fn services_by_name_pattern_on_label_boundaries() {
        assert_eq!(service("mx1.nhs.net."), MailService::Nhsmail);
        assert_eq!(service("A.B.NHS.NET"), MailService::Nhsmail);
        assert_eq!(service("nhs.net"), MailService::Other);
        assert_eq!(service("evilnhs.net"), MailService::Other);
        assert_eq!(
            service("trust-nhs-uk.mail.protection.outlook.com"),
            MailService::Microsoft365
        );
        assert_eq!(
            service("mail.protection.outlook.com.evil.test"),
            MailService::Other
        );
        assert_eq!(service("mx.example.test"), MailService::Other);
    }

    #[tokio::test]
    async fn mx_answers_become_ordered_hosts_null_absent_or_failed() {
        let t = Table::new()
            .with("a.test", mx(20, "mx2.a.test."))
            .with("a.test", mx(10, "MX1.a.test"))
            .with("a.test", mx(30, "mx1.a.test"))
            .with("null.test", mx(0, "."))
            .txt("nomx.test", "v=spf1 -all")
            .failing("broken.test", RecordType::Mx, Failure::ServFail);
        let timeout = Duration::from_secs(1);
        let o = mx_outcome(&ask(&t, "a.test", RecordType::Mx, timeout).await);
        let names: Vec<(&str, u16)> = o
            .hosts()
            .iter()
            .map(|h| (h.name.as_str(), h.preference))
            .collect();
        assert_eq!(names, [("mx1.a.test", 10), ("mx2.a.test", 20)]);
        let o = mx_outcome(&ask(&t, "null.test", RecordType::Mx, timeout).await);
        assert_eq!(o, MxOutcome::Null);
        let o = mx_outcome(&ask(&t, "nomx.test", RecordType::Mx, timeout).await);
        assert_eq!(o, MxOutcome::Absent);
        let o = mx_outcome(&ask(&t, "none.test", RecordType::Mx, timeout).await);
        assert_eq!(o, MxOutcome::Absent);
        let o = mx_outcome(&ask(&t, "broken.test", RecordType::Mx, timeout).await);
        assert_eq!(
            o,
            MxOutcome::LookupFailed {
                reason: "SERVFAIL".into()
            }
        );
    }

    #[tokio::test]
    async fn at_most_ten_mx_hosts_are_kept() {
        let mut t = Table::new();
        for i in 0..15u16 {
            t = t.with("many.test", mx(i, &format!("mx{i}.many.test")));
        }
        let answer = ask(&t, "many.test", RecordType::Mx, Duration::from_secs(1)).await;
        match mx_outcome(&answer) {
            MxOutcome::Hosts { hosts, skipped } => {
                assert_eq!(hosts.len(), MAX_MX);
                assert_eq!(skipped, 5);
                assert_eq!(hosts[0].name, "mx0.many.test");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn addresses_keep_a_then_aaaa_and_report_failed_lookups() {
        let t = Table::new()
            .with(
                "mx.test",
                Record::A {
                    address: "127.0.0.5".parse().unwrap(),
                },
            )
            .failing("mx.test", RecordType::Aaaa, Failure::ServFail);
        let (found, problems) = addresses(&t, "mx.test", Duration::from_secs(1)).await;
        assert_eq!(found, ["127.0.0.5".parse::<IpAddr>().unwrap()]);
        assert_eq!(problems, ["AAAA mx.test: SERVFAIL"]);
    }

    /// A resolver that never answers: the lookup is bounded anyway.
    #[derive(Debug)]
    struct Stalled;

    impl Resolve for Stalled {
        async fn lookup(&self, _name: &str, _rtype: RecordType) -> Answer {
            std::future::pending().await
        }
        fn describe(&self) -> String {
            "stalled".into()
        }
    }

    #[tokio::test]
    async fn a_stalled_resolver_is_a_timeout_not_a_hang() {
        let mut config = RouteConfig::new(OffsetDateTime::UNIX_EPOCH);
        config.timeout = Duration::from_millis(50);
        let started = std::time::Instant::now();
        let o = observe(&Stalled, "example.test", &config, None).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            o.mx.outcome,
            MxOutcome::LookupFailed {
                reason: "timed out".into()
            }
        );
        assert_eq!(o.mta_sts.record.lookup_error.as_deref(), Some("timed out"));
    }
}

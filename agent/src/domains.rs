//! A scan of the trust's domains (`scan --domain`, `[[domains]]` in the
//! config): SPF, DMARC, DKIM, TLS-RPT, null MX and non-sending lock-down,
//! and the DNS hygiene checks (DNSSEC, CAA, dangling names, the name
//! servers' recursion and zone transfers),
//! judged against the MAIL and DNS rules, many domains at once.
//!
//! Domains are checked with bounded concurrency through one resolver, whose
//! cache they share: the includes of a common SPF provider are asked once.
//! Each domain's own checks run side by side. Findings come out in the
//! order the domains were given, whatever order they finish in.

mod check;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use trustwatch_rules::{Catalogue, Finding};

use crate::dns::Hickory;
use crate::mail::route::AccreditedList;
use crate::probe::tls::Anchors;

/// Domains checked at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// The most a single DNS question may wait, per attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// What a domain scan was asked to do, as written.
#[derive(Debug, Clone, Default)]
pub struct DomainInput {
    pub domains: Vec<String>,
    /// Domains that send no mail (MAIL-011); each is also scanned.
    pub non_sending: Vec<String>,
    /// DKIM selectors to try before the common ones.
    pub dkim_selectors: Vec<String>,
    /// The resolver to ask, `ADDR:PORT`; the system's when absent.
    pub resolver: Option<String>,
    pub concurrency: Option<usize>,
    pub timeout: Option<Duration>,
    /// The trust's list of DCB1596-accredited domains (MAIL-013).
    pub accredited: Option<PathBuf>,
    /// Extra trust anchors for MX and MTA-STS certificates (a trust's CA).
    pub anchors: Anchors,
    /// DNSSEC trust anchors (DNSKEY records in zone-file form) for zones
    /// not chained to the root, such as a trust's internal signed zones.
    pub dnssec_anchors: Option<PathBuf>,
}

/// Which setting a problem is about, for the flag or key to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainField {
    Domain,
    NonSending,
    DkimSelector,
    Resolver,
    Concurrency,
    Accredited,
    DnssecAnchors,
}

/// A domain scan that cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct DomainPlanError {
    pub field: DomainField,
    pub problem: String,
}

/// A validated domain scan.
#[derive(Debug, Clone)]
pub struct DomainPlan {
    /// Lower case, no trailing dot, in the order given, each once.
    pub domains: Vec<String>,
    pub non_sending: BTreeSet<String>,
    pub dkim_selectors: Vec<String>,
    pub resolver: Option<SocketAddr>,
    pub concurrency: usize,
    pub timeout: Duration,
    pub accredited: Option<Arc<AccreditedList>>,
    pub anchors: Anchors,
    /// The DNSSEC anchors' text, read and checked; the root's when absent.
    pub dnssec_anchors: Option<String>,
}

impl DomainPlan {
    pub fn from_input(input: DomainInput) -> Result<DomainPlan, DomainPlanError> {
        let fail = |field, problem: String| DomainPlanError { field, problem };
        let mut domains = Vec::new();
        let mut non_sending = BTreeSet::new();
        let named = input
            .domains
            .iter()
            .map(|d| (DomainField::Domain, d))
            .chain(
                input
                    .non_sending
                    .iter()
                    .map(|d| (DomainField::NonSending, d)),
            );
        for (field, text) in named {
            let name = domain_name(text).map_err(|p| fail(field, p))?;
            if field == DomainField::NonSending {
                non_sending.insert(name.clone());
            }
            if !domains.contains(&name) {
                domains.push(name);
            }
        }
        if domains.is_empty() {
            return Err(fail(DomainField::Domain, "no domain given".into()));
        }
        for s in &input.dkim_selectors {
            let ok = !s.is_empty()
                && s.len() <= 63
                && s.split('.').all(|label| {
                    !label.is_empty()
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                });
            if !ok {
                return Err(fail(
                    DomainField::DkimSelector,
                    format!("{s:?} is not a DKIM selector (letters, digits, '-', '_', dots)"),
                ));
            }
        }
        let resolver = match &input.resolver {
            None => None,
            Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| {
                fail(
                    DomainField::Resolver,
                    format!("{text:?} is not ADDR:PORT (e.g. 127.0.0.1:53 or [::1]:53)"),
                )
            })?),
        };
        let concurrency = input.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=1024).contains(&concurrency) {
            return Err(fail(
                DomainField::Concurrency,
                format!("must be from 1 to 1024, not {concurrency}"),
            ));
        }
        // Bad lines of the list are its problems, reported with the
        // findings; a list that cannot be read stops the scan here.
        let accredited = match &input.accredited {
            None => None,
            Some(path) => Some(Arc::new(
                AccreditedList::load(path)
                    .map_err(|e| fail(DomainField::Accredited, e.to_string()))?,
            )),
        };
        let dnssec_anchors = match &input.dnssec_anchors {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    fail(
                        DomainField::DnssecAnchors,
                        format!("{}: cannot be read: {e}", path.display()),
                    )
                })?;
                // Parsed now, so a bad file stops the scan before any
                // question is asked.
                let check = crate::dnscheck::Validator::new(None, DEFAULT_TIMEOUT, Some(&text));
                if let Some(problem) = check.problem() {
                    return Err(fail(
                        DomainField::DnssecAnchors,
                        format!("{}: {problem}", path.display()),
                    ));
                }
                Some(text)
            }
        };
        Ok(DomainPlan {
            domains,
            non_sending,
            dkim_selectors: input.dkim_selectors,
            resolver,
            concurrency,
            timeout: input.timeout.unwrap_or(DEFAULT_TIMEOUT),
            accredited,
            anchors: input.anchors,
            dnssec_anchors,
        })
    }

    /// The port name servers at loopback addresses are probed on (DNS-001,
    /// DNS-004, DNS-005): the resolver's port when the resolver given is
    /// itself on loopback, else 53. A loopback resolver on its own port is
    /// a lab (or a local test server) that is also the authority for its
    /// zones; a name server anywhere else is always asked on port 53, so
    /// the resolver's port is never sent towards another host and no CLI
    /// option is needed.
    pub fn ns_loopback_port(&self) -> u16 {
        match self.resolver {
            Some(addr) if addr.ip().is_loopback() => addr.port(),
            _ => 53,
        }
    }

    /// Checks every domain, at most `concurrency` at once, calling
    /// `on_done` as each finishes; findings in the order given.
    pub async fn run(
        &self,
        catalogue: &Arc<Catalogue>,
        now: OffsetDateTime,
        on_done: &(dyn Fn() + Sync),
    ) -> Vec<Finding> {
        let resolver = Arc::new(match self.resolver {
            Some(addr) => Hickory::at(addr, self.timeout),
            None => Hickory::system(),
        });
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let shared = Arc::new(check::Shared {
            catalogue: catalogue.clone(),
            selectors: self.dkim_selectors.clone(),
            route: {
                let mut route = crate::mail::route::RouteConfig::new(now);
                route.anchors = self.anchors.clone();
                route.timeout = self.timeout.max(Duration::from_secs(5));
                route
            },
            accredited: self.accredited.clone(),
            servers: crate::dnscheck::ServerConfig {
                loopback_port: self.ns_loopback_port(),
                timeout: self.timeout,
            },
            validator: crate::dnscheck::Validator::new(
                self.resolver,
                self.timeout,
                self.dnssec_anchors.as_deref(),
            ),
        });
        let mut tasks = JoinSet::new();
        for (i, domain) in self.domains.iter().enumerate() {
            let (resolver, permits, shared) = (resolver.clone(), permits.clone(), shared.clone());
            let domain = domain.clone();
            let non_sending = self.non_sending.contains(&domain);
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail;
                // without a permit the domain would still be checked.
                let _permit = permits.acquire_owned().await.ok();
                let findings =
                    check::domain(resolver.as_ref(), &shared, &domain, non_sending).await;
                (i, findings)
            });
        }
        let mut done: Vec<(usize, Vec<Finding>)> = Vec::with_capacity(self.domains.len());
        while let Some(joined) = tasks.join_next().await {
            on_done();
            match joined {
                Ok(result) => done.push(result),
                // A panic in one domain's checks is a bug; the others are
                // still reported.
                Err(e) => tracing::error!(error = %e, "a domain check crashed"),
            }
        }
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().flat_map(|(_, f)| f).collect()
    }
}

/// A domain as written, checked and normalised.
pub(crate) fn domain_name(text: &str) -> Result<String, String> {
    let name = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if valid {
        Ok(name)
    } else {
        Err(format!("{text:?} is not a domain name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_deduplicated_and_checked() {
        let plan = DomainPlan::from_input(DomainInput {
            domains: vec!["Good.Test.".into(), "other.test".into(), "good.test".into()],
            non_sending: vec!["parked.test".into(), "other.test".into()],
            ..DomainInput::default()
        })
        .unwrap();
        assert_eq!(plan.domains, ["good.test", "other.test", "parked.test"]);
        assert_eq!(
            plan.non_sending.iter().collect::<Vec<_>>(),
            ["other.test", "parked.test"]
        );
        let bad = |input: DomainInput| DomainPlan::from_input(input).unwrap_err();
        let e = bad(DomainInput {
            domains: vec!["not a domain".into()],
            ..DomainInput::default()
        });
        assert_eq!(e.field, DomainField::Domain);
        assert!(e.problem.contains("\"not a domain\""), "{e}");
        let e = bad(DomainInput {
            domains: vec!["a.test".into()],
            resolver: Some("localhost".into()),
            ..DomainInput::default()
        });
        assert_eq!(e.field, DomainField::Resolver);
        let e = bad(DomainInput {
            domains: vec!["a.test".into()],
            dkim_selectors: vec!["bad selector".into()],
            ..DomainInput::default()
        });
        assert_eq!(e.field, DomainField::DkimSelector);
        assert_eq!(bad(DomainInput::default()).field, DomainField::Domain);
    }
}

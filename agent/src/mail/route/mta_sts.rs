//! MTA-STS (RFC 8461) for MAIL-009: the `_mta-sts.<domain>` TXT record,
//! the policy fetched from `https://mta-sts.<domain>/.well-known/mta-sts.txt`,
//! the policy parsed, and which MX hosts its patterns cover.
//!
//! The policy is fetched only when a `v=STSv1` record exists, as a sender
//! would; it is parsed when the fetch answered 200, whatever the
//! certificate, so the evidence shows what is served even where a sender
//! would refuse it.

use tokio::time::Instant;
use trustwatch_rules::observe::{MtaStsObservation, StsRecord};

use super::policy::{coverage, parse_policy, record_id, sts_records};
use super::{ask, fetch, RouteConfig};
use crate::dns::{RecordType, Resolve};

/// Observes the domain's MTA-STS; `mx` are its MX host names.
pub(super) async fn observe<R: Resolve>(
    resolver: &R,
    domain: &str,
    mx: &[String],
    config: &RouteConfig,
    budget_end: Instant,
) -> MtaStsObservation {
    let record = record(resolver, domain, config).await;
    let mut out = MtaStsObservation {
        record,
        fetch: None,
        policy: None,
        coverage: Vec::new(),
    };
    if out.record.records.is_empty() {
        return out;
    }
    if Instant::now() >= budget_end {
        out.record.problem.get_or_insert_with(|| {
            "the policy was not fetched: the time budget for this domain ran out".into()
        });
        return out;
    }
    let (fetched, body) = fetch::policy(resolver, domain, config, budget_end).await;
    if let (Some(200), Some(body)) = (fetched.status, body) {
        let policy = parse_policy(&body);
        out.coverage = coverage(&policy.mx, mx);
        out.policy = Some(policy);
    }
    out.fetch = Some(fetched);
    out
}

/// The TXT lookup and its one valid record.
async fn record<R: Resolve>(resolver: &R, domain: &str, config: &RouteConfig) -> StsRecord {
    let name = format!("_mta-sts.{domain}");
    let answer = ask(resolver, &name, RecordType::Txt, config.timeout).await;
    let mut out = StsRecord {
        answer: answer.summary(),
        lookup_error: None,
        records: sts_records(answer.texts())
            .into_iter()
            .map(str::to_owned)
            .collect(),
        id: None,
        problem: None,
    };
    match &answer.outcome {
        Err(f) if !f.is_empty_answer() => out.lookup_error = Some(f.to_string()),
        _ => match out.records.as_slice() {
            [] => out.problem = Some(format!("no v=STSv1 TXT record at {name}")),
            [one] => match record_id(one) {
                Ok(id) => out.id = Some(id),
                Err(why) => out.problem = Some(why),
            },
            many => {
                out.problem = Some(format!(
                "{} v=STSv1 TXT records at {name}; senders treat that as no policy (RFC 8461 3.1)",
                many.len()
            ))
            }
        },
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::OffsetDateTime;

    use super::*;
    use crate::dns::{Failure, Table};

    fn config() -> RouteConfig {
        let mut c = RouteConfig::new(OffsetDateTime::UNIX_EPOCH);
        c.timeout = Duration::from_secs(1);
        c
    }

    async fn seen(t: &Table) -> MtaStsObservation {
        let end = Instant::now() + Duration::from_secs(5);
        observe(t, "example.test", &[], &config(), end).await
    }

    #[tokio::test]
    async fn no_record_is_a_problem_and_nothing_is_fetched() {
        let t = Table::new().txt("_mta-sts.example.test", "v=spf1 -all");
        let o = seen(&t).await;
        assert_eq!(
            o.record.problem.as_deref(),
            Some("no v=STSv1 TXT record at _mta-sts.example.test")
        );
        assert!(o.fetch.is_none());
        assert_eq!(t.asked(), 1, "no lookup of mta-sts.example.test");
    }

    #[tokio::test]
    async fn two_records_are_no_policy_and_a_servfail_is_a_lookup_error() {
        let t = Table::new()
            .txt("_mta-sts.example.test", "v=STSv1; id=1")
            .txt("_mta-sts.example.test", "v=STSv1; id=2");
        let mut c = config();
        // Nothing listens there: the fetch fails fast and is recorded.
        c.https_port = 9;
        let end = Instant::now() + Duration::from_secs(5);
        let o = observe(&t, "example.test", &[], &c, end).await;
        assert!(o
            .record
            .problem
            .unwrap()
            .starts_with("2 v=STSv1 TXT records"));
        let fetch = o.fetch.unwrap();
        assert_eq!(
            fetch.error.as_deref(),
            Some("mta-sts.example.test has no address (A and AAAA: no records)")
        );

        let t = Table::new().failing("_mta-sts.example.test", RecordType::Txt, Failure::ServFail);
        let o = seen(&t).await;
        assert_eq!(o.record.lookup_error.as_deref(), Some("SERVFAIL"));
        assert_eq!(o.record.problem, None);
    }

    #[tokio::test]
    async fn one_record_gives_its_id() {
        let t = Table::new().txt("_mta-sts.example.test", "v=STSv1; id=20240101T000000");
        let o = seen(&t).await;
        assert_eq!(o.record.id.as_deref(), Some("20240101T000000"));
        assert_eq!(o.record.problem, None);
    }
}

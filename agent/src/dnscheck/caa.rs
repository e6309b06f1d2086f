//! DNS-002: the CAA tree walk of RFC 8659 section 3.

use trustwatch_rules::observe::{CaaObservation, CaaRecord};

use crate::dns::answer::normalise;
use crate::dns::{Record, RecordType, Resolve};

/// The names the walk asks, in order: the domain, then each parent up to
/// and including its registrable domain (the one below the public suffix).
/// RFC 8659 walks to the root; the public suffix and above are the
/// registry's, not the trust's, so a CAA there says nothing about the
/// trust's choice and is not asked.
pub fn walk_names(domain: &str) -> Vec<String> {
    let domain = normalise(domain);
    let stop = psl::domain_str(&domain).map(str::to_owned);
    let mut names = vec![domain.clone()];
    let Some(stop) = stop else {
        return names;
    };
    let mut current = domain;
    // Bounded by the name's labels (at most 127).
    while current != stop {
        match current.split_once('.') {
            Some((_, parent)) if parent.len() >= stop.len() => {
                current = parent.to_owned();
                names.push(current.clone());
            }
            _ => break,
        }
    }
    names
}

/// Walks up from `domain` until a name has CAA records.
pub async fn check<R: Resolve>(resolver: &R, domain: &str) -> CaaObservation {
    let mut obs = CaaObservation {
        asked: Vec::new(),
        found_at: None,
        records: Vec::new(),
        failure: None,
    };
    for name in walk_names(domain) {
        let answer = resolver.lookup(&name, RecordType::Caa).await;
        obs.asked.push(answer.summary());
        match &answer.outcome {
            Ok(records) => {
                let caa: Vec<CaaRecord> = records
                    .iter()
                    .filter_map(|r| match r {
                        Record::Caa {
                            critical,
                            tag,
                            value,
                        } => Some(CaaRecord {
                            critical: *critical,
                            tag: tag.to_ascii_lowercase(),
                            value: value.clone(),
                        }),
                        _ => None,
                    })
                    .collect();
                if !caa.is_empty() {
                    obs.found_at = Some(name);
                    obs.records = caa;
                    return obs;
                }
            }
            Err(f) if f.is_empty_answer() => {}
            Err(_) => {
                // RFC 8659 section 3: a CA must not issue when the lookup
                // fails; the agent cannot tell either.
                obs.failure = Some(answer.summary());
                return obs;
            }
        }
    }
    obs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{Failure, Table};

    fn issue(ca: &str) -> Record {
        Record::Caa {
            critical: false,
            tag: "issue".into(),
            value: ca.into(),
        }
    }

    #[test]
    fn the_walk_stops_at_the_registrable_domain() {
        assert_eq!(
            walk_names("a.b.example.nhs.uk"),
            ["a.b.example.nhs.uk", "b.example.nhs.uk", "example.nhs.uk"]
        );
        assert_eq!(walk_names("Example.Test."), ["example.test"]);
        // A public suffix itself: only the name.
        assert_eq!(walk_names("nhs.uk"), ["nhs.uk"]);
    }

    #[tokio::test]
    async fn the_first_name_with_caa_wins() {
        let t = Table::new()
            .with("parent.test", issue("letsencrypt.org"))
            .with(
                "www.parent.test",
                Record::A {
                    address: [127, 0, 0, 1].into(),
                },
            );
        let o = check(&t, "www.parent.test").await;
        assert_eq!(o.found_at.as_deref(), Some("parent.test"));
        assert_eq!(o.records[0].value, "letsencrypt.org");
        assert_eq!(o.asked.len(), 2);
        let t = t.with("www.parent.test", issue("digicert.com"));
        let o = check(&t, "www.parent.test").await;
        assert_eq!(o.found_at.as_deref(), Some("www.parent.test"));
        assert_eq!(o.asked.len(), 1);
    }

    #[tokio::test]
    async fn no_caa_anywhere_and_a_failed_lookup_are_told_apart() {
        let t = Table::new().with(
            "none.test",
            Record::A {
                address: [127, 0, 0, 1].into(),
            },
        );
        let o = check(&t, "a.none.test").await;
        assert_eq!((o.found_at, o.failure, o.asked.len()), (None, None, 2));
        let t = t.failing("none.test", RecordType::Caa, Failure::ServFail);
        let o = check(&t, "a.none.test").await;
        assert_eq!(o.failure.as_deref(), Some("CAA none.test: SERVFAIL"));
    }
}

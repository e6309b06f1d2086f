//! DNS-003: CNAME chains that end at a missing or claimable name.
//!
//! Which names: the domain, `www.<domain>`, its MX hosts, any names the
//! caller adds, and a short list of labels commonly left behind by
//! decommissioned services ([`COMMON_LABELS`]). A zone cannot be listed
//! without a transfer, so this is a sample, said so in the rule's
//! evidence by listing every name checked. Guessed labels that have no
//! CNAME are left out of the evidence.

use trustwatch_rules::observe::{ChainEnd, CnameChain, DanglingObservation};

use crate::dns::answer::normalise;
use crate::dns::{Failure, Record, RecordType, Resolve};

/// CNAME hops followed before giving up.
pub const MAX_DEPTH: usize = 8;
/// Names checked per domain at most.
pub const MAX_NAMES: usize = 32;

/// Labels under the domain that are checked besides `www`: names of
/// services that are often moved to a cloud host and later deleted.
pub const COMMON_LABELS: &[&str] = &[
    "app", "old", "dev", "test", "staging", "portal", "blog", "shop", "cdn", "static", "assets",
    "careers", "jobs", "news", "beta", "demo",
];

/// Cloud host name suffixes where a deleted resource's name can be
/// registered again by anyone (the published subdomain-takeover
/// fingerprints): a CNAME to one of these that does not resolve is
/// claimable.
pub const CLAIMABLE_SUFFIXES: &[&str] = &[
    "azurewebsites.net",
    "cloudapp.net",
    "cloudapp.azure.com",
    "trafficmanager.net",
    "blob.core.windows.net",
    "azureedge.net",
    "s3.amazonaws.com",
    "elasticbeanstalk.com",
    "herokuapp.com",
    "github.io",
    "netlify.app",
    "pantheonsite.io",
];

/// The claimable suffix `name` is under, if any. S3 website endpoints
/// (`bucket.s3-website-eu-west-1.amazonaws.com`, `…s3-website.eu-west-2…`)
/// are matched by their label.
pub fn claimable_suffix(name: &str) -> Option<String> {
    let name = normalise(name);
    if let Some(s) = CLAIMABLE_SUFFIXES
        .iter()
        .find(|s| name.ends_with(&format!(".{s}")))
    {
        return Some((*s).to_owned());
    }
    let s3_site = name
        .split('.')
        .skip(1)
        .any(|label| label.starts_with("s3-website"));
    (s3_site && name.ends_with(".amazonaws.com")).then(|| "s3-website (amazonaws.com)".to_owned())
}

/// The names to check for `domain`, each once, at most [`MAX_NAMES`].
pub fn names(domain: &str, mx_hosts: &[String], extra: &[String]) -> (Vec<String>, usize) {
    let domain = normalise(domain);
    let mut out: Vec<String> = Vec::new();
    let fixed = std::iter::once(domain.clone())
        .chain(std::iter::once(format!("www.{domain}")))
        .chain(mx_hosts.iter().map(|h| normalise(h)))
        .chain(extra.iter().map(|h| normalise(h)))
        .filter(|n| !n.is_empty());
    for n in fixed {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    let always = out.len();
    for label in COMMON_LABELS {
        let n = format!("{label}.{domain}");
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out.truncate(MAX_NAMES);
    (out, always.min(MAX_NAMES))
}

/// Follows `name`'s CNAME chain.
pub async fn follow<R: Resolve>(resolver: &R, name: &str) -> CnameChain {
    let name = normalise(name);
    let mut chain: Vec<String> = Vec::new();
    let mut current = name.clone();
    let end = loop {
        if chain.len() > MAX_DEPTH {
            break ChainEnd::TooLong;
        }
        let answer = resolver.lookup(&current, RecordType::Cname).await;
        let target = answer.records().iter().find_map(|r| match r {
            Record::Cname { target } => Some(normalise(target)),
            _ => None,
        });
        match (&answer.outcome, target) {
            (Ok(_), Some(target)) => {
                if target == name || chain.contains(&target) {
                    chain.push(target);
                    break ChainEnd::Loop;
                }
                chain.push(target.clone());
                current = target;
            }
            // The name itself has no CNAME: nothing dangles from it.
            _ if chain.is_empty()
                && matches!(
                    &answer.outcome,
                    Ok(_) | Err(Failure::NxDomain | Failure::NoData)
                ) =>
            {
                break ChainEnd::NoCname
            }
            (Err(Failure::NxDomain), _) => {
                break match claimable_suffix(&current) {
                    Some(suffix) => ChainEnd::Claimable {
                        suffix,
                        reason: "NXDOMAIN".into(),
                    },
                    None => ChainEnd::NxDomain,
                };
            }
            // The target exists; a cloud name must also have an address,
            // or its resource is gone.
            (Ok(_) | Err(Failure::NoData), _) => {
                break match claimable_suffix(&current) {
                    None => ChainEnd::Resolves,
                    Some(suffix) => address_end(resolver, &current, suffix).await,
                };
            }
            (Err(f), _) => {
                break ChainEnd::LookupFailed {
                    at: current.clone(),
                    reason: f.to_string(),
                };
            }
        }
    };
    CnameChain { name, chain, end }
}

async fn address_end<R: Resolve>(resolver: &R, name: &str, suffix: String) -> ChainEnd {
    let a = resolver.lookup(name, RecordType::A).await;
    let aaaa = resolver.lookup(name, RecordType::Aaaa).await;
    match (&a.outcome, &aaaa.outcome) {
        (Ok(_), _) | (_, Ok(_)) => ChainEnd::Resolves,
        (Err(x), Err(y)) if x.is_empty_answer() && y.is_empty_answer() => ChainEnd::Claimable {
            suffix,
            reason: "no address".into(),
        },
        (Err(f), _) => ChainEnd::LookupFailed {
            at: name.to_owned(),
            reason: f.to_string(),
        },
    }
}

/// Checks every name; guessed labels appear only when they have a CNAME
/// or could not be checked.
pub async fn check<R: Resolve>(
    resolver: &R,
    domain: &str,
    mx_hosts: &[String],
    extra: &[String],
) -> DanglingObservation {
    let (all, always) = names(domain, mx_hosts, extra);
    let mut names = Vec::with_capacity(all.len());
    let mut unreachable = false;
    for (i, name) in all.iter().enumerate() {
        // The guessed labels are asked of the same servers as the names
        // given: once a name of the domain itself could not be asked
        // (timeout, SERVFAIL), guessing more would only multiply the wait.
        if i >= always && unreachable {
            break;
        }
        let chain = follow(resolver, name).await;
        if chain.chain.is_empty() && matches!(chain.end, ChainEnd::LookupFailed { .. }) {
            unreachable = true;
        }
        if i < always || chain.end != ChainEnd::NoCname {
            names.push(chain);
        }
    }
    DanglingObservation { names }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Table;

    fn cname(target: &str) -> Record {
        Record::Cname {
            target: target.into(),
        }
    }

    fn a() -> Record {
        Record::A {
            address: [127, 0, 0, 1].into(),
        }
    }

    #[test]
    fn claimable_suffixes_match_whole_labels() {
        assert_eq!(
            claimable_suffix("x.azurewebsites.net.").as_deref(),
            Some("azurewebsites.net")
        );
        assert_eq!(claimable_suffix("notazurewebsites.net"), None);
        assert!(claimable_suffix("b.s3-website-eu-west-1.amazonaws.com").is_some());
        assert_eq!(claimable_suffix("www.example.test"), None);
    }

    #[tokio::test]
    async fn chains_end_where_their_targets_do() {
        let t = Table::new()
            .with("ok.d.test", cname("host.d.test"))
            .with("host.d.test", a())
            .with("gone.d.test", cname("x.nowhere.test"))
            .with("two.d.test", cname("ok.d.test"))
            .with("cloud.d.test", cname("t.azurewebsites.net"))
            .with("out.d.test", cname("t.example.com"))
            .failing("t.example.com", RecordType::Cname, Failure::Refused)
            .with("loop1.d.test", cname("loop2.d.test"))
            .with("loop2.d.test", cname("loop1.d.test"))
            .with("plain.d.test", a());
        let end = |c: CnameChain| (c.chain, c.end);
        assert_eq!(
            end(follow(&t, "ok.d.test").await),
            (vec!["host.d.test".into()], ChainEnd::Resolves)
        );
        assert_eq!(
            end(follow(&t, "two.d.test").await),
            (
                vec!["ok.d.test".into(), "host.d.test".into()],
                ChainEnd::Resolves
            )
        );
        assert_eq!(follow(&t, "gone.d.test").await.end, ChainEnd::NxDomain);
        assert_eq!(
            follow(&t, "cloud.d.test").await.end,
            ChainEnd::Claimable {
                suffix: "azurewebsites.net".into(),
                reason: "NXDOMAIN".into()
            }
        );
        assert_eq!(
            follow(&t, "out.d.test").await.end,
            ChainEnd::LookupFailed {
                at: "t.example.com".into(),
                reason: "REFUSED".into()
            }
        );
        assert_eq!(follow(&t, "loop1.d.test").await.end, ChainEnd::Loop);
        assert_eq!(follow(&t, "plain.d.test").await.end, ChainEnd::NoCname);
        assert_eq!(follow(&t, "absent.d.test").await.end, ChainEnd::NoCname);
    }

    #[tokio::test]
    async fn a_long_chain_stops_at_the_bound() {
        let mut t = Table::new();
        for i in 0..20 {
            t = t.with(
                &format!("n{i}.d.test"),
                cname(&format!("n{}.d.test", i + 1)),
            );
        }
        let c = follow(&t, "n0.d.test").await;
        assert_eq!(c.end, ChainEnd::TooLong);
        assert!(t.asked() <= MAX_DEPTH + 2, "asked {}", t.asked());
    }

    #[tokio::test]
    async fn a_cloud_name_that_exists_without_an_address_is_claimable() {
        let t = Table::new()
            .with("app.d.test", cname("t.herokuapp.com"))
            .txt("t.herokuapp.com", "left over");
        assert_eq!(
            follow(&t, "app.d.test").await.end,
            ChainEnd::Claimable {
                suffix: "herokuapp.com".into(),
                reason: "no address".into()
            }
        );
    }

    #[tokio::test]
    async fn guessed_labels_appear_only_with_a_cname() {
        let t = Table::new()
            .with("d.test", a())
            .with("old.d.test", cname("gone.nowhere.test"));
        let o = check(&t, "d.test", &["mx.d.test".into()], &[]).await;
        let names: Vec<&str> = o.names.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["d.test", "www.d.test", "mx.d.test", "old.d.test"]);
        assert_eq!(o.names[3].end, ChainEnd::NxDomain);
        // A domain whose own server fails is not guessed at further.
        let t = Table::new().failing("d.test", RecordType::Cname, Failure::Timeout);
        let o = check(&t, "d.test", &[], &[]).await;
        assert_eq!(o.names.len(), 2);
        assert_eq!(t.asked(), 2);
    }
}

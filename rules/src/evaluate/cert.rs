//! Certificate rules CERT-001…CERT-006, judged on the chain served on the
//! first successful handshake.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::catalogue::{Catalogue, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{
    CertificateSummary, ChainObservation, KeyAlgorithm, TlsObservation, TrustVerdict,
};
use crate::severity::Severity;

/// CERT-002: a certificate this close to expiry fails…
pub const NEAR_EXPIRY_DAYS: i64 = 30;
/// …and this close escalates to high.
pub const IMMINENT_EXPIRY_DAYS: i64 = 7;
/// CERT-006: CA/Browser Forum limit for publicly trusted leaves.
pub const MAX_PUBLIC_VALIDITY_DAYS: i64 = 398;
/// CERT-006: limit for any leaf, including a trust's internal CA.
pub const MAX_ANY_VALIDITY_DAYS: i64 = 3 * 365 + 1;
pub const MIN_RSA_BITS: u32 = 2048;
pub const MIN_EC_BITS: u32 = 256;

const RULES: &[&str] = &[
    "CERT-001", "CERT-002", "CERT-003", "CERT-004", "CERT-005", "CERT-006",
];

pub(super) fn certificate_findings(
    catalogue: &Catalogue,
    obs: &TlsObservation,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let chain = match (
        &obs.chain,
        obs.chain.as_ref().and_then(|c| c.certificates.first()),
    ) {
        (Some(chain), Some(_)) => chain,
        _ => return without_chain(catalogue, obs),
    };
    let leaf = &chain.certificates[0];
    let base = leaf_evidence(leaf);
    let mut out = Vec::new();
    let mut push = |id: &str, f: &dyn Fn(&Rule) -> Finding| {
        if let Some(rule) = catalogue.rule(id) {
            out.push(f(rule));
        }
    };
    let t = obs.target.as_str();

    push("CERT-001", &|rule| {
        let ev = base.clone().with("checked_at", rfc3339(now));
        if now < leaf.not_before {
            Finding::for_rule(
                rule,
                t,
                Status::Fail,
                format!("certificate not valid until {}", rfc3339(leaf.not_before)),
                ev,
            )
        } else if now > leaf.not_after {
            let days = (now - leaf.not_after).whole_days();
            Finding::for_rule(
                rule,
                t,
                Status::Fail,
                format!(
                    "certificate expired {} ago ({})",
                    plural(days, "day"),
                    rfc3339(leaf.not_after)
                ),
                ev,
            )
        } else {
            Finding::for_rule(
                rule,
                t,
                Status::Pass,
                "certificate is within its validity period",
                ev,
            )
        }
    });

    push("CERT-002", &|rule| {
        let left = leaf.not_after - now;
        let days = left.whole_days();
        let ev = base.clone().with("days_remaining", days);
        if left > Duration::days(NEAR_EXPIRY_DAYS) {
            Finding::for_rule(
                rule,
                t,
                Status::Pass,
                format!("{} until expiry", span(left)),
                ev,
            )
        } else if left <= Duration::days(IMMINENT_EXPIRY_DAYS) {
            let summary = if left.is_negative() {
                "certificate has already expired (see CERT-001)".to_owned()
            } else {
                format!("{} until expiry", span(left))
            };
            Finding::for_rule(rule, t, Status::Fail, summary, ev)
                .with_severity(rule.severity.max(Severity::High))
        } else {
            Finding::for_rule(
                rule,
                t,
                Status::Fail,
                format!("{} until expiry", span(left)),
                ev,
            )
        }
    });

    push("CERT-003", &|rule| {
        let ev = base
            .clone()
            .with("trust", json!(chain.trust))
            .with("chain", chain_evidence(chain));
        match &chain.trust {
            TrustVerdict::Trusted { .. } if leaf.self_signed => {
                Finding::for_rule(rule, t, Status::Fail, "leaf certificate is self-signed", ev)
            }
            TrustVerdict::Trusted { public } => {
                let anchor = if *public {
                    "a public root"
                } else {
                    "a configured internal CA"
                };
                Finding::for_rule(
                    rule,
                    t,
                    Status::Pass,
                    format!("chain validates to {anchor}"),
                    ev,
                )
            }
            TrustVerdict::Untrusted { reason } => Finding::for_rule(
                rule,
                t,
                Status::Fail,
                format!("chain does not validate: {reason}"),
                ev,
            ),
        }
    });

    push("CERT-004", &|rule| {
        let ev = base
            .clone()
            .with("checked_name", chain.checked_name.clone());
        if chain.name_matches {
            Finding::for_rule(
                rule,
                t,
                Status::Pass,
                format!("certificate is valid for {}", chain.checked_name),
                ev,
            )
        } else {
            Finding::for_rule(
                rule,
                t,
                Status::Fail,
                format!("certificate is not valid for {}", chain.checked_name),
                ev,
            )
        }
    });

    push("CERT-005", &|rule| {
        let problems = weak_crypto(chain);
        let ev = base
            .clone()
            .with("chain", chain_evidence(chain))
            .with("weaknesses", problems.clone());
        if problems.is_empty() {
            Finding::for_rule(
                rule,
                t,
                Status::Pass,
                "keys and signatures meet the minimums",
                ev,
            )
        } else {
            Finding::for_rule(rule, t, Status::Fail, problems.join("; "), ev)
        }
    });

    push("CERT-006", &|rule| {
        let days = (leaf.not_after - leaf.not_before).whole_days();
        let public = matches!(chain.trust, TrustVerdict::Trusted { public: true });
        let limit = if public {
            MAX_PUBLIC_VALIDITY_DAYS
        } else {
            MAX_ANY_VALIDITY_DAYS
        };
        let ev = base
            .clone()
            .with("validity_days", days)
            .with("limit_days", limit)
            .with("publicly_trusted", public);
        if days > limit {
            Finding::for_rule(
                rule,
                t,
                Status::Fail,
                format!(
                    "valid for {}, over the {limit}-day limit",
                    plural(days, "day")
                ),
                ev,
            )
        } else {
            Finding::for_rule(
                rule,
                t,
                Status::Pass,
                format!("valid for {}", plural(days, "day")),
                ev,
            )
        }
    });

    out
}

/// Without a chain the certificate rules cannot be judged: not applicable
/// when no TLS was negotiated, an error when a certificate could not be read.
fn without_chain(catalogue: &Catalogue, obs: &TlsObservation) -> Vec<Finding> {
    RULES
        .iter()
        .filter_map(|id| catalogue.rule(id))
        .map(|rule| match &obs.chain_error {
            Some(err) => Finding::for_rule(
                rule,
                &obs.target,
                Status::Error,
                format!("certificate could not be read: {err}"),
                Evidence::new().with("error", err.clone()),
            ),
            None => Finding::for_rule(
                rule,
                &obs.target,
                Status::NotApplicable,
                "no TLS handshake completed, so no certificate was seen",
                Evidence::new().with("protocols", super::tls::protocols_evidence(obs)),
            ),
        })
        .collect()
}

/// Weak keys anywhere in the served chain, and weak signatures on the leaf
/// and intermediates (a root's self-signature is not relied upon).
pub fn weak_crypto(chain: &ChainObservation) -> Vec<String> {
    let mut out = Vec::new();
    for (i, cert) in chain.certificates.iter().enumerate() {
        let who = if i == 0 {
            "leaf".to_owned()
        } else {
            format!("chain[{i}] ({})", cert.subject)
        };
        let key = &cert.public_key;
        match key.algorithm {
            KeyAlgorithm::Rsa if key.bits < MIN_RSA_BITS => {
                out.push(format!("{who} RSA key is {} bits", key.bits))
            }
            KeyAlgorithm::Ec if key.bits < MIN_EC_BITS => {
                out.push(format!("{who} EC key is {} bits", key.bits))
            }
            KeyAlgorithm::Dsa => out.push(format!("{who} uses a DSA key")),
            _ => {}
        }
        let is_root = i > 0 && cert.self_signed;
        if !is_root && weak_signature(&cert.signature_algorithm) {
            out.push(format!("{who} is signed with {}", cert.signature_algorithm));
        }
    }
    out
}

/// MD2, MD5 and SHA-1 based signatures are forgeable or close to it.
pub fn weak_signature(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "");
    n.contains("md2") || n.contains("md5") || n.contains("sha1")
}

fn leaf_evidence(leaf: &CertificateSummary) -> Evidence {
    Evidence::new()
        .with("subject", leaf.subject.clone())
        .with("issuer", leaf.issuer.clone())
        .with("serial", leaf.serial.clone())
        .with("not_before", rfc3339(leaf.not_before))
        .with("not_after", rfc3339(leaf.not_after))
        .with("subject_alt_names", leaf.subject_alt_names.clone())
        .with("sha256_fingerprint", leaf.sha256_fingerprint.clone())
}

fn chain_evidence(chain: &ChainObservation) -> serde_json::Value {
    json!(chain
        .certificates
        .iter()
        .map(|c| json!({
            "subject": c.subject,
            "issuer": c.issuer,
            "public_key": c.public_key,
            "signature_algorithm": c.signature_algorithm,
            "self_signed": c.self_signed,
        }))
        .collect::<Vec<_>>())
}

/// "3 days", "1 day", or hours when under a day: "0 days" reads as expired.
fn span(d: Duration) -> String {
    if d >= Duration::days(1) {
        plural(d.whole_days(), "day")
    } else {
        plural(d.whole_hours().max(0), "hour")
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

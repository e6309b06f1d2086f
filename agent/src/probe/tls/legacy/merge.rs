//! Joining the crafted hellos' findings with the real (rustls) handshakes:
//! a version is accepted if either way got it accepted.

use trustwatch_rules::observe::{AttemptOutcome, ProtocolAttempt};

/// One attempt per version of `crafted` (which covers every version), each
/// replaced by the rustls outcome where that one says more.
pub(crate) fn attempts(
    crafted: &[ProtocolAttempt],
    real: &[ProtocolAttempt],
) -> Vec<ProtocolAttempt> {
    crafted
        .iter()
        .map(|c| match real.iter().find(|r| r.version == c.version) {
            Some(r) => ProtocolAttempt {
                version: c.version,
                outcome: better(&c.outcome, &r.outcome).clone(),
            },
            None => c.clone(),
        })
        .collect()
}

/// Accepted beats rejected beats failed. Between two acceptances the real
/// handshake's wins: it completed, and it notes a required client
/// certificate. Between two refusals the crafted hello's reason wins.
fn better<'a>(crafted: &'a AttemptOutcome, real: &'a AttemptOutcome) -> &'a AttemptOutcome {
    let rank = |o: &AttemptOutcome| match o {
        AttemptOutcome::Accepted { .. } => 2,
        AttemptOutcome::Rejected { .. } => 1,
        AttemptOutcome::Failed { .. } => 0,
    };
    match rank(real).cmp(&rank(crafted)) {
        std::cmp::Ordering::Greater => real,
        std::cmp::Ordering::Equal if rank(real) == 2 => real,
        _ => crafted,
    }
}

/// Stapling is present if either way saw it; known if either could tell.
pub(crate) fn ocsp(crafted: Option<bool>, real: Option<bool>) -> Option<bool> {
    match (crafted, real) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(false) || b.unwrap_or(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustwatch_rules::observe::TlsVersion;

    fn at(version: TlsVersion, outcome: AttemptOutcome) -> ProtocolAttempt {
        ProtocolAttempt { version, outcome }
    }
    fn acc(s: &str) -> AttemptOutcome {
        AttemptOutcome::Accepted {
            cipher_suite: s.into(),
        }
    }
    fn rej(s: &str) -> AttemptOutcome {
        AttemptOutcome::Rejected { reason: s.into() }
    }
    fn fail(s: &str) -> AttemptOutcome {
        AttemptOutcome::Failed { reason: s.into() }
    }

    #[test]
    fn accepted_if_either_accepted() {
        let crafted = vec![
            at(TlsVersion::Ssl3, rej("alert")),
            at(
                TlsVersion::Tls12,
                acc("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            ),
            at(TlsVersion::Tls13, rej("crafted alert")),
        ];
        let real = vec![
            at(TlsVersion::Tls13, acc("TLS13_AES_256_GCM_SHA384")),
            at(TlsVersion::Tls12, fail("timed out")),
        ];
        let merged = attempts(&crafted, &real);
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[0], crafted[0]);
        assert_eq!(merged[1], crafted[1]);
        assert_eq!(merged[2].outcome, acc("TLS13_AES_256_GCM_SHA384"));
    }

    #[test]
    fn the_real_handshake_wins_ties_of_acceptance_and_the_crafted_ties_of_refusal() {
        assert_eq!(better(&acc("a"), &acc("b")), &acc("b"));
        assert_eq!(better(&rej("a"), &rej("b")), &rej("a"));
        assert_eq!(better(&fail("a"), &rej("b")), &rej("b"));
        assert_eq!(better(&fail("a"), &fail("b")), &fail("a"));
    }

    #[test]
    fn ocsp_merges() {
        assert_eq!(ocsp(None, None), None);
        assert_eq!(ocsp(Some(false), None), Some(false));
        assert_eq!(ocsp(Some(false), Some(true)), Some(true));
        assert_eq!(ocsp(None, Some(false)), Some(false));
    }
}

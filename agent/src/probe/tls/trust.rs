//! Path validation of a served chain with webpki, and the host-name check.
//!
//! Trust is about the chain, not the dates: CERT-001 reports expiry, so when
//! a chain fails only because a certificate is out of date it is validated
//! again at a moment inside the leaf's validity, and CERT-003 reports what
//! is really wrong with the chain (or that nothing is).

use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use time::OffsetDateTime;
use trustwatch_rules::observe::{CertificateSummary, TrustVerdict};
use webpki::{EndEntityCert, KeyUsage};

/// The anchors a chain is judged against.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    /// A trust's own CAs (`--ca`), checked after the public roots.
    pub private: Vec<TrustAnchor<'static>>,
}

/// Judges `chain` (leaf first) against the public Mozilla roots, then the
/// private anchors. `leaf` is the summary of `chain[0]`.
pub fn verdict(
    chain: &[CertificateDer<'_>],
    anchors: &Anchors,
    now: OffsetDateTime,
    leaf: &CertificateSummary,
) -> TrustVerdict {
    let leaf_validity = (leaf.not_before, leaf.not_after);
    let Some((leaf_der, intermediates)) = chain.split_first() else {
        return TrustVerdict::Untrusted {
            reason: "the server sent no certificate".into(),
        };
    };
    let ee = match EndEntityCert::try_from(leaf_der) {
        Ok(ee) => ee,
        Err(e) => {
            return TrustVerdict::Untrusted {
                reason: format!("the leaf certificate cannot be validated: {}", describe(&e)),
            }
        }
    };
    let Err(public_err) = validate(
        &ee,
        intermediates,
        webpki_roots::TLS_SERVER_ROOTS,
        now,
        leaf_validity,
    ) else {
        return TrustVerdict::Trusted { public: true };
    };
    let error = if anchors.private.is_empty() {
        public_err
    } else {
        match validate(&ee, intermediates, &anchors.private, now, leaf_validity) {
            Ok(()) => return TrustVerdict::Trusted { public: false },
            // "Unknown issuer" against the configured CA says least; then
            // the public roots' answer is as good as any.
            Err(webpki::Error::UnknownIssuer) => public_err,
            Err(private_err) => private_err,
        }
    };
    let reason = if leaf.self_signed && is_pinned(leaf_der, anchors) {
        // Pinning a device's own certificate with --ca is not a CA-issued
        // chain: webpki refuses it, and the baseline wants a real chain.
        "the leaf certificate is self-signed; it is pinned as a configured anchor, but it is not issued by a CA".to_owned()
    } else if leaf.self_signed {
        // webpki would name a symptom ("unknown issuer", "CA used as end
        // entity"); the cause a person can act on is the self-signing.
        "the leaf certificate is self-signed and is not a configured trust anchor".to_owned()
    } else {
        describe(&error)
    };
    TrustVerdict::Untrusted { reason }
}

/// True when the leaf itself was given as one of the private anchors.
fn is_pinned(leaf: &CertificateDer<'_>, anchors: &Anchors) -> bool {
    webpki::anchor_from_trusted_cert(leaf).is_ok_and(|own| {
        anchors
            .private
            .iter()
            .any(|a| a.subject_public_key_info == own.subject_public_key_info)
    })
}

fn validate(
    ee: &EndEntityCert<'_>,
    intermediates: &[CertificateDer<'_>],
    roots: &[TrustAnchor<'_>],
    now: OffsetDateTime,
    (not_before, not_after): (OffsetDateTime, OffsetDateTime),
) -> Result<(), webpki::Error> {
    let at = |t: OffsetDateTime| {
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            roots,
            intermediates,
            unix_time(t),
            KeyUsage::server_auth(),
            None,
            None,
        )
        .map(|_| ())
    };
    match at(now) {
        Err(webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. }) => {
            at(not_before + (not_after - not_before) / 2)
        }
        other => other,
    }
}

fn unix_time(t: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(t.unix_timestamp().max(0) as u64))
}

/// Whether the leaf is valid for `name` (SANs only, as browsers do).
pub fn name_matches(leaf: &CertificateDer<'_>, name: &ServerName<'_>) -> bool {
    EndEntityCert::try_from(leaf).is_ok_and(|ee| ee.verify_is_valid_for_subject_name(name).is_ok())
}

fn describe(e: &webpki::Error) -> String {
    use webpki::Error::*;
    match e {
        UnknownIssuer => {
            "unknown issuer: the chain leads to neither a public root nor a configured CA".into()
        }
        CertExpired { .. } => "a CA certificate in the chain has expired".into(),
        CertNotValidYet { .. } => "a CA certificate in the chain is not valid yet".into(),
        CaUsedAsEndEntity => "the leaf is a CA certificate".into(),
        EndEntityUsedAsCa => "a non-CA certificate is used as an issuer".into(),
        InvalidSignatureForPublicKey => "a signature in the chain does not verify".into(),
        UnsupportedSignatureAlgorithmContext(_)
        | UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "the chain uses a signature algorithm or key size that is no longer accepted".into()
        }
        RequiredEkuNotFoundContext(_) => {
            "the leaf is not valid for TLS server authentication (extended key usage)".into()
        }
        BadDer | BadDerTime => "a certificate in the chain is malformed".into(),
        other => format!("path validation failed ({other})"),
    }
}

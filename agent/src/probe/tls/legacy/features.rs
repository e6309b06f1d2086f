//! Protocol features: what the answers collected along the way say about
//! compression, DHE parameters and OCSP stapling, and the one extra hello
//! that tests TLS_FALLBACK_SCSV.

use trustwatch_rules::observe::{TlsFeatures, TlsVersion};
use trustwatch_tls_wire::{Alert, Response, ServerFlight, ServerKeyExchange};

use super::exchange::Exchange;
use super::hellos::Offer;
use super::Scanner;

/// Facts gathered from every TLS ≤ 1.2 flight the scan read.
#[derive(Debug, Default)]
pub(super) struct Facts {
    compression: Option<bool>,
    dhe_min_bits: Option<u32>,
    ocsp: Option<bool>,
}

impl Facts {
    /// Notes what one flight at `version` shows. TLS 1.3 answers end at
    /// the ServerHello and say nothing of these.
    pub(super) fn flight(&mut self, version: TlsVersion, flight: &ServerFlight) {
        if version >= TlsVersion::Tls13 {
            return;
        }
        // Every ≤ 1.2 hello offers DEFLATE.
        self.compression = Some(self.compression.unwrap_or(false) || flight.hello.compression != 0);
        if let Some(ServerKeyExchange::Dh { prime_bits }) = flight.key_exchange {
            self.dhe_min_bits = Some(self.dhe_min_bits.map_or(prime_bits, |b| b.min(prime_bits)));
        }
        // Stapling only means something where a certificate was sent.
        if !flight.certificates.is_empty() {
            let stapled = flight.certificate_status || flight.hello.status_request();
            self.ocsp = Some(self.ocsp.unwrap_or(false) || stapled);
        }
    }

    pub(super) fn fill(&self, features: &mut TlsFeatures) {
        features.compression = self.compression;
        features.dhe_min_bits = self.dhe_min_bits;
        features.ocsp_stapling = self.ocsp;
    }
}

/// RFC 7507: a hello at a version below the server's best, marked as a
/// fallback, must be refused with `inappropriate_fallback`. Only meaningful
/// when the server accepts two versions or more; `None` otherwise, or when
/// the answer is neither a refusal of that kind nor a ServerHello.
pub(super) async fn fallback_scsv(s: &mut Scanner<'_>, accepted: &[TlsVersion]) -> Option<bool> {
    let mut versions: Vec<TlsVersion> = accepted
        .iter()
        .copied()
        .filter(|v| *v >= TlsVersion::Ssl3)
        .collect();
    versions.sort();
    versions.dedup();
    let below_best = *versions.iter().rev().nth(1)?;
    let mut offer = Offer::all(below_best);
    offer.fallback = true;
    let ex = s.send(&offer).await;
    judge_fallback(&ex)
}

fn judge_fallback(ex: &Exchange) -> Option<bool> {
    match ex {
        Exchange::Answer(Response::Alert(a)) if a.description == Alert::INAPPROPRIATE_FALLBACK => {
            Some(true)
        }
        Exchange::Answer(Response::Flight(_)) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustwatch_tls_wire::{extension, AlertLevel, ServerHello};

    fn flight(compression: u8, kx: Option<ServerKeyExchange>, status: bool) -> ServerFlight {
        ServerFlight {
            hello: ServerHello {
                legacy_version: 0x0303,
                random: [0; 32],
                session_id: vec![],
                cipher_suite: 0x0033,
                compression,
                extensions: if status {
                    vec![(extension::STATUS_REQUEST, vec![])]
                } else {
                    vec![]
                },
            },
            certificates: vec![vec![0x30]],
            certificates_truncated: false,
            key_exchange: kx,
            certificate_status: status,
            certificate_request: false,
            alert: None,
        }
    }

    #[test]
    fn facts_accumulate_over_flights() {
        let mut facts = Facts::default();
        let mut features = TlsFeatures::default();
        facts.fill(&mut features);
        assert_eq!(
            features,
            TlsFeatures::default(),
            "nothing seen, nothing known"
        );

        facts.flight(
            TlsVersion::Tls12,
            &flight(0, Some(ServerKeyExchange::Dh { prime_bits: 2048 }), false),
        );
        facts.flight(
            TlsVersion::Tls10,
            &flight(1, Some(ServerKeyExchange::Dh { prime_bits: 1024 }), false),
        );
        facts.flight(TlsVersion::Tls13, &flight(1, None, true));
        facts.fill(&mut features);
        assert_eq!(features.compression, Some(true));
        assert_eq!(features.dhe_min_bits, Some(1024));
        assert_eq!(
            features.ocsp_stapling,
            Some(false),
            "TLS 1.3 answers are not read for it"
        );

        facts.flight(
            TlsVersion::Tls12,
            &flight(0, Some(ServerKeyExchange::Ecdh { group: 23 }), true),
        );
        facts.fill(&mut features);
        assert_eq!(features.ocsp_stapling, Some(true));
        assert_eq!(features.dhe_min_bits, Some(1024));
    }

    #[test]
    fn fallback_verdicts() {
        let alert = |d| {
            Exchange::Answer(Response::Alert(Alert {
                level: AlertLevel::Fatal,
                description: d,
            }))
        };
        assert_eq!(judge_fallback(&alert(86)), Some(true));
        assert_eq!(judge_fallback(&alert(40)), None);
        assert_eq!(
            judge_fallback(&Exchange::Answer(Response::Flight(flight(0, None, false)))),
            Some(false)
        );
        assert_eq!(judge_fallback(&Exchange::Closed { reset: false }), None);
    }
}

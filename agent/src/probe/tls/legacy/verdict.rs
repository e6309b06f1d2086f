//! What one answer to a crafted hello says about the version offered: the
//! pure part of the scanner, unit-tested without a network.

use trustwatch_rules::observe::{AttemptOutcome, CipherSuite, TlsVersion};
use trustwatch_tls_wire::{
    cipher_kind_name, classes_from_name, from_wire, wire, Response, ServerFlight, SuiteInfo,
};

use super::exchange::Exchange;

/// A suite as the observation records it.
pub(super) fn suite(id: u16) -> CipherSuite {
    match SuiteInfo::lookup(id) {
        Some(info) => CipherSuite {
            id: u32::from(id),
            name: info.name.to_owned(),
            classes: info.classes(),
        },
        None => CipherSuite {
            id: u32::from(id),
            name: format!("0x{id:04X}"),
            classes: Vec::new(),
        },
    }
}

/// An SSL 2.0 cipher kind as the observation records it.
pub(super) fn ssl2_kind(kind: u32) -> CipherSuite {
    let name = cipher_kind_name(kind)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("0x{kind:06X}"));
    CipherSuite {
        id: kind,
        classes: classes_from_name(&name),
        name,
    }
}

/// The flight answers a hello for `version` by negotiating that version
/// (SSL 2.0 has no flights: its answer is a SERVER-HELLO).
pub(super) fn negotiated(version: TlsVersion, ex: &Exchange) -> Option<&ServerFlight> {
    match ex {
        Exchange::Answer(Response::Flight(f))
            if version >= TlsVersion::Ssl3 && f.hello.version() == wire(version) =>
        {
            Some(f)
        }
        _ => None,
    }
}

/// "a handshake_failure alert", "an illegal_parameter alert".
fn alert_phrase(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("the server sent {article} {name} alert")
}

/// The outcome of a hello offering `version` alone.
pub(super) fn outcome(version: TlsVersion, ex: &Exchange) -> AttemptOutcome {
    let rejected = |reason: String| AttemptOutcome::Rejected { reason };
    match ex {
        Exchange::Answer(Response::Flight(f)) => {
            let chosen = f.hello.version();
            if chosen == wire(version) {
                AttemptOutcome::Accepted {
                    cipher_suite: suite(f.hello.cipher_suite).name,
                }
            } else {
                let name = from_wire(chosen)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| format!("version 0x{chosen:04X}"));
                rejected(format!("the server answered with {name} instead"))
            }
        }
        Exchange::Answer(Response::Alert(alert)) => rejected(alert_phrase(&alert.name())),
        Exchange::Answer(Response::Ssl2Hello(hello)) if version == TlsVersion::Ssl2 => {
            let cipher_suite = match hello.cipher_kinds.first() {
                Some(&kind) => ssl2_kind(kind).name,
                None => "no cipher kind in common".to_owned(),
            };
            AttemptOutcome::Accepted { cipher_suite }
        }
        Exchange::Answer(Response::Ssl2Hello(_)) => {
            rejected("the server answered with an SSL 2.0 SERVER-HELLO".to_owned())
        }
        Exchange::Answer(Response::Ssl2Error(code)) => {
            rejected(format!("the server sent SSL 2.0 error {code}"))
        }
        Exchange::Closed { reset: false } => {
            rejected("the server closed the connection during the handshake".to_owned())
        }
        Exchange::Closed { reset: true } => {
            rejected("the server reset the connection during the handshake".to_owned())
        }
        Exchange::Failed(f) => AttemptOutcome::Failed {
            reason: f.reason.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustwatch_rules::observe::SuiteClass;
    use trustwatch_tls_wire::{extension, Alert, AlertLevel, ServerHello, Ssl2ServerHello};

    fn flight(version: u16, suite: u16, exts: Vec<(u16, Vec<u8>)>) -> Exchange {
        Exchange::Answer(Response::Flight(ServerFlight {
            hello: ServerHello {
                legacy_version: version,
                random: [0; 32],
                session_id: vec![],
                cipher_suite: suite,
                compression: 0,
                extensions: exts,
            },
            certificates: vec![],
            certificates_truncated: false,
            key_exchange: None,
            certificate_status: false,
            certificate_request: false,
            alert: None,
        }))
    }

    #[test]
    fn a_flight_at_the_offered_version_accepts_it() {
        let ex = flight(0x0301, 0x000A, vec![]);
        assert_eq!(
            outcome(TlsVersion::Tls10, &ex),
            AttemptOutcome::Accepted {
                cipher_suite: "TLS_RSA_WITH_3DES_EDE_CBC_SHA".into()
            }
        );
        assert!(negotiated(TlsVersion::Tls10, &ex).is_some());
        // The same answer to a TLS 1.1 hello is a downgrade: 1.1 refused.
        assert_eq!(
            outcome(TlsVersion::Tls11, &ex),
            AttemptOutcome::Rejected {
                reason: "the server answered with TLSv1.0 instead".into()
            }
        );
        assert!(negotiated(TlsVersion::Tls11, &ex).is_none());
    }

    #[test]
    fn tls13_is_read_from_supported_versions() {
        let ex = flight(
            0x0303,
            0x1302,
            vec![(extension::SUPPORTED_VERSIONS, vec![3, 4])],
        );
        assert_eq!(
            outcome(TlsVersion::Tls13, &ex),
            AttemptOutcome::Accepted {
                cipher_suite: "TLS_AES_256_GCM_SHA384".into()
            }
        );
        assert!(matches!(
            outcome(TlsVersion::Tls12, &ex),
            AttemptOutcome::Rejected { .. }
        ));
    }

    #[test]
    fn alerts_are_named_with_their_article() {
        let alert = |d| {
            outcome(
                TlsVersion::Tls13,
                &Exchange::Answer(Response::Alert(Alert {
                    level: AlertLevel::Fatal,
                    description: d,
                })),
            )
        };
        assert_eq!(
            alert(47),
            AttemptOutcome::Rejected {
                reason: "the server sent an illegal_parameter alert".into()
            }
        );
        assert_eq!(
            alert(40),
            AttemptOutcome::Rejected {
                reason: "the server sent a handshake_failure alert".into()
            }
        );
    }

    #[test]
    fn a_tls_flight_never_answers_ssl2() {
        let ex = flight(0x0002, 0x002F, vec![]);
        assert!(negotiated(TlsVersion::Ssl2, &ex).is_none());
    }

    #[test]
    fn refusals_and_failures() {
        let alert = Exchange::Answer(Response::Alert(Alert {
            level: AlertLevel::Fatal,
            description: 70,
        }));
        assert_eq!(
            outcome(TlsVersion::Ssl3, &alert),
            AttemptOutcome::Rejected {
                reason: "the server sent a protocol_version alert".into()
            }
        );
        assert!(matches!(
            outcome(TlsVersion::Tls12, &Exchange::Closed { reset: true }),
            AttemptOutcome::Rejected { .. }
        ));
        let failed = Exchange::Failed(super::super::exchange::Failure {
            reason: "connection refused by 127.0.0.1:1".into(),
            before_hello: true,
        });
        assert_eq!(
            outcome(TlsVersion::Tls12, &failed),
            AttemptOutcome::Failed {
                reason: "connection refused by 127.0.0.1:1".into()
            }
        );
    }

    #[test]
    fn ssl2_server_hello_accepts_ssl2_only() {
        let ex = Exchange::Answer(Response::Ssl2Hello(Ssl2ServerHello {
            session_id_hit: false,
            certificate_type: 1,
            version: 2,
            certificate: vec![],
            cipher_kinds: vec![0x0700C0],
            connection_id: vec![],
        }));
        assert_eq!(
            outcome(TlsVersion::Ssl2, &ex),
            AttemptOutcome::Accepted {
                cipher_suite: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5".into()
            }
        );
        assert!(matches!(
            outcome(TlsVersion::Tls10, &ex),
            AttemptOutcome::Rejected { .. }
        ));
        assert!(ssl2_kind(0x0700C0).is(SuiteClass::TripleDes));
    }

    #[test]
    fn unknown_suites_keep_their_code_point() {
        assert_eq!(suite(0xFEFE).name, "0xFEFE");
        assert!(suite(0x0005).is(SuiteClass::Rc4));
    }
}

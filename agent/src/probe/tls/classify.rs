//! Turning how a handshake attempt ended into an [`AttemptOutcome`].
//!
//! Pure, so the subtle cases (a server that wants a client certificate, a
//! server that is not TLS at all) are unit-tested without a network.

use std::time::Duration;

use rustls::AlertDescription;
use trustwatch_rules::observe::AttemptOutcome;

/// Why a handshake did not complete.
#[derive(Debug)]
pub(crate) enum Stop {
    /// TCP connect failed: nothing listens, or the host is unreachable.
    Connect(String),
    /// The whole attempt ran out of time part-way through the handshake.
    TimedOut(Duration),
    /// The server accepted the connection and then sent nothing at all.
    Silent(Duration),
    /// The server closed the connection before the handshake completed.
    Eof,
    /// Reading or writing the socket failed.
    Io(std::io::Error),
    /// The server sent more than the read limit without finishing.
    TooMuchData(usize),
    /// rustls refused what the server sent, or the server sent an alert.
    Tls(rustls::Error),
}

/// What was learnt from one attempt, for classification.
#[derive(Debug)]
pub(crate) struct Ended {
    /// `None` when the handshake completed.
    pub stop: Option<Stop>,
    /// The suite from the ServerHello, if one arrived.
    pub cipher_suite: Option<String>,
    /// The server's certificate reached our verifier at this version.
    pub saw_certificate: bool,
    /// The server sent a CertificateRequest.
    pub client_cert_requested: bool,
}

pub(crate) fn outcome(ended: Ended) -> AttemptOutcome {
    let suite = ended
        .cipher_suite
        .unwrap_or_else(|| "unknown cipher suite".to_owned());
    let stop = match ended.stop {
        None => {
            return AttemptOutcome::Accepted {
                cipher_suite: suite,
            }
        }
        Some(stop) => stop,
    };
    // Servers that require a client certificate (mutual TLS) abort a TLS 1.2
    // handshake after sending their own certificate. Having received it at
    // this version, the version was negotiated: say so, truthfully noting
    // that the handshake did not finish.
    if ended.saw_certificate {
        let note = if ended.client_cert_requested {
            "client certificate required".to_owned()
        } else {
            format!("handshake not completed: {}", reason(&stop))
        };
        return AttemptOutcome::Accepted {
            cipher_suite: format!("{suite} ({note})"),
        };
    }
    let reason = reason(&stop);
    match stop {
        Stop::Eof | Stop::Tls(rustls::Error::AlertReceived(_)) => {
            AttemptOutcome::Rejected { reason }
        }
        Stop::Io(e) if is_reset(&e) => AttemptOutcome::Rejected { reason },
        Stop::Tls(e) if !is_not_tls(&e) => AttemptOutcome::Rejected { reason },
        _ => AttemptOutcome::Failed { reason },
    }
}

/// The server's reply cannot be TLS at all.
fn is_not_tls(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidMessage(_)
            | rustls::Error::PeerSentOversizedRecord
            | rustls::Error::InappropriateMessage { .. }
            | rustls::Error::InappropriateHandshakeMessage { .. }
    )
}

fn is_reset(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionReset | ConnectionAborted | BrokenPipe)
}

fn reason(stop: &Stop) -> String {
    match stop {
        Stop::Connect(why) => why.clone(),
        Stop::TimedOut(t) => format!(
            "timed out after {}s without completing the handshake",
            t.as_secs_f32()
        ),
        Stop::Silent(t) => format!(
            "timed out after {}s: the server accepted the connection but sent nothing",
            t.as_secs_f32()
        ),
        Stop::Eof => "the server closed the connection during the handshake".to_owned(),
        Stop::Io(e) if is_reset(e) => {
            "the server reset the connection during the handshake".to_owned()
        }
        Stop::Io(e) => format!("socket error during the handshake: {e}"),
        Stop::TooMuchData(n) => {
            format!("the server sent more than {n} bytes without completing the handshake")
        }
        Stop::Tls(rustls::Error::AlertReceived(alert)) => {
            format!("the server sent a {} alert", alert_name(*alert))
        }
        Stop::Tls(e) if is_not_tls(e) => format!("the reply is not TLS ({e})"),
        Stop::Tls(e) => format!("handshake failed: {e}"),
    }
}

/// `protocol_version` rather than `ProtocolVersion`: the RFC's spelling,
/// which is what people search for.
fn alert_name(alert: AlertDescription) -> String {
    let camel = alert
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{alert:?}"));
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::InvalidMessage;

    fn ended(stop: Option<Stop>) -> Ended {
        Ended {
            stop,
            cipher_suite: None,
            saw_certificate: false,
            client_cert_requested: false,
        }
    }

    #[test]
    fn completed_handshake_is_accepted_with_its_suite() {
        let mut e = ended(None);
        e.cipher_suite = Some("TLS13_AES_256_GCM_SHA384".into());
        assert_eq!(
            outcome(e),
            AttemptOutcome::Accepted {
                cipher_suite: "TLS13_AES_256_GCM_SHA384".into()
            }
        );
    }

    #[test]
    fn alerts_and_closes_are_rejections() {
        let alert = Stop::Tls(rustls::Error::AlertReceived(
            AlertDescription::ProtocolVersion,
        ));
        assert_eq!(
            outcome(ended(Some(alert))),
            AttemptOutcome::Rejected {
                reason: "the server sent a protocol_version alert".into()
            }
        );
        assert!(matches!(
            outcome(ended(Some(Stop::Eof))),
            AttemptOutcome::Rejected { .. }
        ));
        let reset = Stop::Io(std::io::ErrorKind::ConnectionReset.into());
        assert!(matches!(
            outcome(ended(Some(reset))),
            AttemptOutcome::Rejected { .. }
        ));
    }

    #[test]
    fn unreachable_or_not_tls_is_a_failure() {
        for stop in [
            Stop::Connect("connection refused by 127.0.0.1:1".into()),
            Stop::TimedOut(Duration::from_secs(10)),
            Stop::Silent(Duration::from_secs(10)),
            Stop::TooMuchData(1024),
            Stop::Tls(rustls::Error::InvalidMessage(
                InvalidMessage::InvalidContentType,
            )),
        ] {
            assert!(matches!(
                outcome(ended(Some(stop))),
                AttemptOutcome::Failed { .. }
            ));
        }
        match outcome(ended(Some(Stop::TimedOut(Duration::from_secs(10))))) {
            AttemptOutcome::Failed { reason } => {
                assert!(reason.contains("timed out after 10s"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn client_certificate_required_after_the_servers_certificate_is_accepted() {
        let mut e = ended(Some(Stop::Tls(rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure,
        ))));
        e.cipher_suite = Some("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".into());
        e.saw_certificate = true;
        e.client_cert_requested = true;
        assert_eq!(
            outcome(e),
            AttemptOutcome::Accepted {
                cipher_suite:
                    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (client certificate required)".into()
            }
        );
    }

    #[test]
    fn other_failures_after_the_certificate_still_mean_negotiated() {
        let mut e = ended(Some(Stop::Eof));
        e.saw_certificate = true;
        match outcome(e) {
            AttemptOutcome::Accepted { cipher_suite } => {
                assert!(
                    cipher_suite.contains("handshake not completed"),
                    "{cipher_suite}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alert_names_are_snake_case() {
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
        assert_eq!(
            alert_name(AlertDescription::ProtocolVersion),
            "protocol_version"
        );
    }
}

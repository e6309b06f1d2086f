//! DICOM: one A-ASSOCIATE-RQ per called AE title, for the Verification SOP
//! class only.
//!
//! The association request is the test itself: an SCP that accepts it
//! would take images from anyone who knows an AE title it answers to
//! (SVC-008). No DIMSE message is ever sent, not even a C-ECHO: after an
//! A-ASSOCIATE-AC we release the association at once (A-RELEASE-RQ, and a
//! bounded wait for the A-RELEASE-RP), so a modality or PACS sees an
//! ordinary, cleanly closed association. Titles are tried in order, one
//! association (and connection) each, stopping at the first accepted.

mod pdu;
mod words;

use std::time::Duration;

use trustwatch_rules::observe::{DicomDetail, IdentifiedBy, ServiceDetail};

use self::pdu::{Frame, Pdu};
use super::{printable_line, Hint, Session};

/// What one association attempt came to.
#[derive(Debug)]
enum Outcome {
    Accepted(pdu::Accept),
    Rejected(String),
    Aborted(String),
    /// No PDU we could read; the string says what happened instead.
    NotDicom(String),
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        s.found("dicom", IdentifiedBy::Port);
        s.note("gentle mode: nothing sent");
        return;
    }
    let calling = s.opts.dicom_calling_ae_title.clone();
    let titles = if s.opts.dicom_called_ae_titles.is_empty() {
        vec!["ANY-SCP".to_owned()]
    } else {
        s.opts.dicom_called_ae_titles.clone()
    };
    let mut tried: Vec<String> = Vec::new();
    for (i, called) in titles.iter().enumerate() {
        if i > 0 {
            // One association per connection: a fresh one for each title.
            match tokio::time::timeout(s.opts.io_timeout, s.reconnect()).await {
                Ok(Ok(stream)) => s.stream = Some(stream),
                Ok(Err(e)) => {
                    s.note(format!("could not reconnect for AE title {called}: {e}"));
                    break;
                }
                Err(_) => {
                    s.note(format!("reconnecting for AE title {called} timed out"));
                    break;
                }
            }
        }
        let outcome = associate(s, called, &calling).await;
        let mut detail = DicomDetail {
            calling_ae_title: calling.clone(),
            called_ae_title: called.clone(),
            ..DicomDetail::default()
        };
        let stop = match outcome {
            Outcome::Accepted(accept) => {
                let result = accept.context_result;
                detail.association = "accepted".into();
                detail.verification_accepted = result == Some(0);
                detail.implementation = implementation(&accept);
                let (product, version) = words::product(
                    accept.implementation_class_uid.as_deref(),
                    accept.implementation_version_name.as_deref(),
                );
                s.obs.product = product;
                s.obs.version = version;
                if let Some(r) = result.filter(|r| *r != 0) {
                    s.note(format!(
                        "Verification presentation context: {}",
                        words::context_result(r)
                    ));
                }
                release(s).await;
                tried.push(format!("{called} (accepted)"));
                true
            }
            Outcome::Rejected(why) => {
                detail.association = "rejected".into();
                detail.reject_reason = Some(why);
                tried.push(format!("{called} (rejected)"));
                false
            }
            Outcome::Aborted(why) => {
                detail.association = "aborted".into();
                tried.push(format!("{called} (aborted)"));
                s.note(why);
                false
            }
            Outcome::NotDicom(why) => {
                s.note(why);
                if Hint::for_port(s.addr.port()) == Hint::Dicom && s.obs.service.is_none() {
                    s.found("dicom", IdentifiedBy::Port);
                }
                break;
            }
        };
        s.found("dicom", IdentifiedBy::Probe);
        s.obs.detail = ServiceDetail::Dicom(detail);
        s.stream = None;
        if stop {
            break;
        }
    }
    if tried.len() > 1 {
        s.note(format!("called AE titles tried: {}", tried.join(", ")));
    }
}

/// One A-ASSOCIATE-RQ on the session's connection and its answer.
async fn associate(s: &mut Session<'_>, called: &str, calling: &str) -> Outcome {
    if let Err(e) = s.send(&pdu::associate_rq(called, calling)).await {
        return Outcome::NotDicom(format!("could not send A-ASSOCIATE-RQ: {e}"));
    }
    let reply = match read_pdu(s, s.opts.io_timeout).await {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::NotDicom(format!("connection failed after A-ASSOCIATE-RQ: {e}")),
    };
    if reply.is_empty() {
        return Outcome::NotDicom("no answer to A-ASSOCIATE-RQ".into());
    }
    match pdu::parse(&reply) {
        Ok(Pdu::Accept(accept)) => Outcome::Accepted(accept),
        Ok(Pdu::Reject {
            result,
            source,
            reason,
        }) => Outcome::Rejected(words::rejection(result, source, reason)),
        Ok(Pdu::Abort { source, reason }) => Outcome::Aborted(words::abort(source, reason)),
        Ok(other) => Outcome::NotDicom(format!("unexpected answer to A-ASSOCIATE-RQ: {other:?}")),
        Err(pdu::PduError::TooLong(len)) => Outcome::NotDicom(format!(
            "answer announces a {len}-byte PDU (more than {} KiB): not read",
            pdu::MAX_READ_PDU / 1024
        )),
        Err(e) => Outcome::NotDicom(match printable_line(&reply) {
            Some(line) => format!("unrecognised answer to A-ASSOCIATE-RQ ({e}): {line}"),
            None => format!("unrecognised answer to A-ASSOCIATE-RQ ({e})"),
        }),
    }
}

/// Reads one PDU (or until it is clearly too long, `wait` or the cap).
async fn read_pdu(s: &mut Session<'_>, wait: Duration) -> std::io::Result<Vec<u8>> {
    let cap = s.opts.max_read.min(pdu::MAX_READ_PDU);
    let Some(stream) = s.stream.as_mut() else {
        return Err(std::io::ErrorKind::NotConnected.into());
    };
    super::read_until(stream, wait, cap, |b| {
        !matches!(pdu::frame(b), Frame::Incomplete)
    })
    .await
}

/// Releases an accepted association: A-RELEASE-RQ, then a bounded wait
/// for the A-RELEASE-RP.
async fn release(s: &mut Session<'_>) {
    if s.send(&pdu::release_rq()).await.is_err() {
        s.note("could not send A-RELEASE-RQ");
        return;
    }
    match read_pdu(s, s.opts.io_timeout).await {
        Ok(bytes) if matches!(pdu::parse(&bytes), Ok(Pdu::ReleaseRp)) => {}
        _ => s.note("no A-RELEASE-RP after A-RELEASE-RQ"),
    }
}

/// `1.2.276.0.7230010.3.0.3.6.7 (OFFIS_DCMTK_367)`.
fn implementation(accept: &pdu::Accept) -> Option<String> {
    match (
        &accept.implementation_class_uid,
        &accept.implementation_version_name,
    ) {
        (Some(uid), Some(name)) => Some(format!("{uid} ({name})")),
        (Some(uid), None) => Some(uid.clone()),
        (None, Some(name)) => Some(name.clone()),
        (None, None) => None,
    }
}

/// For [`super::parse`] (fuzzing and tests): whether `bytes` read as a PDU,
/// an A-ASSOCIATE-AC, -RJ or A-ABORT put into the words identification
/// reports.
pub(super) fn parse_answer(bytes: &[u8]) -> bool {
    pdu::frame(bytes);
    match pdu::parse(bytes) {
        Ok(Pdu::Accept(accept)) => {
            implementation(&accept);
            words::product(
                accept.implementation_class_uid.as_deref(),
                accept.implementation_version_name.as_deref(),
            );
            accept.context_result.map(words::context_result);
        }
        Ok(Pdu::Reject {
            result,
            source,
            reason,
        }) => {
            words::rejection(result, source, reason);
        }
        Ok(Pdu::Abort { source, reason }) => {
            words::abort(source, reason);
        }
        Ok(Pdu::ReleaseRp | Pdu::Other(_)) => {}
        Err(_) => return false,
    }
    true
}

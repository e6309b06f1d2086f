//! Microsoft SQL Server: one TDS PRELOGIN, which every version since 2005
//! answers before any login with its build number and its encryption
//! stance. We close after the answer: no TLS, no LOGIN7.

mod prelogin;

use trustwatch_rules::observe::IdentifiedBy;

use super::Session;

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        return;
    }
    if let Err(e) = s.send(&prelogin::request()).await {
        s.note(format!("PRELOGIN: {e}"));
        return;
    }
    let wait = s.opts.io_timeout;
    let answer = s
        .read_until(wait, prelogin::packet_complete)
        .await
        .unwrap_or_default();
    s.stream = None;
    if answer.is_empty() {
        s.found("mssql", IdentifiedBy::Port);
        // SQL Server 2022 with strict encryption (TDS 8.0) wants TLS first.
        s.note("no answer to PRELOGIN");
        return;
    }
    match prelogin::parse_response(&answer) {
        Ok(p) => {
            s.found("mssql", IdentifiedBy::Probe);
            s.obs.product = Some("Microsoft SQL Server".into());
            let mut words = Vec::new();
            if let Some(v) = p.version {
                s.obs.version = Some(v.text());
                words.extend(v.release().map(String::from));
            }
            words.extend(p.encryption.map(prelogin::encryption_words));
            if !words.is_empty() {
                s.note(words.join("; "));
            }
        }
        Err(e) => {
            s.note(format!("PRELOGIN: {e}"));
            // A broken TDS answer still names the port; another protocol
            // does not.
            if !matches!(e, prelogin::TdsError::NotTds(_)) {
                s.found("mssql", IdentifiedBy::Port);
            }
        }
    }
}

/// For [`super::parse`] (fuzzing and tests): whether `bytes` read as a
/// PRELOGIN response, put into the words identification notes.
pub(super) fn parse_prelogin(bytes: &[u8]) -> bool {
    prelogin::packet_complete(bytes);
    let Ok(p) = prelogin::parse_response(bytes) else {
        return false;
    };
    if let Some(v) = p.version {
        v.text();
        v.release();
    }
    p.encryption.map(prelogin::encryption_words);
    true
}

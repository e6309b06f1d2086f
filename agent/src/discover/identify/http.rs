//! http: placeholder until its module lands (issue 4, in progress).

use super::Session;

pub(super) async fn identify(s: &mut Session<'_>, tls: bool) {
    let _ = (s, tls);
}

pub(super) async fn identify_unknown(s: &mut Session<'_>) {
    let _ = s;
}

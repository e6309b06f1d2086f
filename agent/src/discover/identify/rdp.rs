//! rdp: placeholder until its module lands (issue 4, in progress).

use super::Session;

pub(super) async fn identify(s: &mut Session<'_>) {
    let _ = s;
}

//! text protocols: placeholder until its module lands (issue 4, in progress).

use super::Session;

pub(super) async fn identify_ftp(s: &mut Session<'_>) {
    let _ = s;
}
pub(super) async fn identify_telnet(s: &mut Session<'_>) {
    let _ = s;
}
pub(super) async fn identify_smtp(s: &mut Session<'_>) {
    let _ = s;
}
pub(super) async fn identify_pop3(s: &mut Session<'_>) {
    let _ = s;
}
pub(super) async fn identify_imap(s: &mut Session<'_>) {
    let _ = s;
}
pub(super) async fn identify_ldap(s: &mut Session<'_>) {
    let _ = s;
}
pub(super) async fn identify_printer(s: &mut Session<'_>) {
    let _ = s;
}

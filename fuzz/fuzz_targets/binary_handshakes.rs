//! The binary first answers of the services identification probes with
//! one request: NetBIOS and the SMB1/SMB2 negotiate responses, the RDP
//! X.224 Connection Confirm, the TDS PRELOGIN response, the MySQL
//! greeting, VNC's version and security types, PostgreSQL's answer to
//! SSLRequest.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustwatch_agent::discover::identify::parse;

fuzz_target!(|data: &[u8]| {
    parse::netbios_packet(data);
    parse::smb1_negotiate_response(data);
    parse::smb2_negotiate_response(data);
    parse::x224_confirm(data);
    parse::tds_prelogin(data);
    parse::mysql_greeting(data);
    parse::vnc_version(data);
    parse::vnc_security(data);
    parse::postgres_ssl_answer(data);
});

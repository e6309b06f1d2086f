//! Every parser identification runs on a server's bytes (through the
//! `discover::identify::parse` seam) returns, whatever the bytes: up to
//! 4 KiB of arbitrary input, bare and behind the first bytes each protocol
//! starts with, so the parsers get past their magic numbers. The fuzz
//! targets in `fuzz/` go deeper; this runs in CI.

use proptest::prelude::*;
use trustwatch_agent::discover::identify::parse;

/// Runs every parser of the seam on `bytes`.
fn parse_all(bytes: &[u8]) {
    parse::banner(bytes);
    parse::ssh_ident(bytes);
    parse::ssh_packet(bytes);
    parse::ssh_kexinit(bytes);
    parse::ssh_ecdh_reply(bytes);
    parse::ssh_host_key(bytes);
    parse::netbios_packet(bytes);
    parse::smb1_negotiate_response(bytes);
    parse::smb2_negotiate_response(bytes);
    parse::x224_confirm(bytes);
    parse::tds_prelogin(bytes);
    parse::op_msg_reply(bytes);
    parse::bson_document(bytes);
    parse::dicom_pdu(bytes);
    parse::snmp_message(bytes);
    parse::ber_tlv(bytes);
    parse::http_response(bytes);
    parse::hl7_frame(bytes);
    parse::mysql_greeting(bytes);
    parse::vnc_version(bytes);
    parse::vnc_security(bytes);
    parse::postgres_ssl_answer(bytes);
    parse::redis_info_reply(bytes);
    parse::memcached_version(bytes);
    parse::numbered_reply(bytes);
    parse::pop3_reply(bytes);
    parse::imap_reply(bytes);
    parse::telnet_greeting(bytes);
    parse::pjl_info_id(bytes);
    parse::ldap_search_reply(bytes);
}

/// How answers of each protocol begin.
const PREFIXES: &[&[u8]] = &[
    b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n",
    b"\x00\x00\x01\x2c\x0a\x14",
    b"\x00\x00\x00\x55\xffSMB\x72",
    b"\x00\x00\x00\x80\xfeSMB\x40\x00",
    b"\xffSMB\x72\x00\x00\x00\x00",
    b"\xfeSMB\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00",
    b"\x04\x01\x00\x2b\x00\x00\x01\x00",
    b"\x40\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\xdd\x07\x00\x00",
    b"\x02\x00\x00\x00\x00\xc0\x00\x01",
    b"\x30\x82\x00\x40\x02\x01\x01\x04\x06public\xa2",
    b"\x30\x0c\x02\x01\x01\x64",
    b"HTTP/1.1 200 OK\r\n",
    b"\x0bMSH|^~\\&|",
    b"\x4a\x00\x00\x00\x0a",
    b"RFB 003.008\n",
    b"E\x00\x00\x00\x40SFATAL\x00M",
    b"$2000\r\n# Server\r\n",
    b"VERSION ",
    b"220-",
    b"+OK ",
    b"* OK [CAPABILITY ",
    b"\xff\xfb\x01\xff\xfa",
    b"@PJL INFO ID\r\n",
];

fn answer() -> impl Strategy<Value = Vec<u8>> {
    let any_bytes = || proptest::collection::vec(any::<u8>(), 0..=4096);
    prop_oneof![
        any_bytes(),
        (proptest::sample::select(PREFIXES), any_bytes()).prop_map(|(prefix, tail)| {
            let mut bytes = prefix.to_vec();
            bytes.extend(tail);
            bytes.truncate(4096);
            bytes
        }),
    ]
}

proptest! {
    #[test]
    fn no_parser_panics(bytes in answer()) {
        parse_all(&bytes);
    }
}

#[test]
fn an_http_answer_is_recorded_as_identification_records_it() {
    let obs =
        parse::http_response(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n<title>Hi</title>")
            .expect("an HTTP response");
    assert_eq!(obs.service.as_deref(), Some("http"));
    assert_eq!(obs.product.as_deref(), Some("nginx"));
    assert_eq!(obs.version.as_deref(), Some("1.22.1"));
    assert!(parse::http_response(b"SSH-2.0-x\r\n").is_none());
}

#[test]
fn well_formed_answers_are_accepted() {
    assert!(parse::ssh_ident(b"SSH-2.0-OpenSSH_9.2p1\r\n"));
    assert!(parse::vnc_version(b"RFB 003.008\n"));
    assert!(parse::postgres_ssl_answer(b"N"));
    assert!(parse::memcached_version(b"VERSION 1.6.18\r\n"));
    assert!(parse::numbered_reply(b"220 (vsFTPd 3.0.3)\r\n"));
    assert!(parse::hl7_frame(b"\x0bMSH|^~\\&|APP\rMSA|AA|1\r\x1c\r"));
    assert!(parse::x224_confirm(&[
        3, 0, 0, 11, 6, 0xd0, 0, 0, 0x12, 0x34, 0
    ]));
}

//! The text answers identification reads: any greeting as the core
//! classifies it, HTTP responses (through everything identification
//! records of them), HL7 over MLLP, FTP/SMTP numbered replies, POP3, IMAP,
//! telnet negotiation and banners, PJL, Redis RESP and memcached.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustwatch_agent::discover::identify::parse;

fuzz_target!(|data: &[u8]| {
    parse::banner(data);
    if let Some(obs) = parse::http_response(data) {
        assert!(obs.service.is_some(), "an HTTP answer names a service");
    }
    parse::hl7_frame(data);
    parse::numbered_reply(data);
    parse::pop3_reply(data);
    parse::imap_reply(data);
    parse::telnet_greeting(data);
    parse::pjl_info_id(data);
    parse::redis_info_reply(data);
    parse::memcached_version(data);
});

//! An SSH server's first bytes as the identification probe reads them:
//! the identification string after any text lines, then unencrypted
//! packets (KEXINIT, KEX_ECDH_REPLY with its host key, DISCONNECT); and
//! each payload decoder on its own, so the fuzzer need not frame a packet
//! to reach it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustwatch_agent::discover::identify::parse;

fuzz_target!(|data: &[u8]| {
    parse::ssh_ident(data);
    parse::ssh_packet(data);
    parse::ssh_kexinit(data);
    parse::ssh_ecdh_reply(data);
    parse::ssh_host_key(data);
});

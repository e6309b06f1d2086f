//! The answers identification reads in a structured encoding: SNMP's BER
//! (a GetResponse datagram, and one TLV on its own), LDAP's BER (the
//! RootDSE search reply), MongoDB's OP_MSG and BSON, and DICOM PDUs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustwatch_agent::discover::identify::parse;

fuzz_target!(|data: &[u8]| {
    parse::snmp_message(data);
    parse::ber_tlv(data);
    parse::ldap_search_reply(data);
    parse::op_msg_reply(data);
    parse::bson_document(data);
    parse::dicom_pdu(data);
});

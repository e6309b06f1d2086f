//! Alert messages: how a server refuses a hello.

use crate::error::WireError;
use crate::reader::Reader;
use crate::record::{encode_records, ContentType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertLevel {
    Warning,
    Fatal,
    /// Neither 1 nor 2: recorded, and treated as fatal.
    Unknown(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Alert {
    pub level: AlertLevel,
    pub description: u8,
}

impl Alert {
    pub const CLOSE_NOTIFY: u8 = 0;
    pub const HANDSHAKE_FAILURE: u8 = 40;
    pub const PROTOCOL_VERSION: u8 = 70;
    pub const INAPPROPRIATE_FALLBACK: u8 = 86;
    pub const USER_CANCELED: u8 = 90;

    /// Decodes the first alert of an alert record's payload.
    pub fn decode(payload: &[u8]) -> Result<Alert, WireError> {
        let mut r = Reader::new(payload);
        let level = match r.u8("alert")? {
            1 => AlertLevel::Warning,
            2 => AlertLevel::Fatal,
            other => AlertLevel::Unknown(other),
        };
        let description = r.u8("alert")?;
        Ok(Alert { level, description })
    }

    pub fn is_fatal(&self) -> bool {
        self.level != AlertLevel::Warning
    }

    /// An alert record, e.g. to leave politely after reading what we came
    /// for.
    pub fn encode_record(&self, record_version: u16) -> Vec<u8> {
        let level = match self.level {
            AlertLevel::Warning => 1,
            AlertLevel::Fatal => 2,
            AlertLevel::Unknown(b) => b,
        };
        encode_records(
            ContentType::Alert,
            record_version,
            &[level, self.description],
        )
    }

    /// The RFC's name of the description, e.g. `handshake_failure`.
    pub fn name(&self) -> String {
        let known = match self.description {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            111 => "certificate_unobtainable",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            other => return format!("unknown ({other})"),
        };
        known.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_names_alerts() {
        let a = Alert::decode(&[2, 40]).unwrap();
        assert_eq!(a.level, AlertLevel::Fatal);
        assert_eq!(a.name(), "handshake_failure");
        assert!(a.is_fatal());
        assert_eq!(
            Alert::decode(&[1, 86]).unwrap().name(),
            "inappropriate_fallback"
        );
        assert_eq!(Alert::decode(&[2, 250]).unwrap().name(), "unknown (250)");
        assert!(Alert::decode(&[2]).is_err());
    }

    #[test]
    fn encodes_an_alert_record() {
        let a = Alert {
            level: AlertLevel::Warning,
            description: Alert::CLOSE_NOTIFY,
        };
        assert_eq!(a.encode_record(0x0303), [21, 3, 3, 0, 2, 1, 0]);
    }
}

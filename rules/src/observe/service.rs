//! Observations of listening services found by a discovery scan: one per
//! open port, identified as far as its banner and one light probe allow.
//!
//! These are the inventory an agent reports (service, product, version) and
//! the facts the SVC, SSH, SMB, RDP, SNMP and HTTP-006/007 rules read.

use serde::{Deserialize, Serialize};

/// The transport a port was found on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// How a service name was arrived at, so a reader can weigh it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifiedBy {
    /// The server's own greeting (SSH-2.0-…, 220 …, RFB 003.008, …).
    Banner,
    /// The answer to our protocol probe (an SMB negotiate, an X.224
    /// connection request, an HTTP GET, …).
    Probe,
    /// Only the port number: nothing was sent (gentle mode, printer ports)
    /// or the service did not answer.
    Port,
    /// Nothing: the port is open but unidentified.
    Unknown,
}

/// One open port and what is listening on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceObservation {
    /// The address scanned, in canonical text form (`10.0.0.5`, `fd00::5`).
    pub host: String,
    pub port: u16,
    pub transport: Transport,
    /// Lower-case service name: `ssh`, `http`, `https`, `ftp`, `telnet`,
    /// `smtp`, `pop3`, `imap`, `ldap`, `smb`, `rdp`, `vnc`, `mysql`,
    /// `postgresql`, `mssql`, `redis`, `mongodb`, `elasticsearch`,
    /// `memcached`, `dicom`, `hl7-mllp`, `snmp`, `jetdirect`, `tls`, … or
    /// `None` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Product, e.g. `OpenSSH`, `nginx`, `Samba`, `MariaDB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub identified_by: IdentifiedBy,
    /// The first line of the greeting, printable ASCII only, at most 200
    /// characters: enough to re-check an identification, never a payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Protocol facts the rules read.
    #[serde(default, skip_serializing_if = "ServiceDetail::is_none")]
    pub detail: ServiceDetail,
    /// Why identification stopped short, e.g. `timeout after banner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ServiceObservation {
    /// An open port with nothing identified yet.
    pub fn open(host: impl Into<String>, port: u16, transport: Transport) -> Self {
        ServiceObservation {
            host: host.into(),
            port,
            transport,
            service: None,
            product: None,
            version: None,
            identified_by: IdentifiedBy::Unknown,
            banner: None,
            detail: ServiceDetail::None,
            note: None,
        }
    }

    /// `host:port`, with IPv6 hosts bracketed.
    pub fn endpoint(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub fn is(&self, service: &str) -> bool {
        self.service.as_deref() == Some(service)
    }
}

/// Protocol facts beyond service/product/version.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServiceDetail {
    #[default]
    None,
    Ssh(SshDetail),
    Http(HttpDetail),
    /// FTP, SMTP, POP3, IMAP, LDAP: protocols that can carry passwords in
    /// clear unless upgraded.
    Cleartext(CleartextDetail),
    Smb(SmbDetail),
    Rdp(RdpDetail),
    Snmp(SnmpDetail),
    Dicom(DicomDetail),
}

impl ServiceDetail {
    pub fn is_none(&self) -> bool {
        matches!(self, ServiceDetail::None)
    }
}

/// From the identification string and the server's KEXINIT, and the host
/// key sent in the key-exchange reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SshDetail {
    /// The protocol version of the identification string: `2.0`, `1.99`
    /// (both 1 and 2), `1.5`.
    pub protocol: String,
    /// The software version part, e.g. `OpenSSH_9.2p1 Debian-2+deb12u3`.
    pub software: String,
    pub kex_algorithms: Vec<String>,
    pub host_key_algorithms: Vec<String>,
    /// Server-to-client ciphers (the lists both ways are almost always equal).
    pub ciphers: Vec<String>,
    pub macs: Vec<String>,
    /// The host key the server proved in the key exchange, when reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<SshHostKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshHostKey {
    /// Key type from the key blob, e.g. `ssh-rsa`, `ssh-ed25519`.
    pub key_type: String,
    /// Modulus size for RSA and DSA; curve size for ECDSA; 256 for Ed25519.
    pub bits: u32,
}

/// The answer to `GET /` (over TLS for `https`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HttpDetail {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub powered_by: Option<String>,
    /// The page's `<title>`, trimmed, at most 120 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The realm of a `WWW-Authenticate` challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_realm: Option<String>,
    /// Which default page or directory listing the body matched, e.g.
    /// `nginx default page`, `directory listing` (HTTP-006).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_page: Option<String>,
    /// Which management interface the page matched, e.g. `phpMyAdmin`,
    /// `Tomcat Manager`, `HP iLO` (HTTP-007).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_interface: Option<String>,
}

/// Whether a cleartext protocol offers an upgrade to TLS before login.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CleartextDetail {
    /// STARTTLS (SMTP, IMAP), STLS (POP3) or AUTH TLS (FTP) was advertised;
    /// `None` when the capability list could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls_offered: Option<bool>,
    /// The server refuses login before TLS (IMAP LOGINDISABLED); `None`
    /// when the protocol does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_disabled_before_tls: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SmbDetail {
    /// A negotiate offering only SMB1 dialects (`NT LM 0.12`) was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smb1_accepted: Option<bool>,
    /// The SMB2/3 dialect chosen, e.g. `3.1.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smb2_dialect: Option<String>,
    /// SMB2 negotiate response SecurityMode has SIGNING_REQUIRED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_required: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RdpDetail {
    /// A connection request offering only standard RDP security was
    /// accepted (RDP-002).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_security_accepted: Option<bool>,
    /// The server insists on CredSSP (NLA) (RDP-001).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nla_required: Option<bool>,
    /// Protocols the server selected or demanded, e.g. `rdp`, `ssl`,
    /// `hybrid`, `hybrid_ex`.
    pub selected: Vec<String>,
    /// RDP_NEG_FAILURE codes received, by name, e.g. `HYBRID_REQUIRED_BY_SERVER`.
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SnmpDetail {
    /// Every (version, community) that answered a GET of sysDescr.0.
    pub answered: Vec<SnmpAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnmpAnswer {
    /// `v1` or `v2c`.
    pub version: String,
    pub community: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_descr: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DicomDetail {
    pub calling_ae_title: String,
    pub called_ae_title: String,
    /// `accepted`, `rejected` or `aborted`.
    pub association: String,
    /// The Verification SOP class presentation context was accepted.
    pub verification_accepted: bool,
    /// The A-ASSOCIATE-RJ result/source/reason, in words, when rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    /// The implementation class UID and version name the peer sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_brackets_ipv6() {
        assert_eq!(
            ServiceObservation::open("fd00::5", 22, Transport::Tcp).endpoint(),
            "[fd00::5]:22"
        );
        assert_eq!(
            ServiceObservation::open("10.0.0.5", 22, Transport::Tcp).endpoint(),
            "10.0.0.5:22"
        );
    }

    #[test]
    fn detail_round_trips_with_its_kind() {
        let mut obs = ServiceObservation::open("10.0.0.5", 445, Transport::Tcp);
        obs.detail = ServiceDetail::Smb(SmbDetail {
            smb1_accepted: Some(true),
            smb2_dialect: Some("3.1.1".into()),
            signing_required: Some(false),
        });
        let json = serde_json::to_value(&obs).unwrap();
        assert_eq!(json["detail"]["kind"], "smb");
        let back: ServiceObservation = serde_json::from_value(json).unwrap();
        assert_eq!(back, obs);
    }
}

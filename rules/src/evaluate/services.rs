//! Rules for the open ports of a discovery scan: SVC-001…SVC-009,
//! SNMP-001/002, SMB-001/002, RDP-001/002, SSH-001…SSH-003, HTTP-006/007.
//!
//! # Decisions
//!
//! - **Exposure.** A rule is evaluated only when its `modes` include the
//!   scan's [`Exposure`] (`external` or `internal`): SVC-003/004/005/007/008
//!   and HTTP-007 are internet-facing rules and are skipped in an internal
//!   scan; SNMP-002, SMB-*, RDP-* only run internally. The severity is the
//!   rule's `severity` for an external scan and its `internal_severity` for
//!   an internal one. SMB-002 rises to `high` on a host that looks like a
//!   domain controller (Kerberos 88/tcp and LDAP 389/tcp open beside SMB),
//!   as the rule's severity note says.
//! - **Hosts.** Only hosts with at least one open port are considered; the
//!   scan knows nothing of the others. Findings come host by host, in the
//!   order hosts first appear in the observations, then in catalogue order,
//!   then (for per-service rules) in observation order.
//! - **Host-level rules** (SVC-001…SVC-009) give one finding per host,
//!   target the host's address text. A fail lists the offending `ports` and
//!   `services` (`port`, `transport`, `service`, `product`, `version`, the
//!   `reason` it matched, plus protocol facts such as DICOM association
//!   results); a pass records what was looked for (`checked_ports`,
//!   `checked_services`) and `open_ports`, the number of open ports seen.
//! - **Port or service.** A service class matches by the identified service
//!   on any port, by product name (data stores, Intel AMT, iLO), or by its
//!   well-known port. The port counts unless a banner
//!   or probe positively identified something else there (SSH on 3306 is
//!   not a database); names that only say how a port talks (`http`, `https`,
//!   `tls`) do not rule a port out, since Intel AMT, Elasticsearch and
//!   CouchDB speak HTTP. SVC-001 (port 23) and SVC-004 (445, 139, UDP 137)
//!   are judged on the port alone, whatever answers, because their pass
//!   conditions are about the port itself.
//! - **SVC-002.** FTP, POP3, IMAP and LDAP fail when no upgrade to TLS is
//!   offered (AUTH TLS, STLS, STARTTLS, StartTLS), or when the server shows
//!   it accepts a login before TLS (IMAP without LOGINDISABLED). An upgrade
//!   that is offered passes when the server also refuses login before TLS,
//!   and also passes, with `tls_required: "not observable"` in the
//!   evidence, where the protocol has no way to say so (FTP, LDAP, POP3
//!   unless its CAPA shows it): proving it would need a login attempt,
//!   which the agent never makes. For IMAP the absence of LOGINDISABLED is
//!   meaningful (RFC 3501), so a missing answer there is an `error`. rexec,
//!   rlogin, rsh (TCP 512–514) and TFTP (UDP 69) always fail. When the
//!   capabilities were not read (gentle mode, timeout) and nothing else
//!   fails, the finding is an `error`.
//! - **SVC-006** fails internally whenever VNC or X11 is reachable from the
//!   agent: the scan cannot tell whether the agent sits in the admin
//!   segment, so scan from a user segment for this rule to mean what it says.
//! - **SVC-007** covers IPMI (UDP 623), Intel AMT (TCP 16992–16995) and web
//!   pages fingerprinted as a baseboard management controller (iLO, iDRAC,
//!   IMM, XClarity, CIMC, BMC, IPMI). Network-device consoles are HTTP-007's.
//! - **SVC-009** is evaluated only when the scan has a register: every open
//!   port must match an entry (host by address, CIDR or `*`, port,
//!   transport, and the service when the entry names one).
//! - **Per-service rules** (SSH-*, SMB-*, RDP-*, SNMP-*, HTTP-006/007) give
//!   one finding per matching service, target `host:port`
//!   ([`ServiceObservation::endpoint`]). A service matches by name or by its
//!   protocol detail. When the facts a rule needs are missing (KEXINIT not
//!   read in gentle mode, a timeout, identified by port only) the finding
//!   is an `error` with the reason, never a silent pass. Where the service
//!   is absent there is no finding. SSH-003 is an `error` when RSA host keys
//!   are offered but the key the server proved was not an RSA one, because
//!   the modulus size is then unknown.
//! - **SSH-002** flags kex `diffie-hellman-group1-sha1`,
//!   `diffie-hellman-group-exchange-sha1` and their GSS-API forms
//!   (`gss-group1-sha1-*`, `gss-gex-sha1-*`), but not
//!   `diffie-hellman-group14-sha1`: the baseline does not name it and RFC
//!   9142 leaves it at MAY. Ciphers: `none`, any CBC mode, and 3DES, DES,
//!   arcfour, Blowfish, CAST, IDEA whatever the mode. MACs: `none`, any
//!   MD5-based and any 96-bit one. The evidence lists exactly those offered.
//! - **SNMP.** Any answer with community `public` or `private` fails
//!   SNMP-001; any v1/v2c answer at all fails SNMP-002. Communities other
//!   than those two are a trust's secrets and are never written into
//!   evidence (shown as `(configured)`).
//! - **Not evaluated here:** SVC-010, SSH-004 and SMB-003 need login or
//!   authentication attempts, which discovery never makes; they are not in
//!   [`SERVICE_RULES`].

mod approved;
mod class;
mod cleartext;
mod host;
mod smb_rdp;
mod snmp;
mod ssh;
mod web;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use self::host::{Ctx, Host};
use crate::catalogue::{Catalogue, Mode, Rule};
use crate::finding::Finding;
use crate::observe::ServiceObservation;
use crate::register::ServiceRegister;
use crate::severity::Severity;

/// Every rule this evaluator can produce, in catalogue order.
pub const SERVICE_RULES: &[&str] = &[
    "HTTP-006", "HTTP-007", "SVC-001", "SVC-002", "SVC-003", "SVC-004", "SVC-005", "SVC-006",
    "SVC-007", "SVC-008", "SVC-009", "SNMP-001", "SNMP-002", "SMB-001", "SMB-002", "RDP-001",
    "RDP-002", "SSH-001", "SSH-002", "SSH-003",
];

/// Where the agent scans from, which decides the rules that apply and
/// their severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    /// From the internet's side of the perimeter.
    External,
    /// From inside the trust's network (the usual place for an agent).
    #[default]
    Internal,
}

impl Exposure {
    pub const ALL: [Exposure; 2] = [Exposure::External, Exposure::Internal];

    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::External => "external",
            Exposure::Internal => "internal",
        }
    }

    /// The catalogue mode a rule must list to run at this exposure.
    pub fn mode(self) -> Mode {
        match self {
            Exposure::External => Mode::External,
            Exposure::Internal => Mode::Internal,
        }
    }

    /// The rule's severity at this exposure.
    pub fn severity(self, rule: &Rule) -> Severity {
        match self {
            Exposure::External => rule.severity,
            Exposure::Internal => rule.internal_severity,
        }
    }
}

impl fmt::Display for Exposure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was neither `external` nor `internal`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown exposure `{0}` (expected external or internal)")]
pub struct UnknownExposure(pub String);

impl FromStr for Exposure {
    type Err = UnknownExposure;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Exposure::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownExposure(s.to_owned()))
    }
}

/// What one discovery scan found, and how to judge it.
#[derive(Debug, Clone, Copy)]
pub struct ServiceScan<'a> {
    /// Every open port found.
    pub services: &'a [ServiceObservation],
    /// Where the agent scanned from.
    pub exposure: Exposure,
    /// The approved-services register; SVC-009 is evaluated only with one.
    pub register: Option<&'a ServiceRegister>,
}

pub(super) fn findings(catalogue: &Catalogue, scan: &ServiceScan<'_>) -> Vec<Finding> {
    let mode = scan.exposure.mode();
    // The catalogue's own order, which a trust's folder may differ in.
    let rules: Vec<&Rule> = catalogue
        .rules()
        .iter()
        .filter(|r| SERVICE_RULES.contains(&r.id.as_str()) && r.modes.contains(&mode))
        .collect();
    let mut out = Vec::new();
    for host in Host::group(scan.services) {
        for &rule in &rules {
            let ctx = Ctx {
                rule,
                host: &host,
                severity: scan.exposure.severity(rule),
            };
            out.extend(evaluate(&ctx, scan));
        }
    }
    out
}

fn evaluate(ctx: &Ctx<'_>, scan: &ServiceScan<'_>) -> Vec<Finding> {
    let one = |f: Finding| vec![f];
    match ctx.rule.id.as_str() {
        "HTTP-006" => web::default_page(ctx),
        "HTTP-007" => web::admin_interface(ctx),
        "SVC-001" => one(class::evaluate(ctx, &class::TELNET)),
        "SVC-002" => one(cleartext::evaluate(ctx)),
        "SVC-003" => one(class::evaluate(ctx, &class::RDP)),
        "SVC-004" => one(class::evaluate(ctx, &class::SMB)),
        "SVC-005" => one(class::evaluate(ctx, &class::DATA_STORE)),
        "SVC-006" => one(class::evaluate(ctx, &class::REMOTE_CONTROL)),
        "SVC-007" => one(class::evaluate(ctx, &class::OUT_OF_BAND)),
        "SVC-008" => one(class::evaluate(ctx, &class::CLINICAL)),
        "SVC-009" => scan
            .register
            .map(|r| approved::evaluate(ctx, r))
            .into_iter()
            .collect(),
        "SNMP-001" => snmp::default_community(ctx),
        "SNMP-002" => snmp::v1_v2c(ctx),
        "SMB-001" => smb_rdp::smb1(ctx),
        "SMB-002" => smb_rdp::signing(ctx),
        "RDP-001" => smb_rdp::nla(ctx),
        "RDP-002" => smb_rdp::standard_security(ctx),
        "SSH-001" => ssh::protocol_1(ctx),
        "SSH-002" => ssh::weak_algorithms(ctx),
        "SSH-003" => ssh::weak_host_key(ctx),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_parses_and_prints() {
        for e in Exposure::ALL {
            assert_eq!(e.as_str().parse::<Exposure>(), Ok(e));
            assert_eq!(e.to_string().to_uppercase().parse::<Exposure>(), Ok(e));
        }
        assert_eq!(Exposure::default(), Exposure::Internal);
        assert!("dmz".parse::<Exposure>().is_err());
        assert_eq!(
            serde_json::to_string(&Exposure::External).unwrap(),
            "\"external\""
        );
    }

    #[test]
    fn service_rules_are_in_catalogue_order() {
        let cat = Catalogue::embedded().unwrap();
        let ordered: Vec<&str> = cat
            .rules()
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| SERVICE_RULES.contains(id))
            .collect();
        assert_eq!(ordered, SERVICE_RULES);
    }
}

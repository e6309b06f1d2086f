//! The default port list, `baseline`: every port a baseline rule looks at
//! (rule ids from /work/shared/spec/baseline.md, section "Exposed
//! services"), and nothing else, so a default scan touches a device only
//! where a finding can come of it.

/// TCP ports, as inclusive ranges, grouped by the rule that needs them.
pub(super) const TCP: &[(u16, u16)] = &[
    // SVC-001: Telnet, and its common alternate port on devices.
    (23, 23),
    (2323, 2323),
    // SVC-002: cleartext-auth services: FTP, POP3, IMAP, LDAP (StartTLS
    // offered?), rexec/rlogin/rsh.
    (21, 21),
    (110, 110),
    (143, 143),
    (389, 389),
    (512, 514),
    // SVC-002 for mail submission (STARTTLS offered?), and the TLS-wrapped
    // mail and directory ports the inventory (SVC-009) must list.
    (25, 25),
    (465, 465),
    (587, 587),
    (636, 636),
    (993, 993),
    (995, 995),
    // SSH-001..003 (version, algorithms, host keys), and the common
    // alternate SSH port.
    (22, 22),
    (2222, 2222),
    // SVC-003, RDP-001/002: RDP.
    (3389, 3389),
    // SVC-004, SMB-001/002: SMB and NetBIOS session, plus the MS-RPC
    // endpoint mapper that travels with them.
    (135, 135),
    (139, 139),
    (445, 445),
    // SVC-005: data stores (MSSQL, Oracle, MySQL, PostgreSQL, CouchDB,
    // Redis, Elasticsearch, memcached, MongoDB).
    (1433, 1433),
    (1521, 1521),
    (3306, 3306),
    (5432, 5432),
    (5984, 5984),
    (6379, 6379),
    (9200, 9200),
    (11211, 11211),
    (27017, 27017),
    // SVC-006: remote control: VNC displays 0-3, X11 displays 0-10.
    (5900, 5903),
    (6000, 6010),
    // SVC-007: out-of-band management: IPMI/RMCP (the rule names UDP 623;
    // BMCs and Intel AMT also answer on TCP 623) and Intel AMT.
    (623, 623),
    (16992, 16995),
    // SVC-008: clinical protocols: DICOM (104, and 11112 where a device
    // cannot bind a privileged port) and HL7 MLLP.
    (104, 104),
    (11112, 11112),
    (2575, 2575),
    // HTTP-006/007: web servers and admin UIs, on the usual and the
    // alternate HTTP(S) ports.
    (80, 80),
    (443, 443),
    (8000, 8000),
    (8080, 8080),
    (8443, 8443),
    // SVC-009 inventory: raw printer ports (JetDirect). Connected to only;
    // identification leaves them alone, as nmap does.
    (9100, 9107),
];

/// UDP ports: SNMP-001/002 (v1/v2c with a default community). Not swept:
/// the SNMP step queries them directly.
pub(super) const UDP: &[(u16, u16)] = &[(161, 161)];

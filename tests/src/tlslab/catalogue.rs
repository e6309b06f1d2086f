//! The lab's endpoints and the expected rule matrix: one row per endpoint,
//! the server that plays it, the weaknesses planted in it, and the other
//! rules that may rightly fail as a consequence of how it had to be built.

/// The certificate an endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertKind {
    /// ECDSA P-256 leaf from the intermediate, valid −10 … +80 days.
    Good,
    /// RSA-2048 leaf from the intermediate (for static-RSA and DHE-RSA suites).
    Rsa2048,
    Expired,
    /// 10 days left.
    NearExpiry,
    /// Five years, from the private test CA (limit for any certificate: 3 years).
    LongValidity,
    SelfSigned,
    /// RSA-2048 leaf signed with SHA-1 by the intermediate.
    Sha1,
    /// RSA-1024 leaf.
    Rsa1024,
    /// SAN for another name than the one probed.
    WrongHost,
}

/// How the HTTPS side of an nginx endpoint behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebStyle {
    /// HSTS (1 year, includeSubDomains), the basic security headers,
    /// `server_tokens off`, plain HTTP answered by a 301 to HTTPS.
    Hardened,
    /// As hardened, but HSTS with a short max-age and no includeSubDomains.
    WeakHsts,
    /// No security headers, `server_tokens on`, plain HTTP serves content.
    Plain,
}

/// The server that plays an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `openssl s_server`, TLS 1.2 + 1.3, ECDHE + AEAD only, with `cert`;
    /// `chain` false leaves the intermediate out.
    Modern { cert: CertKind, chain: bool },
    /// `openssl s_server` with TLS 1.0 and 1.1 enabled.
    Tls10,
    /// `openssl s_server`, TLS 1.2 only, static-RSA CBC-SHA1 suites only.
    StaticRsaCbc,
    /// `openssl s_server` with DHE-RSA suites and a 1024-bit group.
    Dhe1024,
    /// `openssl s_server` accepting NULL and anonymous suites.
    NullAnon,
    /// tlslite-ng: SSL 3.0 … TLS 1.2, RC4, 3DES, static RSA.
    Legacy,
    /// Dovecot's SMTP submission service with STARTTLS.
    SmtpStarttls,
    /// nginx serving HTTPS, and plain HTTP on port 80 of the same address.
    Nginx(WebStyle),
}

/// One lab endpoint as designed.
#[derive(Debug, Clone, Copy)]
pub struct EndpointSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub server: ServerKind,
    /// Rules that must fail on this endpoint: the weaknesses planted in it.
    pub planted: &'static [&'static str],
    /// Rules that may also fail here without that being a false failure
    /// (e.g. a TLS 1.2-only server also lacks TLS 1.3).
    pub also: &'static [&'static str],
}

impl EndpointSpec {
    /// An endpoint built to show no weakness at all.
    pub fn clean(&self) -> bool {
        self.planted.is_empty() && self.also.is_empty()
    }

    pub fn starttls(&self) -> Option<&'static str> {
        matches!(self.server, ServerKind::SmtpStarttls).then_some("smtp")
    }

    /// HTTPS endpoints whose HTTP rules are to be run.
    pub fn http(&self) -> bool {
        matches!(self.server, ServerKind::Nginx(_))
    }
}

/// The rules the lab exercises, in report order.
pub const RULES: &[&str] = &[
    "TLS-001", "TLS-002", "TLS-003", "TLS-004", "TLS-005", "TLS-006", "TLS-007", "TLS-008",
    "CERT-001", "CERT-002", "CERT-003", "CERT-004", "CERT-005", "CERT-006", "HTTP-001", "HTTP-002",
    "HTTP-003", "HTTP-004", "HTTP-005",
];

const fn modern(cert: CertKind) -> ServerKind {
    ServerKind::Modern { cert, chain: true }
}

/// Every endpoint of the lab, each on its own loopback address.
pub const ENDPOINTS: &[EndpointSpec] = &[
    EndpointSpec {
        name: "good",
        description: "openssl s_server: TLS 1.2+1.3, ECDHE+AEAD only, leaf+intermediate from the test CA",
        server: modern(CertKind::Good),
        planted: &[],
        also: &[],
    },
    EndpointSpec {
        name: "tls10",
        description: "openssl s_server: TLS 1.0 and 1.1 enabled (ECDHE suites; CBC needed for 1.0/1.1)",
        server: ServerKind::Tls10,
        planted: &["TLS-002"],
        also: &["TLS-007"],
    },
    EndpointSpec {
        name: "static-rsa-cbc",
        description: "openssl s_server: TLS 1.2 only, AES128-SHA and AES256-SHA only (static RSA, CBC, SHA-1)",
        server: ServerKind::StaticRsaCbc,
        planted: &["TLS-006", "TLS-007"],
        also: &["TLS-004"],
    },
    EndpointSpec {
        name: "dhe1024",
        description: "openssl s_server: DHE-RSA AES-GCM suites with a 1024-bit DH group",
        server: ServerKind::Dhe1024,
        planted: &["TLS-006"],
        also: &[],
    },
    EndpointSpec {
        name: "null-anon",
        description: "openssl s_server: NULL and anonymous (ECDH_anon, DH_anon) suites plus one normal suite",
        server: ServerKind::NullAnon,
        planted: &["TLS-005"],
        // NULL suites are SHA-1 MAC, not AEAD; anonymous suites have no
        // authenticated key exchange.
        also: &["TLS-006", "TLS-007"],
    },
    EndpointSpec {
        name: "expired",
        description: "openssl s_server, good TLS; leaf expired 5 days ago",
        server: modern(CertKind::Expired),
        planted: &["CERT-001"],
        also: &["CERT-002"],
    },
    EndpointSpec {
        name: "self-signed",
        description: "openssl s_server, good TLS; self-signed leaf",
        server: modern(CertKind::SelfSigned),
        planted: &["CERT-003"],
        also: &[],
    },
    EndpointSpec {
        name: "sha1",
        description: "openssl s_server, good TLS; RSA leaf signed with SHA-1 by the intermediate",
        server: modern(CertKind::Sha1),
        planted: &["CERT-005"],
        // Path validation refuses SHA-1 signatures, so the chain is untrusted too.
        also: &["CERT-003"],
    },
    EndpointSpec {
        name: "rsa1024",
        description: "openssl s_server, good TLS; RSA-1024 leaf",
        server: modern(CertKind::Rsa1024),
        planted: &["CERT-005"],
        also: &[],
    },
    EndpointSpec {
        name: "wrong-host",
        description: "openssl s_server, good TLS; leaf for another host name",
        server: modern(CertKind::WrongHost),
        planted: &["CERT-004"],
        also: &[],
    },
    EndpointSpec {
        name: "no-intermediate",
        description: "openssl s_server, good TLS; leaf from the intermediate, intermediate not served",
        server: ServerKind::Modern {
            cert: CertKind::Good,
            chain: false,
        },
        planted: &["CERT-003"],
        also: &[],
    },
    EndpointSpec {
        name: "near-expiry",
        description: "openssl s_server, good TLS; leaf expires in 10 days",
        server: modern(CertKind::NearExpiry),
        planted: &["CERT-002"],
        also: &[],
    },
    EndpointSpec {
        name: "long-validity",
        description: "openssl s_server, good TLS; 5-year leaf from the private CA (> 3 years)",
        server: modern(CertKind::LongValidity),
        planted: &["CERT-006"],
        also: &[],
    },
    EndpointSpec {
        name: "legacy",
        description: "tlslite-ng: SSL 3.0 to TLS 1.2, RC4, 3DES and AES-CBC, static RSA only",
        server: ServerKind::Legacy,
        planted: &["TLS-001", "TLS-005"],
        also: &["TLS-002", "TLS-004", "TLS-006", "TLS-007"],
    },
    EndpointSpec {
        name: "smtp-starttls",
        description: "Dovecot SMTP submission with STARTTLS: TLS 1.2+1.3, ECDHE+AEAD, good chain",
        server: ServerKind::SmtpStarttls,
        planted: &[],
        also: &[],
    },
    EndpointSpec {
        name: "https-hsts",
        description: "nginx: good TLS, HSTS 1 year + includeSubDomains, security headers, no version, HTTP 301 to HTTPS",
        server: ServerKind::Nginx(WebStyle::Hardened),
        planted: &[],
        also: &[],
    },
    EndpointSpec {
        name: "https-weak-hsts",
        description: "nginx: as https-hsts but HSTS max-age=300 without includeSubDomains",
        server: ServerKind::Nginx(WebStyle::WeakHsts),
        planted: &["HTTP-003"],
        also: &[],
    },
    EndpointSpec {
        name: "https-plain",
        description: "nginx: good TLS, no HSTS or security headers, server_tokens on, plain HTTP serves content",
        server: ServerKind::Nginx(WebStyle::Plain),
        planted: &["HTTP-001", "HTTP-002", "HTTP-004", "HTTP-005"],
        // Without HSTS there is nothing to judge as weak; a fail is fair too.
        also: &["HTTP-003"],
    },
];

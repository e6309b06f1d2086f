//! The zones of the DNS lab, as data: one domain per planted situation,
//! named so that the SPF, DMARC, DKIM and DNS checks' tests can ask for
//! them by constant. The lab renders these into zone files; the lab test
//! asks for every record here and expects it back exactly as planted.
//!
//! Every zone also gets, from the lab, an SOA (`ns.ZONE.` /
//! `hostmaster.ZONE.`, serial 1), `NS ns.ZONE.` and `ns.ZONE. A 127.0.0.1`;
//! those are not listed here.
//!
//! Addresses: 127.0.0.10 is the good mail host (`mail.good.test`),
//! 127.0.0.11 the non-sending domain's leaky mail host, 127.0.0.2x hosts
//! that exist only to be looked up. The addresses SPF lists are from the
//! documentation range 192.0.2.0/24, data only, never connected to:
//! 192.0.2.10 (`outbound.good.test`, with forward-confirmed reverse DNS in
//! [`SENDERS_REVERSE`]) and 192.0.2.11 (no PTR). They cannot be loopback
//! addresses because hickory-resolver answers every `127.in-addr.arpa`
//! question itself (`localhost`, RFC 6761) without asking the server.

use std::net::Ipv4Addr;

use trustwatch_agent::dns::Record;

pub const GOOD: &str = "good.test";
pub const NOSPF: &str = "nospf.test";
pub const TWOSPF: &str = "twospf.test";
pub const SPF_PLUSALL: &str = "spf-plusall.test";
pub const SPF_SOFTFAIL: &str = "spf-softfail.test";
pub const SPF_TOOMANY: &str = "spf-toomany.test";
pub const SPF_LOOP: &str = "spf-loop.test";
pub const SPF_VOID: &str = "spf-void.test";
/// `v=spf1 ip4:999.1.1.1 -all` at the apex; an unknown mechanism at
/// [`SPF_SYNTAX_UNKNOWN`] (one name cannot hold both without also being a
/// two-records case).
pub const SPF_SYNTAX: &str = "spf-syntax.test";
pub const SPF_SYNTAX_UNKNOWN: &str = "unknown.spf-syntax.test";
pub const SPF_REDIRECT: &str = "spf-redirect.test";

pub const NODMARC: &str = "nodmarc.test";
pub const DMARC_NONE: &str = "dmarc-none.test";
pub const DMARC_QUARANTINE: &str = "dmarc-quarantine.test";
pub const DMARC_PCT: &str = "dmarc-pct.test";
pub const DMARC_SPNONE: &str = "dmarc-spnone.test";
pub const DMARC_NORUA: &str = "dmarc-norua.test";
pub const DMARC_BAD: &str = "dmarc-bad.test";
/// The organisational domain of [`ORGDMARC_SUB`]: its `_dmarc` is the one
/// that applies to the subdomain.
pub const ORGDMARC: &str = "orgdmarc.test";
/// No `_dmarc.sub.orgdmarc.test`: the policy is found by the fallback.
pub const ORGDMARC_SUB: &str = "sub.orgdmarc.test";

pub const DKIM_WEAK: &str = "dkim-weak.test";
pub const DKIM_TINY: &str = "dkim-tiny.test";
pub const DKIM_NONE: &str = "dkim-none.test";
pub const DKIM_REVOKED: &str = "dkim-revoked.test";
pub const DKIM_ED: &str = "dkim-ed.test";
/// The DKIM selector every lab domain with a key publishes.
pub const DKIM_SELECTOR: &str = "selector1";

pub const NONSEND_GOOD: &str = "nonsend-good.test";
pub const NONSEND_BAD: &str = "nonsend-bad.test";
pub const NHSMAIL: &str = "nhsmail.test";
pub const M365: &str = "m365.test";

pub const DANGLING: &str = "dangling.test";
/// CNAME to a name in [`NOWHERE`] that does not exist (NXDOMAIN).
pub const DANGLING_GONE: &str = "old.dangling.test";
/// CNAME to a cloud host name outside the lab (the lab answers REFUSED).
pub const DANGLING_CLOUD: &str = "app.dangling.test";
/// CNAME to a name that resolves: the control.
pub const DANGLING_OK: &str = "www.dangling.test";
/// A zone with nothing in it: the target zone of [`DANGLING_GONE`], so the
/// target is NXDOMAIN rather than REFUSED.
pub const NOWHERE: &str = "nowhere.test";
pub const CAA_PARENT: &str = "caa-parent.test";
pub const CAA_CHILD: &str = "www.caa-parent.test";
pub const NOCAA: &str = "nocaa.test";
/// Signed by knotd itself (ECDSA P-256, NSEC, default policy).
pub const SIGNED: &str = "signed.test";
/// Signed offline, then [`BADSIG_ALTERED`]'s A record changed without
/// re-signing, and served as a pre-signed zone.
pub const BADSIG: &str = "badsig.test";
pub const BADSIG_ALTERED: &str = "www.badsig.test";
/// The address [`BADSIG_ALTERED`] had when it was signed.
pub const BADSIG_SIGNED_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 20);
/// The address it is served with.
pub const BADSIG_SERVED_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 66);
/// The only zone that allows AXFR (to 127.0.0.0/8).
pub const AXFR_OPEN: &str = "axfr-open.test";
/// The reverse zone: PTRs for the lab's mail hosts.
pub const REVERSE: &str = "127.in-addr.arpa";
/// The reverse zone of the SPF-listed senders (192.0.2.0/24).
pub const SENDERS_REVERSE: &str = "2.0.192.in-addr.arpa";

/// A zone the server is configured for but cannot load (its file does not
/// parse): every question in it is answered SERVFAIL.
pub const SERVFAIL: &str = "servfail.test";

/// A name under `good.test` that does not exist.
pub const GOOD_NOTHING: &str = "nothing.good.test";
/// A name with 24 TXT records, more than a UDP answer holds: the resolver
/// must retry over TCP.
pub const GOOD_BIG: &str = "big.good.test";
/// How many TXT records [`GOOD_BIG`] has.
pub const GOOD_BIG_COUNT: usize = 24;

/// How a zone is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    /// Unsigned.
    None,
    /// knotd signs it on load.
    Automatic,
    /// Signed offline by kzonesign with `owner`'s A record set to `signed`,
    /// then that record changed to the planted value without re-signing.
    Broken { owner: &'static str, signed: Record },
}

/// One record to plant: an absolute owner name (no trailing dot) and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub owner: String,
    pub record: Record,
}

/// One zone of the lab.
#[derive(Debug, Clone)]
pub struct Zone {
    pub name: &'static str,
    pub signing: Signing,
    /// Whether AXFR is allowed from loopback.
    pub axfr: bool,
    pub records: Vec<Planted>,
}

/// The public halves of the DKIM keys the lab generated, as DKIM's `p=`
/// (base64 of the SubjectPublicKeyInfo DER for RSA, of the raw 32-byte key
/// for Ed25519, RFC 8463).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimPublic {
    pub rsa2048: String,
    pub rsa1024: String,
    pub rsa512: String,
    pub ed25519: String,
}

fn a(octet: u8) -> Record {
    Record::A {
        address: Ipv4Addr::new(127, 0, 0, octet),
    }
}

fn txt(text: &str) -> Record {
    Record::Txt { text: text.into() }
}

fn mx(preference: u16, exchange: &str) -> Record {
    Record::Mx {
        preference,
        exchange: exchange.into(),
    }
}

fn cname(target: &str) -> Record {
    Record::Cname {
        target: target.into(),
    }
}

fn caa_issue(issuer: &str) -> Record {
    Record::Caa {
        critical: false,
        tag: "issue".into(),
        value: issuer.into(),
    }
}

/// A zone under construction: owners relative to the zone (`@` is the
/// apex).
struct Builder {
    zone: Zone,
}

impl Builder {
    fn new(name: &'static str) -> Builder {
        Builder {
            zone: Zone {
                name,
                signing: Signing::None,
                axfr: false,
                records: Vec::new(),
            },
        }
    }

    fn at(mut self, owner: &str, record: Record) -> Builder {
        let owner = match owner {
            "@" => self.zone.name.to_string(),
            rel => format!("{rel}.{}", self.zone.name),
        };
        self.zone.records.push(Planted { owner, record });
        self
    }

    fn spf(self, text: &str) -> Builder {
        self.at("@", txt(text))
    }

    fn dmarc(self, text: &str) -> Builder {
        self.at("_dmarc", txt(text))
    }

    /// The good sender's SPF and a reject policy: for zones that plant a
    /// problem elsewhere.
    fn sends_well(self) -> Builder {
        let rua = format!("v=DMARC1; p=reject; rua=mailto:dmarc@{}", self.zone.name);
        self.spf("v=spf1 ip4:192.0.2.10 -all").dmarc(&rua)
    }

    fn dkim(self, text: &str) -> Builder {
        let owner = format!("{DKIM_SELECTOR}._domainkey");
        self.at(&owner, txt(text))
    }

    fn done(self) -> Zone {
        self.zone
    }
}

/// Every zone of the lab, with the DKIM keys the lab generated.
pub fn zones(keys: &DkimPublic) -> Vec<Zone> {
    let mut zones = vec![
        good(keys),
        Builder::new(NOSPF)
            .at("@", txt("lab-site-verification=nospf"))
            .at("@", mx(10, "mail.good.test"))
            .dmarc("v=DMARC1; p=reject; rua=mailto:dmarc@nospf.test")
            .done(),
        Builder::new(TWOSPF)
            .spf("v=spf1 ip4:192.0.2.10 -all")
            .spf("v=spf1 include:good.test -all")
            .dmarc("v=DMARC1; p=reject; rua=mailto:dmarc@twospf.test")
            .done(),
        Builder::new(SPF_PLUSALL)
            .spf("v=spf1 +all")
            .dmarc("v=DMARC1; p=reject; rua=mailto:dmarc@spf-plusall.test")
            .done(),
        Builder::new(SPF_SOFTFAIL)
            .spf("v=spf1 ip4:192.0.2.10 ~all")
            .dmarc("v=DMARC1; p=none; rua=mailto:dmarc@spf-softfail.test")
            .done(),
        spf_toomany(),
        Builder::new(SPF_LOOP)
            .spf("v=spf1 include:loop.spf-loop.test -all")
            .at("loop", txt("v=spf1 include:spf-loop.test -all"))
            .done(),
        // Three a/mx terms at names that do not exist: the third void
        // lookup passes RFC 7208's limit of two. (An include of a missing
        // name is a permerror of its own, so it is not used here.)
        Builder::new(SPF_VOID)
            .spf(
                "v=spf1 a:gone1.spf-void.test a:gone2.spf-void.test \
                 mx:gone3.spf-void.test -all",
            )
            .done(),
        Builder::new(SPF_SYNTAX)
            .spf("v=spf1 ip4:999.1.1.1 -all")
            .at(
                "unknown",
                txt("v=spf1 ip4:192.0.2.10 frobnicate:good.test -all"),
            )
            .done(),
        Builder::new(SPF_REDIRECT)
            .spf("v=spf1 redirect=good.test")
            .done(),
        Builder::new(NODMARC)
            .spf("v=spf1 ip4:192.0.2.10 -all")
            .done(),
        Builder::new(DMARC_NONE)
            .spf("v=spf1 ip4:192.0.2.10 -all")
            .dmarc("v=DMARC1; p=none; rua=mailto:dmarc@dmarc-none.test")
            .done(),
        Builder::new(DMARC_QUARANTINE)
            .spf("v=spf1 ip4:192.0.2.10 -all")
            .dmarc("v=DMARC1; p=quarantine; rua=mailto:dmarc@dmarc-quarantine.test")
            .done(),
        Builder::new(DMARC_PCT)
            .spf("v=spf1 ip4:192.0.2.10 -all")
            .dmarc("v=DMARC1; p=reject; pct=50; rua=mailto:dmarc@dmarc-pct.test")
            .done(),
        Builder::new(DMARC_SPNONE)
            .spf("v=spf1 ip4:192.0.2.10 -all")
            .dmarc("v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@dmarc-spnone.test")
            .done(),
        Builder::new(DMARC_NORUA)
            .spf("v=spf1 ip4:192.0.2.10 -all")
            .dmarc("v=DMARC1; p=reject")
            .done(),
        Builder::new(DMARC_BAD)
            .spf("v=spf1 ip4:192.0.2.10 -all")
            .dmarc("v=DMARC1; p=bogus")
            .done(),
        Builder::new(ORGDMARC)
            .sends_well()
            .at("sub", a(30))
            .at("sub", txt("v=spf1 ip4:192.0.2.10 -all"))
            .done(),
        Builder::new(DKIM_WEAK)
            .sends_well()
            .dkim(&format!("v=DKIM1; k=rsa; p={}", keys.rsa1024))
            .done(),
        Builder::new(DKIM_TINY)
            .sends_well()
            .dkim(&format!("v=DKIM1; k=rsa; p={}", keys.rsa512))
            .done(),
        Builder::new(DKIM_NONE).sends_well().done(),
        Builder::new(DKIM_REVOKED)
            .sends_well()
            .dkim("v=DKIM1; p=")
            .done(),
        Builder::new(DKIM_ED)
            .sends_well()
            .dkim(&format!("v=DKIM1; k=ed25519; p={}", keys.ed25519))
            .done(),
        Builder::new(NONSEND_GOOD)
            .spf("v=spf1 -all")
            .dmarc("v=DMARC1; p=reject; sp=reject")
            // RFC 7505 null MX: the root as exchange (`0 .`).
            .at("@", mx(0, ""))
            .done(),
        Builder::new(NONSEND_BAD)
            .spf("v=spf1 ip4:192.0.2.11 ~all")
            .at("@", mx(10, "mail.nonsend-bad.test"))
            .at("mail", a(11))
            .done(),
        Builder::new(NHSMAIL).at("@", mx(10, "mx1.nhs.net")).done(),
        Builder::new(M365)
            .at("@", mx(0, "m365-test.mail.protection.outlook.com"))
            .done(),
        Builder::new(DANGLING)
            .at("old", cname("gone.nowhere.test"))
            .at("app", cname("trustwatch-demo.azurewebsites.net"))
            .at("www", cname("mail.good.test"))
            .done(),
        Builder::new(NOWHERE).done(),
        Builder::new(CAA_PARENT)
            .at("@", caa_issue("letsencrypt.org"))
            .at("www", a(40))
            .done(),
        Builder::new(NOCAA).at("@", a(41)).at("www", a(41)).done(),
        Builder::new(AXFR_OPEN)
            .at("@", a(50))
            .at("www", a(50))
            .at("intranet", a(51))
            .at("pacs", a(52))
            .done(),
        Builder::new(SENDERS_REVERSE)
            .at(
                "10",
                Record::Ptr {
                    name: "outbound.good.test".into(),
                },
            )
            .done(),
        Builder::new(REVERSE)
            .at(
                "10.0.0",
                Record::Ptr {
                    name: "mail.good.test".into(),
                },
            )
            .at(
                "11.0.0",
                Record::Ptr {
                    name: "mail.nonsend-bad.test".into(),
                },
            )
            .done(),
    ];
    let mut signed = Builder::new(SIGNED)
        .at("@", a(20))
        .at("@", txt("v=spf1 -all"))
        .at("www", a(20))
        .done();
    signed.signing = Signing::Automatic;
    let mut badsig = Builder::new(BADSIG)
        .at("@", a(20))
        .at("@", txt("v=spf1 -all"))
        .at(
            "www",
            Record::A {
                address: BADSIG_SERVED_ADDRESS,
            },
        )
        .done();
    badsig.signing = Signing::Broken {
        owner: BADSIG_ALTERED,
        signed: Record::A {
            address: BADSIG_SIGNED_ADDRESS,
        },
    };
    zones.push(signed);
    zones.push(badsig);
    for zone in &mut zones {
        if zone.name == AXFR_OPEN {
            zone.axfr = true;
        }
    }
    zones
}

fn good(keys: &DkimPublic) -> Zone {
    let mut b = Builder::new(GOOD)
        .spf("v=spf1 ip4:192.0.2.10 -all")
        .dmarc("v=DMARC1; p=reject; rua=mailto:dmarc@good.test")
        .dkim(&format!("v=DKIM1; k=rsa; p={}", keys.rsa2048))
        .at("@", mx(10, "mail.good.test"))
        .at("mail", a(10))
        .at(
            "outbound",
            Record::A {
                address: Ipv4Addr::new(192, 0, 2, 10),
            },
        )
        .at("_smtp._tls", txt("v=TLSRPTv1; rua=mailto:tlsrpt@good.test"))
        .at("_mta-sts", txt("v=STSv1; id=20261122"))
        // The MTA-STS policy host, for a later HTTPS test on loopback.
        .at("mta-sts", a(10))
        .at("@", caa_issue("letsencrypt.org"));
    for i in 0..GOOD_BIG_COUNT {
        b = b.at("big", txt(&format!("big-{i:02}-{}", "x".repeat(180))));
    }
    b.done()
}

/// Twelve DNS-querying terms through three includes: 3 at the apex, 3 in
/// each included name. No term matches any address a test sends from
/// (127.0.0.21 is only `host`), so an evaluator walks them all and must
/// stop at the eleventh.
fn spf_toomany() -> Zone {
    let mut b = Builder::new(SPF_TOOMANY)
        .spf(
            "v=spf1 include:one.spf-toomany.test include:two.spf-toomany.test \
             include:three.spf-toomany.test -all",
        )
        .at("@", mx(10, "host.spf-toomany.test"))
        .at("host", a(21))
        .at("one", txt("v=spf1 a mx a:host.spf-toomany.test -all"))
        .at("two", txt("v=spf1 a mx mx:spf-toomany.test -all"))
        .at(
            "three",
            txt("v=spf1 a mx exists:host.spf-toomany.test -all"),
        );
    for name in ["one", "two", "three"] {
        b = b.at(name, a(21)).at(name, mx(10, "host.spf-toomany.test"));
    }
    b.done()
}

/// Renders one record's data as a zone-file right-hand side (type and
/// data). TXT text is split into character-strings of at most 255 bytes,
/// as a DKIM key must be.
pub fn rdata(record: &Record) -> String {
    match record {
        Record::A { address } => format!("A {address}"),
        Record::Aaaa { address } => format!("AAAA {address}"),
        Record::Txt { text } => {
            let chunks: Vec<String> = text
                .as_bytes()
                .chunks(255)
                .map(|c| format!("\"{}\"", escape(c)))
                .collect();
            if chunks.is_empty() {
                "TXT \"\"".into()
            } else {
                format!("TXT {}", chunks.join(" "))
            }
        }
        Record::Mx {
            preference,
            exchange,
        } => format!("MX {preference} {}", absolute(exchange)),
        Record::Ptr { name } => format!("PTR {}", absolute(name)),
        Record::Cname { target } => format!("CNAME {}", absolute(target)),
        Record::Ns { name } => format!("NS {}", absolute(name)),
        Record::Caa {
            critical,
            tag,
            value,
        } => format!("CAA {} {tag} \"{value}\"", u8::from(*critical) * 128),
        Record::Soa { mname, serial } => format!(
            "SOA {} hostmaster.{} {serial} 3600 600 86400 300",
            absolute(mname),
            absolute(mname)
        ),
    }
}

fn absolute(name: &str) -> String {
    format!("{name}.")
}

/// Zone-file quoting: `"` and `\` escaped, bytes outside printable ASCII
/// as `\DDD`.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out
}

//! The DNS lab: a real authoritative server (Knot DNS, Debian's `knot`)
//! on 127.0.0.1 serving the zones of [`zones`], one domain per planted
//! situation, for the domain checks' end-to-end tests.
//!
//! Why Knot rather than NSD: knotd runs in the foreground as root from one
//! config file that also names its run, storage and key folders, and it
//! signs a zone itself (`dnssec-signing: on`) with no separate key step,
//! so the signed zone needs no extra tool. Its offline signer `kzonesign`
//! (knot-dnssecutils) signs the zone whose signature the lab then breaks.
//!
//! At start the lab generates the DKIM keys with `openssl`, writes the
//! zone files and config into a temporary folder, signs and breaks
//! `badsig.test`, starts `knotd` and waits (bounded) until every zone
//! answers its SOA and `signed.test` publishes its keys. knotd is killed
//! when the lab is dropped.

pub mod scan;
pub mod zones;

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trustwatch_agent::dns::Record;

use crate::net::free_port;
use crate::process::{run_bounded, Child};
use zones::{DkimPublic, Signing, Zone};

const KNOTD: &str = "/usr/sbin/knotd";
const KEYMGR: &str = "/usr/sbin/keymgr";
const KZONESIGN: &str = "/usr/bin/kzonesign";
const OPENSSL: &str = "/usr/bin/openssl";
const DIG: &str = "/usr/bin/dig";

/// How long knotd may take to load and sign every zone.
const READY_WITHIN: Duration = Duration::from_secs(20);

/// One generated DKIM key pair.
#[derive(Debug, Clone)]
pub struct DkimKey {
    /// DKIM's `p=` value.
    pub public: String,
    /// The private key, PEM (PKCS#8), for tests that sign mail.
    pub private_pem: PathBuf,
}

/// The DKIM keys the lab generated and published.
#[derive(Debug, Clone)]
pub struct DkimKeys {
    /// At `selector1._domainkey.good.test`.
    pub rsa2048: DkimKey,
    /// At `dkim-weak.test`.
    pub rsa1024: DkimKey,
    /// At `dkim-tiny.test`.
    pub rsa512: DkimKey,
    /// At `dkim-ed.test`.
    pub ed25519: DkimKey,
}

impl DkimKeys {
    fn public(&self) -> DkimPublic {
        DkimPublic {
            rsa2048: self.rsa2048.public.clone(),
            rsa1024: self.rsa1024.public.clone(),
            rsa512: self.rsa512.public.clone(),
            ed25519: self.ed25519.public.clone(),
        }
    }
}

/// A signed zone's key-signing key: what a validator is given to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    pub zone: String,
    /// The KSK's DNSKEY data: `257 3 13 BASE64`.
    pub dnskey: String,
    /// Its DS records' data: `KEYTAG 13 2 HEX` (and SHA-384).
    pub ds: Vec<String>,
}

impl TrustAnchor {
    /// The anchor as BIND's `trust-anchors` clause, for `delv -a`.
    pub fn bind_config(&self) -> String {
        let mut parts = self.dnskey.splitn(4, ' ');
        let (flags, proto, alg, key) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        format!(
            "trust-anchors {{ \"{}.\" static-key {flags} {proto} {alg} \"{key}\"; }};\n",
            self.zone
        )
    }
}

/// The running lab. Fields drop in order: knotd stops before its folder
/// is removed.
#[derive(Debug)]
pub struct DnsLab {
    knotd: Child,
    addr: SocketAddr,
    zones: Vec<Zone>,
    keys: DkimKeys,
    signed_anchor: TrustAnchor,
    badsig_anchor: TrustAnchor,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl DnsLab {
    /// Starts the lab; panics with knotd's log if it does not come up.
    pub fn start() -> DnsLab {
        for tool in [KNOTD, KEYMGR, KZONESIGN, OPENSSL, DIG] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is not installed: run scripts/test, which installs it"
            );
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        for sub in ["run", "db", "zones", "keys", "signer", "signer/out"] {
            fs::create_dir_all(dir.join(sub)).expect("lab folder");
        }
        let keys = DkimKeys {
            rsa2048: dkim_rsa(&dir, 2048),
            rsa1024: dkim_rsa(&dir, 1024),
            rsa512: dkim_rsa(&dir, 512),
            ed25519: dkim_ed25519(&dir),
        };
        let zones = zones::zones(&keys.public());
        for zone in &zones {
            let path = dir.join("zones").join(format!("{}.zone", zone.name));
            match &zone.signing {
                Signing::Broken { owner, signed } => {
                    fs::write(&path, break_signature(&dir, zone, owner, signed))
                }
                _ => fs::write(&path, zone_file(zone, None)),
            }
            .expect("write zone file");
        }
        // Not a zone file: knotd keeps the zone configured but unloaded.
        fs::write(
            dir.join("zones").join(format!("{}.zone", zones::SERVFAIL)),
            "this is not a zone file\n",
        )
        .expect("write broken zone file");
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let conf = dir.join("knot.conf");
        fs::write(&conf, knot_config(&dir, addr, &zones)).expect("write knot.conf");
        let log = fs::File::create(dir.join("knotd.log")).expect("knotd log");
        let child = Command::new(KNOTD)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("spawn knotd");
        let knotd = Child(child);
        let mut lab = DnsLab {
            knotd,
            addr,
            zones,
            keys,
            signed_anchor: TrustAnchor {
                zone: zones::SIGNED.into(),
                dnskey: String::new(),
                ds: Vec::new(),
            },
            badsig_anchor: TrustAnchor {
                zone: zones::BADSIG.into(),
                dnskey: String::new(),
                ds: Vec::new(),
            },
            dir,
            _tmp: tmp,
        };
        lab.wait_ready();
        lab.signed_anchor = lab.anchor(zones::SIGNED, &conf);
        lab.badsig_anchor = lab.anchor(zones::BADSIG, &lab.dir.join("signer/sign.conf"));
        lab
    }

    /// The server's address: UDP and TCP on 127.0.0.1.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every zone served.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// The zone names served.
    pub fn zone_names(&self) -> Vec<&'static str> {
        self.zones.iter().map(|z| z.name).collect()
    }

    /// The DKIM keys generated for this run.
    pub fn dkim(&self) -> &DkimKeys {
        &self.keys
    }

    /// `signed.test`'s key-signing key.
    pub fn signed_anchor(&self) -> &TrustAnchor {
        &self.signed_anchor
    }

    /// The key that signed `badsig.test` before its data was altered: a
    /// validator given this anchor must still reject the altered record.
    pub fn badsig_anchor(&self) -> &TrustAnchor {
        &self.badsig_anchor
    }

    /// The lab's folder (zone files, `knot.conf`, `knotd.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `dig` against the lab with `args` (one try, 2 s a try, bounded
    /// to 10 s in all) and returns its standard output.
    pub fn dig(&self, args: &[&str]) -> String {
        let out = run_bounded(
            Command::new(DIG)
                .arg(format!("@{}", self.addr.ip()))
                .args(["-p", &self.addr.port().to_string()])
                .args(["+time=2", "+tries=1"])
                .args(args),
            Duration::from_secs(10),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// knotd's log so far, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("knotd.log")).unwrap_or_default()
    }

    /// Polls until every zone answers its SOA and the signed zone has its
    /// keys, at most [`READY_WITHIN`].
    fn wait_ready(&mut self) {
        let start = Instant::now();
        // One dig, many questions; `+short` before them applies to all.
        let mut args: Vec<String> = vec!["+short".into()];
        for zone in &self.zones {
            args.extend([zone.name.to_string(), "SOA".into()]);
        }
        args.extend([zones::SIGNED.to_string(), "DNSKEY".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        loop {
            if let Ok(Some(status)) = self.knotd.0.try_wait() {
                panic!("knotd exited ({status}); log:\n{}", self.log());
            }
            let out = self.dig(&args);
            let soas = out.lines().filter(|l| l.contains(" hostmaster.")).count();
            let ksk = out.lines().any(|l| l.starts_with("257 "));
            if soas == self.zones.len() && ksk {
                return;
            }
            assert!(
                start.elapsed() < READY_WITHIN,
                "knotd did not serve every zone within {READY_WITHIN:?} ({soas} of {} SOAs); \
                 log:\n{}",
                self.zones.len(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The KSK of `zone` as served, and its DS records from the KASP
    /// database of the config that signed it.
    fn anchor(&self, zone: &str, conf: &Path) -> TrustAnchor {
        let out = self.dig(&["+short", zone, "DNSKEY"]);
        let ksk = out
            .lines()
            .find(|l| l.starts_with("257 "))
            .unwrap_or_else(|| panic!("{zone} serves no KSK: {out}"));
        // dig splits long base64 with spaces: keep the first three fields
        // and join the rest.
        let fields: Vec<&str> = ksk.split_whitespace().collect();
        let dnskey = format!(
            "{} {} {} {}",
            fields[0],
            fields[1],
            fields[2],
            fields[3..].concat()
        );
        let out = run_bounded(
            Command::new(KEYMGR).arg("-c").arg(conf).args([zone, "ds"]),
            Duration::from_secs(10),
        );
        let ds = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(" DS ").map(|(_, data)| data.to_string()))
            .collect::<Vec<_>>();
        assert!(
            !ds.is_empty(),
            "keymgr gave no DS for {zone}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        TrustAnchor {
            zone: zone.into(),
            dnskey,
            ds,
        }
    }
}

/// Renders a zone file: SOA, NS and the name server's address, then the
/// planted records. `replace` swaps one record's data for another (the
/// pre-image of a broken signature).
fn zone_file(zone: &Zone, replace: Option<(&str, &Record, &Record)>) -> String {
    let name = zone.name;
    let mut out = format!(
        "$ORIGIN {name}.\n$TTL 300\n\
         @ SOA ns.{name}. hostmaster.{name}. 1 3600 600 86400 300\n\
         @ NS ns.{name}.\n\
         ns.{name}. A 127.0.0.1\n"
    );
    for planted in &zone.records {
        let record = match replace {
            Some((owner, from, to)) if planted.owner == owner && &planted.record == from => to,
            _ => &planted.record,
        };
        let _ = writeln!(out, "{}. {}", planted.owner, zones::rdata(record));
    }
    out
}

/// Signs `zone` offline with `owner`'s record set to `signed`, then puts
/// the planted record back in the signed output without re-signing: the
/// RRSIG over that name no longer verifies. Returns the zone file to
/// serve.
fn break_signature(dir: &Path, zone: &Zone, owner: &str, signed: &Record) -> String {
    let planted = zone
        .records
        .iter()
        .find(|p| p.owner == owner)
        .unwrap_or_else(|| panic!("{owner} is not planted in {}", zone.name))
        .record
        .clone();
    let signer = dir.join("signer");
    let input = signer.join(format!("{}.zone", zone.name));
    fs::write(&input, zone_file(zone, Some((owner, &planted, signed))))
        .expect("write zone to sign");
    let conf = signer.join("sign.conf");
    fs::write(
        &conf,
        format!(
            "database:\n    storage: \"{s}\"\n\
             template:\n  - id: default\n    storage: \"{s}\"\n\
             zone:\n  - domain: {z}\n    dnssec-signing: on\n",
            s = signer.display(),
            z = zone.name
        ),
    )
    .expect("write sign.conf");
    let out = run_bounded(
        Command::new(KZONESIGN)
            .arg("-c")
            .arg(&conf)
            .arg("-o")
            .arg(signer.join("out"))
            .arg(zone.name),
        Duration::from_secs(30),
    );
    let signed_file = signer.join("out").join(format!("{}.zone", zone.name));
    let text = fs::read_to_string(&signed_file).unwrap_or_else(|e| {
        panic!(
            "kzonesign wrote no {} ({e}): {}",
            signed_file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // kzonesign writes `owner. TTL TYPE DATA` with tabs; swap the data of
    // exactly one line.
    let (signed_type, signed_data) = split_rdata(signed);
    let (_, planted_data) = split_rdata(&planted);
    let mut swapped = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 4
                && f[0] == format!("{owner}.")
                && f[2] == signed_type
                && f[3..].join(" ") == signed_data
            {
                swapped += 1;
                format!("{}\t{}\t{}\t{planted_data}", f[0], f[1], f[2])
            } else {
                line.to_string()
            }
        })
        .collect();
    assert_eq!(
        swapped, 1,
        "expected one {owner} {signed_type} line in:\n{text}"
    );
    lines.join("\n") + "\n"
}

fn split_rdata(record: &Record) -> (String, String) {
    let text = zones::rdata(record);
    let (rtype, data) = text.split_once(' ').unwrap_or((&text, ""));
    (rtype.to_string(), data.to_string())
}

fn knot_config(dir: &Path, addr: SocketAddr, zones: &[Zone]) -> String {
    let d = dir.display();
    let mut conf = format!(
        "server:\n    rundir: \"{d}/run\"\n    listen: {ip}@{port}\n\
         database:\n    storage: \"{d}/db\"\n    kasp-db: \"{d}/keys\"\n\
         log:\n  - target: stderr\n    any: info\n\
         acl:\n  - id: axfr_loopback\n    address: 127.0.0.0/8\n    action: transfer\n\
         template:\n  - id: default\n    storage: \"{d}/zones\"\n\
         \x20   zonefile-sync: -1\n    journal-content: none\n\
         zone:\n",
        ip = addr.ip(),
        port = addr.port()
    );
    let _ = writeln!(
        conf,
        "  - domain: {s}\n    file: \"{s}.zone\"",
        s = zones::SERVFAIL
    );
    for zone in zones {
        let _ = writeln!(conf, "  - domain: {}", zone.name);
        let _ = writeln!(conf, "    file: \"{}.zone\"", zone.name);
        if zone.signing == Signing::Automatic {
            conf.push_str("    dnssec-signing: on\n");
        }
        if zone.axfr {
            conf.push_str("    acl: axfr_loopback\n");
        }
    }
    conf
}

/// An RSA DKIM key of `bits`: `p=` is the base64 of the public key's
/// SubjectPublicKeyInfo DER (RFC 6376 section 3.6.1).
fn dkim_rsa(dir: &Path, bits: u32) -> DkimKey {
    let private = dir.join("keys").join(format!("dkim-rsa{bits}.pem"));
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        &format!("rsa_keygen_bits:{bits}"),
        "-out",
        &private.to_string_lossy(),
    ]);
    let der = public_der(&private);
    DkimKey {
        public: base64(&der),
        private_pem: private,
    }
}

/// An Ed25519 DKIM key: `p=` is the base64 of the raw 32-byte public key
/// (RFC 8463 section 4), the last 32 bytes of its 44-byte SPKI.
fn dkim_ed25519(dir: &Path) -> DkimKey {
    let private = dir.join("keys").join("dkim-ed25519.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-out",
        &private.to_string_lossy(),
    ]);
    let der = public_der(&private);
    assert_eq!(der.len(), 44, "an Ed25519 SPKI is 44 bytes");
    DkimKey {
        public: base64(&der[12..]),
        private_pem: private,
    }
}

fn public_der(private: &Path) -> Vec<u8> {
    let out = run_bounded(
        Command::new(OPENSSL)
            .args(["pkey", "-pubout", "-outform", "DER", "-in"])
            .arg(private),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success() && !out.stdout.is_empty(),
        "openssl pkey: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn openssl(args: &[&str]) {
    let out = run_bounded(Command::new(OPENSSL).args(args), Duration::from_secs(60));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Standard base64 with padding (RFC 4648 section 4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

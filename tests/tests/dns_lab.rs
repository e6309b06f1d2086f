//! The DNS lab against the real resolver: knotd on 127.0.0.1 serving the
//! planted zones, asked through `Hickory` (hickory-resolver), `dig` and
//! `delv`. Every record planted must come back as planted, and each kind
//! of empty or failed answer must be told apart.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use trustwatch_agent::dns::{Failure, Hickory, Record, RecordType, Resolve};
use trustwatch_e2e::dnslab::{zones, DnsLab, TrustAnchor};
use trustwatch_e2e::net::closed_port;
use trustwatch_e2e::process::run_bounded;

fn rtype_of(record: &Record) -> RecordType {
    match record {
        Record::A { .. } => RecordType::A,
        Record::Aaaa { .. } => RecordType::Aaaa,
        Record::Txt { .. } => RecordType::Txt,
        Record::Mx { .. } => RecordType::Mx,
        Record::Ptr { .. } => RecordType::Ptr,
        Record::Cname { .. } => RecordType::Cname,
        Record::Ns { .. } => RecordType::Ns,
        Record::Caa { .. } => RecordType::Caa,
        Record::Soa { .. } => RecordType::Soa,
    }
}

fn sorted(mut records: Vec<Record>) -> Vec<String> {
    let mut out: Vec<String> = records.drain(..).map(|r| format!("{r:?}")).collect();
    out.sort();
    out
}

fn resolver(lab: &DnsLab) -> Hickory {
    Hickory::at(lab.addr(), Duration::from_secs(2))
}

#[tokio::test]
async fn every_planted_record_answers_as_planted() {
    let lab = DnsLab::start();
    let r = resolver(&lab);
    assert_eq!(r.describe(), lab.addr().to_string());

    let mut expected: BTreeMap<(String, RecordType), Vec<Record>> = BTreeMap::new();
    // hickory answers 127.in-addr.arpa itself (RFC 6761, "localhost"), so
    // the reverse zone is checked with dig in the next test.
    for zone in lab.zones().iter().filter(|z| z.name != zones::REVERSE) {
        for p in &zone.records {
            expected
                .entry((p.owner.clone(), rtype_of(&p.record)))
                .or_default()
                .push(p.record.clone());
        }
    }
    assert!(expected.len() > 80, "{} RRsets planted", expected.len());
    for ((owner, rtype), want) in &expected {
        let answer = r.lookup(owner, *rtype).await;
        let got = answer
            .outcome
            .clone()
            .unwrap_or_else(|f| panic!("{rtype} {owner}: {f}; log:\n{}", lab.log()));
        assert_eq!(
            sorted(got),
            sorted(want.clone()),
            "{rtype} {owner} differs from what was planted"
        );
    }
    // Every zone answers its SOA as the lab writes it.
    for name in lab
        .zone_names()
        .into_iter()
        .filter(|&z| z != zones::REVERSE)
    {
        let answer = r.lookup(name, RecordType::Soa).await;
        assert_eq!(
            answer.outcome,
            Ok(vec![Record::Soa {
                mname: format!("ns.{name}"),
                serial: 1
            }]),
            "SOA {name}"
        );
    }
}

#[tokio::test]
async fn planted_specifics_read_as_the_checks_will_read_them() {
    let lab = DnsLab::start();
    let r = resolver(&lab);

    // A 2048-bit key does not fit one character-string: it was split in
    // the zone and comes back joined.
    let dkim = r
        .lookup("selector1._domainkey.good.test", RecordType::Txt)
        .await;
    let text = dkim.texts().next().expect("DKIM record").to_string();
    assert_eq!(
        text,
        format!("v=DKIM1; k=rsa; p={}", lab.dkim().rsa2048.public)
    );
    assert!(text.len() > 255, "{}", text.len());
    // 2048-bit SPKI DER is 294 bytes: 392 base64 characters.
    assert_eq!(lab.dkim().rsa2048.public.len(), 392);
    assert_eq!(lab.dkim().rsa1024.public.len(), 216);
    // The published key is the PEM public key's body: the same DER, the
    // same base64.
    for key in [&lab.dkim().rsa2048, &lab.dkim().rsa1024, &lab.dkim().rsa512] {
        let out = run_bounded(
            Command::new("/usr/bin/openssl")
                .args(["pkey", "-pubout", "-in"])
                .arg(&key.private_pem),
            Duration::from_secs(30),
        );
        let body: String = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        assert_eq!(body, key.public);
    }
    // Ed25519: the raw 32-byte key, 44 characters.
    assert_eq!(lab.dkim().ed25519.public.len(), 44);

    let mx = r.lookup("nonsend-good.test", RecordType::Mx).await;
    assert_eq!(
        mx.outcome,
        Ok(vec![Record::Mx {
            preference: 0,
            exchange: String::new()
        }]),
        "a null MX's exchange is the root, as the empty name"
    );
    // The lab serves the PTRs of its mail hosts...
    let ptr = lab.dig(&["+short", "10.0.0.127.in-addr.arpa", "PTR"]);
    assert_eq!(ptr.trim(), "mail.good.test.");
    let ptr = lab.dig(&["+short", "-x", "127.0.0.11"]);
    assert_eq!(ptr.trim(), "mail.nonsend-bad.test.");
    // ...but hickory never asks a server about 127.in-addr.arpa: RFC 6761
    // makes loopback names special, and it answers "localhost" itself. A
    // forward-confirmed reverse DNS test through the resolver cannot use
    // loopback senders; this pins that behaviour down.
    let ptr = r.lookup("10.0.0.127.in-addr.arpa", RecordType::Ptr).await;
    assert_eq!(
        ptr.outcome,
        Ok(vec![Record::Ptr {
            name: "localhost".into()
        }])
    );
    let caa = r.lookup(zones::CAA_PARENT, RecordType::Caa).await;
    assert_eq!(
        caa.outcome,
        Ok(vec![Record::Caa {
            critical: false,
            tag: "issue".into(),
            value: "letsencrypt.org".into()
        }])
    );
    // Names come back lower case whatever case was asked.
    let mx = r.lookup("GOOD.Test.", RecordType::Mx).await;
    assert_eq!(mx.name, "good.test");
    assert_eq!(mx.summary(), "MX good.test: 10 mail.good.test");
}

#[tokio::test]
async fn nxdomain_no_data_and_refused_are_told_apart() {
    let lab = DnsLab::start();
    let r = resolver(&lab);
    let cases: &[(&str, RecordType, Failure)] = &[
        (zones::GOOD_NOTHING, RecordType::Txt, Failure::NxDomain),
        // The name exists with other types.
        (zones::GOOD, RecordType::Aaaa, Failure::NoData),
        (zones::CAA_CHILD, RecordType::Caa, Failure::NoData),
        (zones::NOCAA, RecordType::Caa, Failure::NoData),
        (zones::NODMARC, RecordType::Mx, Failure::NoData),
        // `_domainkey.good.test` has no records but a name below it: an
        // empty non-terminal is no data, not NXDOMAIN.
        ("_domainkey.good.test", RecordType::Txt, Failure::NoData),
        ("_dmarc.nodmarc.test", RecordType::Txt, Failure::NxDomain),
        (
            "_dmarc.sub.orgdmarc.test",
            RecordType::Txt,
            Failure::NxDomain,
        ),
        (
            "selector1._domainkey.dkim-none.test",
            RecordType::Txt,
            Failure::NxDomain,
        ),
        ("gone1.spf-void.test", RecordType::A, Failure::NxDomain),
        // A zone the server holds but could not load.
        (zones::SERVFAIL, RecordType::Txt, Failure::ServFail),
        ("www.servfail.test", RecordType::A, Failure::ServFail),
        // Outside every zone of an authoritative-only server.
        ("example.com", RecordType::A, Failure::Refused),
        ("mx1.nhs.net", RecordType::A, Failure::Refused),
        // A CNAME to a missing name in a served zone: hickory follows it
        // and the target's NXDOMAIN is the answer.
        (zones::DANGLING_GONE, RecordType::A, Failure::NxDomain),
        // A CNAME out of the lab: the target's REFUSED.
        (zones::DANGLING_CLOUD, RecordType::A, Failure::Refused),
    ];
    for (name, rtype, want) in cases {
        let answer = r.lookup(name, *rtype).await;
        assert_eq!(answer.outcome.as_ref(), Err(want), "{rtype} {name}");
    }
    // A CNAME that resolves is followed to the address; the CNAME itself
    // is only in an answer for type CNAME.
    let a = r.lookup(zones::DANGLING_OK, RecordType::A).await;
    assert_eq!(
        a.outcome,
        Ok(vec![Record::A {
            address: [127, 0, 0, 10].into()
        }])
    );
}

#[tokio::test]
async fn an_answer_too_big_for_udp_is_complete_over_tcp() {
    let lab = DnsLab::start();
    // Over UDP alone the server sets TC: the answer does not fit.
    let udp = lab.dig(&["+ignore", "+notcp", zones::GOOD_BIG, "TXT"]);
    let flags = udp
        .lines()
        .find(|l| l.contains(";; flags:"))
        .unwrap_or_default()
        .to_string();
    assert!(flags.contains(" tc"), "expected truncation: {udp}");
    let answer = resolver(&lab)
        .lookup(zones::GOOD_BIG, RecordType::Txt)
        .await;
    assert_eq!(answer.texts().count(), zones::GOOD_BIG_COUNT, "{answer:?}");
}

#[tokio::test]
async fn answers_are_cached_for_their_ttl() {
    let lab = DnsLab::start();
    let r = resolver(&lab);
    let first = r.lookup(zones::GOOD, RecordType::Txt).await;
    assert!(first.outcome.is_ok(), "{first:?}");
    let first_nx = r.lookup(zones::GOOD_NOTHING, RecordType::Txt).await;
    assert_eq!(first_nx.outcome, Err(Failure::NxDomain));
    let addr = lab.addr();
    drop(lab);
    // The server is gone: the same questions are answered from the cache,
    // a new one is not.
    let again = r.lookup(zones::GOOD, RecordType::Txt).await;
    assert_eq!(again, first);
    let again_nx = r.lookup(zones::GOOD_NOTHING, RecordType::Txt).await;
    assert_eq!(again_nx, first_nx);
    let new = r.lookup(zones::NOSPF, RecordType::Txt).await;
    assert!(new.outcome.is_err(), "{addr} is stopped: {new:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_bound() {
    // A bound UDP socket that reads nothing: queries vanish, as on a
    // firewalled resolver.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let addr = silent.local_addr().expect("addr");
    let r = Hickory::at(addr, Duration::from_millis(500));
    let start = Instant::now();
    let answer = r.lookup("good.test", RecordType::Txt).await;
    let took = start.elapsed();
    assert_eq!(answer.outcome, Err(Failure::Timeout), "{answer:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(took >= Duration::from_millis(400), "took {took:?}");
}

#[tokio::test]
async fn a_port_with_nothing_listening_fails_within_the_bound() {
    let addr: SocketAddr = closed_port();
    let r = Hickory::at(addr, Duration::from_millis(500));
    let start = Instant::now();
    let answer = r.lookup("good.test", RecordType::Txt).await;
    let took = start.elapsed();
    assert_eq!(answer.outcome, Err(Failure::Timeout), "{answer:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

fn delv(lab: &DnsLab, anchor: &TrustAnchor, name: &str, rtype: &str) -> String {
    let file = lab.dir().join(format!("anchor-{}.conf", anchor.zone));
    std::fs::write(&file, anchor.bind_config()).expect("write anchor");
    let out = run_bounded(
        Command::new("/usr/bin/delv")
            .arg(format!("@{}", lab.addr().ip()))
            .args(["-p", &lab.addr().port().to_string()])
            .arg("-a")
            .arg(&file)
            .arg(format!("+root={}", anchor.zone))
            .args([name, rtype]),
        Duration::from_secs(30),
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_signed_zone_validates_and_the_broken_signature_does_not() {
    let lab = DnsLab::start();

    let anchor = lab.signed_anchor();
    assert!(anchor.dnskey.starts_with("257 3 13 "), "{anchor:?}");
    assert!(
        anchor.ds.iter().any(|ds| ds.split(' ').nth(2) == Some("2")),
        "a SHA-256 DS: {anchor:?}"
    );
    let signed = lab.dig(&["+dnssec", "+norec", "www.signed.test", "A"]);
    assert!(
        signed.contains("RRSIG\tA 13 3 300"),
        "signed.test serves RRSIGs: {signed}"
    );
    let out = delv(&lab, anchor, "www.signed.test", "A");
    assert!(out.contains("; fully validated"), "{out}");

    // badsig.test: an RRSIG is served over the altered address...
    let bad = lab.dig(&["+dnssec", "+norec", zones::BADSIG_ALTERED, "A"]);
    assert!(bad.contains("RRSIG\tA 13 3 300"), "{bad}");
    assert!(
        bad.contains(&format!("\t{}", zones::BADSIG_SERVED_ADDRESS)),
        "{bad}"
    );
    assert!(
        !bad.contains(&format!("\t{}", zones::BADSIG_SIGNED_ADDRESS)),
        "{bad}"
    );
    // ...and a validator trusting the key that signed it rejects it, while
    // the zone's untouched records still validate with the same key.
    let anchor = lab.badsig_anchor();
    let out = delv(&lab, anchor, zones::BADSIG_ALTERED, "A");
    assert!(out.contains("RRSIG failed to verify"), "{out}");
    assert!(!out.contains("fully validated"), "{out}");
    let out = delv(&lab, anchor, zones::BADSIG, "TXT");
    assert!(out.contains("; fully validated"), "{out}");
}

#[test]
fn axfr_is_open_only_where_planted() {
    let lab = DnsLab::start();
    let open = lab.dig(&[zones::AXFR_OPEN, "AXFR"]);
    assert!(open.contains("intranet.axfr-open.test."), "{open}");
    assert!(open.contains("pacs.axfr-open.test."), "{open}");
    for zone in [zones::GOOD, zones::SIGNED] {
        let shut = lab.dig(&[zone, "AXFR"]);
        assert!(shut.contains("Transfer failed"), "{zone}: {shut}");
        assert!(!shut.contains("mail.good.test.\t"), "{zone}: {shut}");
    }
}

//! Property tests: the evaluator and the report format hold for any input.

use proptest::prelude::*;
use time::{Duration, OffsetDateTime};
use trustwatch_rules::evaluate;
use trustwatch_rules::observe::{
    AttemptOutcome, CertificateSummary, ChainObservation, CipherSuite, KeyAlgorithm,
    KeyExchangeGroup, ProtocolAttempt, PublicKeySummary, SuiteClass, TlsFeatures, TlsObservation,
    TlsVersion, TrustVerdict, VersionSuites,
};
use trustwatch_rules::{Catalogue, Report, Severity, Status, SCHEMA_VERSION};

fn obs(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    bits: u32,
    tls13: bool,
) -> TlsObservation {
    let outcome = |ok: bool| {
        if ok {
            AttemptOutcome::Accepted {
                cipher_suite: "X".into(),
            }
        } else {
            AttemptOutcome::Rejected {
                reason: "alert".into(),
            }
        }
    };
    let suite = |version, id, name: &str| VersionSuites {
        version,
        accepted: vec![CipherSuite {
            id,
            name: name.into(),
            classes: vec![SuiteClass::ForwardSecret, SuiteClass::Aead],
        }],
        server_preference: None,
    };
    let mut cipher_suites = vec![suite(
        TlsVersion::Tls12,
        0xC02F,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    )];
    if tls13 {
        cipher_suites.push(suite(TlsVersion::Tls13, 0x1301, "TLS_AES_128_GCM_SHA256"));
    }
    TlsObservation {
        target: "127.0.0.1:443".into(),
        sni: None,
        starttls: None,
        cipher_suites,
        features: TlsFeatures {
            groups: vec![KeyExchangeGroup {
                name: "x25519".into(),
                bits: 255,
            }],
            compression: Some(false),
            secure_renegotiation: Some(true),
            ..Default::default()
        },
        attempts: vec![
            ProtocolAttempt {
                version: TlsVersion::Ssl2,
                outcome: outcome(false),
            },
            ProtocolAttempt {
                version: TlsVersion::Ssl3,
                outcome: outcome(false),
            },
            ProtocolAttempt {
                version: TlsVersion::Tls10,
                outcome: outcome(false),
            },
            ProtocolAttempt {
                version: TlsVersion::Tls11,
                outcome: outcome(false),
            },
            ProtocolAttempt {
                version: TlsVersion::Tls12,
                outcome: outcome(true),
            },
            ProtocolAttempt {
                version: TlsVersion::Tls13,
                outcome: outcome(tls13),
            },
        ],
        chain: Some(ChainObservation {
            certificates: vec![CertificateSummary {
                subject: "CN=a".into(),
                issuer: "CN=b".into(),
                serial: "1".into(),
                not_before,
                not_after,
                subject_alt_names: vec![],
                public_key: PublicKeySummary {
                    algorithm: KeyAlgorithm::Rsa,
                    bits,
                    curve: None,
                },
                signature_algorithm: "sha256WithRSAEncryption".into(),
                self_signed: false,
                sha256_fingerprint: "0".into(),
            }],
            trust: TrustVerdict::Trusted { public: true },
            checked_name: "127.0.0.1".into(),
            name_matches: true,
        }),
        chain_error: None,
    }
}

fn base() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

proptest! {
    #[test]
    fn cert_001_passes_exactly_within_validity(start in -2000i64..2000, len in 0i64..4000, bits in 512u32..8192, tls13 in any::<bool>()) {
        let nb = base() + Duration::days(start);
        let na = nb + Duration::days(len);
        let cat = Catalogue::embedded().unwrap();
        let f = evaluate::tls(&cat, &obs(nb, na, bits, tls13), base());
        let c1 = f.iter().find(|f| f.rule_id == "CERT-001").unwrap();
        let within = nb <= base() && base() <= na;
        prop_assert_eq!(c1.status == Status::Pass, within);
        prop_assert!(c1.status == Status::Pass || c1.status == Status::Fail);
        let c5 = f.iter().find(|f| f.rule_id == "CERT-005").unwrap();
        prop_assert_eq!(c5.status == Status::Fail, bits < 2048);
        let t4 = f.iter().find(|f| f.rule_id == "TLS-004").unwrap();
        prop_assert_eq!(t4.status == Status::Pass, tls13);
        // The protocol and suite facts are fixed and good: those rules pass
        // whatever the certificate.
        for id in ["TLS-001", "TLS-002", "TLS-003", "TLS-005", "TLS-006", "TLS-007", "TLS-008"] {
            let t = f.iter().find(|f| f.rule_id == id).unwrap();
            prop_assert_eq!(t.status, Status::Pass, "{}: {}", id, t.summary);
        }
        // Every finding of this probe carries the rule's mapped controls.
        for finding in &f {
            prop_assert!(!finding.controls.is_empty());
        }
    }

    #[test]
    fn reports_round_trip_through_json(secs in 0i64..4_000_000_000, nb in -1000i64..1000, bits in 1u32..9000) {
        let cat = Catalogue::embedded().unwrap();
        let t = OffsetDateTime::from_unix_timestamp(secs).unwrap();
        let findings = evaluate::tls(&cat, &obs(t + Duration::days(nb), t + Duration::days(nb + 90), bits, true), t);
        let report = Report {
            schema_version: SCHEMA_VERSION,
            scanned_at: t,
            baseline: cat.baseline_ref(),
            tool: None,
            vantage: Some("agent-1".into()),
            findings,
            services: Vec::new(),
            data_sources: Vec::new(),
            agent: None,
            report_id: None,
            sequence: None,
        };
        let json = serde_json::to_string(&report).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &report);
        prop_assert_eq!(back.fails_at(Severity::Info), report.worst_failure().is_some());
    }

    #[test]
    fn severity_parsing_never_panics(s in ".{0,20}") {
        let _ = s.parse::<Severity>();
    }

    #[test]
    fn arbitrary_baseline_text_never_panics(text in "[a-z_=\\[\\]\" \n0-9-]{0,200}") {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("baseline.toml"), "id = \"x\"\nversion = \"1\"\ntitle = \"t\"\nfiles = [\"tls.toml\"]\n").unwrap();
        std::fs::write(dir.path().join("tls.toml"), &text).unwrap();
        if let Err(e) = Catalogue::load_dir(dir.path()) {
            let msg = e.to_string();
            prop_assert!(msg.contains("tls.toml"), "{}", msg);
            prop_assert!(!msg.contains('\n'), "{}", msg);
        }
    }
}

//! The files a package scan reads from a system it does not trust (a
//! mounted image may be anything) and the advisory data it imports: dpkg's
//! status file, apk's installed database, RPM headers, os-release, OSV
//! records (with their severity and CVSS vectors), and the version orders
//! that compare what they hold. None may panic; problems are data.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustwatch_agent::advisories::osv::Record;
use trustwatch_agent::advisories::severity;
use trustwatch_agent::packages::rpm::header::Header;
use trustwatch_agent::packages::version::{compare, VersionScheme};
use trustwatch_agent::packages::{apk, dpkg, os_release};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut problems = Vec::new();
    for p in dpkg::parse_status(&text, "status", &mut problems) {
        // What the reader keeps, the matcher must be able to compare.
        assert!(compare(VersionScheme::Dpkg, &p.version, &p.version).is_ok());
    }
    apk::parse_installed(&text, "installed", &mut problems);
    os_release::parse(&text);
    let _ = Header::parse(data);
    if let Ok(record) = Record::from_slice(data) {
        record.cves();
        severity::record_severity(&record);
        for affected in &record.affected {
            severity::affected_rating(affected);
            severity::affected_cvss(affected);
        }
    }
    severity::cvss_score(&text);
    if let Some((a, b)) = text.split_once('\n') {
        for scheme in [VersionScheme::Dpkg, VersionScheme::Rpm, VersionScheme::Apk] {
            if let (Ok(x), Ok(y)) = (compare(scheme, a, b), compare(scheme, b, a)) {
                assert_eq!(x, y.reverse(), "{scheme:?} order is antisymmetric");
            }
        }
    }
});

//! Curated OSV records built into the agent, so that `--advisories builtin`
//! works offline. Each is a published record copied byte for byte; where
//! each came from (repository, path, commit) is in
//! `agent/data/advisories/SOURCES.md`.

macro_rules! record {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../data/advisories/", $name)),
        )
    };
}

/// (file name, record text).
pub const BUNDLED: &[(&str, &str)] = &[
    record!("ALSA-2024-4312.json"),
    record!("DSA-3029-1.json"),
    record!("UBUNTU-CVE-2024-6387.json"),
    record!("USN-6119-1.json"),
    record!("USN-6859-1.json"),
];

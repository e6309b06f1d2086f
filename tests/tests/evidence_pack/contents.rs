//! What the pack holds, file by file.

use std::io::Read;
use std::path::Path;

use trustwatch_collector::evidence::sample;

use super::text;

pub type Files = Vec<(String, Vec<u8>)>;

pub fn unzip(path: &Path) -> Files {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().to_owned(), bytes)
        })
        .collect()
}

pub fn file<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

pub fn json(files: &[(String, Vec<u8>)], name: &str) -> serde_json::Value {
    serde_json::from_slice(file(files, name)).unwrap()
}

/// Checks every file of the pack `report evidence` wrote for site north,
/// January 2026, sample 2 with seed 42.
pub fn check(files: &Files) {
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "scope.json",
            "method.json",
            "results.csv",
            "results.json",
            "remediation.csv",
            "remediation.json",
            "hosts.txt",
            "sample.json",
            "exceptions.csv",
            "exceptions.json",
            "reports.json",
            "manifest.json"
        ]
    );

    // Scope: the site's policy, its vantage points and agents, coverage.
    let scope = json(files, "scope.json");
    assert_eq!(
        scope["policies"][0]["scope"],
        serde_json::json!(["10.1.0.0/16"])
    );
    assert_eq!(
        scope["policies"][0]["exclude"],
        serde_json::json!(["10.1.99.0/24"])
    );
    assert_eq!(scope["sites_without_policy"], serde_json::json!([]));
    let vantages: Vec<&str> = scope["vantage_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vantage"].as_str().unwrap())
        .collect();
    assert_eq!(vantages, ["a1.example.nhs.uk", "a2.example.nhs.uk"]);
    assert_eq!(scope["agents"].as_array().unwrap().len(), 2);
    assert_eq!(scope["coverage"]["hosts_known"], 4);
    assert_eq!(scope["coverage"]["hosts_assessed"], 4);

    // Method: baseline, tool and data-file versions from the reports.
    let method = json(files, "method.json");
    assert_eq!(method["baselines"][0]["id"], "trustwatch-nhs-baseline");
    assert_eq!(method["baselines"][0]["reports"], 5);
    assert_eq!(method["agent_tools"][0]["version"], "0.1.0");
    assert_eq!(method["data_sources"][0]["version"], "2026.01");
    assert!(method["sampling"]["algorithm"][1]
        .as_str()
        .unwrap()
        .contains("SplitMix64"));
    let rules: Vec<&str> = method["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["CERT-001", "TLS-002"]);

    // Results: one row per (agent, target, rule), frameworks split, CSV escaped.
    let csv = text(file(files, "results.csv"));
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(
        lines[0].starts_with("agent,site,host,target,rule_id,"),
        "{csv}"
    );
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(
        lines[1]
            .starts_with("a1,north,h1,h1:443,TLS-002,title of TLS-002,high,pass,pass,,2026-01-02T"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(
            ",B4.d,secure-configuration,9.2.3,,\"a summary, with a comma and \"\"quotes\"\"\","
        ),
        "{}",
        lines[1]
    );
    let results = json(files, "results.json");
    let h3 = results
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == "h3:443")
        .unwrap();
    assert_eq!(h3["reported_status"], "accepted_risk");
    assert_eq!(h3["frameworks"]["caf"], serde_json::json!(["B4.d"]));
    assert_eq!(
        h3["evidence"]["protocols"],
        serde_json::json!(["TLSv1.0", "TLSv1.2"])
    );

    // Time to remediate: h1 fixed in two days, h2 and h3 still open.
    let rem = json(files, "remediation.json");
    assert_eq!(rem["totals"]["remediated"], 1);
    assert_eq!(rem["totals"]["median_days_to_remediate"], 2.0);
    assert_eq!(rem["totals"]["open"], 2);
    let h1 = rem["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"] == "h1:443")
        .unwrap();
    assert_eq!(h1["outcome"], "remediated");
    assert_eq!(h1["seconds"], 2 * 86_400);

    // The sample: reproducible from hosts.txt and the seed alone.
    let hosts: Vec<String> = text(file(files, "hosts.txt"))
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(hosts, ["h1", "h2", "h3", "h4"]);
    let sample_file = json(files, "sample.json");
    let drawn: Vec<&str> = sample_file["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(drawn, sample::select(&hosts, 2, 42));
    assert_eq!(sample_file["hosts"][0]["findings"][0]["host"], drawn[0]);

    // The exceptions register.
    let exceptions = text(file(files, "exceptions.csv"));
    assert!(
        exceptions.contains("Head of IT, North")
            && exceptions.contains("2026-01-05")
            && exceptions.contains("2028-12-31"),
        "{exceptions}"
    );

    // Reports cited: the latest of each agent at the site, chained.
    let cited = json(files, "reports.json");
    let seqs: Vec<(String, i64)> = cited["chained"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["agent"].as_str().unwrap().to_owned(),
                l["sequence"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seqs, [("a1".to_owned(), 3), ("a2".to_owned(), 2)]);
}

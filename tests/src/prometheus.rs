//! A real Prometheus server (Debian's `prometheus` package, the one that
//! ships promtool) on 127.0.0.1, scraping one collector every second with
//! the project's rule files loaded, and its HTTP query API.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::net::{free_port, wait_for_port};
use crate::process::Child;

const BINARY: &str = "/usr/bin/prometheus";

/// The scrape job name the alert rules expect (`up{job="trustwatch-collector"}`).
pub const JOB: &str = "trustwatch-collector";

/// A running Prometheus, killed on drop; its TSDB lives in `dir`.
#[derive(Debug)]
pub struct Prometheus {
    pub addr: SocketAddr,
    dir: PathBuf,
    _child: Child,
}

/// A series' labels as the API returns them.
pub type Labels = serde_json::Map<String, Value>;

/// One query's answer: its series as (labels, value text) pairs. A scalar
/// answer is one series without labels.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub series: Vec<(Labels, String)>,
}

/// An alert Prometheus holds: pending (its `for` not yet run out) or firing.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub name: String,
    pub state: String,
    pub labels: Labels,
}

impl Alert {
    /// Whether it is `name` with `label` = `value`.
    pub fn is(&self, name: &str, label: &str, value: &str) -> bool {
        self.name == name && self.labels.get(label).and_then(Value::as_str) == Some(value)
    }
}

impl Prometheus {
    /// Starts Prometheus under `dir` scraping `target`'s /metrics every
    /// second and evaluating `rule_files` every second.
    pub fn start(dir: &Path, target: SocketAddr, rule_files: &[PathBuf]) -> Prometheus {
        assert!(
            Path::new(BINARY).exists(),
            "prometheus is not installed: run scripts/test, which installs Debian's prometheus package"
        );
        fs::create_dir_all(dir.join("tsdb")).expect("prometheus tsdb dir");
        let rules: String = rule_files
            .iter()
            .map(|f| format!("  - {:?}\n", f.display().to_string()))
            .collect();
        let config = dir.join("prometheus.yml");
        fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 rule_files:\n{rules}\
                 scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n      - targets: [\"{target}\"]\n"
            ),
        )
        .expect("write prometheus.yml");
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = fs::File::create(dir.join("prometheus.log")).expect("prometheus log");
        let child = Command::new(BINARY)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        let prometheus = Prometheus {
            addr,
            dir: dir.to_owned(),
            _child: Child(child),
        };
        assert!(
            wait_for_port(addr, Duration::from_secs(30)),
            "prometheus did not listen on {addr}; its log:\n{}",
            prometheus.log()
        );
        prometheus.wait_for(Duration::from_secs(30), "prometheus to be ready", |p| {
            matches!(crate::http::get(p.addr, "/-/ready"), Ok((200, _)))
        });
        prometheus
    }

    /// Prometheus' own log so far, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    /// Polls `ready` every 200 ms until it holds; panics naming `what`
    /// (with Prometheus' log) once `limit` has passed.
    pub fn wait_for(&self, limit: Duration, what: &str, ready: impl Fn(&Prometheus) -> bool) {
        let start = Instant::now();
        while !ready(self) {
            assert!(
                start.elapsed() < limit,
                "timed out after {limit:?} waiting for {what}; prometheus log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// An instant query through `/api/v1/query`; `Err` carries Prometheus'
    /// error (a bad expression, an evaluation error) or a transport error.
    pub fn query(&self, expr: &str) -> Result<QueryResult, String> {
        let data = self.api(&format!("/api/v1/query?query={}", encode(expr)))?;
        let result = &data["result"];
        match data["resultType"].as_str() {
            Some("vector") => Ok(QueryResult {
                series: result
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        (
                            s["metric"].as_object().cloned().unwrap_or_default(),
                            s["value"][1].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
            }),
            Some("scalar") => Ok(QueryResult {
                series: vec![(
                    Labels::new(),
                    result[1].as_str().unwrap_or_default().to_owned(),
                )],
            }),
            other => Err(format!("unexpected result type {other:?}: {data}")),
        }
    }

    /// Label values of `label` among the series `selector` matches (what a
    /// Grafana `label_values(selector, label)` variable lists).
    pub fn label_values(&self, label: &str, selector: &str) -> Result<Vec<String>, String> {
        let data = self.api(&format!(
            "/api/v1/label/{label}/values?match%5B%5D={}",
            encode(selector)
        ))?;
        Ok(data
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect())
    }

    /// Alerts Prometheus holds now, pending or firing.
    pub fn alerts(&self) -> Result<Vec<Alert>, String> {
        let data = self.api("/api/v1/alerts")?;
        Ok(data["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                let labels = a["labels"].as_object().cloned().unwrap_or_default();
                Alert {
                    name: labels
                        .get("alertname")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    state: a["state"].as_str().unwrap_or_default().to_owned(),
                    labels,
                }
            })
            .collect())
    }

    /// Rule groups as loaded: (group name, rule names, every rule healthy).
    pub fn rule_groups(&self) -> Result<Vec<(String, Vec<String>, bool)>, String> {
        let data = self.api("/api/v1/rules")?;
        Ok(data["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| {
                let rules = g["rules"].as_array().cloned().unwrap_or_default();
                (
                    g["name"].as_str().unwrap_or_default().to_owned(),
                    rules
                        .iter()
                        .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
                        .collect(),
                    rules
                        .iter()
                        .all(|r| matches!(r["health"].as_str(), Some("ok") | Some("unknown"))),
                )
            })
            .collect())
    }

    /// GETs an API path and returns its `data`.
    fn api(&self, path: &str) -> Result<Value, String> {
        let (status, body) = crate::http::get(self.addr, path).map_err(|e| e.to_string())?;
        let json: Value = serde_json::from_str(&body)
            .map_err(|e| format!("{path} answered {status} with no JSON ({e}): {body}"))?;
        if status != 200 || json["status"] != "success" {
            return Err(format!(
                "{path} answered {status}: {} {}",
                json["errorType"], json["error"]
            ));
        }
        Ok(json["data"].clone())
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a
/// query string value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn encodes_promql_for_a_query_string() {
        assert_eq!(
            encode(r#"sum(x{site=~"a|b"}) * 60"#),
            "sum%28x%7Bsite%3D~%22a%7Cb%22%7D%29%20%2A%2060"
        );
        assert_eq!(encode("é"), "%C3%A9");
    }
}

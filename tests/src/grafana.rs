//! The project's Grafana dashboards as the tests read them: every panel
//! with its targets, and the dashboard variables substituted the way
//! Grafana does before it sends a query to Prometheus.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository's `dashboards/` folder.
pub fn dashboards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dashboards")
}

/// One dashboard file, parsed.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub file: String,
    pub json: Value,
}

impl Dashboard {
    pub fn title(&self) -> &str {
        self.json["title"].as_str().unwrap_or_default()
    }

    /// Every panel, rows included, nested row panels flattened.
    pub fn panels(&self) -> Vec<&Value> {
        let mut out = Vec::new();
        for p in self.json["panels"].as_array().into_iter().flatten() {
            out.push(p);
            out.extend(p["panels"].as_array().into_iter().flatten());
        }
        out
    }

    /// (panel title, target expression) for every target of every panel.
    pub fn targets(&self) -> Vec<(String, String)> {
        self.panels()
            .into_iter()
            .flat_map(|p| {
                let title = p["title"].as_str().unwrap_or_default().to_owned();
                p["targets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(move |t| Some((title.clone(), t["expr"].as_str()?.to_owned())))
            })
            .collect()
    }
}

/// All dashboards under `dashboards/grafana`, sorted by file name. Panics
/// on one that is not valid JSON.
pub fn dashboards() -> Vec<Dashboard> {
    let dir = dashboards_dir().join("grafana");
    let mut out: Vec<Dashboard> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("dashboard entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = fs::read_to_string(&path).expect("read dashboard");
            let json = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
            Dashboard {
                file: path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                json,
            }
        })
        .collect();
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// `expr` as Grafana sends it with `$site` set to `site` (`.*` is "All"),
/// the interval variables set to fixed windows, and a trailing
/// `or vector(0)` removed: that fallback only turns "no data" into 0, so a
/// query checked without it shows whether real series answer the panel.
pub fn substitute(expr: &str, site: &str) -> String {
    let expr = expr
        .replace("$__rate_interval", "1m")
        .replace("$__interval", "1m")
        .replace("$__range", "5m")
        .replace("${site}", site)
        .replace("$site", site);
    match expr.strip_suffix(" or vector(0)") {
        Some(bare) => bare.to_owned(),
        None => expr,
    }
}

#[cfg(test)]
mod tests {
    use super::substitute;

    #[test]
    fn substitutes_variables_and_drops_the_zero_fallback() {
        assert_eq!(
            substitute(
                r#"sum(rate(x{site=~"$site"}[$__rate_interval])) or vector(0)"#,
                "north"
            ),
            r#"sum(rate(x{site=~"north"}[1m]))"#
        );
        assert_eq!(
            substitute("increase(y[$__range]) / $__interval", ".*"),
            "increase(y[5m]) / 1m"
        );
    }
}

//! Catalogue invariants: well-formed ids in the right file, known control
//! ids, non-empty prose. Serde already rejects unknown keys and severities.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::load::{line_of, line_of_text};
use super::{Baseline, Mode, Rule};
use crate::error::CatalogueError;
use crate::severity::Severity;

/// A rule as written in TOML, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    id: Spanned<String>,
    title: Spanned<String>,
    severity: Severity,
    internal_severity: Option<Severity>,
    severity_note: Option<String>,
    modes: Spanned<Vec<Mode>>,
    evidence: Spanned<String>,
    pass_condition: Spanned<String>,
    rationale: Spanned<String>,
    remediation: Spanned<String>,
    controls: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    unverified_controls: Vec<Spanned<String>>,
    #[serde(default)]
    best_practice: bool,
}

/// Control ids a rule may map to (baseline.md §2.1 "Mapping abbreviations").
const BARE_CONTROLS: &[&str] = &[
    "NCSC-TLS",
    "NHSE-TLS",
    "GOV-EM",
    "GOV-NS",
    "GOV-HTTPS",
    "GOV-DOM",
    "DCB1596",
    "NHS-ALERT",
    "BP",
    "NAO-WANNACRY",
    "CISA-KEV",
];
const CE_THEMES: &[&str] = &["FW", "SC", "SUM", "SUM-14d", "UAC", "MP"];

/// True for a control id the catalogue recognises.
pub fn is_known_control(id: &str) -> bool {
    if BARE_CONTROLS.contains(&id) {
        return true;
    }
    if let Some(theme) = id.strip_prefix("CE:") {
        return CE_THEMES.contains(&theme);
    }
    if let Some(outcome) = id.strip_prefix("CAF:") {
        // e.g. B4.d: objective letter A–D, principle digit, outcome letter.
        let b = outcome.as_bytes();
        return b.len() == 4
            && (b'A'..=b'D').contains(&b[0])
            && b[1].is_ascii_digit()
            && b[2] == b'.'
            && b[3].is_ascii_lowercase();
    }
    if let Some(item) = id.strip_prefix("DSPT:") {
        return !item.is_empty()
            && item
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    }
    false
}

/// True for `FAMILY-NNN`.
pub fn is_rule_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((family, num)) => {
            !family.is_empty()
                && family.bytes().all(|c| c.is_ascii_uppercase())
                && num.len() == 3
                && num.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

pub(crate) fn baseline(path: &Path, text: &str, b: &Baseline) -> Result<(), CatalogueError> {
    let invalid = |key: &str, message: String| CatalogueError::Invalid {
        file: path.to_owned(),
        line: line_of_text(text, key),
        rule: "-".into(),
        key: key.into(),
        message,
    };
    if b.id.trim().is_empty() {
        return Err(invalid("id", "the baseline id is empty".into()));
    }
    if b.version.trim().is_empty() {
        return Err(invalid("version", "the baseline version is empty".into()));
    }
    if b.files.is_empty() {
        return Err(invalid("files", "no rule files are listed".into()));
    }
    for name in &b.files {
        if !name.ends_with(".toml") || name.contains(['/', '\\']) || name == super::BASELINE_FILE {
            return Err(invalid(
                "files",
                format!(
                    "`{name}` is not a rule file name in this folder (expected e.g. `tls.toml`)"
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn rule(
    path: &Path,
    text: &str,
    file_name: &str,
    raw: RawRule,
) -> Result<Rule, CatalogueError> {
    let id = raw.id.get_ref().clone();
    let invalid =
        |key: &str, span: std::ops::Range<usize>, message: String| CatalogueError::Invalid {
            file: path.to_owned(),
            line: line_of(text, span),
            rule: id.clone(),
            key: key.into(),
            message,
        };

    if !is_rule_id(&id) {
        return Err(invalid(
            "id",
            raw.id.span(),
            format!("`{id}` is not of the form FAMILY-NNN (e.g. TLS-001)"),
        ));
    }
    let family = id
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let stem = file_name.trim_end_matches(".toml");
    if family != stem {
        return Err(invalid(
            "id",
            raw.id.span(),
            format!(
                "a {} rule belongs in {family}.toml, not {file_name}",
                family.to_uppercase()
            ),
        ));
    }
    for (key, value) in [
        ("title", &raw.title),
        ("evidence", &raw.evidence),
        ("pass_condition", &raw.pass_condition),
        ("rationale", &raw.rationale),
        ("remediation", &raw.remediation),
    ] {
        if value.get_ref().trim().is_empty() {
            return Err(invalid(key, value.span(), "must not be empty".into()));
        }
    }
    if raw.modes.get_ref().is_empty() {
        return Err(invalid(
            "modes",
            raw.modes.span(),
            "must name at least one mode".into(),
        ));
    }
    if raw.controls.get_ref().is_empty() {
        return Err(invalid(
            "controls",
            raw.controls.span(),
            "must map at least one control".into(),
        ));
    }
    let mut controls: Vec<String> = Vec::new();
    for c in raw.controls.get_ref() {
        if !is_known_control(c.get_ref()) {
            return Err(invalid(
                "controls",
                c.span(),
                format!("`{}` is not a known control id", c.get_ref()),
            ));
        }
        if controls.contains(c.get_ref()) {
            return Err(invalid(
                "controls",
                c.span(),
                format!("`{}` is listed twice", c.get_ref()),
            ));
        }
        controls.push(c.get_ref().clone());
    }
    let mut unverified = Vec::new();
    for c in &raw.unverified_controls {
        if !controls.contains(c.get_ref()) {
            return Err(invalid(
                "unverified_controls",
                c.span(),
                format!("`{}` is not among the rule's controls", c.get_ref()),
            ));
        }
        unverified.push(c.get_ref().clone());
    }

    // The catalogue's severity is for internet-facing exposure and drops one
    // level inside the network (baseline.md §2.1), unless stated. A rule that
    // never runs from outside has only the one severity.
    let internal_severity = match raw.internal_severity {
        Some(sev) => sev,
        None if raw.modes.get_ref().contains(&Mode::External) => raw.severity.one_lower(),
        None => raw.severity,
    };

    Ok(Rule {
        id: id.clone(),
        title: raw.title.into_inner(),
        severity: raw.severity,
        internal_severity,
        severity_note: raw.severity_note,
        modes: raw.modes.into_inner(),
        evidence: raw.evidence.into_inner(),
        pass_condition: raw.pass_condition.into_inner(),
        rationale: raw.rationale.into_inner(),
        remediation: raw.remediation.into_inner(),
        controls,
        unverified_controls: unverified,
        best_practice: raw.best_practice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids() {
        for ok in [
            "CAF:B4.d",
            "CAF:A3.a",
            "DSPT:9.2.3",
            "DSPT:8.1",
            "CE:SUM-14d",
            "NCSC-TLS",
            "BP",
        ] {
            assert!(is_known_control(ok), "{ok}");
        }
        for bad in [
            "CAF:B4",
            "CAF:E1.a",
            "DSPT:",
            "DSPT:9..2",
            "CE:XX",
            "NCSC",
            "caf:b4.d",
            "",
        ] {
            assert!(!is_known_control(bad), "{bad}");
        }
    }

    #[test]
    fn rule_ids() {
        assert!(is_rule_id("TLS-001"));
        assert!(is_rule_id("PATCH-006"));
        for bad in ["TLS-1", "tls-001", "TLS001", "-001", "TLS-0001", "TLS-00a"] {
            assert!(!is_rule_id(bad), "{bad}");
        }
    }
}
